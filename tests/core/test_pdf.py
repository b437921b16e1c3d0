"""A long PDF rendered in parts (tadamon.core.pdf) is as tagged as the one-piece render of the
same HTML: its structure tree read back with pikepdf and walked from the root, every page's
marked content followed from the content stream to the tree and back, the text read with
pdftotext, and the file checked by qpdf (pikepdf's `check_pdf_syntax`, qpdf's own --check)."""

from __future__ import annotations

import html as html_module
import io
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pytest

from tadamon.core import pdf

OPTIONS = {"pdf_variant": "pdf/ua-1"}
TEXTS = {
    "ar": {"title": "خطة العمل التضامنية", "contents": "المحتويات", "section": "المحور", "action": "الإجراء",
           "goal": "الأهداف", "body": "تخصيص نسبة من الصفقات العمومية للتعاونيات النسائية في كل جهة من جهات البلاد. ",
           "item": "ورشة مع الشركاء", "appendix": "ملحق"},
    "fr": {"title": "Plan d'action solidaire", "contents": "Sommaire", "section": "Axe", "action": "Action",
           "goal": "Objectifs", "body": "Réserver une part des marchés publics aux coopératives féminines de chaque "
                                       "région du pays. ", "item": "Atelier avec les partenaires", "appendix": "Annexe"},
    "en": {"title": "Solidarity action plan", "contents": "Contents", "section": "Theme", "action": "Action",
           "goal": "Objectives", "body": "Set aside a share of public procurement for women's cooperatives in every "
                                         "region of the country. ", "item": "Workshop with the partners",
           "appendix": "Appendix"},
}
SECTIONS, ARTICLES = 2, 4
HEADINGS = ("/H1", "/H2", "/H3", "/H4")


def _document(language: str) -> str:
    """A plan-like document in the template's shape: a cover, contents with target-counter page
    references, themed sections of articles (headings, paragraphs, a list, a table, an external
    link) and an appendix, cut by `<!-- pdf-part -->` where pages break anyway."""
    text = TEXTS[language]
    direction = "rtl" if language == "ar" else "ltr"
    sections, toc = [], []
    for section in range(1, SECTIONS + 1):
        toc.append(f'<li><a href="#theme-{section}">{text["section"]} {section}</a></li>')
        articles = []
        for article in range(1, ARTICLES + 1):
            number = (section - 1) * ARTICLES + article
            toc.append(f'<li><a href="#action-{number}">{text["action"]} {number}</a></li>')
            articles.append(
                f'<article id="action-{number}"><h3>{text["action"]} {number}</h3>'
                f'<p>{text["body"] * 4}</p><h4>{text["goal"]} {number}</h4>'
                f'<ul><li>{text["item"]} {number}.1</li><li>{text["item"]} {number}.2</li></ul>'
                f'<table><thead><tr><th>#</th><th>{text["goal"]}</th></tr></thead>'
                f'<tbody><tr><td>{number}</td><td>{text["item"]}</td></tr></tbody></table>'
                f'<p><a href="https://example.org/source/{number}">example.org/source/{number}</a></p></article>')
        sections.append(f'<section class="theme" id="theme-{section}"><h2>{text["section"]} {section}</h2>'
                        + "".join(articles) + "</section>")
    toc.append(f'<li><a href="#appendix">{text["appendix"]}</a></li>')
    return (
        f'<!DOCTYPE html><html lang="{language}" dir="{direction}"><head><meta charset="utf-8">'
        f'<title>{html_module.escape(text["title"])}</title><style>'
        '@page { size: A5; margin: 15mm 12mm; @bottom-center { content: counter(page) " / " counter(pages); } }'
        "@page :first { @bottom-center { content: none; } }"
        'body { font-family: "Noto Naskh Arabic", "Noto Sans", sans-serif; font-size: 10pt; }'
        ".cover { page-break-after: always; } nav.toc { page-break-after: always; }"
        "nav.toc a::after { content: target-counter(attr(href), page); padding-inline-start: 3mm; }"
        "section.theme, .appendix { page-break-before: always; }"
        f'</style></head><body><div class="cover"><h1>{text["title"]}</h1></div>'
        f'<nav class="toc"><h2>{text["contents"]}</h2><ul>{"".join(toc)}</ul></nav>'
        + "".join(f"<!-- pdf-part -->{section}" for section in sections)
        + f'<!-- pdf-part --><section class="appendix" id="appendix"><h2>{text["appendix"]}</h2>'
        f'<p>{text["body"]}</p></section></body></html>')


