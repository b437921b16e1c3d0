"""The plan's exports: PDF, DOCX, XLSX, CSV, JSON and Markdown, each rendered from a snapshot
in the language chosen. One registry; `render(snapshot, file_format, language)` returns bytes.

Libraries: WeasyPrint for the PDF (Pango/HarfBuzz shape Arabic and set it right-to-left, and
the text stays searchable: no pre-shaping), python-docx and openpyxl for the office files
(both maintained, pure Python, and the files they write open in Word, LibreOffice and Excel),
jsonschema for the JSON's documented schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tadamon.action_plan import export_sheets
from tadamon.action_plan.presentation import ActionView, PlanView, plan_view
from tadamon.core.bidi import direction_of, inline_directed
from tadamon.core.markup import (
    escape_markdown,
    markdown_source,
    render_inline_markdown,
    render_markdown_directed,
)
from tadamon.core.times import format_date
from tadamon.core.urls import external_url

# The spreadsheet guard, re-exported: callers and tests know it from here.
FORMULA_STARTS = export_sheets.FORMULA_STARTS
neutralise = export_sheets.neutralise


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


def _author() -> str:
    """Who the files say wrote them (PDF metadata, DOCX core properties)."""
    return f"Tadamon — {_('Steering group')}"


def _created(view: PlanView) -> datetime | None:
    return view.published_at


# --- CSV and XLSX -----------------------------------------------------------------------------


def render_csv(snapshot: Mapping[str, Any], language: str, separator: str = "comma") -> bytes:
    """The actions, one a row (see `export_sheets.render_csv` for the two dialects)."""
    view = _view(snapshot, language)
    return export_sheets.render_csv(export_sheets.tables(snapshot, view, language)[0], separator)


def render_csv_semicolon(snapshot: Mapping[str, Any], language: str) -> bytes:
    return render_csv(snapshot, language, "semicolon")


def render_xlsx(snapshot: Mapping[str, Any], language: str) -> bytes:
    view = _view(snapshot, language)
    return export_sheets.render_xlsx(export_sheets.tables(snapshot, view, language), language, _title(view),
                                     _author())


# --- DOCX ------------------------------------------------------------------------------------


def render_docx(snapshot: Mapping[str, Any], language: str) -> bytes:
    from tadamon.action_plan import export_docx

    view = _view(snapshot, language)
    meta = export_docx.DocxMeta(title=_title(view), author=_author(), tagline=_("For an Innovative Solidarity in Morocco"),
                                created=_created(view))
    return export_docx.build(view, language, meta)


# --- JSON ------------------------------------------------------------------------------------


def schema() -> dict[str, Any]:
    return json.loads(resources.files("tadamon.action_plan").joinpath("plan.schema.json").read_text("utf-8"))


# The published form of the plan document: the stored snapshot ("tadamon.plan/1", links relative
# to the site) with absolute links, the site's address and the schema it follows.
EXPORT_FORMAT = "tadamon.plan/2"
LINK_KEYS = frozenset({"url", "results_url"})


def _absolute_links(value: Any, base: str) -> Any:
    if isinstance(value, dict):
        return {key: (base + item if key in LINK_KEYS and isinstance(item, str) and item.startswith("/")
                      else _absolute_links(item, base)) for key, item in value.items()}
    if isinstance(value, list):
        return [_absolute_links(item, base) for item in value]
    return value


def render_json(snapshot: Mapping[str, Any], language: str) -> bytes:
    """The snapshot for programs: every link absolute on PUBLIC_BASE_URL (a file read away from
    the site has no base to resolve "/proposals/8" against), each action's page linked."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    document = _absolute_links(dict(snapshot), base)
    for action in document.get("actions", []):
        action["url"] = external_url("action_plan.action", action_id=action["number"])
    document.update({"$schema": external_url("action_plan.schema"), "format": EXPORT_FORMAT, "base_url": base + "/",
                     "language": language})
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")


# --- Markdown --------------------------------------------------------------------------------


