"""Where files live: one interface for uploads and exports, whatever the backend.

A file is named by a key ("uploads/proposals/3f2a….pdf", "exports/<token>.pdf",
"personal-data/<token>.zip"): callers never see a path, so every instance of the application
reaches the same files when the backend is shared. `STORAGE_BACKEND` chooses the backend:

- "local" (the default): a folder of this machine, `STORAGE_ROOT` (the instance folder by
  default), keys "exports/…" in `EXPORT_FOLDER` where existing installations kept them.
  One instance (or a folder every instance mounts).
- "database": the files are rows of `stored_files` in the application's database, so every
  instance that shares the database shares the files, with no other service to run.

Transactions. The database backend writes through `db.session`: a file saved or deleted is
saved or deleted when the caller's transaction commits, and a rollback takes it back along
with the rows that name it (the upload and its row are one change). Every writer therefore
commits as it already does (a use-case's one commit; the export jobs commit their own
session); a command that only saves a file commits too. The local backend writes at once;
`delete_after_commit` and `discard_on_rollback` give it the same outcome for uploads.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from flask import Response, current_app, send_file, stream_with_context
from sqlalchemy import Integer, LargeBinary, String, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from tadamon.core.db import UTCDateTime, utcnow
from tadamon.extensions import Model, db

# Keys are made by the application, never by a visitor; still, nothing may climb out of the root.
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")
KEY_MAX_LENGTH = 255
BACKENDS = ("local", "database")
# The database backend sends a file larger than this in pieces of this size: a 50 MB export
# never sits whole in a worker's memory.
CHUNK_BYTES = 1024 * 1024
# The first part of every key the application makes. The local backend's folder is the
# instance folder by default, which also holds the SQLite database, logs, an operator's
# backups: listing (for `flask backup`, `flask storage move`) walks these folders only, or
# every backup would carry the previous ones and whatever else lies there.
NAMESPACES = ("uploads", "exports", "personal-data", "open-data")


class StorageError(Exception):
    pass


def check_key(key: str) -> str:
    if len(key) > KEY_MAX_LENGTH or not KEY_PATTERN.match(key) or ".." in key.split("/"):
        raise StorageError(f"not a storage key: {key!r}")
    return key


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Storage(Protocol):
    # True when save and delete take effect with the session's commit (the database backend).
    transactional: bool

    def save(self, key: str, data: bytes) -> None: ...

    def load(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def keys(self, prefix: str = "") -> Iterator[str]: ...

    def sha256(self, key: str) -> str | None: ...

    def send(self, key: str, *, mimetype: str, download_name: str, as_attachment: bool = True,
             **options: Any) -> Response | None: ...


class LocalStorage:
    """Files in a folder of this machine (one instance, or a shared network folder).

    `folders` maps a key's first part to a folder of its own ({"exports": EXPORT_FOLDER}): the
    files of an installation that set TADAMON_EXPORT_FOLDER stay where they are. With
    `namespaces`, the backend owns only those folders of `root` (a key outside them is refused,
    so every file it saves is one it lists)."""

    transactional = False

    def __init__(self, root: Path, folders: Mapping[str, Path] | None = None,
                 namespaces: tuple[str, ...] | None = None) -> None:
        self.root = root
        self.folders = {name: Path(folder) for name, folder in (folders or {}).items()
                        if Path(folder) != root / name}
        self.namespaces = namespaces

    def _path(self, key: str) -> Path:
        first, _, rest = check_key(key).partition("/")
        if self.namespaces is not None and (first not in self.namespaces or not rest):
            raise StorageError(f"the key {key!r} is outside the storage's folders ({', '.join(self.namespaces)})")
        if first in self.folders and rest:
            return self.folders[first] / rest
        return self.root / key

    def save(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.part")
        temporary.write_bytes(data)
        temporary.replace(path)  # readers never see half a file

    def load(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def sha256(self, key: str) -> str | None:
        path = self._path(key)
        if not path.is_file():
            return None
        hasher = hashlib.sha256()
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(CHUNK_BYTES), b""):
                hasher.update(block)
        return hasher.hexdigest()

    def _walk(self, base: Path, name: str) -> Iterator[str]:
        if not base.is_dir():
            return
        for path in base.rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                key = f"{name}/{path.relative_to(base).as_posix()}" if name else path.relative_to(base).as_posix()
                if KEY_PATTERN.match(key):
                    yield key

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key under `prefix` ("uploads/", "exports/"), in sorted order."""
        first = prefix.split("/", 1)[0] if "/" in prefix else ""
        found: list[str] = []
        if first and self.namespaces is not None and first not in self.namespaces:
            return
        if first in self.folders:
            found.extend(self._walk(self.folders[first], first))
        elif first:
            found.extend(self._walk(self.root / first, first))
        elif self.namespaces is not None:
            for name in self.namespaces:
                found.extend(self._walk(self.folders.get(name, self.root / name), name))
        else:
            found.extend(key for key in self._walk(self.root, "") if key.split("/", 1)[0] not in self.folders)
            for name, folder in self.folders.items():
                found.extend(self._walk(folder, name))
        yield from sorted(key for key in found if key.startswith(prefix))

    def send(self, key: str, *, mimetype: str, download_name: str, as_attachment: bool = True,
             **options: Any) -> Response | None:
        path = self._path(key)
        if not path.is_file():
            return None
        # From the disk: the server streams it, and answers conditional and range requests.
        return send_file(path, mimetype=mimetype, as_attachment=as_attachment, download_name=download_name,
                         **options)


