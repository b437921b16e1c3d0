"""Submodules that libraries import at start-up for features the platform never uses, loaded
only if something uses them (issue 18: a web worker's memory).

Each is bound by its package's `__init__` (`from . import aio`, `import yaml`) and never touched
while the application is built or while it serves: Python's own `importlib.util.LazyLoader`
then creates the module object and runs its code at the first attribute read, not at the
import. Nothing else changes: a use of the module (an attribute read) loads it whole, as an
ordinary import would have. Measured in gunicorn workers (gunicorn.conf.py, PostgreSQL, Redis,
deploy/tadamon.env.example) after 522 requests of the load test's pages and ballots, the code
before and after alternating: 92.4-92.5 → 90.3-90.4 MB RSS once started, 112.2-113.1 → 110.8-111.1
MB after the requests (USS 90.3-90.5 → 88.3-88.6).

Only modules bound by name qualify: `from limits.aio import x` or `import limits.aio.storage`
loads the module at once (LazyLoader defers nothing then), so each entry below names who binds
it and what would use it. tests/test_startup.py checks that each stays unloaded once
the application is built, and still works when used.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader, SourcelessFileLoader
from types import ModuleType

DEFERRED = frozenset({
    # limits/__init__.py binds its asyncio API (`from . import aio`); Flask-Limiter uses the
    # synchronous one. aio brings its own storages (Redis, Memcached, MongoDB bridges).
    "limits.aio",
    # flask_smorest.spec binds PyYAML for `flask openapi write --format yaml` only (a command;
    # the API serves its OpenAPI document as JSON).
    "yaml",
    # sqlalchemy.dialects.postgresql binds every PostgreSQL driver's dialect; the platform's is
    # psycopg 3 (`postgresql+psycopg://`), which SQLAlchemy loads by name.
    "sqlalchemy.dialects.postgresql.asyncpg",
    "sqlalchemy.dialects.postgresql.pg8000",
    "sqlalchemy.dialects.postgresql.psycopg2",
    "sqlalchemy.dialects.postgresql.psycopg2cffi",
    # click.testing binds the debugger (`import pdb`, with bdb, cmd, code) for its test runner;
    # flask_login loads click.testing through flask.testing for its test client.
    "pdb",
})


class _DeferringFinder(importlib.abc.MetaPathFinder):
    """Finds a DEFERRED module where Python's path finder does (each is a file on sys.path),
    with its loader wrapped in LazyLoader."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname not in DEFERRED:
            return None
        spec = PathFinder.find_spec(fullname, path, target)
        # LazyLoader needs a loader that runs the module's code (exec_module): Python source
        # and bytecode have one; anything else (none here) is left to load as usual.
        if spec is not None and isinstance(spec.loader, SourceFileLoader | SourcelessFileLoader):
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def defer_unused_modules() -> None:
    """Installs the finder once per process, before the libraries that bind DEFERRED load."""
    if not any(isinstance(finder, _DeferringFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _DeferringFinder())
