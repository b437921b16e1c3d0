"""The plan as a Word document a secretary can edit: A4, the plan's own metadata, a cover, a
contents field, page numbers, every section of the PDF, and fonts and directions set for both
scripts (Word picks the w:cs font and w:bCs bold for Arabic, the w:ascii/w:hAnsi ones for Latin).

python-docx has no API for complex-script fonts, bidi paragraphs, fields or shading: the few
elements it lacks are written here with its oxml helpers.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import pgettext

from tadamon.action_plan.presentation import ActionView, PlanView
from tadamon.core.bidi import direction_of, first_strong_direction
from tadamon.core.markup import Block, Run, markdown_blocks
from tadamon.core.times import format_date

LATIN_FONT = "Noto Sans"
ARABIC_FONT = "Noto Naskh Arabic"
LANGUAGE_TAGS = {"ar": "ar-MA", "fr": "fr-FR", "en": "en-GB"}
SHADING = "F0F4F1"
ACCENT = "14532D"
USED_STYLES = ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "List Bullet", "List Bullet 2",
               "Table Grid", "Footer")


@dataclass(frozen=True)
class DocxMeta:
    title: str
    author: str
    tagline: str
    created: datetime | None


def _element(tag: str, **attributes: str) -> Any:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement(tag)
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), value)
    return element


def _replace(parent: Any, element: Any) -> Any:
    """`element` as `parent`'s only child of its tag (python-docx's pPr/rPr keep a schema order
    for the children it knows; the ones added here go at the end, where Word accepts them)."""
    for old in parent.findall(element.tag):
        parent.remove(old)
    parent.append(element)
    return element


def _fonts(run_properties: Any, language: str) -> None:
    """Both scripts' fonts and languages on a style's or run's w:rPr; theme fonts removed (they
    win over named ones, and the default theme's complex-script font falls back to DejaVu)."""
    from docx.oxml.ns import qn

    fonts = run_properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = _element("w:rFonts")
        run_properties.insert(0, fonts)
    for theme in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{theme}"), None)
    for slot in ("ascii", "hAnsi", "eastAsia"):
        fonts.set(qn(f"w:{slot}"), LATIN_FONT)
    fonts.set(qn("w:cs"), ARABIC_FONT)
    _replace(run_properties, _element("w:lang", val=LANGUAGE_TAGS["fr" if language == "ar" else language],
                                      bidi=LANGUAGE_TAGS["ar"]))


def _set_styles(document: Any, language: str) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    rtl = language == "ar"
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        run_defaults = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if run_defaults is not None:
            _fonts(run_defaults, language)
    sizes = {"Normal": 11, "Title": 26, "Subtitle": 13, "Heading 1": 16, "Heading 2": 13, "Heading 3": 11.5}
    for name in USED_STYLES:
        style = document.styles[name]
        element = style.element
        run_properties = element.get_or_add_rPr()
        _fonts(run_properties, language)
        if name in sizes:
            style.font.size = Pt(sizes[name])
            _replace(run_properties, _element("w:szCs", val=str(int(sizes[name] * 2))))
        if name.startswith(("Heading", "Title")):
            style.font.bold = True
            _replace(run_properties, _element("w:bCs"))  # bold for Arabic too
            style.font.color.rgb = RGBColor.from_string(ACCENT)
        if rtl:
            _replace(element.get_or_add_pPr(), _element("w:bidi", val="1"))
            _replace(run_properties, _element("w:rtl", val="1"))


def _a4(document: Any, rtl: bool) -> None:
    from docx.shared import Mm

    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(22), Mm(20)
    section.left_margin = section.right_margin = Mm(20)
    section.different_first_page_header_footer = True  # no page number on the cover
    if rtl:
        # A right-to-left section: columns, page-number alignment and gutters mirror.
        section._sectPr.append(_element("w:bidi"))


