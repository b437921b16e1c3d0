"""Uploaded files: type checked by content (never by name), size-limited, stored outside static.

PDF is recognised by its header and trailer; office documents (OOXML: docx, xlsx, pptx;
OpenDocument: odt, ods, odp) by their ZIP structure and the part that names their type.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

OOXML_KINDS = {"word/": "docx", "xl/": "xlsx", "ppt/": "pptx"}
ODF_MIMETYPES = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
MIMETYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
DOCUMENT_KINDS = frozenset(MIMETYPES)
IMAGE_MIMETYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
MIMETYPES.update(IMAGE_MIMETYPES)
IMAGE_KINDS = frozenset(IMAGE_MIMETYPES)


def sniff(data: bytes) -> str | None:
    """The document kind of `data` ('pdf', 'docx', ...), or None when it is none we accept."""
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]:
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                with archive.open("mimetype") as member:  # read a few bytes, never inflate it all
                    return ODF_MIMETYPES.get(member.read(100).decode("ascii", "replace").strip())
            if "[Content_Types].xml" in names:
                for prefix, kind in OOXML_KINDS.items():
                    if any(name.startswith(prefix) for name in names):
                        return kind
    except (zipfile.BadZipFile, KeyError, ValueError):
        return None
    return None


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    kind: str
    size_bytes: int
    sha256: str


def upload_folder(name: str) -> Path:
    folder = Path(current_app.instance_path) / "uploads" / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store(data: bytes, *, folder: str, kind: str) -> StoredFile:
    stored_name = f"{secrets.token_hex(16)}.{kind}"
    (upload_folder(folder) / stored_name).write_bytes(data)
    return StoredFile(stored_name, kind, len(data), hashlib.sha256(data).hexdigest())


def read_limited(stream: io.IOBase, limit: int) -> bytes:
    """Reads at most limit + 1 bytes, so a caller can tell a file is too large."""
    data: bytes = stream.read(limit + 1)
    return data


DELETE_KEY = "tadamon_files_to_delete"


def delete_after_commit(path: Path) -> None:
    """Removes a file once the transaction that stopped using it has committed: a rollback
    leaves the database pointing at a file that still exists."""
    from tadamon.extensions import db

    db.session.info.setdefault(DELETE_KEY, []).append(path)


def _delete_files(session: Any) -> None:
    for path in session.info.pop(DELETE_KEY, []):
        path.unlink(missing_ok=True)


def _forget_files(session: Any) -> None:
    session.info.pop(DELETE_KEY, None)


def install() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _delete_files):
        event.listen(Session, "after_commit", _delete_files)
        event.listen(Session, "after_rollback", _forget_files)
