"""Every export format, in every language, read back with the tools a reader would use:
pdftotext for the PDF, python-docx, openpyxl, the CSV module and the JSON schema; the
download flow (authorised at download time, expiring, audited), the RQ path on a real Redis,
and the `export-plan` command."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from docx import Document
from sqlalchemy import delete, select

from tadamon.accounts.models import RoleAssignment
from tadamon.action_plan import exports, jobs, services
from tadamon.action_plan.models import PlanExport
from tadamon.core.audit import AuditEntry
from tadamon.core.db import utcnow
from tadamon.core.permissions import Role
from tadamon.extensions import db

TITLES = {
    "ar": ("صندوق تضامني للتعاونيات النسائية", "تكوين الشباب في المهن الرقمية"),
    "fr": ("Fonds solidaire pour les coopératives féminines", "Former les jeunes aux métiers du numérique"),
    "en": ("Solidarity fund for women's cooperatives", "Training young people for digital jobs"),
}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def published_plan(results, members, steering, make_action):
    """Version 1: two trilingual actions, one with a confirmed lead, an indicator and an
    objective that a spreadsheet would take for a formula."""
    _consultation, ids = results
    first = make_action(ids[:2], **{f"title_{code}": TITLES[code][0] for code in TITLES},
                        objectives="=HYPERLINK(\"http://evil.example\")")
    make_action(ids[2:], **{f"title_{code}": TITLES[code][1] for code in TITLES},
                indicators=[services.IndicatorData(name="Jeunes formés", unit="personnes", target=1000)])
    person, organisation = members[0]
    services.decide_commitment(steering, services.volunteer(person, organisation, first, "lead", ""), True)
    services.publish_version(steering, services.submit_for_review(steering))
    db.session.commit()
    return services.version_numbered(1)


def _snapshot(version):
    return services.snapshot_of(version)


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_the_pdf_holds_every_action_in_logical_order(published_plan, language, app):
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext (poppler-utils) is missing: `make system-packages` installs it")
    with app.test_request_context("/"):
        data = exports.render(_snapshot(published_plan), "pdf", language)
    assert data.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"plan-{language}.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    for title in TITLES[language]:
        assert title in " ".join(text.split()), f"{title!r} not found in the {language} PDF"
    # A cover, a table of contents and the appendix tracing actions to their proposals.
    assert text.count("\f") >= 4
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "3", "-l", "3", str(path),
                        str(ARTIFACTS / f"plan-{language}-page")], check=True)


def test_the_docx_and_xlsx_open_and_hold_every_action(published_plan, app):
    with app.test_request_context("/"):
        docx_data = exports.render(_snapshot(published_plan), "docx", "fr")
        xlsx_data = exports.render(_snapshot(published_plan), "xlsx", "ar")
    document = Document(io.BytesIO(docx_data))
    text = "\n".join(p.text for p in document.paragraphs)
    assert all(title in text for title in TITLES["fr"])

    book = openpyxl.load_workbook(io.BytesIO(xlsx_data))
    assert len(book.sheetnames) == 3
    actions, indicators, sources = (book[name] for name in book.sheetnames)
    cells = [str(c.value) for row in actions.iter_rows() for c in row if c.value is not None]
    assert all(title in cells for title in TITLES["ar"])
    assert actions.sheet_view.rightToLeft
    # The formula a member typed is text, not a formula.
    assert "'=HYPERLINK(\"http://evil.example\")" in cells
    assert not any(c.data_type == "f" for row in actions.iter_rows() for c in row)
    assert any("Jeunes formés" == c.value for row in indicators.iter_rows() for c in row)
    assert sources.max_row >= 4  # a header and the three source proposals


def test_the_csv_is_excel_ready_and_neutralised(published_plan, app):
    with app.test_request_context("/"):
        data = exports.render(_snapshot(published_plan), "csv", "en")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 3
    titles = [row[1] for row in rows[1:]]
    assert titles == list(TITLES["en"])
    assert any(cell.startswith("'=HYPERLINK") for cell in rows[1])
    assert exports.neutralise("+212 600") == "'+212 600" and exports.neutralise("-") == "'-"
    assert exports.neutralise("\tx") == "'\tx" and exports.neutralise("plain") == "plain"


def test_the_json_validates_against_its_schema_with_stable_ids(published_plan, app, client):
    with app.test_request_context("/"):
        document = json.loads(exports.render(_snapshot(published_plan), "json", "ar"))
    schema = client.get("/plan/schema.json").get_json()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema)
    ids = [a["id"] for a in document["actions"]]
    assert ids == sorted(ids, key=lambda i: int(i.split("-")[1])) and all(i.startswith("action-") for i in ids)
    source = document["actions"][0]["sources"][0]
    assert source["vote"]["ledger_head"] and source["proposal"].startswith("proposal-")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**document, "actions": [{"id": 3}]}, schema)


def test_markdown_has_a_section_per_theme(published_plan, app):
    with app.test_request_context("/"):
        text = exports.render(_snapshot(published_plan), "md", "fr").decode()
    assert text.startswith("# ") and all(title in text for title in TITLES["fr"])


def test_anyone_exports_a_published_version_and_the_link_expires(published_plan, client):
    page = client.get("/plan/export")
    assert page.status_code == 200
    response = client.post("/plan/export", data={"version": "1", "file_format": "csv", "language": "fr"})
    assert response.status_code == 302
    export = db.session.scalars(select(PlanExport)).one()
    assert export.state == "done" and export.progress == 100
    status = client.get(response.headers["Location"])
    assert "The file is ready." in status.get_data(as_text=True)
    download = client.get(f"/plan/exports/{export.token}/download")
    assert download.status_code == 200 and TITLES["fr"][0] in download.get_data().decode("utf-8-sig")
    assert "attachment" in download.headers["Content-Disposition"]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "plan.exported"))
    # The working draft is the steering group's only.
    refused = client.post("/plan/export", data={"version": "draft", "file_format": "csv", "language": "fr"})
    assert refused.status_code == 400
    # Expired: gone, and the periodic purge (run by `flask tick` and by requests) deletes the file.
    stored = jobs.export_folder() / export.stored_path
    assert stored.exists()
    export.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert jobs.purge_expired_exports() == 1
    assert not stored.exists()
    assert client.get(f"/plan/exports/{export.token}/download").status_code == 404


def test_a_draft_export_is_authorised_again_at_download(published_plan, steering, create_user, client, login):
    login(client, steering)
    response = client.post("/plan/export", data={"version": "draft", "file_format": "json", "language": "en"})
    assert response.status_code == 302
    export = db.session.scalars(select(PlanExport)).one()
    assert client.get(f"/plan/exports/{export.token}/download").status_code == 200
    for other in (None, create_user()):
        stranger = client.application.test_client()
        if other is not None:
            login(stranger, other)
        assert stranger.get(f"/plan/exports/{export.token}/download").status_code in (302, 403, 404)
        assert stranger.get(f"/plan/exports/{export.token}").status_code in (302, 403, 404)


def _lose_the_steering_role(person):
    db.session.execute(delete(RoleAssignment).where(RoleAssignment.user_id == person.id,
                                                    RoleAssignment.role == Role.STEERING.value))


def _disable(person):
    person.is_enabled = False


@pytest.mark.parametrize("change", [_lose_the_steering_role, _disable], ids=["role-removed", "account-disabled"])
def test_a_draft_export_is_refused_at_download_to_whoever_lost_the_right_since(published_plan, steering, client,
                                                                                login, change):
    """Authorised when asked, refused when downloading: the right is checked again at every request."""
    login(client, steering)
    response = client.post("/plan/export", data={"version": "draft", "file_format": "csv", "language": "fr"})
    assert response.status_code == 302
    export = db.session.scalars(select(PlanExport)).one()
    assert export.version_number is None and export.requested_by_id == steering.id
    assert client.get(f"/plan/exports/{export.token}").status_code == 200
    assert client.get(f"/plan/exports/{export.token}/download").status_code == 200
    change(steering)
    db.session.commit()
    db.session.expire_all()
    assert client.get(f"/plan/exports/{export.token}/download").status_code == 403
    assert client.get(f"/plan/exports/{export.token}").status_code == 403
    # The published version stays theirs to download, as anyone's.
    response = client.post("/plan/export", data={"version": "1", "file_format": "csv", "language": "fr"})
    assert response.status_code == 302
    published = db.session.scalars(select(PlanExport).where(PlanExport.version_number == 1)).one()
    assert client.get(f"/plan/exports/{published.token}/download").status_code == 200


def test_exports_run_in_an_rq_worker_when_redis_is_configured(published_plan, app, client, redis_url):
    import redis
    from rq import Queue, SimpleWorker

    connection = redis.Redis.from_url(redis_url)
    queue_name = f"tadamon-exports-test-{uuid.uuid4().hex}"
    app.config.update(REDIS_URL=redis_url, EXPORT_QUEUE=queue_name)
    try:
        response = client.post("/plan/export", data={"version": "1", "file_format": "xlsx", "language": "ar"})
        assert response.status_code == 302
        export = db.session.scalars(select(PlanExport)).one()
        assert export.state == "queued"
        waiting = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "being prepared" in waiting and 'max="100" value="0"' in waiting
        queue = Queue(queue_name, connection=connection)
        assert queue.count == 1
        SimpleWorker([queue], connection=connection).work(burst=True)
        db.session.refresh(export)
        assert export.state == "done" and export.progress == 100
        assert client.get(f"/plan/exports/{export.token}/download").status_code == 200
    finally:
        app.config.update(REDIS_URL=None, EXPORT_QUEUE="tadamon-exports")
        Queue(queue_name, connection=connection).delete(delete_jobs=True)


def test_the_export_plan_command(published_plan, app, tmp_path):
    runner = app.test_cli_runner()
    output = tmp_path / "plan.json"
    result = runner.invoke(args=["export-plan", "--version", "1", "--format", "json", "--lang", "fr",
                                 "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text())["version"] == 1
    result = runner.invoke(args=["export-plan", "--version", "9", "--format", "csv", "--lang", "fr",
                                 "--output", str(tmp_path / "x.csv")])
    assert result.exit_code != 0 and "Error" in result.output and not (tmp_path / "x.csv").exists()


def test_a_published_version_is_rendered_once_per_format_and_language(published_plan, client, monkeypatch):
    form = {"version": "1", "file_format": "docx", "language": "ar"}
    folder = jobs.export_folder() / "published"
    before = set(folder.iterdir()) if folder.exists() else set()
    assert client.post("/plan/export", data=form).status_code == 302
    cached = list(set(folder.iterdir()) - before)
    assert len(cached) == 1

    def no_second_render(*_args, **_kwargs):
        raise AssertionError("a published version's file is rendered once")

    monkeypatch.setattr(exports, "render", no_second_render)
    assert client.post("/plan/export", data=form).status_code == 302
    second = db.session.scalars(select(PlanExport).order_by(PlanExport.id.desc())).first()
    assert second.state == "done"
    assert client.get(f"/plan/exports/{second.token}/download").data == cached[0].read_bytes()


def test_a_long_pdf_rendered_in_parts_keeps_its_pages_numbers_contents_and_bookmarks(published_plan, app,
                                                                                      monkeypatch):
    """The parallel path (tadamon.core.pdf) on the small plan, cut after every action: the
    footers count the whole file, the contents point at the pages where the actions landed."""
    from pypdf import PdfReader

    from tadamon.core import pdf

    monkeypatch.setattr(pdf, "PARALLEL_FROM", 1)
    monkeypatch.setattr(pdf, "ARTICLES_PER_PART", 1)
    with app.test_request_context("/"):
        data = exports.render(_snapshot(published_plan), "pdf", "fr")
    reader = PdfReader(io.BytesIO(data))
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    total = len(pages)
    assert total >= 5
    assert f"1 / {total}" not in pages[0]  # the cover has no number
    for number, text in enumerate(pages[1:], start=2):
        assert f"{number} / {total}" in text
    contents = next(text for text in pages if "Sommaire" in text or "Table des matières" in text
                    or TITLES["fr"][0] in text)
    first_action_page = next(index for index, text in enumerate(pages[2:], start=3) if TITLES["fr"][0] in text)
    assert f"{TITLES['fr'][0]} {first_action_page}" in contents
    assert reader.outline and reader.metadata.title