@dataclass
class Rendered:
    data: bytes
    parts: list[bytes] = field(default_factory=list)  # the first part, then the others, as joined


def _render(monkeypatch: pytest.MonkeyPatch, html: str, articles_per_part: int) -> Rendered:
    """The parallel path on two workers, every section its own part (more when it has more than
    `articles_per_part` articles), the parts kept as the join received them."""
    monkeypatch.setattr(pdf, "PARALLEL_FROM", 1)
    monkeypatch.setattr(pdf, "ARTICLES_PER_PART", articles_per_part)
    rendered = Rendered(b"")
    finish = pdf._Joined.finish

    def keep_parts(joined, front, parts, first_pages, stamps):
        rendered.parts = [front.pdf, *(part.pdf for part in parts)]
        return finish(joined, front, parts, first_pages, stamps)

    monkeypatch.setattr(pdf._Joined, "finish", keep_parts)
    rendered.data = pdf.render(html, str(Path(__file__).parent), workers=2, **OPTIONS)
    assert len(rendered.parts) >= 3, "the document was not rendered in parts"
    return rendered


def _one_piece(html: str) -> bytes:
    return pdf.render(html, str(Path(__file__).parent), workers=1, **OPTIONS)


def structure_elements(document: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """The structure elements reachable from the root, in document order (depth first)."""
    found: list[pikepdf.Dictionary] = []

    def walk(node: pikepdf.Object) -> None:
        kids = node.get("/K")
        for kid in kids if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]:
            if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") not in ("/MCR", "/OBJR"):
                found.append(kid)
                walk(kid)

    walk(document.Root.StructTreeRoot)
    return found


def structure_count(data: bytes) -> int:
    """The structure elements below the Document element (each part has its own Document)."""
    document = pikepdf.open(io.BytesIO(data))  # kept open while its objects are read
    elements = structure_elements(document)
    assert elements[0].S == "/Document"
    return len(elements) - 1


def structure_types(document: pikepdf.Pdf) -> list[str]:
    return [str(element.S) for element in structure_elements(document)]


def _parent_tree(document: pikepdf.Pdf) -> dict[int, pikepdf.Object]:
    entries: dict[int, pikepdf.Object] = {}

    def walk(node: pikepdf.Object) -> None:
        nums = node.get("/Nums", pikepdf.Array())
        for index in range(0, len(nums), 2):
            assert int(nums[index]) not in entries, f"key {nums[index]} twice in the ParentTree"
            entries[int(nums[index])] = nums[index + 1]
        for kid in node.get("/Kids", pikepdf.Array()):
            walk(kid)

    walk(document.Root.StructTreeRoot.ParentTree)
    return entries


