"""Files every instance can reach: both backends behave alike, keys stay inside the store,
uploads and exports follow their transaction, and two instances sharing a database share
their files only with the database backend.

The two-instance tests run on real commits (a fresh SQLite file; a fresh PostgreSQL schema
with TEST_DATABASE_URL).
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from tadamon.action_plan import jobs
from tadamon.core import storage as storage_module
from tadamon.core import uploads
from tadamon.core.db import utcnow
from tadamon.core.storage import (
    DatabaseStorage,
    LocalStorage,
    StorageError,
    StoredFileRow,
    check_key,
    storage,
)
from tadamon.extensions import db
from tadamon.membership import services as membership
from tadamon.membership.models import StatutesDocument
from tadamon.proposals import services as proposals
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase, Theme, WorkshopDocument
from tests import support
from tests.membership.conftest import PDF
from tests.membership.test_parallel import logged_in_client, make_user

BACKENDS = ("local", "database")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- The backends, one contract -------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def files(request: pytest.FixtureRequest, app: Flask, tmp_path: Path) -> Any:
    """Each backend; the database one writes through the test's rolled-back session."""
    if request.param == "local":
        return LocalStorage(tmp_path / "root", {"exports": tmp_path / "elsewhere"})
    return DatabaseStorage(chunk_bytes=16)


def test_save_load_delete_exists_and_sha256(files):
    assert files.load("uploads/proposals/a.pdf") is None and not files.exists("uploads/proposals/a.pdf")
    files.save("uploads/proposals/a.pdf", b"first")
    files.save("uploads/proposals/a.pdf", b"second")  # a key saved again holds the new bytes
    assert files.load("uploads/proposals/a.pdf") == b"second"
    assert files.exists("uploads/proposals/a.pdf") and files.sha256("uploads/proposals/a.pdf") == sha(b"second")
    files.save("empty", b"")
    assert files.load("empty") == b""
    files.delete("uploads/proposals/a.pdf")
    files.delete("uploads/proposals/a.pdf")  # deleting what is gone is no error
    assert files.load("uploads/proposals/a.pdf") is None and files.sha256("uploads/proposals/a.pdf") is None


def test_keys_are_listed_in_order_under_a_prefix(files):
    for key in ("uploads/workshops/b.pdf", "uploads/proposals/a.png", "exports/t.csv",
                "exports/published/h.pdf", "personal-data/x.zip", "uploadsX/c.pdf", "a_b/one", "axb/two"):
        files.save(key, key.encode())
    assert list(files.keys("uploads/")) == ["uploads/proposals/a.png", "uploads/workshops/b.pdf"]
    assert list(files.keys("exports/")) == ["exports/published/h.pdf", "exports/t.csv"]
    assert list(files.keys("a_b/")) == ["a_b/one"]  # "_" is a character, not a wildcard
    everything = list(files.keys())
    assert everything == sorted(everything) and len(everything) == 8
    assert all(files.load(key) == key.encode() for key in everything)


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../x", "uploads/../../x", "uploads//x", "uploads/x/",
                                 "uploads\\x", ".hidden", "a b", "uploads/é.pdf", "x" * 256])
def test_a_key_never_leaves_the_store(files, key):
    for operation in (lambda: files.save(key, b"x"), lambda: files.load(key), lambda: files.delete(key),
                      lambda: files.exists(key)):
        with pytest.raises(StorageError):
            operation()


def test_keys_the_application_makes_are_valid():
    assert check_key("uploads/statutes/0123abcd.pdf") and check_key("exports/.healthz-01ab")
    assert check_key(uploads.upload_key("proposals", "f" * 32 + ".webp"))


def test_the_local_backend_keeps_exports_in_export_folder(tmp_path):
    local = LocalStorage(tmp_path / "instance", {"exports": tmp_path / "exports-elsewhere"})
    local.save("exports/abc.csv", b"1")
    local.save("uploads/statutes/s.pdf", b"2")
    assert (tmp_path / "exports-elsewhere" / "abc.csv").read_bytes() == b"1"
    assert (tmp_path / "instance" / "uploads" / "statutes" / "s.pdf").read_bytes() == b"2"
    (tmp_path / "instance" / "tadamon.sqlite3").write_bytes(b"not a stored file")
    assert list(local.keys()) == ["exports/abc.csv", "uploads/statutes/s.pdf"]