def _metadata(document: Any, meta: DocxMeta, language: str, version: int | None) -> None:
    properties = document.core_properties
    properties.title = meta.title
    properties.author = meta.author
    properties.last_modified_by = meta.author
    properties.subject = _("Shared action plan")
    properties.comments = meta.tagline
    properties.keywords = "Tadamon"
    properties.language = LANGUAGE_TAGS[language]
    properties.category = _("Shared action plan")
    properties.revision = version or 1
    if meta.created is not None:
        properties.created = meta.created
        properties.modified = meta.created


def _field(paragraph: Any, instruction: str, placeholder: str = "") -> None:
    """A Word field (PAGE, NUMPAGES, TOC): Word and LibreOffice compute its result."""
    from docx.oxml.ns import qn

    def run_with(element: Any) -> None:
        paragraph.add_run()._r.append(element)

    run_with(_element("w:fldChar", fldCharType="begin", dirty="true"))
    instruction_element = _element("w:instrText")
    instruction_element.set(qn("xml:space"), "preserve")
    instruction_element.text = f" {instruction} "
    run_with(instruction_element)
    run_with(_element("w:fldChar", fldCharType="separate"))
    paragraph.add_run(placeholder)
    run_with(_element("w:fldChar", fldCharType="end"))


class _Writer:
    """Paragraphs and tables in the document's direction, member text in its own."""

    def __init__(self, document: Any, language: str) -> None:
        self.document = document
        self.language = language
        self.rtl = language == "ar"
        # Style ids resolved once: python-docx looks a style name up by scanning every style.
        self.style_ids = {name: document.styles[name].style_id for name in USED_STYLES}

    # --- paragraphs --------------------------------------------------------------------------

    def paragraph(self, text: str = "", style: str | None = None, container: Any = None) -> Any:
        item = (container or self.document).add_paragraph()
        if text:
            self.run(item, Run(text))
        if style:
            item._p.get_or_add_pPr()
            item._p.style = self.style_ids[style]
        return item

    def direction(self, paragraph: Any, direction: str) -> None:
        """A paragraph against the document's direction says so (the styles carry the default)."""
        if (direction == "rtl") != self.rtl:
            _replace(paragraph._p.get_or_add_pPr(), _element("w:bidi", val="1" if direction == "rtl" else "0"))

    def run(self, paragraph: Any, piece: Run) -> Any:
        run = paragraph.add_run(piece.text)
        # w:rtl marks a run of right-to-left script (Word lays it out and picks w:cs fonts);
        # a Latin run inside an Arabic document must say it is not.
        strong = first_strong_direction(piece.text)
        if strong is not None and (strong == "rtl") != self.rtl:
            run.font.rtl = strong == "rtl"
        if piece.bold:
            run.font.bold = run.font.cs_bold = True
        if piece.italic:
            run.font.italic = run.font.cs_italic = True
        if piece.code:
            run.font.name = "DejaVu Sans Mono"
        return run

    def heading(self, text: str, level: int, language: str | None = None) -> Any:
        item = self.paragraph(text, "Title" if level == 0 else f"Heading {level}")
        self.direction(item, direction_of(text, language or self.language))
        return item

    def member(self, text: str, language: str, style: str | None = None, container: Any = None) -> Any:
        """A line of member text in its own direction."""
        item = self.paragraph(text, style, container)
        self.direction(item, direction_of(text, language))
        return item

    def blocks(self, blocks: list[Block], language: str, container: Any = None, prefix: list[Run] | None = None) -> None:
        """Member Markdown: a paragraph per block, bold and italic runs, list items as bullets."""
        for index, block in enumerate(blocks):
            style = ("List Bullet" if block.depth <= 1 else "List Bullet 2") if block.kind == "item" else None
            item = self.paragraph(style=style, container=container)
            if index == 0 and prefix:
                for piece in prefix:
                    self.run(item, piece)
            if block.marker and block.marker != "•":
                self.run(item, Run(block.marker + " "))
            for piece in block.runs:
                self.run(item, Run(piece.text, bold=piece.bold or block.kind == "heading", italic=piece.italic,
                                   code=piece.code))
            self.direction(item, direction_of(block.text, language))

    def markdown(self, text: str, language: str, container: Any = None) -> None:
        self.blocks(markdown_blocks(text), language, container)

    # --- tables ------------------------------------------------------------------------------

    def table(self, headers: list[str] | None, widths: list[int], columns: int | None = None) -> Any:
        from docx.shared import Mm

        table = self.document.add_table(rows=0, cols=columns or len(widths))
        table._tbl.tblPr.style = self.style_ids["Table Grid"]
        table.autofit = False
        if self.rtl:
            table._tbl.tblPr.get_or_add_bidiVisual().val = True
        total = 170  # mm between the margins
        for column, share in zip(table.columns, widths, strict=True):
            column.width = Mm(total * share / 100)
        if headers:
            cells = table.add_row().cells
            for cell, header in zip(cells, headers, strict=True):
                self.cell(cell, header, shaded=True, bold=True)
            # Repeat the header row on every page the table runs to.
            table.rows[0]._tr.get_or_add_trPr().append(_element("w:tblHeader"))
        return table

    def cell(self, cell: Any, text: str, *, shaded: bool = False, bold: bool = False, language: str | None = None) -> Any:
        item = cell.paragraphs[0]
        if text:
            self.run(item, Run(text, bold=bold))
        if language is not None:
            self.direction(item, direction_of(text, language))
        if shaded:
            cell._tc.get_or_add_tcPr().append(_element("w:shd", val="clear", color="auto", fill=SHADING))
        return item

    def facts(self, rows: list[tuple[str, str, str | None]]) -> None:
        """Label and value rows: (label, value, the value's language when it is member text)."""
        table = self.table(None, [30, 70], 2)
        for label, value, language in rows:
            cells = table.add_row().cells
            self.cell(cells[0], label, shaded=True, bold=True)
            self.cell(cells[1], value, language=language)
        self.paragraph()


