"""The plan as tables for spreadsheets: typed rows (numbers as numbers, dates as dates) that the
XLSX lays out with formats and print set-up, and the CSV writes in a spreadsheet's conventions.

Member text reaches a spreadsheet as plain text (Markdown markup removed) and never as a formula:
a CSV cell that starts like one gets a leading apostrophe (the only guard a CSV has); an XLSX
cell is written as a string with Excel's "quote prefix" flag instead, so "-20 % de déchets"
shows without a visible apostrophe and still cannot turn into a formula when edited.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import pgettext

from tadamon.action_plan.presentation import PlanView
from tadamon.core.markup import markdown_plain

# A cell starting with one of these is a formula to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

DATE_FORMAT = "dd/mm/yyyy"  # Moroccan (and British) day-month-year
AMOUNT_FORMAT = "#,##0"
WRAP_WIDTH = 50  # characters: longer texts wrap in columns this wide


def neutralise(value: Any) -> Any:
    """Spreadsheet cells never run what a member typed (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text, long (wrapped), number, amount, percent, date


@dataclass
class Table:
    name: str
    columns: list[Column]
    rows: list[list[Any]]


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _org(entry: Mapping[str, Any] | None, language: str) -> str:
    from tadamon.core.i18n import pick_text

    return pick_text(entry.get("name"), language).text if entry else ""


def tables(snapshot: Mapping[str, Any], view: PlanView, language: str) -> list[Table]:
    """Actions, indicators, milestones, progress updates and sources, one table each: the view
    for worded values (labels, names in the reader's language), the snapshot for raw figures."""
    raw = {a["id"]: a for a in snapshot.get("actions", [])}
    actions = Table(_("Actions"), [
        Column(_("Id")), Column(_("Title"), "long"), Column(_("Theme")), Column(_("Territory"), "long"),
        Column(_("Status")), Column(_("Progress (%)"), "number"), Column(_("Lead organisation")),
        Column(_("Partner organisations"), "long"), Column(_("Start"), "date"), Column(_("End"), "date"),
        Column(_("Budget estimate (%(currency)s)", currency="MAD"), "amount"), Column(_("Funding sources"), "long"),
        Column(_("Objectives"), "long"), Column(_("Description"), "long"), Column(_("Sources"))], [])
    indicators = Table(_("Indicators"), [
        Column(_("Action")), Column(_("Indicator"), "long"), Column(_("Unit")), Column(_("Baseline"), "number"),
        Column(_("Target"), "number"), Column(_("Current value"), "number")], [])
    milestones = Table(_("Milestones"), [
        Column(_("Action")), Column(_("Milestone"), "long"), Column(_("Date"), "date"), Column(_("Reached"))], [])
    updates = Table(_("Progress updates"), [
        Column(_("Action")), Column(_("Date"), "date"), Column(_("Organisation")), Column(_("Progress (%)"), "number"),
        Column(_("Text"), "long")], [])
    sources = Table(_("Sources"), [
        Column(_("Action")), Column(_("Proposal")), Column(_("Proposal title"), "long"), Column(_("Organisation")),
        Column(_("Consultation"), "long"), Column(_("Workshop"), "long"), Column(pgettext("noun", "Vote"), "long"),
        Column(_("Ledger head"))], [])
    for action in view.actions:
        data = raw[action.key]
        actions.rows.append([
            action.key, action.title.text, action.theme, action.territory, action.status_label, action.progress,
            action.lead, "; ".join(action.partners), action.starts_on, action.ends_on,
            (data.get("budget") or {}).get("estimate"), action.funding_sources,
            "\n".join(markdown_plain(line) for line in action.objectives.splitlines() if line.strip()),
            markdown_plain(action.description.text), "; ".join(s.key for s in action.sources)])
        for indicator in data.get("indicators", []):
            indicators.rows.append([action.key, indicator["name"], indicator.get("unit", ""), indicator.get("baseline"),
                                    indicator.get("target"), indicator.get("current")])
        for milestone in data.get("milestones", []):
            milestones.rows.append([action.key, markdown_plain(milestone["title"]), _day(milestone.get("due_on")),
                                    _("Yes") if milestone.get("done") else _("No")])
        for update in data.get("updates", []):
            updates.rows.append([action.key, _day(update.get("on")), _org(update.get("organisation"), language),
                                 update.get("progress"), markdown_plain(update.get("text", ""))])
        for source in action.sources:
            sources.rows.append([action.key, source.key, source.title, source.organisation, source.consultation.text,
                                 source.workshop.text if source.workshop else "", source.vote_sentence,
                                 source.ledger_head])
    return [actions, indicators, milestones, updates, sources]


# --- CSV -------------------------------------------------------------------------------------

SEPARATORS = {"comma": ",", "semicolon": ";"}


def _csv_value(value: Any, decimal: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()  # every spreadsheet reads ISO dates, whatever its locale
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
        return text.replace(".", decimal)
    return neutralise(value)


def render_csv(table: Table, separator: str = "comma") -> bytes:
    """The actions table as CSV, UTF-8 with a byte-order mark (so that Excel reads the Arabic
    as UTF-8). Comma-separated with a decimal point, or, for spreadsheets set to French and
    other decimal-comma locales (whose Excel splits columns on ";"), semicolons and a decimal
    comma."""
    delimiter = SEPARATORS[separator]
    decimal = "," if delimiter == ";" else "."
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow([column.header for column in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(value, decimal) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- XLSX ------------------------------------------------------------------------------------


def _lines(text: str, width: float) -> int:
    per_line = max(int(width) - 1, 1)
    return sum(max(1, math.ceil(len(line) / per_line)) for line in text.split("\n"))


def _fill_sheet(sheet: Any, table: Table, rtl: bool) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet.sheet_view.rightToLeft = rtl
    sheet.append([column.header for column in table.columns])
    header_fill = PatternFill("solid", fgColor="F0F4F1")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = []
    for index, column in enumerate(table.columns):
        longest = max([len(column.header)] + [max((len(line) for line in str(row[index] or "").split("\n")),
                                                  default=0) for row in table.rows[:200]])
        limit = WRAP_WIDTH if column.kind == "long" else 30
        widths.append(max(10, min(limit, longest + 2)))
        sheet.column_dimensions[get_column_letter(index + 1)].width = widths[-1]
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in table.rows:
        sheet.append([None if value is None else value for value in row])
        cells = sheet[sheet.max_row]
        lines = 1
        for cell, column, width, value in zip(cells, table.columns, widths, row, strict=True):
            cell.alignment = wrap
            if isinstance(value, str):
                if value.startswith(FORMULA_STARTS):
                    # Text, never a formula: a string cell with Excel's quote prefix.
                    cell.value = value
                    cell.data_type = "s"
                    cell.quotePrefix = True
                lines = max(lines, _lines(value, width))
            elif column.kind == "date" and value is not None:
                cell.number_format = DATE_FORMAT
            elif column.kind == "amount":
                cell.number_format = AMOUNT_FORMAT
            elif column.kind == "number":
                cell.number_format = "General"
        # Spreadsheets do not grow rows for wrapped text they did not lay out themselves.
        sheet.row_dimensions[sheet.max_row].height = min(409, 15 * lines)
    sheet.freeze_panes = "A2"
    if table.rows:
        sheet.auto_filter.ref = sheet.dimensions
    # Print: A4 landscape, every column on one page width, the header row on every page.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    sheet.print_options.gridLines = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = "&P / &N"


def render_xlsx(sheets: list[Table], language: str, title: str, author: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.properties.title = title
    workbook.properties.creator = author
    workbook.properties.language = language
    for index, table in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = table.name[:31]
        _fill_sheet(sheet, table, language == "ar")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