def test_the_applications_local_storage_lists_only_its_own_folders(app, tmp_path, monkeypatch):
    """The instance folder also holds the database, logs and an operator's backups: a backup
    (or `flask storage move`) that took them would carry every previous backup along."""
    monkeypatch.setitem(app.config, "STORAGE_BACKEND", "local")
    monkeypatch.setitem(app.config, "STORAGE_ROOT", str(tmp_path))
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(tmp_path / "exports"))
    for stray in ("backups/2026-12-06.tar.gz", "prometheus/counter_1.db", "notes/README", "tadamon.sqlite3"):
        (tmp_path / stray).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / stray).write_bytes(b"not a stored file")
    files = storage()
    for key in ("uploads/statutes/s.pdf", "exports/t.csv", "personal-data/p.zip", "open-data/o.zip"):
        files.save(key, b"1")
    assert list(files.keys()) == ["exports/t.csv", "open-data/o.zip", "personal-data/p.zip", "uploads/statutes/s.pdf"]
    assert list(files.keys("backups/")) == []
    with pytest.raises(StorageError):  # what it saves, it lists
        files.save("backups/x.tar", b"1")


def test_the_database_backend_sends_a_large_file_in_pieces(app):
    files = DatabaseStorage(chunk_bytes=1000)
    data = secrets.token_bytes(4500)
    files.save("exports/big.pdf", data)
    with app.test_request_context("/"):
        response = files.send("exports/big.pdf", mimetype="application/pdf", download_name="big.pdf")
        assert response is not None and response.is_streamed and response.content_length == 4500
        assert b"".join(response.response) == data
        assert "attachment" in response.headers["Content-Disposition"]
        assert files.send("exports/none.pdf", mimetype="application/pdf", download_name="x.pdf") is None


# --- Transactions: an upload and its file go together --------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_rolled_back_upload_leaves_no_file(app, monkeypatch, backend, create_user):
    monkeypatch.setitem(app.config, "STORAGE_BACKEND", backend)
    stored = uploads.store(PDF, folder="workshops", kind="pdf")
    assert storage().load(stored.key) == PDF
    db.session.rollback()
    assert not storage().exists(stored.key)

    applicant = create_user()
    organisation = membership.start_application(applicant)
    db.session.commit()
    document = membership.attach_statutes(organisation, FileStorage(io.BytesIO(PDF), "s.pdf"), applicant)
    key = membership.statutes_key(document)
    assert storage().exists(key)
    db.session.rollback()
    assert not storage().exists(key)
    assert db.session.scalar(select(StatutesDocument).where(StatutesDocument.stored_name == document.stored_name)) is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_replaced_file_is_deleted_only_when_the_change_commits(app, monkeypatch, backend, create_user):
    monkeypatch.setitem(app.config, "STORAGE_BACKEND", backend)
    applicant = create_user()
    organisation = membership.start_application(applicant)
    first = membership.attach_statutes(organisation, FileStorage(io.BytesIO(PDF), "s.pdf"), applicant)
    first_key = membership.statutes_key(first)
    db.session.commit()
    membership.attach_statutes(organisation, FileStorage(io.BytesIO(PDF + b" "), "t.pdf"), applicant)
    db.session.rollback()  # the new statutes are refused: the old row and its file stay
    assert storage().load(first_key) == PDF
    second = membership.attach_statutes(organisation, FileStorage(io.BytesIO(PDF + b" "), "t.pdf"), applicant)
    db.session.commit()
    assert not storage().exists(first_key) and storage().load(membership.statutes_key(second)) == PDF + b" "


def test_the_health_check_writes_reads_and_deletes_on_the_configured_backend(app, client, monkeypatch):
    for backend in BACKENDS:
        monkeypatch.setitem(app.config, "STORAGE_BACKEND", backend)
        check = client.get("/healthz").get_json()["checks"]["storage"]
        assert check == {"ok": True, "backend": backend}
        assert [key for key in storage().keys("exports/") if ".healthz" in key] == []


# --- Two instances, one database -----------------------------------------------------------


