"""Long PDFs rendered in parallel: one HTML document cut into parts, each part laid out by
WeasyPrint in its own process, the parts joined with pypdf.

Why: WeasyPrint lays out one document on one core, at ~60-130 ms a page on these machines (a
200-action plan is ~190 pages: 16-45 s). The time is spread over layout, text shaping, the
cascade and PDF writing, so no single CSS change removes it; cutting the document where it
already breaks pages (`<!-- pdf-part -->` marks in the template, between the cover, the
contents, each section and the appendix) spreads it over the cores with the same pages.

What WeasyPrint computes across the whole document is rebuilt after the parts are done:
- page numbers: each part is drawn without margin boxes; a stamp document made of the same
  <head> (the template's own @page rules) and as many empty pages as the whole file gives the
  footers, laid over each page as a form XObject (no page content is parsed again);
- `target-counter(attr(href), page)` in the first part (the contents): the parts report on
  which page each id lands; the first part is rendered last with those numbers set as counters;
- the bookmarks (PDF outline), from each part's headings, shifted by the part's first page.

The worker processes are forked for one render and end with it, after WeasyPrint is
imported, so they start warm and hold no memory between exports. Fork, not spawn or a
forkserver: those re-run the host's main module in each child (gunicorn's, rq's, pytest's).
The children only lay out HTML they are handed: no database, no app (logging's locks are
re-made after a fork by the standard library).
"""

from __future__ import annotations

import io
import multiprocessing
import os
import re
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

PART_MARK = "<!-- pdf-part -->"
# A part with more articles than this is cut again between articles: the cut starts a new page
# (one partly empty page per cut), the price of using both cores on a one-theme plan.
ARTICLES_PER_PART = 50
# Below this many articles the document is rendered in one piece: starting processes and
# joining files would cost more than it saves.
PARALLEL_FROM = 40
MARGIN_BOXES = tuple(f"{edge}-{place}" for edge in ("top", "bottom") for place in
                     ("left-corner", "left", "center", "right", "right-corner")) + tuple(
    f"{side}-{place}" for side in ("left", "right") for place in ("top", "middle", "bottom"))
NO_MARGIN_BOXES = "@page { " + " ".join(f"@{name} {{ content: none !important; }}" for name in MARGIN_BOXES) + " }"
STAMP_ONLY = "body > * { display: none !important; } body > i.tadamon-page { display: block !important; " \
             "break-after: page; } body > i.tadamon-page:last-child { break-after: auto; }"
TARGET_COUNTER = "target-counter(attr(href), page)"
TARGET_NAME = "tadamon-target"

@dataclass
class Part:
    """What a worker process sends back: the PDF of one part and where things landed in it."""

    pdf: bytes
    pages: int
    anchors: dict[str, int] = field(default_factory=dict)
    bookmarks: list[Any] = field(default_factory=list)


def render_part(html: str, base_url: str) -> Part:
    """Runs in a worker process (and in the caller for small documents)."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url).render()
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, index)
    bookmarks = _plain_bookmarks(document.make_bookmark_tree())
    return Part(document.write_pdf(), len(document.pages), anchors, bookmarks)


def _plain_bookmarks(tree: Sequence[Any]) -> list[Any]:
    """WeasyPrint's bookmark tree as picklable (label, page, children) tuples."""
    return [(label, target[0], _plain_bookmarks(children)) for label, target, children, *_ in tree]


def worker_count() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class _Cut:
    head: str          # up to and including <body ...>
    front: str         # the first part: cover and contents
    body: list[str]    # the parts after it, in order
    tail: str = "</body></html>"


def _cut(html: str) -> _Cut | None:
    opening = re.search(r"<body\b[^>]*>", html)
    closing = html.rfind("</body>")
    if opening is None or closing < 0 or PART_MARK not in html:
        return None
    head, inner = html[:opening.end()], html[opening.end():closing]
    parts = [part for part in inner.split(PART_MARK) if part.strip()]
    if len(parts) < 2 or inner.count("<article") < PARALLEL_FROM:
        return None
    body: list[str] = []
    for part in parts[1:]:
        body.extend(_cut_articles(part))
    return _Cut(head, parts[0], body)


def _cut_articles(part: str) -> list[str]:
    """A long section as several, cut before an <article>; the later ones reopen the section's
    element without its id (the id stays where the section starts)."""
    starts = [match.start() for match in re.finditer(r"<article\b", part)]
    opening = re.match(r"\s*(<(section|div)\b[^>]*>)", part)
    if len(starts) <= ARTICLES_PER_PART or opening is None:
        return [part]
    tag, name = opening.group(1), opening.group(2)
    reopened = re.sub(r'\s+id="[^"]*"', "", tag)
    cuts = starts[ARTICLES_PER_PART::ARTICLES_PER_PART]
    pieces, previous = [], 0
    for cut in cuts:
        pieces.append(part[previous:cut] + f"</{name}>")
        previous = cut
    pieces.append(part[previous:])
    return [pieces[0]] + [reopened + piece for piece in pieces[1:]]


def _with_style(head: str, css: str) -> str:
    return head.replace("</head>", f"<style>{css}</style></head>", 1) if "</head>" in head else head + \
        f"<style>{css}</style>"


def _front_html(cut: _Cut, numbers: dict[str, int]) -> str:
    """The first part, its contents' page references given as counters set on each link."""
    head = cut.head.replace(TARGET_COUNTER, f"counter({TARGET_NAME})")
    rules = " ".join(f'a[data-target="{name}"] {{ counter-reset: {TARGET_NAME} {number}; }}'
                     for name, number in numbers.items() if '"' not in name and "\\" not in name)
    # The targets are in other parts: links to them would be dead (and logged as errors).
    front = re.sub(r'<a([^>]*?)\shref="#([^"]*)"', r'<a\1 data-target="\2"', cut.front)
    return _with_style(head, NO_MARGIN_BOXES + rules) + front + cut.tail