def _action(writer: _Writer, action: ActionView, language: str) -> None:
    writer.heading(f"{action.number}. {action.title.text}", 2, action.title.language)
    if action.title.untranslated:
        writer.paragraph(_("Not yet translated"))
    facts: list[tuple[str, str, str | None]] = [
        (_("Status"), f"{action.status_label} · {action.progress}%", None),
        (_("Territory"), action.territory, None),
        (_("Lead organisation"), action.lead or "—", language),
        (_("Partners"), "; ".join(action.partners) or "—", language),
        (_("Dates"), action.period, None), (_("Budget estimate"), action.budget, None)]
    if action.funding_sources:
        facts.append((_("Funding sources"), action.funding_sources, language))
    writer.facts(facts)
    if action.description.text:
        writer.heading(_("Description"), 3)
        writer.markdown(action.description.text, action.description.language)
        if action.description.untranslated:
            writer.paragraph(_("Not yet translated"))
    if action.objectives:
        writer.heading(_("Objectives"), 3)
        for line in action.objectives.splitlines():
            if line.strip():
                writer.blocks([Block("item", [r for b in markdown_blocks(line) for r in b.runs], depth=1)], language)
    if action.milestones:
        writer.heading(_("Milestones"), 3)
        for milestone in action.milestones:
            tail = (f" — {milestone['due']}" if milestone["due"] else "") + (
                f" — {_('reached')} ✓" if milestone["done"] else "")
            runs = [r for b in markdown_blocks(milestone["title"]) for r in b.runs] + [Run(tail)]
            item = writer.paragraph(style="List Bullet")
            for piece in runs:
                writer.run(item, piece)
    if action.indicators:
        writer.heading(_("Indicators"), 3)
        table = writer.table([_("Indicator"), _("Unit"), _("Baseline"), _("Target"), _("Current value")],
                             [32, 16, 17, 17, 18])
        for indicator in action.indicators:
            cells = table.add_row().cells
            writer.cell(cells[0], indicator["name"], language=language)
            writer.cell(cells[1], indicator["unit"], language=language)
            for cell, key in zip(cells[2:], ("baseline", "target", "current"), strict=True):
                writer.cell(cell, indicator[key])
        writer.paragraph()
    writer.heading(_("Progress updates"), 3)
    if not action.updates:
        writer.paragraph(_("No progress update yet."))
    for update in action.updates:
        head = [Run(update["on"], bold=True), Run(f" — {update['organisation']}")]
        if update["progress"] is not None:
            head.append(Run(f" — {update['progress']}%"))
        item = writer.paragraph(style="List Bullet")
        for piece in head:
            writer.run(item, piece)
        writer.markdown(update["text"], language)
    if action.sources:
        writer.heading(_("Where it comes from"), 3)
        for source in action.sources:
            # The item runs in the document's direction; each run says its own script's.
            item = writer.paragraph(style="List Bullet")
            for piece in (Run(source.title), Run(" — "), Run(source.organisation), Run(f". {source.vote_sentence}")):
                writer.run(item, piece)


