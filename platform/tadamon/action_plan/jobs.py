"""Exports as jobs: requested, rendered (in an RQ worker when Redis is configured, in a
background thread of the web process otherwise), stored outside the static folder,
downloaded by token until they expire. Either way the request returns at once and the same
status page shows the progress: a 200-action PDF takes longer than gunicorn's timeout.

Rendering never holds a database transaction: the snapshot is read and the transaction
ended before the file is made (on SQLite every transaction takes the write lock, so a render
inside one made every other request wait, then fail with "database is locked").

Run the worker with `make worker` (`rq worker tadamon-exports --url $REDIS_URL`).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from tadamon.accounts.models import User
from tadamon.action_plan import exports, services
from tadamon.action_plan.models import ExportState, PlanExport, PlanVersion, VersionState
from tadamon.core import audit, storage
from tadamon.core.db import utcnow
from tadamon.extensions import db

QUEUE_NAME = "tadamon-exports"
EXPORT_LIFETIME = timedelta(hours=2)


def export_key(stored_path: str) -> str:
    """An export's storage key: "exports/<stored_path>" (the local backend keeps "exports/"
    in EXPORT_FOLDER, where exports always were)."""
    return storage.check_key(f"exports/{Path(stored_path).name}")


def file_name(version: int | None, file_format: str, language: str) -> str:
    label = f"v{version}" if version else "draft"
    return f"tadamon-action-plan-{label}-{language}.{exports.FORMATS[file_format].extension}"


def request_export(actor: User | None, version: PlanVersion | None, file_format: str, language: str) -> PlanExport:
    """Records the request (and audits it); the caller commits, then calls `start`."""
    if file_format not in exports.FORMATS or language not in services.LANGUAGES:
        raise services.PlanError(_l("Choose a format and a language."))
    number = version.number if version is not None else None
    export = PlanExport(token=secrets.token_urlsafe(32), version_number=number, file_format=file_format,
                        language=language, requested_by_id=getattr(actor, "id", None),
                        file_name=file_name(number, file_format, language), expires_at=utcnow() + EXPORT_LIFETIME)
    db.session.add(export)
    db.session.flush()
    audit.record("plan.exported", "plan_version", number if number is not None else "draft",
                 object_label=export.file_name, after={"format": file_format, "language": language}, actor=actor)
    return export


def start(export: PlanExport) -> bool:
    """Queues the export when Redis is configured, or starts a background thread (True: the
    status page will follow it); renders it now when EXPORT_IN_BACKGROUND is off (tests)."""
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url:
        from redis import Redis
        from rq import Queue

        queue_name = current_app.config.get("EXPORT_QUEUE") or QUEUE_NAME
        Queue(queue_name, connection=Redis.from_url(redis_url)).enqueue(
            "tadamon.action_plan.jobs.export_job", export.id, job_timeout=600, result_ttl=3600)
        return True
    if current_app.config.get("EXPORT_IN_BACKGROUND", True):
        start_thread(current_app._get_current_object(), export.id)  # type: ignore[attr-defined]
        return True
    run_export(export.id)
    return False


def start_thread(app: Any, export_id: int) -> threading.Thread:
    """Renders in a thread of this process with its own app context and session. Not a
    daemon: a worker that is asked to stop lets the export finish (gunicorn.conf.py gives it
    graceful_timeout for that)."""

    def work() -> None:
        with app.app_context():
            try:
                run_export(export_id)
            finally:
                db.session.remove()

    thread = threading.Thread(target=work, name=f"tadamon-export-{export_id}")
    thread.start()
    return thread


def _progress(export_id: int, value: int, state: ExportState = ExportState.RUNNING) -> None:
    db.session.execute(update(PlanExport).where(PlanExport.id == export_id).values(progress=value, state=state))
    db.session.commit()


def _cache_key(snapshot: Mapping[str, Any], file_format: str, language: str) -> str | None:
    """Where a published version's file is kept once rendered: a published snapshot never
    changes, so the second export of it in a format and language is a copy, not a render (a
    200-action PDF takes seconds). The key holds the snapshot, the format, the language and
    the compiled catalog of that language, so new translations make a new file."""
    if snapshot.get("state") != "published":
        return None
    catalog = Path(current_app.config["BABEL_TRANSLATION_DIRECTORIES"]) / language / "LC_MESSAGES" / "messages.mo"
    stamp = catalog.stat().st_mtime_ns if catalog.is_file() else 0
    key = hashlib.sha256(f"{services.canonical(snapshot)}|{file_format}|{language}|{stamp}".encode()).hexdigest()
    return f"exports/published/{key}.{exports.FORMATS[file_format].extension}"


def render_outside_transaction(snapshot: Mapping[str, Any], file_format: str, language: str) -> bytes:
    """Ends the session's transaction, then renders: the snapshot holds all the file needs."""
    db.session.commit()
    if has_request_context():
        return exports.render(snapshot, file_format, language)
    with current_app.test_request_context("/"):
        return exports.render(snapshot, file_format, language)