def _pair(label: str, value: str) -> str:
    return _("%(label)s: %(value)s", label=f"**{label}**", value=value)


def _md_action(action: ActionView, language: str) -> list[str]:
    lines = [f"### {action.number}. {escape_markdown(action.title.text)}", ""]
    if action.title.untranslated:
        lines += [f"*{_('Not yet translated')}*", ""]
    facts = [(_("Status"), f"{action.status_label} ({action.progress}%)"), (_("Territory"), action.territory),
             (_("Lead organisation"), action.lead or "—"), (_("Partners"), "; ".join(action.partners) or "—"),
             (_("Dates"), action.period), (_("Budget estimate"), action.budget)]
    if action.funding_sources:
        facts.append((_("Funding sources"), action.funding_sources))
    lines += [f"- {_pair(label, escape_markdown(value))}" for label, value in facts] + [""]
    if action.description.text:
        lines += [f"#### {_('Description')}", "", markdown_source(action.description.text), ""]
        if action.description.untranslated:
            lines += [f"*{_('Not yet translated')}*", ""]
    if action.objectives:
        lines += [f"#### {_('Objectives')}", ""]
        lines += [f"- {markdown_source(line).strip()}" for line in action.objectives.splitlines() if line.strip()]
        lines.append("")
    if action.milestones:
        lines += [f"#### {_('Milestones')}", ""]
        for milestone in action.milestones:
            due = f" — {milestone['due']}" if milestone["due"] else ""
            done = f" — {_('reached')} ✓" if milestone["done"] else ""
            lines.append(f"- {markdown_source(milestone['title']).strip()}{due}{done}")
        lines.append("")
    if action.indicators:
        lines += [f"#### {_('Indicators')}", ""]
        for indicator in action.indicators:
            unit = f" ({escape_markdown(indicator['unit'])})" if indicator["unit"] else ""
            figures = " · ".join(_("%(label)s: %(value)s", label=label, value=indicator[key]) for label, key in (
                (_("Baseline"), "baseline"), (_("Target"), "target"), (_("Current value"), "current")))
            lines.append(f"- **{escape_markdown(indicator['name'])}**{unit} — {figures}")
        lines.append("")
    lines += [f"#### {_('Progress updates')}", ""]
    if not action.updates:
        lines += [_("No progress update yet."), ""]
    for update in action.updates:
        progress = f" — {update['progress']}%" if update["progress"] is not None else ""
        lines += [f"- **{update['on']}** — {escape_markdown(update['organisation'])}{progress}", "",
                  markdown_source(update["text"], indent="  "), ""]
    if action.sources:
        lines += [f"#### {_('Where it comes from')}", ""]
        lines += [f"- {escape_markdown(s.title)} — {escape_markdown(s.organisation)}. {escape_markdown(s.vote_sentence)}"
                  for s in action.sources]
        lines.append("")
    return lines


def _md_appendix(view: PlanView) -> list[str]:
    lines = [f"## {_('Appendix: from proposals and votes to actions')}", ""]
    for action in view.actions:
        for source in action.sources:
            parts = [f"{action.number}\\. ← {escape_markdown(source.title)} ({escape_markdown(source.organisation)})",
                     escape_markdown(source.consultation.text)]
            if source.workshop:
                parts.append(escape_markdown(source.workshop.text))
            parts.append(escape_markdown(source.vote_sentence))
            if source.vote_figure:
                parts.append(escape_markdown(source.vote_figure))
            lines.append("- " + "; ".join(parts))
            lines += [f"  - {escape_markdown(step)}" for step in source.lineage]
            if source.ledger_head:
                lines.append(f"  - {_pair(_('Ledger head'), f'`{source.ledger_head}`')}")
    return [*lines, ""]


