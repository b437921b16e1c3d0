"""`flask backup` and `flask restore`: the demo (votes cast, consultations closed, ledgers
published) and stored files, backed up and restored into an empty new database, equal table by
table and file by file, with every ledger still verifying. On SQLite, and on PostgreSQL with
TEST_DATABASE_URL (the restore then goes to a freshly created database of its own)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from sqlalchemy import select, text

from tadamon.core.backup import decode_value, encode_value
from tadamon.core.mail import OutboxMessage
from tadamon.core.storage import storage
from tadamon.extensions import db
from tadamon.voting.models import VotingRound
from tests import support
from tests.core.world import demo_world, table_fingerprints

FILES = {
    "uploads/proposals/charter.pdf": b"%PDF-1.7\n" + bytes(range(256)) * 40,
    "uploads/workshops/notes-ar.txt": "محضر الورشة الأولى".encode(),
    "exports/plan-3f2a.json": b'{"version": 1}',
}


@contextmanager
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A new, empty database: a SQLite file, or a freshly created PostgreSQL database."""
    postgres = os.environ.get("TEST_DATABASE_URL")
    if not postgres:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"tadamon_restore_{secrets.token_hex(4)}"
    server = re.sub(r"^postgresql\+psycopg://", "postgresql://", postgres)
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield re.sub(r"/[^/?]+(\?|$)", rf"/{name}\1", postgres.replace("postgresql://", "postgresql+psycopg://"), count=1)
    finally:
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(app: Flask, *args: str):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def stored_files() -> dict[str, str]:
    files = storage()
    return {key: hashlib.sha256(files.load(key) or b"").hexdigest() for key in files.keys()}


def ledger_rounds() -> list[int]:
    return list(db.session.scalars(select(VotingRound.consultation_id).order_by(VotingRound.consultation_id)))


def alembic_revision() -> str:
    return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Flask]:
    with demo_world(tmp_path, STORAGE_ROOT=str(tmp_path / "source-files")) as app:
        with app.app_context():
            for key, data in FILES.items():
                storage().save(key, data)
        yield app


def test_a_backup_restores_into_an_empty_database_equal_and_verifiable(source, tmp_path):
    with source.app_context():
        before = table_fingerprints()
        files_before = stored_files()
        consultations = ledger_rounds()
        revision = alembic_revision()
    assert set(FILES) <= set(files_before)  # the demo's own documents, and these
    assert before["ballots"][0] > 0 and before["ledger_entries"][0] > 0 and len(consultations) >= 2

    archive = tmp_path / "tadamon-backup.tar"
    result = run(source, "backup", str(archive))
    assert result.exit_code == 0, result.output
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["revision"] == revision and manifest["format"] == "tadamon-backup/1"
    assert {table["name"]: table["rows"] for table in manifest["tables"]} == {
        name: count for name, (count, _digest) in before.items()}
    assert {entry["key"]: entry["sha256"] for entry in manifest["files"]} == files_before
    with source.app_context():  # the backup is in the audit log, after the copy was taken
        assert db.session.execute(text(
            "SELECT count(*) FROM audit_entries WHERE action = 'platform.backup'")).scalar() == 1

    with empty_database(tmp_path) as url:
        target = support.make_test_app(url, STORAGE_ROOT=str(tmp_path / "restored-files"),
                                       TICK_EVERY_SECONDS=10**9)
        try:
            result = run(target, "restore", str(archive))
            assert result.exit_code == 0, result.output
            assert "every count and checksum matches" in result.output
            with target.app_context():
                assert alembic_revision() == revision
                assert table_fingerprints() == before  # every row of every table, not only counts
                assert stored_files() == files_before
                assert ledger_rounds() == consultations
            for consultation_id in consultations:
                result = run(target, "verify-ledger", str(consultation_id))
                assert result.exit_code == 0, result.output
                assert "chain intact" in result.output and "tally reproduced" in result.output
            with target.app_context():
                # New rows get new ids (PostgreSQL's sequences moved past the restored ones).
                message = OutboxMessage(recipient="x@example.org", subject="s", language="fr",
                                        text_body="t", html_body="h")
                db.session.add(message)
                db.session.commit()
                assert message.id > before["outbox_messages"][0]

            # A database with rows is refused, unchanged; --force replaces it with the backup.
            result = run(target, "restore", str(archive))
            assert result.exit_code != 0 and "not empty" in result.output
            with target.app_context():
                assert db.session.get(OutboxMessage, message.id) is not None
                db.session.remove()
            result = run(target, "restore", "--force", str(archive))
            assert result.exit_code == 0, result.output
            with target.app_context():
                assert table_fingerprints() == before
                db.session.remove()
        finally:
            with target.app_context():
                db.session.remove()
                db.engine.dispose()