class StoredFileRow(Model):
    """A file of the database backend: its bytes and what checks them."""

    __tablename__ = "stored_files"

    key: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DatabaseStorage:
    """Files as rows of `stored_files` (bytea on PostgreSQL, BLOB on SQLite), written through
    `db.session`: they commit and roll back with the caller's transaction.

    Only core statements on the table, never ORM objects: a file's bytes never stay in the
    session's identity map, and two instances saving the same key (the render cache) make
    one row, not an integrity error."""

    transactional = True

    def __init__(self, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.chunk_bytes = chunk_bytes

    def save(self, key: str, data: bytes) -> None:
        values = {"key": check_key(key), "data": data, "size": len(data), "sha256": digest(data),
                  "created_at": utcnow()}
        if db.session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        statement = insert(StoredFileRow).values(**values)
        db.session.execute(statement.on_conflict_do_update(
            index_elements=[StoredFileRow.key], set_={name: statement.excluded[name] for name in values if name != "key"}))

    def load(self, key: str) -> bytes | None:
        data = db.session.scalar(select(StoredFileRow.data).where(StoredFileRow.key == check_key(key)))
        return bytes(data) if data is not None else None

    def delete(self, key: str) -> None:
        db.session.execute(delete(StoredFileRow).where(StoredFileRow.key == check_key(key)))

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def size(self, key: str) -> int | None:
        return db.session.scalar(select(StoredFileRow.size).where(StoredFileRow.key == check_key(key)))

    def sha256(self, key: str) -> str | None:
        return db.session.scalar(select(StoredFileRow.sha256).where(StoredFileRow.key == check_key(key)))

    def keys(self, prefix: str = "") -> Iterator[str]:
        query = select(StoredFileRow.key).order_by(StoredFileRow.key)
        if prefix:
            query = query.where(StoredFileRow.key.startswith(prefix, autoescape=True))
        yield from list(db.session.scalars(query))

    def chunks(self, key: str, size: int) -> Iterator[bytes]:
        """The file in pieces, one query each (substr counts from 1 on both databases)."""
        for start in range(0, size, self.chunk_bytes):
            piece = db.session.scalar(select(func.substr(StoredFileRow.data, start + 1, self.chunk_bytes))
                                      .where(StoredFileRow.key == key))
            if piece is None:  # deleted meanwhile: the response ends short rather than wrong
                return
            yield bytes(piece)

    def send(self, key: str, *, mimetype: str, download_name: str, as_attachment: bool = True,
             **options: Any) -> Response | None:
        size = self.size(key)
        if size is None:
            return None
        if size <= self.chunk_bytes:
            data = self.load(key)
            if data is None:
                return None
            return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=as_attachment,
                             download_name=download_name, **options)
        # Larger files stream: send_file gives the headers, a generator gives the body.
        response = send_file(io.BytesIO(b""), mimetype=mimetype, as_attachment=as_attachment,
                             download_name=download_name, **options)
        response.response = stream_with_context(self.chunks(key, size))
        response.content_length = size
        return response


def local_storage() -> LocalStorage:
    config = current_app.config
    return LocalStorage(Path(config.get("STORAGE_ROOT") or current_app.instance_path),
                        {"exports": Path(config["EXPORT_FOLDER"])} if config.get("EXPORT_FOLDER") else None,
                        namespaces=NAMESPACES)


def database_storage() -> DatabaseStorage:
    return DatabaseStorage(current_app.config.get("STORAGE_CHUNK_BYTES") or CHUNK_BYTES)


def backend(name: str) -> Storage:
    if name == "local":
        return local_storage()
    if name == "database":
        return database_storage()
    raise StorageError(f"no storage backend {name!r} (choose one of {', '.join(BACKENDS)})")


def storage() -> Storage:
    """The configured backend (STORAGE_BACKEND; "local" by default)."""
    return backend(current_app.config.get("STORAGE_BACKEND") or "local")


def send(key: str, *, mimetype: str, download_name: str, as_attachment: bool = True,
         **options: Any) -> Response | None:
    """A response carrying the stored file, or None when there is no such file."""
    return storage().send(key, mimetype=mimetype, download_name=download_name, as_attachment=as_attachment,
                          **options)


# After the transaction: what the local backend cannot take back on its own. A file replaced or
# removed is deleted once the change commits (a rollback leaves the rows pointing at a file that
# still exists); a file saved for a change that rolls back is deleted (nothing points at it).
DELETE_KEY = "tadamon_files_to_delete"
DISCARD_KEY = "tadamon_files_to_discard"


def delete_after_commit(key: str) -> None:
    """Deletes the stored file `key` when the current transaction commits (on the database
    backend: now, inside that transaction, which amounts to the same)."""
    target = storage()
    if target.transactional:
        target.delete(key)
        return
    db.session.info.setdefault(DELETE_KEY, []).append((target, check_key(key)))


def discard_on_rollback(key: str) -> None:
    """Deletes the stored file `key` if the current transaction ends without committing."""
    target = storage()
    if not target.transactional:
        db.session.connection()  # a transaction to end, even if nothing else was queried yet
        db.session.info.setdefault(DISCARD_KEY, []).append((target, check_key(key)))


def _after_commit(session: Any) -> None:
    if session.in_nested_transaction():  # a savepoint: the real outcome is still to come
        return
    session.info.pop(DISCARD_KEY, None)
    for target, key in session.info.pop(DELETE_KEY, []):
        target.delete(key)


def _after_transaction_end(session: Any, transaction: Any) -> None:
    """Rolled back or closed without a commit (a commit has emptied both lists already)."""
    if transaction.parent is not None:
        return
    session.info.pop(DELETE_KEY, None)
    for target, key in session.info.pop(DISCARD_KEY, []):
        target.delete(key)


def install() -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
