"""Data requests: asked for, prepared in the background, downloaded, expired; answered by
administrators within the law's 30 days.

A personal-data file is made without anyone's intervention (the right of access needs no
approval), kept PERSONAL_DATA_EXPORT_DAYS days (7 by default) for its requester alone, then
deleted by the scheduler (`purge_expired_personal_data`). Every request, download and answer
is in the audit log.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from tadamon.accounts.models import User
from tadamon.core import audit
from tadamon.core.background import start_job
from tadamon.core.db import utcnow
from tadamon.core.errors_domain import DomainError
from tadamon.core.hooks import time_to_check
from tadamon.core.storage import storage
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.privacy.models import (
    ANSWER_WITHIN,
    OPEN_STATES,
    DataRequest,
    RequestKind,
    RequestState,
)
from tadamon.privacy.services import export

PURGE_EVERY = timedelta(hours=1)


class PrivacyError(DomainError):
    pass


def export_lifetime() -> timedelta:
    return timedelta(days=int(current_app.config.get("PERSONAL_DATA_EXPORT_DAYS", 7)))


def _new(kind: RequestKind, user: User, organisation: Organisation | None, language: str) -> DataRequest:
    now = utcnow()
    item = DataRequest(kind=kind, state=RequestState.PENDING, user_id=user.id,
                       organisation_id=organisation.id if organisation is not None else None,
                       language=language, created_at=now, due_at=now + ANSWER_WITHIN)
    db.session.add(item)
    db.session.flush()
    return item


def _preparing(kind: RequestKind, user: User, organisation: Organisation | None) -> DataRequest | None:
    """An export of the same data already waiting or being made: asked twice, made once."""
    query = select(DataRequest).where(
        DataRequest.kind == kind, DataRequest.user_id == user.id,
        DataRequest.state.in_([RequestState.PENDING, RequestState.RUNNING]))
    if organisation is not None:
        query = query.where(DataRequest.organisation_id == organisation.id)
    return db.session.scalars(query.order_by(DataRequest.id.desc())).first()


def request_export(user: User, language: str, organisation: Organisation | None = None) -> DataRequest:
    """Records a request for `user`'s data (or `organisation`'s, asked by its representative:
    the view checks that), audited; the caller commits, then calls `start`."""
    kind = RequestKind.ORGANISATION_EXPORT if organisation is not None else RequestKind.EXPORT
    existing = _preparing(kind, user, organisation)
    if existing is not None:
        return existing
    item = _new(kind, user, organisation, language)
    item.token = secrets.token_urlsafe(32)
    audit.record(f"privacy.{kind.value}_requested", "data_request", item.id,
                 object_label=organisation.original_name if organisation is not None else "",
                 after={"organisation_id": item.organisation_id}, actor=user)
    return item


def start(item: DataRequest) -> bool:
    """Prepares the file in the background (RQ or a thread; True), or now (tests; False)."""
    return start_job("tadamon.privacy.services.requests.prepare_export", item.id, name=f"tadamon-data-{item.id}")


def _progress(request_id: int, value: int, state: RequestState = RequestState.RUNNING) -> None:
    db.session.execute(update(DataRequest).where(DataRequest.id == request_id).values(progress=value, state=state))
    db.session.commit()


def prepare_export(request_id: int) -> None:
    """The job: builds the ZIP, stores it, marks the request ready (committing as it goes)."""
    item = db.session.get(DataRequest, request_id)
    if item is None or item.request_state not in (RequestState.PENDING, RequestState.FAILED):
        return
    _progress(request_id, 10)
    try:
        if has_request_context():
            data = _build(request_id)
        else:
            # url_for(_external=True) and the README's template need a request.
            with current_app.test_request_context("/", base_url=current_app.config.get("PUBLIC_BASE_URL")):
                data = _build(request_id)
        item = db.session.get(DataRequest, request_id)
        assert item is not None and item.file_key is not None  # noqa: S101 - read just above
        storage().save(item.file_key, data)
        now = utcnow()
        db.session.execute(update(DataRequest).where(DataRequest.id == request_id).values(
            state=RequestState.READY, progress=100, size=len(data), processed_at=now,
            expires_at=now + export_lifetime(), error=""))
        db.session.commit()
    except Exception as error:  # the status page says it failed; the log keeps why
        db.session.rollback()
        current_app.logger.exception("personal data export %s failed", request_id)
        db.session.execute(update(DataRequest).where(DataRequest.id == request_id).values(
            state=RequestState.FAILED, error=type(error).__name__[:100]))
        db.session.commit()


def _build(request_id: int) -> bytes:
    item = db.session.get(DataRequest, request_id)
    if item is None:
        raise LookupError(f"data request {request_id} is gone")

    def progress(value: int) -> None:
        _progress(request_id, value)

    if item.request_kind is RequestKind.ORGANISATION_EXPORT:
        organisation = item.organisation
        if organisation is None:
            raise LookupError("the organisation is gone")
        bundle = export.organisation_bundle(organisation, progress)
        return export.zip_bundle(bundle, item.language, "privacy/readme_organisation.txt",
                                 organisation=organisation.original_name)
    if item.user is None:
        raise LookupError("the account is gone")
    bundle = export.person_bundle(item.user, progress)
    return export.zip_bundle(bundle, item.language, "privacy/readme_person.txt")


def requests_of(user: User, organisation: Organisation | None = None) -> list[DataRequest]:
    query = select(DataRequest).where(DataRequest.user_id == user.id)
    if organisation is not None:
        query = query.where(DataRequest.organisation_id == organisation.id)
    else:
        query = query.where(DataRequest.kind == RequestKind.EXPORT)
    return list(db.session.scalars(query.order_by(DataRequest.id.desc()).limit(20)))


def record_download(user: User, item: DataRequest) -> None:
    """Every download of a data file is in the audit log."""
    audit.record("privacy.export_downloaded", "data_request", item.id, actor=user)


def delete_export_file(item: DataRequest) -> None:
    if item.file_key:
        storage().delete(item.file_key)


def purge_expired_personal_data() -> int:
    """Deletes the files of data requests past their download period (the scheduler commits);
    the request stays in the register, marked expired."""
    now = utcnow()
    if not time_to_check("privacy.retention", PURGE_EVERY, now):
        return 0
    expired = list(db.session.scalars(select(DataRequest).where(
        DataRequest.state == RequestState.READY, DataRequest.expires_at < now)))
    for item in expired:
        delete_export_file(item)
        item.state = RequestState.EXPIRED
    db.session.flush()
    return len(expired)


# --- the administrators' register ----------------------------------------------------------


def register_query(state: str = "") -> Any:
    query = select(DataRequest)
    if state == "open":
        query = query.where(DataRequest.state.in_(list(OPEN_STATES)))
    elif state == "overdue":
        query = query.where(DataRequest.state.in_(list(OPEN_STATES)), DataRequest.due_at < utcnow())
    return query.order_by(DataRequest.created_at.desc(), DataRequest.id.desc())


def register_counts() -> dict[str, int]:
    now = utcnow()
    open_states = list(OPEN_STATES)
    count = func.count(DataRequest.id)
    return {
        "open": db.session.scalar(select(count).where(DataRequest.state.in_(open_states))) or 0,
        "overdue": db.session.scalar(select(count).where(DataRequest.state.in_(open_states),
                                                         DataRequest.due_at < now)) or 0,
        "answered_30_days": db.session.scalar(select(count).where(
            DataRequest.processed_at >= now - timedelta(days=30))) or 0,
        "total": db.session.scalar(select(count)) or 0,
    }


def process_request(admin: User, item: DataRequest) -> None:
    """An administrator answers `item`: erases the organisation's personal data (an erasure
    request) or prepares the file again (a failed export). Raises PrivacyError; audited."""
    from tadamon.privacy.services.erasure import erase_organisation

    if not item.is_open:
        raise PrivacyError(_l("This request is already answered."))
    if item.request_kind is RequestKind.ORGANISATION_ERASURE:
        if item.organisation is None:
            raise PrivacyError(_l("This organisation no longer exists."))
        erase_organisation(admin, item.organisation)
        item.state = RequestState.DONE
        item.processed_at = utcnow()
        item.processed_by_id = admin.id
    elif item.request_kind in (RequestKind.EXPORT, RequestKind.ORGANISATION_EXPORT):
        item.state = RequestState.PENDING
        item.progress = 0
        item.processed_by_id = admin.id
    else:
        raise PrivacyError(_l("This request is already answered."))
    audit.record("privacy.request_processed", "data_request", item.id, object_label=str(item.kind),
                 after={"state": str(item.state)}, actor=admin)
    db.session.flush()


def refuse_request(admin: User, item: DataRequest, reason: str) -> None:
    """Refuses an open request, with the reason the requester will read. Audited."""
    reason = reason.strip()
    if not reason:
        raise PrivacyError(_l("Give the reason for the refusal: the requester will read it."), field="reason")
    if not item.is_open:
        raise PrivacyError(_l("This request is already answered."))
    item.state = RequestState.REFUSED
    item.note = reason
    item.processed_at = utcnow()
    item.processed_by_id = admin.id
    audit.record("privacy.request_refused", "data_request", item.id, object_label=str(item.kind),
                 after={"reason": reason}, actor=admin)
    db.session.flush()


def request_organisation_erasure(user: User, organisation: Organisation, language: str) -> DataRequest:
    """The organisation's representative asks for its personal data to be erased (the
    organisation leaves); administrators answer. Asked twice, recorded once. Audited."""
    existing = db.session.scalars(select(DataRequest).where(
        DataRequest.kind == RequestKind.ORGANISATION_ERASURE, DataRequest.organisation_id == organisation.id,
        DataRequest.state.in_(list(OPEN_STATES)))).first()
    if existing is not None:
        raise PrivacyError(_l("The erasure of this organisation's data is already asked for."))
    item = _new(RequestKind.ORGANISATION_ERASURE, user, organisation, language)
    audit.record("privacy.organisation_erasure_requested", "data_request", item.id,
                 object_label=organisation.original_name, after={"organisation_id": organisation.id}, actor=user)
    return item
