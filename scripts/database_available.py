"""Exit 0 when the PostgreSQL database at the given URL answers, 1 otherwise (used by `make test`).

When the server answers but the database does not exist yet (a fresh cluster has only
`postgres`), the database is created through the server's `postgres` maintenance database,
so `make test-postgres` works on a new machine. Every refusal says why, on stderr.

    .venv/bin/python scripts/database_available.py postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import sys

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo


def _dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _answers(dsn: str) -> None:
    with psycopg.connect(dsn, connect_timeout=3) as connection:
        connection.execute("SELECT 1")


def main(url: str) -> int:
    dsn = _dsn(url)
    try:
        _answers(dsn)
        return 0
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error):
            print(f"PostgreSQL does not answer at {url}: {str(error).strip()}", file=sys.stderr)
            return 1
    name = conninfo_to_dict(dsn).get("dbname")
    if not name:
        print(f"No database name in {url}", file=sys.stderr)
        return 1
    maintenance = make_conninfo(dsn, dbname="postgres")
    try:
        with psycopg.connect(maintenance, connect_timeout=3, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(str(name))))
        _answers(dsn)
    except psycopg.Error as error:
        print(f"Could not create the test database {name!r} at {url}: {str(error).strip()}",
              file=sys.stderr)
        return 1
    print(f"Created the test database {name!r} at {url}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