@contextmanager
def two_instances(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: str) -> Iterator[list[Flask]]:
    """Instances A and B: the same database, each its own instance folder (two machines)."""
    postgres = os.environ.get("TEST_DATABASE_URL")
    database = (support.postgres_schema(postgres, f"tadamon_storage_{secrets.token_hex(4)}") if postgres
                else nullcontext(f"sqlite:///{tmp_path / 'shared.sqlite3'}"))
    with database as url:
        apps = []
        for name in ("a", "b"):
            folder = tmp_path / name
            monkeypatch.setenv("TADAMON_INSTANCE_PATH", str(folder))
            apps.append(support.make_test_app(url, STORAGE_BACKEND=backend, STORAGE_ROOT=str(folder),
                                              EXPORT_FOLDER=str(folder / "exports")))
        with apps[0].app_context():
            support.upgrade_database()
        try:
            yield apps
        finally:
            for app in apps:
                with app.app_context():
                    db.engine.dispose()


def make_world(app: Flask) -> dict[str, Any]:
    """On instance `app`: statutes, a proposal's attachment, a workshop's document and a finished
    plan export, each uploaded or rendered there; returns their ids and download addresses."""
    with app.app_context():
        steering = make_user("steering@example.org", "steering")
        facilitator = make_user("facilitator@example.org", "facilitator")
        draft = membership.start_charter_draft(steering)
        draft.title_fr = "Charte"
        membership.save_principle(draft, None, {"title_fr": "Solidarité"})
        membership.publish_charter(steering, draft)
        author = make_user("author@example.org")
        organisation = membership.start_application(author)
        membership.update_application(organisation, membership.ApplicationData(
            name_fr="Association", region="DTA", province="Errachidia", description_fr="x",
            contact_email="c@example.org"))
        membership.attach_statutes(organisation, FileStorage(io.BytesIO(PDF), "s.pdf"), author)
        membership.submit_application(organisation, author, adheres=True)
        membership.decide_application(steering, organisation, "approve", "")
        theme = Theme(name_fr="Thème")
        db.session.add(theme)
        db.session.flush()
        start = utcnow() + timedelta(days=2)
        workshop = workshops.create_workshop(facilitator, workshops.WorkshopData(
            title_fr="Atelier", theme_id=theme.id, venue="Salle", starts_at=start, ends_at=start + timedelta(hours=2),
            capacity=5))
        document = workshops.attach_document(facilitator, workshop, FileStorage(io.BytesIO(PDF + b"%doc"), "o.pdf"),
                                             "agenda", "Ordre du jour")
        consultation = workshops.save_consultation(facilitator, None, workshop, workshops.ConsultationData(
            question_fr="Q ?", max_approvals=2))
        workshops.move_phase(facilitator, consultation, Phase.PROPOSALS_OPEN)
        data = proposals.ProposalData(title="Un fonds solidaire", body="Créer un fonds de garantie solidaire.")
        proposal = proposals.save_draft(consultation, organisation, author, data)
        proposals.publish(proposal, author, data)
        attachment = proposals.attach(proposal, FileStorage(io.BytesIO(PNG), "p.png"), author)
        export = jobs.request_export(steering, None, "json", "en")
        db.session.commit()
        jobs.run_export(export.id)  # commits on its own, as in a worker
        world = {
            "steering": steering.id,
            "files": {
                f"/membership/{organisation.id}/statutes": PDF,
                f"/workshops/{workshop.id}/documents/{document.id}": PDF + b"%doc",
                f"/proposals/{proposal.id}/attachments/{attachment.id}": PNG,
            },
            "export": f"/plan/exports/{export.token}/download",
        }
        exported = storage().load(f"exports/{db.session.get(type(export), export.id).stored_path}")
        assert exported is not None and exported.startswith(b"{")
        world["files"][world["export"]] = exported
        return world


def downloads(app: Flask, world: dict[str, Any]) -> dict[str, tuple[int, bytes]]:
    client = logged_in_client(app, world["steering"])
    answers = {}
    for url in world["files"]:
        response = client.get(url)
        answers[url] = (response.status_code, response.get_data())
    return answers


def test_files_uploaded_on_one_instance_download_from_the_other_with_the_database_backend(tmp_path, monkeypatch):
    with two_instances(tmp_path, monkeypatch, "database") as (a, b):
        world = make_world(a)
        assert len(world["files"]) == 4
        assert downloads(b, world) == {url: (200, data) for url, data in world["files"].items()}
        assert not list((tmp_path / "a").rglob("*.pdf")) and not list((tmp_path / "b").rglob("*.pdf"))
        result = b.test_cli_runner().invoke(args=["storage", "check"])
        assert result.exit_code == 0 and "database: 0 missing" in result.output


