"""Flask commands: `demo`, `create-admin`, `totp-code`, `tick`, `scheduler` ..."""

from __future__ import annotations

import click
import pyotp
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from tadamon.extensions import db


@click.command("demo")
@click.option("--scale", default=1, show_default=True, type=click.IntRange(1, 1000),
              help="The volume of data (load tests): N ≥ 2 gives N × 200 organisations, 1,000 proposals, "
                   "10,000 comments, 2,000 ballots and 20 plan actions (10: ~2,000 organisations).")
@click.option("--reset/--no-reset", default=None,
              help="Empty the database's tables before seeding. By default a database the demo filled "
                   "(or one without any account) is emptied, and any other is refused; --reset empties "
                   "any database after a confirmation, --no-reset seeds on top of what is there.")
@click.option("--yes", is_flag=True, help="Confirm --reset without asking (scripts).")
@with_appcontext
def demo_command(scale: int, reset: bool | None, yes: bool) -> None:
    """Fill the database with trilingual, fictional demo data and print how to log in."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("The demo data is never loaded in production.")
    from tadamon import demo

    reset = _demo_may_reset(reset, yes, demo.holds_only_demo_data())
    accounts = demo.build(scale=scale, reset=reset, progress=lambda step: click.echo(f"  … {step}"))
    db.session.commit()
    click.echo("Demo data is ready. Log in at /account/login with:")
    for account in accounts:
        line = f"  {account.role_label:<14} {account.email:<34} password: {account.password}"
        if account.totp_secret:
            line += f"  TOTP key: {account.totp_secret}"
        click.echo(line)
    click.echo(
        "Roles with a TOTP key need a code at log-in: add the key to an authenticator app, "
        "or print the current code with `.venv/bin/flask --app wsgi totp-code EMAIL`."
    )
    click.echo("Restart this server later without wiping the demo with `make serve`.")


def _demo_may_reset(reset: bool | None, yes: bool, only_demo_data: bool) -> bool:
    """Whether `flask demo` empties the database: never silently one holding real data (a
    DATABASE_URL pointing at the network's database must not lose it to a demo)."""
    if reset is False or only_demo_data:
        return reset is not False
    where = db.engine.url.render_as_string(hide_password=True)
    if reset is None:
        raise click.ClickException(
            f"{where} holds data that `flask demo` did not create: nothing was changed. To empty it "
            "and load the demo anyway, run `flask demo --reset` (it asks to confirm) or `--reset --yes`.")
    if not yes:
        click.confirm(f"Empty every table of {where}, which holds data the demo did not create?", abort=True)
    return True


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--language", default="ar", type=click.Choice(["ar", "fr", "en"]))
@click.password_option()
@with_appcontext
def create_admin_command(email: str, name: str, language: str, password: str) -> None:
    """Create an administrator (or make an existing account one)."""
    from tadamon.accounts import services
    from tadamon.core.errors_domain import DomainError

    try:
        user = services.create_admin(
            email=email, display_name=name, password=password, language=language
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"{user.email} is an administrator. At first log-in they set up two-factor authentication.")


@click.command("totp-code")
@click.argument("email")
@with_appcontext
def totp_code_command(email: str) -> None:
    """Print the current TOTP code of a demo account (development only)."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("Not available in production.")
    from tadamon.accounts.models import User

    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.totp_secret:
        raise click.ClickException(f"No account with two-factor authentication for {email}.")
    click.echo(pyotp.TOTP(user.totp_secret).now())


@click.command("tick")
@with_appcontext
def tick_command() -> None:
    """Periodic work (run it from cron, every minute): phase moves, grouped notifications."""
    from tadamon.core.hooks import run_periodic

    for task, done in run_periodic().items():
        click.echo(f"{task}: {done}")


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run one tick under the lock and exit.")
@with_appcontext
def scheduler_command(once: bool) -> None:
    """Run the periodic work every TICK_EVERY_SECONDS until stopped (deploy/systemd's scheduler).

    Set TADAMON_TICK_ON_REQUEST=0 for the web instances where it runs. Two schedulers never run
    the same tick: the second finds the lock taken and skips it (see core.scheduler).
    """
    import signal
    import threading

    from tadamon.core import scheduler

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if once:
        done = scheduler.tick_once()
        click.echo("tick skipped: another scheduler holds the lock" if done is None
                   else "\n".join(f"{task}: {count}" for task, count in done.items()))
        return
    stop = threading.Event()
    # systemd stops with SIGTERM: finish the tick in progress, then leave.
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    click.echo(f"scheduler: ticking every {app.config['TICK_EVERY_SECONDS']} s")
    scheduler.run(app, stop, report=lambda line: click.echo(line))


@click.command("send-digests")
@with_appcontext
def send_digests_command() -> None:
    """Sends the daily and weekly digests that are due (safe to run often: never twice)."""
    from tadamon.core.db import utcnow
    from tadamon.core.digests import send_digests

    click.echo(f"digests sent: {send_digests(utcnow())}")


@click.command("send-mail")
@with_appcontext
def send_mail_command() -> None:
    """Sends the queued emails that are due now (the worker and `flask tick` do it too)."""
    from tadamon.core.mail import send_queued_mail

    click.echo(f"emails sent: {send_queued_mail()}")


@click.command("tally")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def tally_command(files: tuple[str, ...]) -> None:
    """Recompute results from ballot files (tadamon-ballots/1): one JSON line per file."""
    import json

    from tadamon.voting.tally import BallotError, tally_document

    failed = False
    for name in files:
        try:
            with open(name, encoding="utf-8") as handle:
                document = json.load(handle)
            result = tally_document(document)
        except FileNotFoundError:
            problem = "file not found"
        except json.JSONDecodeError as error:
            problem = f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        except UnicodeDecodeError:
            problem = "not UTF-8 text"
        except BallotError as error:
            problem = str(error)
        else:
            click.echo(json.dumps({"file": name, "method": document["method"], **result.as_dict()},
                                  ensure_ascii=False, sort_keys=False))
            continue
        failed = True
        click.echo(json.dumps({"file": name, "error": problem}, ensure_ascii=False))
        click.echo(f"{name}: {problem}", err=True)
    if failed:
        raise SystemExit(1)


def init_app(app: Flask) -> None:
    from tadamon.core.storage_cli import storage_group

    for command in (demo_command, create_admin_command, totp_code_command, tick_command, scheduler_command,
                    tally_command,
                    send_digests_command, send_mail_command, storage_group):
        app.cli.add_command(command)
    from tadamon.core.backup import register_commands as register_backup_commands

    register_backup_commands(app)