def _appendix(writer: _Writer, view: PlanView, language: str) -> None:
    writer.heading(_("Appendix: from proposals and votes to actions"), 1)
    table = writer.table([_("Action"), _("Proposal"), _("Consultation"), pgettext("noun", "Vote")], [9, 33, 25, 33])
    for action in view.actions:
        for source in action.sources:
            cells = table.add_row().cells
            writer.cell(cells[0], str(action.number))
            writer.cell(cells[1], source.title, bold=True, language=source.lang)
            writer.member(source.organisation, language, container=cells[1])
            for step in source.lineage:
                writer.member(step, language, container=cells[1])
            writer.cell(cells[2], source.consultation.text, language=source.consultation.language)
            if source.workshop:
                writer.member(source.workshop.text, source.workshop.language, container=cells[2])
            writer.cell(cells[3], source.vote_sentence)
            if source.vote_figure:
                writer.paragraph(source.vote_figure, container=cells[3])
            if source.ledger_head:
                writer.paragraph(f"{_('Ledger head')}: {source.ledger_head}", container=cells[3])


def build(view: PlanView, language: str, meta: DocxMeta) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK

    document = Document()
    rtl = language == "ar"
    _set_styles(document, language)
    _a4(document, rtl)
    _metadata(document, meta, language, view.version)
    writer = _Writer(document, language)

    # Cover.
    for _blank in range(6):
        writer.paragraph()
    writer.heading(meta.title, 0)
    writer.paragraph(meta.tagline, "Subtitle")
    if view.published_at:
        writer.paragraph(_("Published on %(date)s", date=format_date(view.published_at)))
    writer.paragraph(_("%(count)s actions", count=len(view.actions)))
    writer.paragraph(meta.author)
    writer.paragraph().add_run().add_break(WD_BREAK.PAGE)

    # Contents: a TOC field over headings 1 and 2, filled in when Word or LibreOffice updates it
    # (settings ask Word to do so on opening).
    writer.paragraph(_("Contents"), "Subtitle")
    _field(writer.paragraph(), 'TOC \\o "1-2" \\h \\z \\u',
           _("Update this field to show the contents (Word: F9; LibreOffice: Tools, Update, Update All)."))
    document.settings.element.append(_element("w:updateFields", val="true"))
    writer.paragraph().add_run().add_break(WD_BREAK.PAGE)

    # Page numbers, "3 / 12", in the footer of every page but the cover.
    footer = document.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _field(footer, "PAGE", "1")
    footer.add_run(" / ")
    _field(footer, "NUMPAGES", "1")

    for index, (theme, actions) in enumerate(view.sections):
        if index:
            writer.paragraph().add_run().add_break(WD_BREAK.PAGE)
        writer.heading(theme, 1)
        for action in actions:
            _action(writer, action, language)
    writer.paragraph().add_run().add_break(WD_BREAK.PAGE)
    _appendix(writer, view, language)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