def run_export(export_id: int) -> None:
    """Renders one export. Commits its progress as it goes, so the waiting page shows it."""
    export = db.session.get(PlanExport, export_id)
    if export is None or export.is_done:
        return
    version_number, file_format, language, token = (export.version_number, export.file_format, export.language,
                                                    export.token)
    _progress(export_id, 10)
    try:
        if version_number is None:
            snapshot = services.build_snapshot()
        else:
            version = services.version_numbered(version_number)
            if version is None:
                raise LookupError(f"version {version_number} is gone")
            snapshot = services.snapshot_of(version)
        _progress(export_id, 40)
        files = storage.storage()
        cached = _cache_key(snapshot, file_format, language)
        data = files.load(cached) if cached is not None else None
        if data is None:
            data = render_outside_transaction(snapshot, file_format, language)
            if cached is not None:
                files.save(cached, data)  # on the database backend: committed with the progress
        _progress(export_id, 90)
        stored_path = f"{token}.{exports.FORMATS[file_format].extension}"
        files.save(export_key(stored_path), data)
        # One commit for the file (database backend) and the row that says it is there.
        db.session.execute(update(PlanExport).where(PlanExport.id == export_id).values(
            state=ExportState.DONE, progress=100, stored_path=stored_path, size=len(data)))
        db.session.commit()
    except Exception as error:  # the waiting page says it failed; the log keeps why
        db.session.rollback()
        current_app.logger.exception("plan export %s failed", export_id)
        db.session.execute(update(PlanExport).where(PlanExport.id == export_id).values(
            state=ExportState.FAILED, error=type(error).__name__))
        db.session.commit()


def export_job(export_id: int) -> None:
    """The RQ job: runs inside an application (the worker's own, created here)."""
    if has_app_context():
        run_export(export_id)
        return
    from tadamon import create_app

    with create_app().app_context():
        run_export(export_id)


def export_by_token(token: str) -> PlanExport | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(PlanExport).where(PlanExport.token == token))


def stored_key(export: PlanExport) -> str | None:
    """The key of a finished export's file, or None while it is not done."""
    if not export.is_done or not export.stored_path:
        return None
    return export_key(export.stored_path)


def stored_exports() -> Iterator[tuple[str, str]]:
    """Every finished export's (label, storage key), for `flask storage check`."""
    rows = db.session.execute(select(PlanExport.id, PlanExport.stored_path)
                              .where(PlanExport.state == ExportState.DONE, PlanExport.stored_path != "")
                              .order_by(PlanExport.id))
    for export_id, stored_path in rows:
        if stored_path:
            yield f"plan export {export_id}", export_key(stored_path)


def purge_expired_exports() -> int:
    """Deletes expired export files and rows (run by `flask tick`)."""
    expired = db.session.scalars(select(PlanExport).where(PlanExport.expires_at < utcnow())).all()
    for export in expired:
        if export.stored_path:
            storage.delete_after_commit(export_key(export.stored_path))
        db.session.delete(export)
    db.session.flush()
    return len(expired)


def export_to_file(version_number: int | None, file_format: str, language: str, output: Path) -> int:
    """The `export-plan` command: renders straight to a file (no row, audited as a script)."""
    if version_number is None:
        snapshot = services.build_snapshot()
    else:
        version = services.version_numbered(version_number)
        if version is None or version.state not in (VersionState.PUBLISHED, VersionState.REVIEW):
            raise services.PlanError(_l("There is no such version of the plan."))
        snapshot = services.snapshot_of(version)
    data = render_outside_transaction(snapshot, file_format, language)
    output.write_bytes(data)
    audit.record("plan.exported", "plan_version", version_number if version_number is not None else "draft",
                 object_label=output.name, after={"format": file_format, "language": language, "by": "command"})
    db.session.commit()
    return len(data)


def describe(export: PlanExport) -> dict[str, Any]:
    return {"state": export.state, "progress": export.progress, "file_name": export.file_name}
