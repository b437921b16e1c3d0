"""The plan's exports: PDF, DOCX, XLSX, CSV, JSON and Markdown, each rendered from a snapshot
in the language chosen. One registry; `render(snapshot, file_format, language)` returns bytes.

Libraries: WeasyPrint for the PDF (Pango/HarfBuzz shape Arabic and set it right-to-left, and
the text stays searchable: no pre-shaping), python-docx and openpyxl for the office files
(both maintained, pure Python, and the files they write open in Word, LibreOffice and Excel),
jsonschema for the JSON's documented schema.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tadamon.action_plan.presentation import ActionView, PlanView, plan_view
from tadamon.core.times import format_date

# A cell starting with one of these is a formula to a spreadsheet: prefix it with a quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Spreadsheet cells never run what a member typed (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class ExportFormat:
    key: str
    label: Any
    extension: str
    media_type: str
    render: Callable[[Mapping[str, Any], str], bytes]


def _view(snapshot: Mapping[str, Any], language: str) -> PlanView:
    return plan_view(snapshot, language)


def _title(view: PlanView) -> str:
    if view.version:
        return _("Shared action plan, version %(number)s", number=view.version)
    return _("Shared action plan, working draft")


def _headers() -> list[str]:
    return [_("Id"), _("Title"), _("Theme"), _("Territory"), _("Status"), _("Progress (%)"), _("Lead organisation"),
            _("Partner organisations"), _("Start"), _("End"), _("Budget estimate"), _("Funding sources"),
            _("Objectives"), _("Description"), _("Sources")]


def _row(action: ActionView) -> list[Any]:
    return [action.key, action.title.text, action.theme, action.territory, action.status_label, action.progress,
            action.lead, "; ".join(action.partners),
            action.starts_on.isoformat() if action.starts_on else "",
            action.ends_on.isoformat() if action.ends_on else "", action.budget, action.funding_sources,
            action.objectives, action.description.text, "; ".join(s.key for s in action.sources)]


# --- CSV -------------------------------------------------------------------------------------


def render_csv(snapshot: Mapping[str, Any], language: str) -> bytes:
    view = _view(snapshot, language)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_headers())
    for action in view.actions:
        writer.writerow([neutralise(value) for value in _row(action)])
    # A byte-order mark so that spreadsheet programs read the Arabic as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- XLSX ------------------------------------------------------------------------------------


def render_xlsx(snapshot: Mapping[str, Any], language: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    view = _view(snapshot, language)
    workbook = Workbook()
    actions_sheet = workbook.active
    actions_sheet.title = _("Actions")[:31]
    indicators_sheet = workbook.create_sheet(_("Indicators")[:31])
    sources_sheet = workbook.create_sheet(_("Sources")[:31])
    bold = Font(bold=True)
    for sheet in (actions_sheet, indicators_sheet, sources_sheet):
        sheet.sheet_view.rightToLeft = language == "ar"
    actions_sheet.append(_headers())
    for action in view.actions:
        actions_sheet.append([neutralise(v) for v in _row(action)])
    indicators_sheet.append([_("Action"), _("Indicator"), _("Unit"), _("Baseline"), _("Target"), _("Current value")])
    raw = {a["id"]: a for a in snapshot.get("actions", [])}
    for action in view.actions:
        for indicator in raw[action.key].get("indicators", []):
            indicators_sheet.append([action.key, neutralise(indicator["name"]), neutralise(indicator.get("unit", "")),
                                     indicator.get("baseline"), indicator.get("target"), indicator.get("current")])
    sources_sheet.append([_("Action"), _("Proposal"), _("Proposal title"), _("Organisation"), _("Consultation"),
                          _("Workshop"), pgettext("noun", "Vote"), _("Ledger head")])
    for action in view.actions:
        for source in action.sources:
            sources_sheet.append([action.key, source.key, neutralise(source.title), neutralise(source.organisation),
                                  neutralise(source.consultation.text),
                                  neutralise(source.workshop.text if source.workshop else ""),
                                  neutralise(source.vote_sentence), source.ledger_head])
    for sheet in (actions_sheet, indicators_sheet, sources_sheet):
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for column in sheet.columns:
            letter = column[0].column_letter
            sheet.column_dimensions[letter].width = min(60, max(10, *(len(str(c.value or "")) for c in column[:50])))
    for row in actions_sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- DOCX ------------------------------------------------------------------------------------


def _right_to_left_styles(document: Any, names: tuple[str, ...]) -> None:
    """Word's right-to-left paragraphs and runs, set once on the styles the export uses
    (python-docx has no API for w:bidi; per-paragraph settings cost a second per 200 actions)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    for name in names:
        element = document.styles[name].element
        paragraph_properties = element.get_or_add_pPr()
        bidi = OxmlElement("w:bidi")
        bidi.set(qn("w:val"), "1")
        paragraph_properties.append(bidi)
        run_properties = element.get_or_add_rPr()
        for tag in ("w:rtl", "w:cs"):
            flag = OxmlElement(tag)
            flag.set(qn("w:val"), "1")
            run_properties.append(flag)