def test_a_damaged_or_foreign_archive_is_refused_before_anything_changes(source, tmp_path):
    folder = tmp_path / "backup-folder"
    result = run(source, "backup", str(folder))
    assert result.exit_code == 0, result.output
    assert (folder / "manifest.json").is_file() and (folder / "files/uploads/proposals/charter.pdf").is_file()
    assert run(source, "backup", str(folder)).exit_code != 0  # never written over

    table_file = folder / "database" / "users.jsonl"
    table_file.write_text(table_file.read_text(encoding="utf-8").replace("demo.tadamon.ma", "evil.example", 1),
                          encoding="utf-8")
    with empty_database(tmp_path) as url:
        target = support.make_test_app(url, STORAGE_ROOT=str(tmp_path / "restored-files"))
        try:
            result = run(target, "restore", str(folder))
            assert result.exit_code != 0 and "users" in result.output and "damaged" in result.output
            with target.app_context():
                assert db.inspect(db.engine).get_table_names() == []  # nothing was created
        finally:
            with target.app_context():
                db.engine.dispose()


@pytest.mark.parametrize("value", [
    None, True, 0, -7, 2**40, 1.5, float("inf"), "نص عربي", b"\x00\xff", [1, "a"], {"a": {"$date": 1}},
])
def test_values_keep_their_type_through_the_encoding(value):
    encoded = json.loads(json.dumps(encode_value(value)))
    assert decode_value(encoded) == value and type(decode_value(encoded)) is type(value)


def test_timestamps_keep_their_zone_and_naive_ones_stay_naive():
    from datetime import UTC, date, datetime
    from decimal import Decimal

    for value in (datetime(2026, 9, 20, 8, 30, 15, 123456, tzinfo=UTC), datetime(2026, 9, 20, 9, 0),
                  date(2028, 2, 29), Decimal("12.50")):
        decoded = decode_value(json.loads(json.dumps(encode_value(value))))
        assert decoded == value and type(decoded) is type(value)
        if isinstance(value, datetime):
            assert decoded.tzinfo == value.tzinfo


def test_a_backup_carrying_other_files_of_the_instance_folder_restores_without_them(source, tmp_path):
    """Backups made before the local backend kept to its own folders hold the instance folder's
    other files: the restore leaves them out instead of failing half-way."""
    folder = tmp_path / "backup-folder"
    assert run(source, "backup", str(folder)).exit_code == 0
    stray = b"an operator's notes"
    (folder / "files" / "notes").mkdir(parents=True)
    (folder / "files" / "notes" / "todo.txt").write_bytes(stray)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"].append({"key": "notes/todo.txt", "size": len(stray),
                              "sha256": hashlib.sha256(stray).hexdigest()})
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with empty_database(tmp_path) as url:
        target = support.make_test_app(url, STORAGE_ROOT=str(tmp_path / "restored-files"))
        try:
            result = run(target, "restore", str(folder))
            assert result.exit_code == 0, result.output
            assert "left out: notes/todo.txt" in result.output
            assert not (tmp_path / "restored-files" / "notes").exists()
            with target.app_context():
                assert set(FILES) <= set(stored_files())
                db.session.remove()
        finally:
            with target.app_context():
                db.engine.dispose()
