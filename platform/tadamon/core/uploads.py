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

from tadamon.core import storage

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
    key: str


def upload_key(folder: str, stored_name: str) -> str:
    """The storage key of an upload: existing rows keep their `stored_name`, and the local
    backend finds their files where they always were (instance/uploads/<folder>/<name>)."""
    return storage.check_key(f"uploads/{folder}/{stored_name}")


def store(data: bytes, *, folder: str, kind: str) -> StoredFile:
    """Saves an upload under a fresh random name. On the database backend the file commits or
    rolls back with the caller's transaction; on the local one a rollback deletes it."""
    stored_name = f"{secrets.token_hex(16)}.{kind}"
    key = upload_key(folder, stored_name)
    storage.storage().save(key, data)
    storage.discard_on_rollback(key)
    return StoredFile(stored_name, kind, len(data), hashlib.sha256(data).hexdigest(), key)


def read_limited(stream: io.IOBase, limit: int) -> bytes:
    """Reads at most limit + 1 bytes, so a caller can tell a file is too large."""
    data: bytes = stream.read(limit + 1)
    return data


def delete_after_commit(key: str) -> None:
    """Removes a stored file once the transaction that stopped using it has committed: a
    rollback leaves the database pointing at a file that still exists."""
    storage.delete_after_commit(key)


def install() -> None:
    storage.install()