def render_docx(snapshot: Mapping[str, Any], language: str) -> bytes:
    from docx import Document
    from docx.shared import Pt

    view = _view(snapshot, language)
    rtl = language == "ar"
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Noto Naskh Arabic" if rtl else "Noto Sans"
    style.font.size = Pt(11)
    used = ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "List Bullet", "Table Grid")
    if rtl:
        _right_to_left_styles(document, used)
    # Style ids resolved once: python-docx looks a style name up by scanning every style.
    style_ids = {name: document.styles[name].style_id for name in used}

    def paragraph(text: str, style_name: str | None = None) -> Any:
        item = document.add_paragraph(text)
        if style_name:
            item._p.style = style_ids[style_name]
        return item

    def heading(text: str, level: int) -> Any:
        return paragraph(text, "Title" if level == 0 else f"Heading {level}")

    heading(_title(view), 0)
    if view.published_at:
        paragraph(_("Published on %(date)s", date=format_date(view.published_at)))
    paragraph(_("%(count)s actions", count=len(view.actions)))
    for theme, actions in view.sections:
        heading(theme, 1)
        for action in actions:
            heading(f"{action.number}. {action.title.text}", 2)
            if action.title.untranslated:
                paragraph(_("Not yet translated"))
            facts = [(_("Status"), f"{action.status_label} · {action.progress}%"), (_("Territory"), action.territory),
                     (_("Lead organisation"), action.lead or "—"), (_("Partners"), "; ".join(action.partners) or "—"),
                     (_("Dates"), action.period), (_("Budget estimate"), action.budget)]
            table = document.add_table(rows=0, cols=2)
            table._tbl.tblPr.style = style_ids["Table Grid"]
            if rtl:
                table._tbl.tblPr.get_or_add_bidiVisual().val = True
            for label, value in facts:
                cells = table.add_row().cells
                cells[0].text, cells[1].text = label, value
            if action.description.text:
                paragraph(action.description.text)
            if action.objectives:
                heading(_("Objectives"), 3)
                paragraph(action.objectives)
            if action.indicators:
                heading(_("Indicators"), 3)
                for indicator in action.indicators:
                    paragraph(_("%(name)s: baseline %(baseline)s, target %(target)s, now %(current)s %(unit)s",
                                **indicator), "List Bullet")
            if action.sources:
                heading(_("Where it comes from"), 3)
                for source in action.sources:
                    paragraph(f"{source.title} — {source.organisation}. {source.vote_sentence}", "List Bullet")
    heading(_("Appendix: from proposals and votes to actions"), 1)
    for action in view.actions:
        for source in action.sources:
            paragraph(f"{action.key} ← {source.key} “{source.title}” ({source.organisation}); "
                      f"{source.consultation.text}; {source.vote_sentence} {source.ledger_head}", "List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- JSON ------------------------------------------------------------------------------------


def schema() -> dict[str, Any]:
    return json.loads(resources.files("tadamon.action_plan").joinpath("plan.schema.json").read_text("utf-8"))


def render_json(snapshot: Mapping[str, Any], language: str) -> bytes:
    document = dict(snapshot)
    document["language"] = language
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


# --- Markdown --------------------------------------------------------------------------------


def _md(text: str) -> str:
    """Member text in Markdown: characters that would start markup are escaped."""
    for character in "\\`*_[]#<>|":
        text = text.replace(character, "\\" + character)
    return text


def render_markdown(snapshot: Mapping[str, Any], language: str) -> bytes:
    view = _view(snapshot, language)
    lines = [f"# {_title(view)}", ""]
    if view.published_at:
        lines += [_("Published on %(date)s", date=format_date(view.published_at)), ""]
    for theme, actions in view.sections:
        lines += [f"## {_md(theme)}", ""]
        for action in actions:
            lines += [f"### {action.number}. {_md(action.title.text)}", ""]
            if action.title.untranslated:
                lines += [f"*{_('Not yet translated')}*", ""]
            lines += [f"- **{_('Status')}**: {action.status_label} ({action.progress}%)",
                      f"- **{_('Territory')}**: {_md(action.territory)}",
                      f"- **{_('Lead organisation')}**: {_md(action.lead or '—')}",
                      f"- **{_('Partners')}**: {_md('; '.join(action.partners) or '—')}",
                      f"- **{_('Dates')}**: {action.period}", f"- **{_('Budget estimate')}**: {action.budget}", ""]
            if action.description.text:
                lines += [_md(action.description.text), ""]
            if action.sources:
                lines += [f"#### {_('Where it comes from')}", ""]
                lines += [f"- {_md(s.title)} — {_md(s.organisation)}. {_md(s.vote_sentence)}" for s in action.sources]
                lines.append("")
    return "\n".join(lines).encode("utf-8")


# --- PDF -------------------------------------------------------------------------------------


def render_pdf(snapshot: Mapping[str, Any], language: str) -> bytes:
    from tadamon.core import pdf

    view = _view(snapshot, language)
    html = render_template("action_plan/export_pdf.html", view=view, title=_title(view),
                           rtl=language == "ar", language=language)
    return pdf.render(html, current_app.root_path, current_app.config.get("PDF_WORKERS"))


FORMATS: dict[str, ExportFormat] = {
    "pdf": ExportFormat("pdf", _l("PDF (print)"), "pdf", "application/pdf", render_pdf),
    "docx": ExportFormat("docx", _l("Word (DOCX)"), "docx",
                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document", render_docx),
    "xlsx": ExportFormat("xlsx", _l("Spreadsheet (XLSX)"), "xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", render_xlsx),
    "csv": ExportFormat("csv", _l("CSV"), "csv", "text/csv; charset=utf-8", render_csv),
    "json": ExportFormat("json", _l("JSON (documented schema)"), "json", "application/json", render_json),
    "md": ExportFormat("md", _l("Markdown"), "md", "text/markdown; charset=utf-8", render_markdown),
}


def render(snapshot: Mapping[str, Any], file_format: str, language: str) -> bytes:
    """The plan as a file, in `language` (labels, dates, numbers and the texts chosen)."""
    with force_locale(language):
        return FORMATS[file_format].render(snapshot, language)