def render_markdown(snapshot: Mapping[str, Any], language: str) -> bytes:
    """Every section of the PDF, in CommonMark; member Markdown kept in its safe subset."""
    view = _view(snapshot, language)
    lines = [f"# {_title(view)}", "", f"*{_('For an Innovative Solidarity in Morocco')}*", ""]
    if view.published_at:
        lines += [_("Published on %(date)s", date=format_date(view.published_at)), ""]
    lines += [ngettext("%(num)s action", "%(num)s actions", len(view.actions)), "", f"## {_('Contents')}", ""]
    for theme, actions in view.sections:
        lines.append(f"- {escape_markdown(theme)}")
        lines += [f"  - {a.number}\\. {escape_markdown(a.title.text)}" for a in actions]
    lines += [f"- {_('Appendix: from proposals and votes to actions')}", ""]
    for theme, actions in view.sections:
        lines += [f"## {escape_markdown(theme)}", ""]
        for action in actions:
            lines += _md_action(action, language)
    lines += _md_appendix(view)
    return "\n".join(lines).encode("utf-8")


# --- PDF -------------------------------------------------------------------------------------


def pdf_html(snapshot: Mapping[str, Any], language: str) -> str:
    """The PDF's HTML: member text with its direction written out (WeasyPrint ignores dir="auto")."""
    view = _view(snapshot, language)
    created = _created(view)
    return render_template("action_plan/export_pdf.html", view=view, title=_title(view), rtl=language == "ar",
                           language=language, author=_author(), created=created.isoformat() if created else "",
                           dir_of=direction_of, inline=inline_directed(language), md=render_markdown_directed, md_inline=render_inline_markdown,
                           # French puts a no-break space before a colon.
                           colon="\u00a0: " if language == "fr" else ": ")


def _pdf_finisher(language: str) -> Callable[[Any, Any], None]:
    def finish(_document: Any, pdf: Any) -> None:
        import pydyf

        # Viewers lay out spreads and scroll right to left for an Arabic document.
        preferences = pdf.catalog.get("ViewerPreferences") or pydyf.Dictionary({})
        preferences["DisplayDocTitle"] = "true"
        if language == "ar":
            preferences["Direction"] = "/R2L"
        pdf.catalog["ViewerPreferences"] = preferences

    return finish


# Tagged PDF/UA-1: a structure tree (headings, lists, tables) for screen readers, the document's
# language and title in the catalog, XMP metadata; a long plan rendered in parts too (core/pdf.py
# merges the parts' structure trees).
PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1"}


def render_pdf(snapshot: Mapping[str, Any], language: str) -> bytes:
    from tadamon.core import pdf

    return pdf.render(pdf_html(snapshot, language), current_app.root_path, current_app.config.get("PDF_WORKERS"),
                      finisher=_pdf_finisher(language), **PDF_OPTIONS)


FORMATS: dict[str, ExportFormat] = {
    "pdf": ExportFormat("pdf", _l("PDF (print)"), "pdf", "application/pdf", render_pdf),
    "docx": ExportFormat("docx", _l("Word (DOCX)"), "docx",
                         "application/vnd.openxmlformats-officedocument.wordprocessingml.document", render_docx),
    "xlsx": ExportFormat("xlsx", _l("Spreadsheet (XLSX)"), "xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", render_xlsx),
    "csv": ExportFormat("csv", _l("CSV"), "csv", "text/csv; charset=utf-8", render_csv),
    # Its own key (it fits the export row's five characters): the same table, in the dialect
    # of spreadsheets set to French and other decimal-comma locales.
    "scsv": ExportFormat("scsv", _l("CSV with semicolons (Excel in French)"), "csv", "text/csv; charset=utf-8",
                         render_csv_semicolon),
    "json": ExportFormat("json", _l("JSON (documented schema)"), "json", "application/json", render_json),
    "md": ExportFormat("md", _l("Markdown"), "md", "text/markdown; charset=utf-8", render_markdown),
}


def render(snapshot: Mapping[str, Any], file_format: str, language: str) -> bytes:
    """The plan as a file, in `language` (labels, dates, numbers and the texts chosen)."""
    with force_locale(language):
        return FORMATS[file_format].render(snapshot, language)
