"""Attaches extensions, hooks, blueprints and commands to an application."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask, Response
from flask.cli import ScriptInfo
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from tadamon.extensions import babel, csrf, db, limiter, login_manager, migrations


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` that never passes a number the database cannot hold (a 404, not a 500)."""

    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = 2_147_483_647, signed: bool = False) -> None:  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class MigrationCommands(click.Command):
    """`flask db …`: Flask-Migrate's own group, imported only when a `db` command runs (see
    extensions.migrations), so every other command, and every web worker, starts without
    Alembic. Its arguments go to that group untouched (options, `--help` included)."""

    def __init__(self) -> None:
        super().__init__("db", help="Database migrations (Flask-Migrate): flask db --help.",
                         context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
                         add_help_option=False)

    def invoke(self, ctx: click.Context) -> Any:
        info = ctx.ensure_object(ScriptInfo)
        migrations(info.load_app())
        from flask_migrate.cli import db as commands

        return commands.main(args=ctx.args, prog_name=ctx.command_path, obj=info, standalone_mode=False)


def configure(app: Flask) -> None:
    from tadamon.core import auth, delivery, errors, logs, security, uploads
    from tadamon.core.i18n import escape_lazy_strings, select_locale, select_timezone
    from tadamon.core.times import use_bundled_zones
    from tadamon.core.use_case import rollback_on_error

    escape_lazy_strings()
    use_bundled_zones()
    trust_proxies(app)
    uploads.install()
    app.url_map.converters["int"] = BoundedIntegerConverter

    # First: its compression must run after every other after_request hook (see the module).
    delivery.init_app(app)
    # Next: the request id and start time before any other hook, the access line after them.
    logs.init_app(app)
    db.init_app(app)
    app.cli.add_command(MigrationCommands())
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    _configure_login_messages()
    _configure_templates(app)
    app.teardown_request(rollback_on_error)
    _register_modules(app)
    if app.config["TICK_ON_REQUEST"]:
        app.before_request(_run_schedule)
    if app.config["INSTANCE_NAME"]:
        app.after_request(_name_instance)
    # After the tick (which may move a phase, and so change pages) and the log-in gates.
    from tadamon.core import page_cache

    page_cache.init_app(app)
    # Members' pages kept per audience: wraps the views, so after every blueprint is registered.
    from tadamon.core import member_pages

    member_pages.init_app(app)
    # CSRF is checked after the log-in and two-factor gates, so a POST from an expired
    # session is kept and sent to log in, and a form re-shown after a CSRF failure never
    # bypasses a gate (see core.errors.handle_csrf_error).
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(_protect_from_csrf)

    from tadamon import cli

    cli.init_app(app)


def trust_proxies(app: Flask) -> None:
    """Reads the client's address and scheme from the TRUSTED_PROXIES nearest proxies.

    Each proxy appends the address it received from to X-Forwarded-For; only the last
    TRUSTED_PROXIES entries were written by proxies we run, anything before them by the client.
    """
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def _protect_from_csrf() -> None:
    from flask import current_app

    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect(apply_exemptions=True)


def _configure_login_messages() -> None:
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = str


def _configure_templates(app: Flask) -> None:
    from flask_babel import get_locale

    from tadamon.core import templating
    from tadamon.core.i18n import install_template_translations

    app.jinja_env.globals.update(get_locale=get_locale, **templating.globals_())
    app.jinja_env.filters.update(templating.filters())
    app.jinja_env.add_extension("jinja2.ext.do")
    install_template_translations(app)
    app.context_processor(templating.context)


# The feature modules, in the order they build on each other (and seed the demo).
FEATURES = ("accounts", "admin", "membership", "workshops", "proposals", "voting", "action_plan", "opendata",
            "api", "privacy")


def modules() -> list[Any]:
    """Every feature module's declaration (`<feature>.module()`), in `FEATURES` order."""
    from importlib import import_module

    return [import_module(f"tadamon.{name}").module() for name in FEATURES]


def _register_modules(app: Flask) -> None:
    from tadamon.core import views as core_views
    from tadamon.core.modules import register_modules

    app.register_blueprint(core_views.bp)
    if app.config["SHOW_OUTBOX_PAGE"]:
        app.register_blueprint(core_views.dev_bp)
    register_modules(app, modules())
    # Core's own periodic work, after the features' (whose notifications it sends): the due
    # digests, then every queued email (the fallback, or the only sender, without Redis).
    from tadamon.core.digests import send_digests
    from tadamon.core.hooks import HOOKS
    from tadamon.core.mail import send_queued_mail

    HOOKS.add("periodic", send_digests, send_queued_mail)


def _name_instance(response: Response) -> Response:
    """X-Served-By: which instance answered (INSTANCE_NAME), for operators and the topology test."""
    from flask import current_app

    response.headers["X-Served-By"] = current_app.config["INSTANCE_NAME"]
    return response


def _run_schedule() -> None:
    """Periodic work from ordinary requests (see core.hooks.tick_on_request)."""
    from datetime import timedelta

    from flask import current_app, request

    from tadamon.core.db import utcnow
    from tadamon.core.hooks import tick_on_request

    if request.endpoint and not request.endpoint.endswith("static"):
        tick_on_request(utcnow(), timedelta(seconds=current_app.config["TICK_EVERY_SECONDS"]))
