"""Statutes documents: checked by content, stored outside the static folder."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage

from tadamon.accounts.models import User
from tadamon.extensions import db
from tadamon.membership.models import (
    EDITABLE_STATES,
    Organisation,
    StatutesDocument,
)
from tadamon.membership.services.errors import MembershipError

STATUTES_MAX_BYTES = 5 * 1024 * 1024


def _statutes_folder() -> Path:
    folder = Path(current_app.instance_path) / "uploads" / "statutes"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def looks_like_pdf(head: bytes, tail: bytes) -> bool:
    """A PDF by its content: the %PDF- header, and an end-of-file marker near the end."""
    return head.startswith(b"%PDF-") and b"%%EOF" in tail


def attach_statutes(organisation: Organisation, upload: FileStorage, user: User) -> StatutesDocument:
    """Stores the statutes PDF (5 MB at most, checked by content) outside the static folder."""
    if organisation.membership_state not in EDITABLE_STATES:
        raise MembershipError(_l("This application can no longer be changed."))
    data = upload.stream.read(STATUTES_MAX_BYTES + 1)
    if len(data) > STATUTES_MAX_BYTES:
        raise MembershipError(_l("The statutes must be a PDF of at most 5 MB."), field="statutes")
    if not data or not looks_like_pdf(data[:1024], data[-2048:]):
        raise MembershipError(_l("This file is not a PDF. Please send the statutes as a PDF document."), field="statutes")
    stored_name = f"{secrets.token_hex(16)}.pdf"
    (_statutes_folder() / stored_name).write_bytes(data)
    previous = organisation.statutes
    if previous is not None:
        from tadamon.core.uploads import delete_after_commit

        delete_after_commit(_statutes_folder() / previous.stored_name)
        db.session.delete(previous)
        db.session.flush()
    document = StatutesDocument(
        organisation_id=organisation.id, stored_name=stored_name,
        original_filename=(upload.filename or "statutes.pdf")[-255:],
        size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=user.id,
    )
    db.session.add(document)
    db.session.flush()
    db.session.refresh(organisation)
    return document


def statutes_path(document: StatutesDocument) -> Path:
    return _statutes_folder() / document.stored_name
