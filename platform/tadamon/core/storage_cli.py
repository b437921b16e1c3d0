"""`flask storage move` and `flask storage check`: moving files between backends, and finding
rows whose file is gone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import click
from flask import current_app
from flask.cli import AppGroup

from tadamon.core import storage as files
from tadamon.core.hooks import stored_files
from tadamon.extensions import db


@dataclass
class MoveReport:
    copied: int = 0
    already: int = 0
    failed: list[str] = field(default_factory=list)


def move_files(source: files.Storage, target: files.Storage, prefixes: Sequence[str] = ("",)) -> MoveReport:
    """Copies every file of `source` to `target`, each checked by SHA-256 once written.

    A file the target already holds with the same digest is skipped, and each copy commits on
    its own: run again after an interruption, the command goes on where it stopped. The
    source keeps its files (remove them once the new backend is in use and checked)."""
    report = MoveReport()
    for prefix in prefixes:
        for key in list(source.keys(prefix)):
            data = source.load(key)
            if data is None:  # deleted since it was listed
                continue
            expected = files.digest(data)
            if target.sha256(key) == expected:
                report.already += 1
                continue
            target.save(key, data)
            db.session.commit()
            back = target.load(key)
            db.session.commit()  # ends the read's transaction: a long move holds no snapshot
            if back is None or files.digest(back) != expected:
                report.failed.append(key)
            else:
                report.copied += 1
    return report


def missing_files(target: files.Storage) -> list[tuple[str, str]]:
    """(label, key) of every row whose stored file `target` does not have."""
    return [(label, key) for label, key in list(stored_files()) if not target.exists(key)]


storage_group = AppGroup("storage", help="Where uploads and exports are kept (STORAGE_BACKEND).")


@storage_group.command("move")
@click.option("--to", "to", type=click.Choice(files.BACKENDS), required=True,
              help="The backend to copy every file to, from the other one.")
@click.option("--prefix", "prefixes", multiple=True,
              help='Only keys starting so ("uploads/", "exports/"); repeatable. Default: every file.')
def move_command(to: str, prefixes: tuple[str, ...]) -> None:
    """Copies every file from the other backend to TO, verified by SHA-256; idempotent and
    resumable. Then set TADAMON_STORAGE_BACKEND=TO and restart every instance."""
    source_name = next(name for name in files.BACKENDS if name != to)
    report = move_files(files.backend(source_name), files.backend(to), prefixes or ("",))
    click.echo(f"{source_name} -> {to}: {report.copied} copied, {report.already} already there, "
               f"{len(report.failed)} failed")
    for key in report.failed:
        click.echo(f"failed: {key}", err=True)
    if report.failed:
        raise SystemExit(1)


@storage_group.command("check")
def check_command() -> None:
    """Lists the rows whose file the configured backend does not have (exit status 1 if any)."""
    backend = current_app.config.get("STORAGE_BACKEND") or "local"
    missing = missing_files(files.storage())
    for label, key in missing:
        click.echo(f"missing: {label}: {key}")
    click.echo(f"{backend}: {len(missing)} missing")
    if missing:
        raise SystemExit(1)