def _mcids(element: pikepdf.Dictionary) -> set[int]:
    kids = element.get("/K")
    kids = kids if isinstance(kids, pikepdf.Array) else [] if kids is None else [kids]
    return {int(kid) for kid in kids if isinstance(kid, int)} | {
        int(kid.MCID) for kid in kids if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR"}


def _marked_content(page: pikepdf.Page) -> tuple[list[int], list[str]]:
    """The MCIDs on a page in stream order, and what it draws outside any marked content (which a
    tagged PDF may not have: content is either in the structure or an artifact)."""
    mcids, loose, depth = [], [], 0
    for operands, operator in pikepdf.parse_content_stream(page):
        name = str(operator)
        if name in ("BDC", "BMC"):
            depth += 1
            if name == "BDC" and isinstance(operands[1], pikepdf.Dictionary) and "/MCID" in operands[1]:
                mcids.append(int(operands[1].MCID))
        elif name == "EMC":
            depth -= 1
        elif name in ("Tj", "TJ", "'", '"', "Do", "f", "S", "B", "sh") and depth == 0:
            loose.append(name)
    return mcids, loose


def assert_tagged(data: bytes, language: str, title: str, joined: bool = True) -> pikepdf.Pdf:
    """Every check that does not need the one-piece render: catalog, tree, marked content.

    The one-piece render (`joined=False`) tags its footers (margin boxes) as elements left out of
    the tree (WeasyPrint's choice: an artifact element needs PDF 2.0); the joined file draws them
    as an artifact, so there every marked content's element is in the tree."""
    document = pikepdf.open(io.BytesIO(data))
    assert document.check_pdf_syntax() == []
    root = document.Root
    assert str(root.Lang) == language
    assert bool(root.MarkInfo.Marked) is True
    assert bool(root.ViewerPreferences.DisplayDocTitle) is True
    assert str(document.docinfo.Title) == title
    assert b"pdfuaid:part" in root.Metadata.read_bytes()
    tree = root.StructTreeRoot
    assert len(tree.K) == 1 and tree.K[0].S == "/Document" and tree.K[0].P.objgen == tree.objgen
    elements = structure_elements(document)
    reachable = {element.objgen for element in elements}
    for element in elements:
        assert element.P.objgen in reachable | {tree.objgen}
    parents = _parent_tree(document)
    # Optional (WeasyPrint leaves it out), set by the join: the next free key.
    assert int(tree.get("/ParentTreeNextKey", max(parents) + 1)) == max(parents) + 1
    pages = {page.obj.objgen: index for index, page in enumerate(document.pages)}
    for index, page in enumerate(document.pages):
        mcids, loose = _marked_content(page)
        assert not loose, f"page {index + 1} draws {loose} outside marked content"
        assert "/StructParents" in page.obj, f"page {index + 1} has no /StructParents"
        owners = parents[int(page.obj.StructParents)]
        assert sorted(mcids) == list(range(len(owners))), f"page {index + 1}: MCIDs and ParentTree disagree"
        for mcid, owner in enumerate(owners):
            assert owner.objgen in reachable or not joined, f"page {index + 1}, MCID {mcid}: element not in the tree"
            assert pages[owner.Pg.objgen] == index, f"page {index + 1}, MCID {mcid}: /Pg is another page"
            assert mcid in _mcids(owner)
        for annotation in page.obj.get("/Annots", pikepdf.Array()):
            # A Link element, or the element of a box inside the link (WeasyPrint tags the box
            # that carries the annotation: a <bdi> in an <a> in the plan's contents).
            link = parents[int(annotation.StructParent)]
            assert link.objgen in reachable or not joined
            assert any(isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"
                       and kid.Obj.objgen == annotation.objgen for kid in link.K)
    return document


def page_texts(data: bytes, tmp_path: Path, name: str) -> list[str]:
    """The text of each page, as poppler extracts it, as a reader's search compares it: without
    the directional marks poppler puts around right-to-left runs, and the line breaks."""
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext (poppler-utils) is missing: `make system-packages` installs it")
    path = tmp_path / name
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    return [" ".join("".join(c for c in page if unicodedata.category(c) not in ("Mn", "Cf")).split())
            for page in text.split("\f")]


def _headings(html: str) -> list[tuple[str, str]]:
    return [(f"/H{level}", re.sub(r"<[^>]+>", "", text))
            for level, text in re.findall(r"<h([1-4])\b[^>]*>(.*?)</h\1>", html)]


def _outline(document: pikepdf.Pdf) -> list[tuple[str, int]]:
    pages = {page.obj.objgen: index for index, page in enumerate(document.pages)}
    found = []
    with document.open_outline() as outline:
        stack = list(reversed(outline.root))
        while stack:
            item = stack.pop()
            destination = item.destination if item.destination is not None else item.action.D
            found.append((item.title, pages[destination[0].objgen]))
            stack.extend(reversed(item.children))
    return found


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_a_pdf_rendered_in_parts_is_tagged_like_the_one_piece_render(language, monkeypatch, tmp_path):
    html = _document(language)
    whole = _one_piece(html)
    rendered = _render(monkeypatch, html, articles_per_part=100)
    joined = assert_tagged(rendered.data, language, TEXTS[language]["title"])
    alone = assert_tagged(whole, language, TEXTS[language]["title"], joined=False)
    # The parts are cut where the pages break anyway: the same pages, so the same tree.
    assert len(joined.pages) == len(alone.pages)
    assert structure_types(joined) == structure_types(alone)
    assert structure_count(rendered.data) == sum(structure_count(part) for part in rendered.parts)
    assert page_texts(rendered.data, tmp_path, "parts.pdf") == page_texts(whole, tmp_path, "whole.pdf")
    assert _outline(joined) == _outline(alone)
    if language == "ar":
        assert joined.Root.ViewerPreferences.get("/Direction") is None  # no finisher given here


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_a_long_section_cut_between_articles_keeps_every_element_and_heading(language, monkeypatch, tmp_path):
    html = _document(language)
    rendered = _render(monkeypatch, html, articles_per_part=1)
    joined = assert_tagged(rendered.data, language, TEXTS[language]["title"])
    assert len(rendered.parts) == 1 + SECTIONS * ARTICLES + 1
    assert structure_count(rendered.data) == sum(structure_count(part) for part in rendered.parts)
    # Headings in the tree: the HTML's, in its order, each on a page whose text shows it, and
    # the pages in reading order.
    pages = {page.obj.objgen: index for index, page in enumerate(joined.pages)}
    texts = page_texts(rendered.data, tmp_path, "parts.pdf")
    headings = [element for element in structure_elements(joined) if element.S in HEADINGS]
    assert [str(element.S) for element in headings] == [level for level, _text in _headings(html)]
    on_pages = [pages[element.Pg.objgen] for element in headings]
    assert on_pages == sorted(on_pages)
    for page, (_level, text) in zip(on_pages, _headings(html), strict=True):
        assert " ".join(text.split()) in texts[page]
    # One cut per article after the first of each section: each starts its own page, the rest
    # of the tree keeps the one-piece render's element types in order.
    alone = pikepdf.open(io.BytesIO(_one_piece(html)))
    assert len(alone.pages) < len(joined.pages)
    assert [kind for kind in structure_types(joined) if kind in HEADINGS] == \
        [kind for kind in structure_types(alone) if kind in HEADINGS]


def test_the_footers_are_an_artifact_over_the_tagged_page(monkeypatch):
    rendered = _render(monkeypatch, _document("en"), articles_per_part=100)
    document = pikepdf.open(io.BytesIO(rendered.data))
    for page in document.pages[1:]:
        operators = [(operands, str(operator)) for operands, operator in pikepdf.parse_content_stream(page)]
        stamp = next(index for index, (operands, operator) in enumerate(operators)
                     if operator == "Do" and operands[0] == "/TadamonStamp")
        artifact = max(index for index, (operands, operator) in enumerate(operators[:stamp])
                       if operator in ("BDC", "BMC"))
        assert operators[artifact][0][0] == "/Artifact"
        assert all(operator != "EMC" for _operands, operator in operators[artifact + 1:stamp])


def test_the_plan_finisher_and_options_reach_the_joined_file(monkeypatch):
    """What exports.render_pdf passes: the PDF/UA variant to every part, the finisher to the first
    part (whose catalog the joined file keeps): Arabic reads right to left."""
    from tadamon.action_plan import exports

    monkeypatch.setattr(pdf, "PARALLEL_FROM", 1)
    data = pdf.render(_document("ar"), str(Path(__file__).parent), workers=2,
                      finisher=exports._pdf_finisher("ar"), **exports.PDF_OPTIONS)
    document = assert_tagged(data, "ar", TEXTS["ar"]["title"])
    assert document.Root.ViewerPreferences.Direction == "/R2L"


def test_without_the_tagged_variant_the_joined_file_has_no_tree(monkeypatch):
    monkeypatch.setattr(pdf, "PARALLEL_FROM", 1)
    data = pdf.render(_document("fr"), str(Path(__file__).parent), workers=2)
    document = pikepdf.open(io.BytesIO(data))
    assert document.check_pdf_syntax() == []
    assert "/StructTreeRoot" not in document.Root
    assert all("/StructParents" not in page.obj for page in document.pages)
    assert str(document.Root.Lang) == "fr"


def test_a_parallel_render_logs_where_its_cpu_went(monkeypatch, caplog):
    """The benchmark's breakdown: each step's CPU seconds, measured in the process that ran it."""
    caplog.set_level("INFO", logger="tadamon.core.pdf")
    rendered = _render(monkeypatch, _document("fr"), articles_per_part=100)
    record = next(record for record in caplog.records if hasattr(record, "pdf_seconds"))
    assert record.pdf_parts == len(rendered.parts)
    assert record.pdf_pages == len(pikepdf.open(io.BytesIO(rendered.data)).pages)
    seconds = record.pdf_seconds
    assert set(seconds) == {"parts' layout", "parts' PDF writing", "contents and footers", "join"}
    assert seconds["parts' layout"] > 0 and seconds["parts' PDF writing"] > 0 and seconds["contents and footers"] > 0


def test_the_garbage_collector_is_back_as_it_was_after_a_render():
    import gc

    assert gc.isenabled()
    part = pdf.render_part(_document("en"), str(Path(__file__).parent), OPTIONS)
    assert part.pdf.startswith(b"%PDF") and part.layout_seconds > 0 and gc.isenabled()
    with pytest.raises(ZeroDivisionError), pdf.collector_paused():
        assert not gc.isenabled()
        1 / 0  # noqa: B018
    assert gc.isenabled()
    gc.disable()
    try:
        with pdf.collector_paused():
            pass
        assert not gc.isenabled()  # left off when it was off
    finally:
        gc.enable()


def test_long_sections_are_cut_so_that_the_parts_fill_the_workers_rounds(monkeypatch):
    monkeypatch.setattr(pdf, "ARTICLES_PER_PART", 50)
    # 200 articles and the appendix: 4 pieces of 50 and the appendix would leave the last round
    # to one worker; 5 pieces of 40 and the appendix fill three rounds of two.
    assert pdf._pieces([200, 0], workers=2) == [5, 1]
    assert pdf._pieces([200], workers=2) == [4]
    # Short sections are never cut (their pages stay as in the one-piece render).
    assert pdf._pieces([30, 20, 0], workers=2) == [1, 1, 1]
    # The most crowded long section gets the extra piece.
    assert pdf._pieces([150, 60], workers=2) == [4, 2]
    assert pdf._pieces([120, 60, 0], workers=2) == [3, 2, 1]
    section = '<section class="theme" id="theme-1"><h2>T</h2>' + "".join(
        f'<article id="a{number}">{number}</article>' for number in range(10)) + "</section>"
    pieces = pdf._cut_articles(section, 3)
    assert len(pieces) == 3
    assert pieces[0].startswith('<section class="theme" id="theme-1">') and pieces[0].endswith("</section>")
    assert all(piece.startswith('<section class="theme">') for piece in pieces[1:])
    assert [piece.count("<article") for piece in pieces] == [3, 3, 4]


def test_the_footers_are_numbered_across_the_stamp_documents(monkeypatch, tmp_path):
    """Each worker lays out the footers of a run of pages: every page has its number in the whole
    file and the whole file's count, the cover none (the template's `@page :first`)."""
    monkeypatch.setattr(pdf, "PARALLEL_FROM", 1)
    monkeypatch.setattr(pdf, "ARTICLES_PER_PART", 1)
    data = pdf.render(_document("fr"), str(Path(__file__).parent), workers=2, **OPTIONS)
    texts = [text for text in page_texts(data, tmp_path, "footers.pdf") if text]
    pages = len(pikepdf.open(io.BytesIO(data)).pages)
    assert len(texts) == pages >= 6
    assert not re.search(r"\d+ / \d+$", texts[0])
    for number, text in enumerate(texts[1:], start=2):
        # pdftotext may join "3 / 9" into "3/9" (its spacing guess).
        assert re.search(rf"\b{number} ?/ ?{pages}$", text), f"page {number}: {text[-40:]!r}"


def test_when_the_contents_take_another_page_count_than_guessed_everything_is_renumbered(monkeypatch, tmp_path):
    """The contents are laid out once without page numbers (the guess of their length) while the
    parts render; when the numbered contents come out longer, the numbers, the footers and the
    outline are made again for the real length, and the body already joined is kept."""
    monkeypatch.setattr(pdf, "PARALLEL_FROM", 1)
    front_html = pdf._front_html

    def short_guess(cut, numbers):
        html = front_html(cut, numbers)
        # The guess (no numbers yet) one page shorter than the numbered contents.
        return html if numbers else html.replace('<nav class="toc">', '<nav class="toc" style="display: none">')

    monkeypatch.setattr(pdf, "_front_html", short_guess)
    bodies = []
    joined_init = pdf._Joined.__init__

    def count_bodies(joined, parts):
        bodies.append(len(parts))
        joined_init(joined, parts)

    monkeypatch.setattr(pdf._Joined, "__init__", count_bodies)
    html = _document("fr")
    data = pdf.render(html, str(Path(__file__).parent), workers=2, **OPTIONS)
    assert bodies == [len(pdf._cut(html, 2).body)], "the body was joined again"
    texts = [text for text in page_texts(data, tmp_path, "renumbered.pdf") if text]
    alone = [text for text in page_texts(_one_piece(html), tmp_path, "alone.pdf") if text]
    assert len(texts) == len(alone)
    for number, text in enumerate(texts[1:], start=2):
        assert re.search(rf"\b{number} ?/ ?{len(texts)}$", text), f"page {number}: {text[-40:]!r}"
    # The contents' references are the pages the one-piece render gives.
    assert texts[1] == alone[1]