def test_with_the_local_backend_the_other_instance_answers_404(tmp_path, monkeypatch):
    """Why the database backend exists: the same files, kept on instance A's disk, are not
    found by instance B (the export's download sends B back to its status page)."""
    with two_instances(tmp_path, monkeypatch, "local") as (a, b):
        world = make_world(a)
        assert all(status == 200 for status, _ in downloads(a, world).values())
        answers = downloads(b, world)
        assert {answers[url][0] for url in world["files"] if url != world["export"]} == {404}
        assert answers[world["export"]][0] == 302
        result = b.test_cli_runner().invoke(args=["storage", "check"])
        assert result.exit_code == 1 and "local: 4 missing" in result.output
        assert result.output.count("missing: ") == 4 and "statutes of organisation" in result.output


def test_moving_files_to_the_database_and_back_keeps_every_file(tmp_path, monkeypatch):
    with two_instances(tmp_path, monkeypatch, "local") as (a, b):
        world = make_world(a)
        with a.app_context():
            local_keys = list(storage().keys())
            local = {key: sha(storage().load(key) or b"") for key in local_keys}
            # An earlier, interrupted move: one file already copied, one copied wrong.
            first, second = local_keys[0], local_keys[1]
            DatabaseStorage().save(first, storage().load(first) or b"")
            DatabaseStorage().save(second, b"half a file")
            db.session.commit()
        assert len(local) == 4  # the export of a draft is not cached
        runner = a.test_cli_runner()
        result = runner.invoke(args=["storage", "move", "--to", "database"])
        assert result.exit_code == 0, result.output
        assert "local -> database: 3 copied, 1 already there, 0 failed" in result.output
        again = runner.invoke(args=["storage", "move", "--to", "database"])
        assert "0 copied, 4 already there, 0 failed" in again.output
        with a.app_context():
            rows = {row.key: row.sha256 for row in db.session.scalars(select(StoredFileRow))}
            assert rows == local
            assert all(sha(bytes(row.data)) == row.sha256 for row in db.session.scalars(select(StoredFileRow)))

        # Every instance switches to the database: B, with nothing on its disk, serves them all.
        for app in (a, b):
            app.config["STORAGE_BACKEND"] = "database"
        assert downloads(b, world) == {url: (200, data) for url, data in world["files"].items()}

        # And back to a new machine's empty folder.
        shutil.rmtree(tmp_path / "a")
        a.config["STORAGE_BACKEND"] = "local"
        result = runner.invoke(args=["storage", "move", "--to", "local"])
        assert result.exit_code == 0 and "database -> local: 4 copied, 0 already there, 0 failed" in result.output
        with a.app_context():
            assert {key: storage().sha256(key) for key in storage().keys()} == local
            statutes = db.session.scalars(select(StatutesDocument)).one()
            assert (tmp_path / "a" / "uploads" / "statutes" / statutes.stored_name).read_bytes() == PDF
            document = db.session.scalars(select(WorkshopDocument)).one()
            assert sha(storage().load(workshops.document_key(document)) or b"") == document.sha256
        assert downloads(a, world) == {url: (200, data) for url, data in world["files"].items()}
        result = runner.invoke(args=["storage", "check"])
        assert result.exit_code == 0 and "local: 0 missing" in result.output


def test_a_move_that_cannot_verify_a_file_says_so(app, tmp_path, monkeypatch):
    from tadamon.core.storage_cli import move_files

    source = LocalStorage(tmp_path / "src")
    source.save("uploads/statutes/x.pdf", PDF)

    class Corrupting(LocalStorage):
        def save(self, key: str, data: bytes) -> None:
            super().save(key, data[:-1])

    report = move_files(source, Corrupting(tmp_path / "dst"))
    assert report.failed == ["uploads/statutes/x.pdf"] and report.copied == 0


def test_an_unknown_backend_is_refused_at_start(tmp_path):
    from tadamon.config import ConfigurationError, load_config

    with pytest.raises(ConfigurationError):
        load_config(tmp_path, {"STORAGE_BACKEND": "s3"})
    assert load_config(tmp_path)["STORAGE_BACKEND"] in storage_module.BACKENDS
