"""Where files live: one interface for uploads and exports, whatever the backend.

A file is named by a key ("uploads/proposals/3f2a….pdf", "exports/<token>.pdf",
"personal-data/<token>.zip"): callers never see a path, so every instance of the application
reaches the same files when the backend is shared. The local-folder backend (the embedded
default) keeps them under the instance folder.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from flask import Response, current_app, send_file

# Keys are made by the application, never by a visitor; still, nothing may climb out of the root.
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*$")


class StorageError(Exception):
    pass


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key) or ".." in key.split("/"):
        raise StorageError(f"not a storage key: {key!r}")
    return key


class Storage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...

    def load(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def keys(self, prefix: str = "") -> Iterator[str]: ...


class LocalStorage:
    """Files in a folder of this machine (one instance, or a shared network folder)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

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

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key under `prefix` ("uploads/", "exports/"), in sorted order."""
        base = self.root / prefix if prefix else self.root
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                key = path.relative_to(self.root).as_posix()
                if KEY_PATTERN.match(key):
                    yield key


def storage() -> Storage:
    """The configured backend (STORAGE_BACKEND; "local" by default)."""
    return LocalStorage(Path(current_app.config.get("STORAGE_ROOT") or current_app.instance_path))


def send(key: str, *, mimetype: str, download_name: str, as_attachment: bool = True,
         **options: Any) -> Response | None:
    """A response carrying the stored file, or None when there is no such file."""
    data = storage().load(key)
    if data is None:
        return None
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=as_attachment,
                     download_name=download_name, **options)
