"""Every export format, in every language, read back with the tools a reader would use:
pdftotext for the PDF, python-docx, openpyxl, the CSV module and the JSON schema; the
download flow (authorised at download time, expiring, audited), the RQ path on a real Redis,
and the `export-plan` command."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import unicodedata
import uuid
import zlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from docx import Document
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select

from tadamon.accounts.models import RoleAssignment
from tadamon.action_plan import exports, jobs, services
from tadamon.action_plan.models import PlanExport
from tadamon.core.audit import AuditEntry
from tadamon.core.db import utcnow
from tadamon.core.permissions import Role
from tadamon.core.storage import storage
from tadamon.extensions import db

TITLES = {
    "ar": ("صندوق تضامني للتعاونيات النسائية", "تكوين الشباب في المهن الرقمية"),
    "fr": ("Fonds solidaire pour les coopératives féminines", "Former les jeunes aux métiers du numérique"),
    "en": ("Solidarity fund for women's cooperatives", "Training young people for digital jobs"),
}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Member Markdown: an Arabic paragraph with bold, then a French one (the Arabic edition must set
# it left to right), in the same description.
DESCRIPTION_AR = ("تخصيص **نسبة من الصفقات العمومية** للتعاونيات.\n\n"
                  "Les coopératives rédigent elles-mêmes leurs dossiers de candidature.")
UPDATE_TEXT = "Premier *atelier* tenu avec 40 coopératives."
CURRENT_VALUE = {"ar": "القيمة الحالية", "fr": "Valeur actuelle", "en": "Current value"}


@pytest.fixture
def published_plan(results, members, steering, make_action):
    """Version 1: two trilingual actions, one with a confirmed lead, an indicator and an
    objective that a spreadsheet would take for a formula."""
    _consultation, ids = results
    first = make_action(ids[:2], **{f"title_{code}": TITLES[code][0] for code in TITLES},
                        objectives="=HYPERLINK(\"http://evil.example\")", description_ar=DESCRIPTION_AR,
                        description_fr=DESCRIPTION_AR, description_en=DESCRIPTION_AR,
                        starts_on=date(2026, 1, 5), ends_on=date(2027, 6, 30), budget_estimate=Decimal("150000"),
                        funding_sources="Cotisations des membres",
                        milestones=[services.MilestoneData("Lancement et comité de suivi", date(2026, 2, 1), True)])
    make_action(ids[2:], **{f"title_{code}": TITLES[code][1] for code in TITLES},
                indicators=[services.IndicatorData(name="Jeunes formés", unit="personnes", target=Decimal(1000),
                                                   current_value=Decimal(240))])
    person, organisation = members[0]
    services.decide_commitment(steering, services.volunteer(person, organisation, first, "lead", ""), True)
    services.post_update(person, organisation, first, services.UpdateData(
        happened_on=date(2026, 3, 2), text=UPDATE_TEXT, progress=15))
    services.publish_version(steering, services.submit_for_review(steering))
    db.session.commit()
    return services.version_numbered(1)


def _snapshot(version):
    return services.snapshot_of(version)


def _pdftotext(path: Path, *options: str) -> str:
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext (poppler-utils) is missing: `make system-packages` installs it")
    return subprocess.run(["pdftotext", *options, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout


def _plain(text: str) -> str:
    """Extracted text compared as a reader's search does: Arabic marks (a shadda poppler puts on
    a line of its own), directional marks and line breaks left out."""
    text = "".join(c for c in text if unicodedata.category(c) not in ("Mn", "Cf"))
    return " ".join(text.split())


def _render_pdf(app, plan, language: str) -> Path:
    with app.test_request_context("/"):
        data = exports.render(_snapshot(plan), "pdf", language)
    assert data.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"plan-{language}.pdf"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_the_pdf_is_complete_and_searchable(published_plan, language, app):
    path = _render_pdf(app, published_plan, language)
    text = _pdftotext(path)
    flat = _plain(text)
    for title in TITLES[language]:
        assert _plain(title) in flat, f"{title!r} not found in the {language} PDF"
    # A cover, a table of contents and the appendix tracing actions to their proposals.
    assert text.count("\f") >= 4
    # Every column of the indicators table is on the page, the current value with it.
    assert CURRENT_VALUE[language] in text and "240" in text
    # Progress updates (dated, by organisation), milestones, funding; member Markdown rendered.
    assert "Premier atelier tenu avec 40 coopératives." in flat
    assert "Lancement et comité de suivi" in flat and "Cotisations des membres" in flat
    assert "**" not in text and "*atelier*" not in text
    # Every heading, bold ones included, extracts as written (Noto Sans Arabic Bold reversed
    # its lam-alef ligatures: "الأهداف" came out "األهداف").
    with app.test_request_context("/"), force_locale(language):
        headings = [_("Objectives"), _("Milestones"), _("Indicators"), _("Progress updates"),
                    _("Where it comes from"), _("Contents"), _("Appendix: from proposals and votes to actions")]
    words = set(flat.split())
    for heading in headings:
        # Word by word: poppler puts a shadda (in "التقدّم") on a line of its own, which
        # moves the words around it; the words themselves must come out as written.
        missing = [word for word in _plain(heading).split()
                   if word not in words and word not in flat and word.strip(":،") not in flat]
        assert not missing, f"heading {heading!r} not extractable from the {language} PDF: {missing}"
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    assert "Noto-Sans-Arabic" not in fonts
    if language == "ar":
        assert "Noto-Naskh-Arabic-Bold" in fonts
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    assert re.search(r"^Tagged:\s+yes", info, re.M) and re.search(r"^Title:\s+\S", info, re.M)
    assert re.search(r"^Author:\s+Tadamon", info, re.M)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "3", "-l", "3", str(path),
                        str(ARTIFACTS / f"plan-{language}-page")], check=True)


def test_a_french_paragraph_in_the_arabic_pdf_runs_left_to_right(published_plan, app):
    path = _render_pdf(app, published_plan, "ar")
    data = path.read_bytes()
    # The catalog sits in a compressed object stream: inflate every stream to read it.
    inflated = b"".join(zlib.decompress(m.group(1), wbits=15) for m in re.finditer(
        rb"stream\r?\n(.*?)endstream", data, re.S) if m.group(1)[:1] == b"x")
    assert b"/Direction /R2L" in inflated and b"/Lang (ar)" in data + inflated
    # In reading order, full stop at the end (set right to left it came out ".Les coopératives…").
    assert "Les coopératives rédigent elles-mêmes leurs dossiers de candidature." in _plain(_pdftotext(path))
    # Laid out from the left margin: its first word starts at the left of the page.
    layout = _pdftotext(path, "-layout")
    line = next(line for line in layout.splitlines() if "Les coopératives" in line)
    assert len(line) - len(line.lstrip()) < 10, line


def test_the_pdf_html_says_every_blocks_direction(published_plan, app):
    with app.test_request_context("/"), force_locale("ar"):
        html = exports.pdf_html(_snapshot(published_plan), "ar")
    assert 'dir="auto"' not in html
    assert '<p dir="ltr">Les coopératives' in html and '<p dir="rtl">تخصيص <strong>' in html


def test_the_docx_is_an_editable_a4_document(published_plan, app):
    from docx.oxml.ns import qn
    from docx.shared import Mm

    with app.test_request_context("/"):
        docx_data = exports.render(_snapshot(published_plan), "docx", "ar")
        french = exports.render(_snapshot(published_plan), "docx", "fr")
    document = Document(io.BytesIO(docx_data))
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1) and abs(section.page_height - Mm(297)) < Mm(1)
    assert section._sectPr.find(qn("w:bidi")) is not None  # a right-to-left section
    properties = document.core_properties
    assert properties.title.startswith("خطة العمل") and properties.author.startswith("Tadamon")
    assert properties.author != "python-docx" and properties.created.year >= 2026 and properties.language == "ar-MA"
    body = document.element.body.xml
    assert 'TOC \\o "1-2"' in body
    footer = document.sections[0].footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "NUMPAGES" in footer
    texts = [p.text for p in document.paragraphs]
    joined = "\n".join(texts)
    assert all(title in joined for title in TITLES["ar"])
    for needed in ("المراحل", "المؤشرات", "مصادر التمويل", "تحديثات التقدّم", UPDATE_TEXT.replace("*", ""),
                   "Lancement et comité de suivi"):
        assert needed in joined or any(needed in cell.text for t in document.tables for r in t.rows
                                       for cell in r.cells), needed
    assert "**" not in joined
    # Both scripts' fonts on the styles, and bold for Arabic (w:bCs) on headings.
    normal = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:cs")) == "Noto Naskh Arabic" and normal.get(qn("w:ascii")) == "Noto Sans"
    heading = document.styles["Heading 1"].element
    assert heading.rPr.find(qn("w:rFonts")).get(qn("w:cs")) == "Noto Naskh Arabic"
    assert heading.rPr.find(qn("w:bCs")) is not None and heading.pPr.find(qn("w:bidi")) is not None
    # The French paragraph of the Arabic edition is a left-to-right paragraph.
    french_paragraph = next(p for p in document.paragraphs if p.text.startswith("Les coopératives"))
    assert french_paragraph._p.pPr.find(qn("w:bidi")).get(qn("w:val")) == "0"
    # Indicators with their current value, and the appendix.
    assert any("240" in cell.text for t in document.tables for r in t.rows for cell in r.cells)
    assert any("القيمة الحالية" in cell.text for t in document.tables for r in t.rows for cell in r.cells)
    assert any(p.style.name == "Heading 1" and p.text.startswith("ملحق") for p in document.paragraphs)
    french_document = Document(io.BytesIO(french))
    assert french_document.sections[0]._sectPr.find(qn("w:bidi")) is None
    assert all(title in "\n".join(p.text for p in french_document.paragraphs) for title in TITLES["fr"])


def test_the_xlsx_computes_and_prints(published_plan, app):
    with app.test_request_context("/"):
        xlsx_data = exports.render(_snapshot(published_plan), "xlsx", "ar")
        french = exports.render(_snapshot(published_plan), "xlsx", "fr")
    book = openpyxl.load_workbook(io.BytesIO(xlsx_data))
    assert len(book.sheetnames) == 5
    actions, indicators, milestones, updates, sources = (book[name] for name in book.sheetnames)
    cells = [str(c.value) for row in actions.iter_rows() for c in row if c.value is not None]
    assert all(title in cells for title in TITLES["ar"])
    header = [c.value for c in actions[1]]
    first = {h: c for h, c in zip(header, actions[2], strict=True)}
    budget = next(c for h, c in first.items() if "MAD" in str(h))
    assert budget.value == 150000 and budget.data_type == "n" and budget.number_format == "#,##0"
    start = first[header[8]]
    assert isinstance(start.value, datetime) and start.value.date() == date(2026, 1, 5) and start.is_date
    assert start.number_format == "dd/mm/yyyy"
    assert isinstance(first[header[5]].value, int)  # progress
    # The formula a member typed is text, not a formula, and shows without an apostrophe.
    objective = next(c for row in actions.iter_rows() for c in row if str(c.value).startswith("=HYPERLINK"))
    assert objective.data_type == "s" and objective.quotePrefix
    assert not any(c.data_type == "f" for sheet in book for row in sheet.iter_rows() for c in row)
    # Markdown is text in cells, not asterisks.
    assert any(str(c.value).startswith("تخصيص نسبة من الصفقات العمومية للتعاونيات.") for c in actions[2])
    assert [c.value for c in indicators[2]][-1] == 240 and "Jeunes formés" in [c.value for c in indicators[2]]
    assert milestones.max_row == 2 and milestones["C2"].is_date
    assert updates["D2"].value == 15 and updates["E2"].value == UPDATE_TEXT.replace("*", "")
    assert sources.max_row >= 4  # a header and the three source proposals
    for sheet in book:
        assert sheet.sheet_view.rightToLeft
        assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
        assert sheet.page_setup.fitToHeight == 0 and sheet.print_title_rows == "$1:$1"
    # Rows tall enough for their wrapped text.
    assert actions.row_dimensions[2].height >= 30
    assert not openpyxl.load_workbook(io.BytesIO(french)).active.sheet_view.rightToLeft


def test_the_csv_is_excel_ready_and_neutralised(published_plan, app):
    with app.test_request_context("/"):
        data = exports.render(_snapshot(published_plan), "csv", "en")
        semicolons = exports.render(_snapshot(published_plan), "scsv", "fr")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 3
    titles = [row[1] for row in rows[1:]]
    assert titles == list(TITLES["en"])
    assert any(cell.startswith("'=HYPERLINK") for cell in rows[1])
    assert "150000" in rows[1] and "2026-01-05" in rows[1]
    assert exports.neutralise("+212 600") == "'+212 600" and exports.neutralise("-") == "'-"
    assert exports.neutralise("\tx") == "'\tx" and exports.neutralise("plain") == "plain"
    assert semicolons.startswith("\ufeff".encode())
    french_rows = list(csv.reader(io.StringIO(semicolons.decode("utf-8-sig")), delimiter=";"))
    assert len(french_rows) == 3 and len(french_rows[0]) == len(rows[0])
    assert [row[1] for row in french_rows[1:]] == list(TITLES["fr"])


def test_the_json_validates_against_its_schema_with_stable_ids(published_plan, app, client, monkeypatch):
    # monkeypatch restores it: the app is shared by every test of this worker.
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://tadamon.example.ma")
    with app.test_request_context("/"):
        document = json.loads(exports.render(_snapshot(published_plan), "json", "ar"))
    schema = client.get("/plan/schema.json").get_json()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    validator.validate(document)
    validator.validate(_snapshot(published_plan))  # the stored form too
    assert document["format"] == "tadamon.plan/2" and schema["$id"].endswith("/plan/2.json")
    assert document["$schema"] == "https://tadamon.example.ma/plan/schema.json"
    assert document["base_url"] == "https://tadamon.example.ma/"
    ids = [a["id"] for a in document["actions"]]
    assert ids == sorted(ids, key=lambda i: int(i.split("-")[1])) and all(i.startswith("action-") for i in ids)
    source = document["actions"][0]["sources"][0]
    assert source["vote"]["ledger_head"] and source["proposal"].startswith("proposal-")
    links = re.findall(r'"(?:url|results_url)": "([^"]*)"', json.dumps(document))
    assert links and all(link.startswith("https://tadamon.example.ma/") for link in links)
    assert document["actions"][0]["url"].startswith("https://tadamon.example.ma/plan/actions/")
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**document, "actions": [{"id": 3}]})
    with pytest.raises(jsonschema.ValidationError):  # an export names its base and schema
        validator.validate({key: value for key, value in document.items() if key != "base_url"})


def test_markdown_carries_every_section_of_the_pdf(published_plan, app):
    with app.test_request_context("/"):
        text = exports.render(_snapshot(published_plan), "md", "fr").decode()
        labels = {code: [] for code in ("fr",)}
        with force_locale("fr"):
            labels["fr"] = [_("Objectives"), _("Milestones"), _("Indicators"), _("Current value"),
                            _("Progress updates"), _("Funding sources"), _("Appendix: from proposals and votes to actions")]
    assert text.startswith("# ") and all(title in text for title in TITLES["fr"])
    assert all(label in text for label in labels["fr"])
    assert "240" in text and "Lancement et comité de suivi" in text
    # Member Markdown kept as Markdown (not escaped into literal asterisks), formulas inert.
    assert "**nombre**" not in text and "\\*\\*" not in text and "*atelier*" in text
    assert "تخصيص **نسبة من الصفقات العمومية** للتعاونيات." in text


def test_member_markdown_is_reduced_to_its_safe_subset():
    from tadamon.core.markup import markdown_plain, markdown_source, render_markdown_directed

    text = "Un *mot* [ici](https://x.ma) [js](javascript:alert(1)) <script>x</script>\n\n- un\n- deux"
    source = markdown_source(text)
    assert "\\[js\\](javascript" in source  # brackets escaped: text, not a link
    assert "<script>" not in source and "*mot*" in source and "[ici](<https://x.ma>)" in source
    assert markdown_plain(text).splitlines()[1:] == ["• un", "• deux"]
    html = str(render_markdown_directed("مرحبا\n\nBonjour", "ar"))
    assert '<p dir="rtl">مرحبا</p>' in html and '<p dir="ltr">Bonjour</p>' in html
    assert 'dir="rtl"' in str(render_markdown_directed("123", "ar"))


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
    key = jobs.stored_key(export)
    assert key == f"exports/{export.stored_path}" and storage().exists(key)
    export.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert jobs.purge_expired_exports() == 1
    db.session.commit()
    assert not storage().exists(key)
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
    semicolons = tmp_path / "plan.csv"
    result = runner.invoke(args=["export-plan", "--version", "1", "--format", "csv", "--csv-separator", "semicolon",
                                 "--lang", "fr", "--output", str(semicolons)])
    assert result.exit_code == 0, result.output
    assert semicolons.read_bytes().decode("utf-8-sig").splitlines()[0].count(";") >= 14
    result = runner.invoke(args=["export-plan", "--version", "9", "--format", "csv", "--lang", "fr",
                                 "--output", str(tmp_path / "x.csv")])
    assert result.exit_code != 0 and "Error" in result.output and not (tmp_path / "x.csv").exists()


def test_a_published_version_is_rendered_once_per_format_and_language(published_plan, client, monkeypatch):
    form = {"version": "1", "file_format": "docx", "language": "ar"}
    before = set(storage().keys("exports/published/"))
    assert client.post("/plan/export", data=form).status_code == 302
    cached = list(set(storage().keys("exports/published/")) - before)
    assert len(cached) == 1

    def no_second_render(*_args, **_kwargs):
        raise AssertionError("a published version's file is rendered once")

    monkeypatch.setattr(exports, "render", no_second_render)
    assert client.post("/plan/export", data=form).status_code == 302
    second = db.session.scalars(select(PlanExport).order_by(PlanExport.id.desc())).first()
    assert second.state == "done"
    assert client.get(f"/plan/exports/{second.token}/download").data == storage().load(cached[0])


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
    # The contents read line by line as laid out: a title, then its page number at the line's end.
    contents = next(" ".join(page.extract_text(extraction_mode="layout").split()) for page in reader.pages
                    if "Sommaire" in page.extract_text())
    first_action_page = next(index for index, text in enumerate(pages[2:], start=3) if TITLES["fr"][0] in text)
    assert f"{TITLES['fr'][0]} {first_action_page}" in contents
    assert reader.outline and reader.metadata.title


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_each_contents_entry_shows_its_page_number_on_its_line(published_plan, app, monkeypatch, tmp_path,
                                                               language):
    """On the contents page, the line of each action's title holds the number of the page the
    action starts on, at the line's end (left in Arabic: the Arabic contents once had no number,
    the float holding it being drawn off the page in a right-to-left line)."""
    from tadamon.core import pdf

    monkeypatch.setattr(pdf, "PARALLEL_FROM", 1)
    with app.test_request_context("/"):
        path = tmp_path / "plan.pdf"
        path.write_bytes(exports.render(_snapshot(published_plan), "pdf", language))
    pages = _pdftotext(path).split("\f")
    contents = next(index for index, page in enumerate(pages)
                    if all(_plain(title) in _plain(page) for title in TITLES[language]))
    lines = [_plain(line) for line in _pdftotext(path, "-layout", "-f", str(contents + 1), "-l",
                                                 str(contents + 1)).splitlines()]
    for title in TITLES[language]:
        page = next(index for index, text in enumerate(pages) if index != contents and _plain(title) in _plain(text))
        line = next(line for line in lines if _plain(title) in line)
        number = line.split()[0] if language == "ar" else line.split()[-1]
        assert number == str(page + 1), line


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_a_long_plan_pdf_rendered_in_parts_is_tagged_like_the_one_piece_render(published_plan, app, monkeypatch,
                                                                                 tmp_path, language):
    """The plan's own template through exports.render: every part a tagged PDF/UA part, one
    structure tree in the joined file (checked as in tests/core/test_pdf.py), the same element
    types in the same order and the same text as the plan rendered in one piece."""
    import pikepdf

    from tadamon.core import pdf
    from tests.core.test_pdf import assert_tagged, page_texts, structure_types

    monkeypatch.setitem(app.config, "PDF_WORKERS", 1)
    with app.test_request_context("/"):
        whole = exports.render(_snapshot(published_plan), "pdf", language)
    monkeypatch.setitem(app.config, "PDF_WORKERS", 2)
    monkeypatch.setattr(pdf, "PARALLEL_FROM", 1)
    with app.test_request_context("/"):
        data = exports.render(_snapshot(published_plan), "pdf", language)
    alone = pikepdf.open(io.BytesIO(whole))
    title = str(alone.docinfo.Title)
    joined = assert_tagged(data, language, title)
    assert_tagged(whole, language, title, joined=False)
    assert len(joined.pages) == len(alone.pages) >= 4
    assert structure_types(joined) == structure_types(alone)
    parts_text, whole_text = page_texts(data, tmp_path, "parts.pdf"), page_texts(whole, tmp_path, "whole.pdf")
    # The same pages, contents included: the page numbers the parts set are those WeasyPrint
    # computes in one piece (the template's contents avoid flex, where it leaves them at 0).
    assert parts_text == whole_text
    assert joined.Root.ViewerPreferences.get("/Direction") == ("/R2L" if language == "ar" else None)
