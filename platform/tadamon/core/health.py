"""What `/healthz` reports to a load balancer: whether this instance can serve, component by
component. An instance whose database, Redis (when configured) or export storage fails answers
503 and names the component, so the balancer takes it out of rotation and an operator knows
where to look; queue lengths and failed e-mails are reported, never failed on (a backlog is not
an outage)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from tadamon.extensions import db

Check = dict[str, Any]


def _database() -> Check:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        return {"ok": False, "detail": type(error).__name__}
    return {"ok": True}


def _redis() -> tuple[Check, Any]:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return {"ok": True, "detail": "not configured"}, None
    from redis import Redis
    from redis.exceptions import RedisError

    connection = Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        connection.ping()
    except RedisError as error:
        return {"ok": False, "detail": type(error).__name__}, None
    return {"ok": True}, connection


def _storage() -> Check:
    """The configured storage takes a file, gives it back and deletes it (a probe key under
    "exports/", the area the export workers write to)."""
    from tadamon.core.storage import StorageError, storage

    key = f"exports/.healthz-{secrets.token_hex(8)}"
    probe = secrets.token_bytes(16)
    try:
        files = storage()
        files.save(key, probe)
        try:
            back = files.load(key)
        finally:
            files.delete(key)
        if files.transactional:  # nothing of the probe is left to commit
            db.session.rollback()
    except (OSError, SQLAlchemyError, StorageError) as error:
        db.session.rollback()
        return {"ok": False, "detail": type(error).__name__}
    if back != probe:
        return {"ok": False, "detail": "read back differs"}
    return {"ok": True, "backend": current_app.config.get("STORAGE_BACKEND") or "local"}


def _queues(connection: Any) -> Check:
    """Jobs waiting in each RQ queue, and e-mails that failed for good (the admin page lists them)."""
    from tadamon.core.mail import MailState, OutboxMessage

    failed_mail = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.state == MailState.FAILED.value)) or 0
    report: Check = {"ok": True, "failed_emails": failed_mail}
    if connection is not None:
        from rq import Queue

        for key in ("EXPORT_QUEUE", "MAIL_QUEUE"):
            name = current_app.config[key]
            report[name] = len(Queue(name, connection=connection))
    return report


def health_checks() -> dict[str, Check]:
    database = _database()
    redis, connection = _redis()
    checks = {"database": database, "redis": redis, "storage": _storage()}
    if database["ok"]:
        checks["queues"] = _queues(connection)
    return checks
