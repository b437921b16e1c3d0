"""Start-up stays light: building the application, what every web worker and every `flask …`
command does first, imports none of the libraries that only some requests or commands use.

Each of them is imported where it is used (a function-level import saying why, or a lazy
command like wiring.MigrationCommands): at the top of a module, it would be paid at every start
of every export command (issue 16: under 1 s) and held by every web worker (issue 18: under
100 MB). A top-level import added back makes these tests fail, naming the module. They look at
`sys.modules` in a fresh interpreter, never at a clock: the machine's load cannot flake them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What loads them, where they are used instead.
NOT_AT_START_UP = {
    # Similar proposals, computed when a proposal is published (proposals.similarity).
    "numpy": "similar proposals", "scipy": "similar proposals", "sklearn": "similar proposals",
    # Plan exports (action_plan.exports, core.pdf), rendered by a job or `flask export-plan`.
    "weasyprint": "PDF exports", "pydyf": "PDF exports", "fontTools": "PDF exports", "PIL": "PDF exports",
    "pypdf": "PDF exports", "openpyxl": "XLSX exports", "docx": "DOCX exports", "icalendar": "calendar feeds",
    # Password strength, only on the forms that set a password.
    "zxcvbn": "password forms",
    # Migrations: `flask db …`, the tests and the benchmarks (wiring.MigrationCommands).
    "alembic": "flask db", "flask_migrate": "flask db",
    # /metrics and the per-request latency hook (core.metrics): web requests, not commands.
    "prometheus_client": "request metrics",
    # Member text (core.markup), rendered by pages and exports, not by starting.
    "markdown_it": "member Markdown", "nh3": "member Markdown",
    # The QR code of the two-factor set-up page (accounts.views).
    "segno": "two-factor set-up",
    # Redis and its queue are imported only when REDIS_URL is set (unset here).
    "redis": "REDIS_URL", "rq": "REDIS_URL",
    # PostgreSQL's driver is imported only for a PostgreSQL DATABASE_URL (SQLite here).
    "psycopg": "a PostgreSQL database",
    # Sending e-mail: the mail queue's worker (core.mail._deliver); a web worker only queues.
    "smtplib": "sending e-mail",
    # Backup archives: `flask backup` and `flask restore` (core.backup).
    "tarfile": "backup archives",
    # Demo seeds: `flask demo` only (core.modules.seed_from).
    "tadamon.demo": "flask demo", "tadamon.demo_volume": "flask demo --scale",
}

FEATURE_DEMOS = [f"tadamon.{name}.demo" for name in ("accounts", "membership", "workshops", "proposals", "voting",
                                                        "action_plan")]

# Runs in a fresh interpreter and prints, on its last line, every module then loaded.
REPORT_MODULES = "import atexit, json, sys; atexit.register(lambda: print(json.dumps(sorted(sys.modules))))"


def _environment(tmp_path: Path, settings: dict[str, str] | None = None) -> dict[str, str]:
    """A fresh interpreter's: this checkout on the path, none of the test run's deployment settings."""
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("DATABASE_URL", "REDIS_URL", "RATELIMIT_STORAGE_URI", "TADAMON_ENV",
                                   "TADAMON_PROXY_COMPRESSES")}
    environment.update({"PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
                        "TADAMON_INSTANCE_PATH": str(tmp_path), **(settings or {})})
    return environment


def _loaded_modules(code: str, tmp_path: Path, settings: dict[str, str] | None = None) -> set[str]:
    completed = subprocess.run([sys.executable, "-c", f"{REPORT_MODULES}\n{code}"], cwd=ROOT,  # noqa: S603
                               env=_environment(tmp_path, settings), capture_output=True, text=True, timeout=120,
                               check=False)
    assert completed.returncode == 0, completed.stderr
    return set(json.loads(completed.stdout.strip().splitlines()[-1]))


def _heavy_modules_in(loaded: set[str]) -> list[str]:
    watched = [*NOT_AT_START_UP, *FEATURE_DEMOS]
    return sorted(name for name in watched if name in loaded or any(module.startswith(name + ".") for module in loaded))


def test_the_watched_modules_exist() -> None:
    """A renamed or uninstalled module would make the guards below pass for nothing."""
    missing = [name for name in [*NOT_AT_START_UP, *FEATURE_DEMOS] if importlib.util.find_spec(name) is None]
    assert missing == []


def test_a_web_worker_starts_without_the_heavy_libraries(tmp_path: Path) -> None:
    loaded = _loaded_modules("import wsgi", tmp_path)
    assert "tadamon.action_plan.views" in loaded  # the application was built
    assert _heavy_modules_in(loaded) == []


@pytest.mark.parametrize("command", [["export-plan", "--help"], ["--help"]])
def test_a_command_starts_without_the_heavy_libraries(command: list[str], tmp_path: Path) -> None:
    code = ("import sys\nfrom flask.cli import main\n"
            f"sys.argv = ['flask', '--app', 'wsgi', *{command!r}]\n"
            "try:\n    main()\nexcept SystemExit as stop:\n    assert not stop.code, stop.code\n")
    loaded = _loaded_modules(code, tmp_path)
    assert "wsgi" in loaded
    assert _heavy_modules_in(loaded) == []


# Loaded only where the deployment needs them: compression when no proxy compresses, the SQLite
# driver for a SQLite database. Each was held by every web worker in production (issue 18).
AS_DEPLOYED = {"flask_compress": "TADAMON_PROXY_COMPRESSES unset", "backports.zstd": "TADAMON_PROXY_COMPRESSES unset",
               "sqlite3": "a SQLite database"}


def test_a_web_worker_as_deployed_starts_without_what_its_settings_leave_out(tmp_path: Path) -> None:
    """deploy/tadamon.env.example's choices: nginx compresses, the database is PostgreSQL
    (never reached while the application is built)."""
    settings = {"TADAMON_PROXY_COMPRESSES": "1",
                "DATABASE_URL": "postgresql+psycopg://tadamon@127.0.0.1:9/tadamon"}
    loaded = _loaded_modules("import wsgi", tmp_path, settings)
    assert "tadamon.action_plan.views" in loaded
    assert sorted(name for name in AS_DEPLOYED if name in loaded) == []
    # Without those settings they are loaded: the check above can fail.
    assert {"flask_compress", "sqlite3"} <= _loaded_modules("import wsgi", tmp_path)


def test_the_guard_sees_a_heavy_import(tmp_path: Path) -> None:
    """The same check fails once a watched library is imported along with the application."""
    loaded = _loaded_modules("import wsgi\nimport markdown_it", tmp_path)
    assert _heavy_modules_in(loaded) == ["markdown_it"]


# Bound by a library's __init__ for features the platform never uses, and loaded only when used
# (core.lazy_modules, issue 18): the module object exists, unloaded, and none of its own code ran.
REPORT_DEFERRED = ("import atexit, json, sys\n"
                   "from tadamon.core.lazy_modules import DEFERRED\n"
                   "atexit.register(lambda: print(json.dumps(sorted(\n"
                   "    name for name in DEFERRED if name in sys.modules and type(sys.modules[name]).__name__ != '_LazyModule'\n"
                   "    or any(module.startswith(name + '.') for module in sys.modules)))))")


def _loaded_deferred(code: str, tmp_path: Path) -> list[str]:
    settings = {"TADAMON_PROXY_COMPRESSES": "1", "DATABASE_URL": "postgresql+psycopg://tadamon@127.0.0.1:9/tadamon"}
    completed = subprocess.run([sys.executable, "-c", f"{REPORT_DEFERRED}\n{code}"], cwd=ROOT,  # noqa: S603
                               env=_environment(tmp_path, settings), capture_output=True, text=True, timeout=120,
                               check=False)
    assert completed.returncode == 0, completed.stderr
    return list(json.loads(completed.stdout.strip().splitlines()[-1]))


def test_a_web_worker_leaves_the_deferred_modules_unloaded(tmp_path: Path) -> None:
    """As deployed (PostgreSQL): the application built, its engine made, none of them ran."""
    code = ("import wsgi\nfrom tadamon.extensions import db\n"
            "with wsgi.app.app_context():\n    assert db.engine.dialect.driver == 'psycopg'\n")
    assert _loaded_deferred(code, tmp_path) == []


def test_a_deferred_module_loads_when_used(tmp_path: Path) -> None:
    """Used after the application was built, each works as if imported at once; the report
    above then names it (so the check above can fail)."""
    code = ("import asyncio, wsgi, limits, yaml\nimport sqlalchemy.dialects.postgresql as postgresql\n"
            "assert asyncio.run(limits.aio.storage.MemoryStorage().incr('key', 60)) == 1\n"
            "assert yaml.safe_load(yaml.safe_dump({'a': [1, 2]})) == {'a': [1, 2]}\n"
            "for driver in ('asyncpg', 'pg8000', 'psycopg2', 'psycopg2cffi'):\n"
            "    assert getattr(postgresql, driver).dialect.driver == driver\n"
            "import click.testing\nassert click.testing.pdb.Pdb.__name__ == 'Pdb'\n")
    assert _loaded_deferred(code, tmp_path) == sorted(
        ["limits.aio", "yaml", "sqlalchemy.dialects.postgresql.asyncpg", "sqlalchemy.dialects.postgresql.pg8000",
         "sqlalchemy.dialects.postgresql.psycopg2", "sqlalchemy.dialects.postgresql.psycopg2cffi", "pdb"])


# The web instances run without docstrings or asserts (PYTHONOPTIMIZE=2 in
# deploy/systemd/tadamon-web@.service: 6-7 MB less per worker, issue 18). What the application
# serves must not depend on a docstring: the API's OpenAPI document (flask-smorest reads an
# operation's summary from its view's docstring unless given, api/v1.py gives each) is the same.
SERVE_OPENAPI = ("import json, sys\nfrom tadamon import create_app\n"
                 "if sys.flags.optimize != 2 or create_app.__doc__ is not None:  # an assert would be stripped\n"
                 "    raise SystemExit('docstrings still here')\n"
                 "app = create_app({'ENV': 'testing', 'TESTING': True, 'SQLALCHEMY_DATABASE_URI': 'sqlite://',\n"
                 "                  'LOG_CONFIGURE': False, 'TICK_ON_REQUEST': False})\n"
                 "answer = app.test_client().get('/api/v1/openapi.json')\n"
                 "print(json.dumps(answer.get_json()))\n")


def test_the_api_document_is_the_same_without_docstrings(app, tmp_path: Path) -> None:
    completed = subprocess.run([sys.executable, "-c", SERVE_OPENAPI], cwd=ROOT,  # noqa: S603
                               env=_environment(tmp_path, {"PYTHONOPTIMIZE": "2"}), capture_output=True, text=True,
                               timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    served = json.loads(completed.stdout.strip().splitlines()[-1])
    expected = app.test_client().get("/api/v1/openapi.json").get_json()
    operations = [operation for path in expected["paths"].values() for method, operation in path.items()
                  if method in ("get", "post", "put", "patch", "delete")]
    assert operations and all(operation.get("summary") for operation in operations)
    assert served == expected