def _stamp_html(cut: _Cut, pages: int) -> str:
    return _with_style(cut.head, STAMP_ONLY) + '<i class="tadamon-page"></i>' * pages + cut.tail


def render(html: str, base_url: str, workers: int | None = None, **write_options: Any) -> bytes:
    """The PDF of `html`: in parallel when it is long and marked in parts, in one piece
    otherwise (same pages either way, except one new page per cut of a very long section).

    `write_options` go to WeasyPrint's `write_pdf` in one piece (the tagged PDF/UA variant, a
    finisher): the joined parts carry the title, language, metadata and bookmarks, not a
    structure tree (pypdf cannot merge those), so a long plan trades its tags for speed."""
    cut = _cut(html)
    workers = workers or worker_count()
    if cut is None or workers < 2:
        from weasyprint import HTML

        return HTML(string=html, base_url=base_url).write_pdf(**write_options)
    import weasyprint  # noqa: F401 - imported before the fork, so each child starts with it

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        return _render_parts(pool, cut, base_url)


def _render_parts(pool: ProcessPoolExecutor, cut: _Cut, base_url: str) -> bytes:
    body_html = [_with_style(cut.head, NO_MARGIN_BOXES) + part + cut.tail for part in cut.body]
    # The longest parts first, so that the last one to start is a short one.
    order = sorted(range(len(body_html)), key=lambda index: -len(body_html[index]))
    futures: dict[int, Future[Part]] = {index: pool.submit(render_part, body_html[index], base_url)
                                        for index in order}
    guess = pool.submit(render_part, _front_html(cut, {}), base_url)
    parts = [futures[index].result() for index in range(len(body_html))]
    front_pages = guess.result().pages
    for _attempt in range(3):
        numbers, first_pages = _page_numbers(front_pages, parts)
        total = front_pages + sum(part.pages for part in parts)
        stamp_future = pool.submit(render_part, _stamp_html(cut, total), base_url)
        front = render_part(_front_html(cut, numbers), base_url)
        if front.pages == front_pages:
            break
        front_pages = front.pages
    return _join(front, parts, first_pages, stamp_future.result())


def _page_numbers(front_pages: int, parts: list[Part]) -> tuple[dict[str, int], list[int]]:
    numbers: dict[str, int] = {}
    first_pages, offset = [], front_pages
    for part in parts:
        first_pages.append(offset)
        for name, index in part.anchors.items():
            numbers.setdefault(name, offset + index + 1)
        offset += part.pages
    return numbers, first_pages


def _join(front: Part, parts: list[Part], first_pages: list[int], stamp: Part) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    front_reader = PdfReader(io.BytesIO(front.pdf))
    for reader in [front_reader] + [PdfReader(io.BytesIO(part.pdf)) for part in parts]:
        for page in reader.pages:
            writer.add_page(page)
    if front_reader.metadata:
        writer.add_metadata({key: value for key, value in front_reader.metadata.items()})
    language = front_reader.root_object.get("/Lang")
    if language is not None:
        writer._root_object[_name("/Lang")] = language
    _stamp(writer, PdfReader(io.BytesIO(stamp.pdf)))
    for offset, bookmarks in zip([0] + first_pages, [front.bookmarks] + [part.bookmarks for part in parts],
                                 strict=True):
        _outline(writer, bookmarks, offset, None)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _name(value: str) -> Any:
    from pypdf.generic import NameObject

    return NameObject(value)


def _stamp(writer: Any, stamp: Any) -> None:
    """Lays stamp page i over page i as a form XObject: a few bytes per page, and the page's
    own content is neither parsed nor rewritten."""
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        StreamObject,
    )

    for page, over in zip(writer.pages, stamp.pages, strict=False):
        form = StreamObject()
        form.set_data(over.get_contents().get_data() if over.get_contents() is not None else b"")
        form.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
                     NameObject("/BBox"): ArrayObject(over.mediabox),
                     NameObject("/Resources"): over["/Resources"].get_object().clone(writer)})
        name = NameObject("/TadamonStamp")
        # Copies: WeasyPrint's pages share one resource dictionary, the stamps differ by page.
        resources = page.get("/Resources")
        resources = DictionaryObject(resources.get_object()) if resources is not None else DictionaryObject()
        xobjects = resources.get("/XObject")
        xobjects = DictionaryObject(xobjects.get_object()) if xobjects is not None else DictionaryObject()
        xobjects[name] = writer._add_object(form)
        resources[NameObject("/XObject")] = xobjects
        page[NameObject("/Resources")] = resources
        before, after = DecodedStreamObject(), DecodedStreamObject()
        before.set_data(b"q\n")
        after.set_data(b"\nQ q /TadamonStamp Do Q\n")
        contents = page["/Contents"].get_object()
        existing = list(contents) if isinstance(contents, ArrayObject) else [page["/Contents"]]
        page[NameObject("/Contents")] = ArrayObject([writer._add_object(before), *existing,
                                                     writer._add_object(after)])


def _outline(writer: Any, bookmarks: list[Any], offset: int, parent: Any) -> None:
    for label, page, children in bookmarks:
        item = writer.add_outline_item(title=label, page_number=offset + page, parent=parent)
        _outline(writer, children, offset, item)
