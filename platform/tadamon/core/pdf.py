"""Long PDFs rendered in parallel: one HTML document cut into parts, each part laid out by
WeasyPrint in its own process, the parts joined with pikepdf (qpdf).

Why: WeasyPrint lays out one document on one core, at ~60-130 ms a page on these machines (a
200-action plan is ~190 pages: 16-45 s). The time is spread over layout, text shaping, the
cascade and PDF writing, so no single CSS change removes it; cutting the document where it
already breaks pages (`<!-- pdf-part -->` marks in the template, between the cover, the
contents, each section and the appendix) spreads it over the cores with the same pages.

What WeasyPrint computes across the whole document is rebuilt after the parts are done:
- page numbers: each part is drawn without margin boxes; stamp documents made of the same
  <head> (the template's own @page rules) and empty pages give the footers, laid over each page
  as a form XObject (no page content is parsed again); one per worker, each starting at its
  page number (`_stamp_jobs`);
- `target-counter(attr(href), page)` in the first part (the contents): the parts report on
  which page each id lands; the first part is rendered last with those numbers written on its
  links;
- the bookmarks (PDF outline), from each part's headings, shifted by the part's first page;
- the tags (PDF/UA): each part is a tagged PDF of its own; their structure trees are merged into
  one (`_Joined`), and the footers are drawn as an artifact, outside the structure.

The schedule on two cores: the long sections are cut so that the parts fill the pool's rounds
(`_pieces`); when they are done, the workers lay out the contents and the footers while this
process copies the body parts into the joined file; then the contents go in front.

The worker processes are forked for one render and end with it, after WeasyPrint is
imported, so they start warm and hold no memory between exports. Fork, not spawn or a
forkserver: those re-run the host's main module in each child (gunicorn's, rq's, pytest's).
The children only lay out HTML they are handed: no database, no app (logging's locks are
re-made after a fork by the standard library).
"""

from __future__ import annotations

import gc
import html as html_module
import io
import logging
import multiprocessing
import os
import re
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

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
# The first page of each later footer document, dropped when the footers are laid over the pages.
STAMP_DUMMY = 1

# Finishers of the renders in progress in this process, by a key a forked worker is handed.
_FINISHERS: dict[str, Any] = {}


@dataclass
class Part:
    """What a worker process sends back: the PDF of one part and where things landed in it."""

    pdf: bytes
    pages: int
    anchors: dict[str, int] = field(default_factory=dict)
    bookmarks: list[Any] = field(default_factory=list)
    # CPU seconds (user + system) of this process spent laying out and writing the part.
    layout_seconds: float = 0.0
    write_seconds: float = 0.0


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while WeasyPrint lays out and writes: its millions of
    short-lived objects (boxes copied at each layout step, style dictionaries) set off a collection
    every 700 allocations, each walking the young objects and, often, all of them: a quarter to a
    third of a part's CPU time. Paused for one render (a 50-action part's cycles add ~15 MB at
    most, freed by the next collection once it is back on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def render_part(html: str, base_url: str, options: dict[str, Any] | None = None, finisher: Any = None,
                write: bool = True) -> Part:
    """Runs in a worker process (and in the caller for the first part and small documents).

    `options` are WeasyPrint's rendering and PDF options (picklable: they cross to the worker);
    `finisher` is a function in the caller, and in a worker the key under which the caller put it
    in `_FINISHERS` before the pool forked (a closure does not pickle, the forked copy has it). Without `write`, only the
    layout is done: the page count and anchors, not the PDF."""
    from weasyprint import HTML

    from tadamon.core.weasyprint_fixes import fix_rtl_lines

    # Each right-to-left line laid out once, not twice (see weasyprint_fixes).
    fix_rtl_lines()
    options = options or {}
    if isinstance(finisher, str):
        finisher = _FINISHERS[finisher]
    with collector_paused():
        started = time.process_time()
        document = HTML(string=html, base_url=base_url).render(**options)
        laid_out = time.process_time()
        anchors: dict[str, int] = {}
        for index, page in enumerate(document.pages):
            for name in page.anchors:
                anchors.setdefault(name, index)
        bookmarks = _plain_bookmarks(document.make_bookmark_tree())
        pdf = document.write_pdf(finisher=finisher, **options) if write else b""
    return Part(pdf, len(document.pages), anchors, bookmarks, laid_out - started, time.process_time() - laid_out)


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


def _cut(html: str, workers: int = 2) -> _Cut | None:
    opening = re.search(r"<body\b[^>]*>", html)
    closing = html.rfind("</body>")
    if opening is None or closing < 0 or PART_MARK not in html:
        return None
    head, inner = html[:opening.end()], html[opening.end():closing]
    parts = [part for part in inner.split(PART_MARK) if part.strip()]
    if len(parts) < 2 or inner.count("<article") < PARALLEL_FROM:
        return None
    sections = parts[1:]
    body: list[str] = []
    for section, pieces in zip(sections, _pieces([section.count("<article") for section in sections], workers),
                               strict=True):
        body.extend(_cut_articles(section, pieces))
    return _Cut(head, parts[0], body)


def _pieces(article_counts: list[int], workers: int) -> list[int]:
    """Into how many pieces each section is cut: a long one (more than ARTICLES_PER_PART
    articles) into pieces of at most that many, and the long ones into one piece more, the most
    crowded first, until the parts fill the pool's last round (five parts on two workers ran the
    last one alone: a seventh of a 200-action plan's time on one core)."""
    pieces = [-(-count // ARTICLES_PER_PART) if count > ARTICLES_PER_PART else 1 for count in article_counts]
    while sum(pieces) % workers:
        long_ones = [index for index, count in enumerate(article_counts) if 1 < pieces[index] < count]
        if not long_ones:
            break
        most_crowded = max(long_ones, key=lambda index: article_counts[index] / pieces[index])
        pieces[most_crowded] += 1
    return pieces


def _cut_articles(part: str, pieces: int) -> list[str]:
    """A long section as `pieces` sections of as many articles each (give or take one), cut before
    an <article>; the later ones reopen the section's element without its id (the id stays
    where the section starts)."""
    starts = [match.start() for match in re.finditer(r"<article\b", part)]
    opening = re.match(r"\s*(<(section|div)\b[^>]*>)", part)
    if pieces < 2 or len(starts) < 2 or opening is None:
        return [part]
    tag, name = opening.group(1), opening.group(2)
    reopened = re.sub(r'\s+id="[^"]*"', "", tag)
    pieces = min(pieces, len(starts))
    cuts = [starts[len(starts) * number // pieces] for number in range(1, pieces)]
    chunks, previous = [], 0
    for cut in cuts:
        chunks.append(part[previous:cut] + f"</{name}>")
        previous = cut
    chunks.append(part[previous:])
    return [chunks[0]] + [reopened + chunk for chunk in chunks[1:]]


def _with_style(head: str, css: str) -> str:
    return head.replace("</head>", f"<style>{css}</style></head>", 1) if "</head>" in head else head + \
        f"<style>{css}</style>"


def _front_html(cut: _Cut, numbers: dict[str, int]) -> str:
    """The first part, each contents entry's page number written on its link (`data-page`, shown
    by `attr()` where the template asked for the target's page): no rule per entry to match."""
    head = cut.head.replace(TARGET_COUNTER, "attr(data-page)")

    def numbered(match: re.Match[str]) -> str:
        # The targets are in other parts: links to them would be dead (and logged as errors).
        return f'<a{match.group(1)} data-page="{numbers.get(html_module.unescape(match.group(2)), 0)}"'

    front = re.sub(r'<a([^>]*?)\shref="#([^"]*)"', numbered, cut.front)
    return _with_style(head, NO_MARGIN_BOXES) + front + cut.tail


def _stamp_jobs(cut: _Cut, total: int, jobs: int) -> list[str]:
    """The footers of `total` pages as `jobs` documents of empty pages, each laid out by a worker.
    A later one starts with a page that is dropped (`STAMP_DUMMY`): the template's `@page :first`
    rule (no footer on the cover) applies to it, and its counter is set so that the next page
    has its number in the whole file; `counter(pages)` is the whole file's count."""
    head = cut.head.replace("counter(pages)", f'"{total}"')
    size = -(-total // jobs)
    documents = []
    for first in range(0, total, size):
        pages = min(size, total - first)
        if first == 0:
            documents.append(_with_style(head, STAMP_ONLY) + '<i class="tadamon-page"></i>' * pages + cut.tail)
        else:
            restart = f"@page :first {{ counter-reset: page {first}; }}"
            documents.append(_with_style(head, STAMP_ONLY + restart)
                             + '<i class="tadamon-page"></i>' * (pages + STAMP_DUMMY) + cut.tail)
    return documents


def render(html: str, base_url: str, workers: int | None = None, finisher: Any = None, **options: Any) -> bytes:
    """The PDF of `html`: in parallel when it is long and marked in parts, in one piece
    otherwise (same pages either way, except one new page per cut of a very long section).

    `options` go to WeasyPrint (the tagged PDF/UA variant: every part is rendered with it and
    the parts' structure trees are merged, see `_Joined`); `finisher` runs on the first part's
    PDF, whose catalog (language, viewer preferences, XMP metadata) the joined file keeps."""
    workers = workers or worker_count()
    cut = _cut(html, workers)
    if cut is None or workers < 2:
        return render_part(html, base_url, options, finisher).pdf
    import uuid

    _warm_up(cut, base_url)
    key = uuid.uuid4().hex
    _FINISHERS[key] = finisher
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return _render_parts(pool, workers, cut, base_url, options, key)
    finally:
        del _FINISHERS[key]


# The <head>s this process has laid out a line with (see _warm_up).
_WARM_HEADS: set[int] = set()


def _warm_up(cut: _Cut, base_url: str) -> None:
    """Lays out one line of the document's fonts in this process, once per <head>, before the
    workers fork: each then starts with fontconfig's configuration and the fonts loaded, which
    each child otherwise loaded again for itself (~0.2 s of CPU per child and render)."""
    import weasyprint

    from tadamon.core.weasyprint_fixes import fix_rtl_lines

    fix_rtl_lines()  # before the fork: the workers inherit the fixed line layout
    head = hash(cut.head)
    if head in _WARM_HEADS:
        return
    weasyprint.HTML(string=cut.head + "<p>تضامن Tadamon <b>تضامن Tadamon</b> 0123</p>" + cut.tail,
                    base_url=base_url).render()
    _WARM_HEADS.add(head)


def _render_parts(pool: ProcessPoolExecutor, workers: int, cut: _Cut, base_url: str, options: dict[str, Any],
                  finisher: str) -> bytes:
    started = time.perf_counter()
    # The parts are written uncompressed: qpdf compresses every stream when it saves the joined
    # file anyway, in C++, where pydyf's compression of each part was a fifth of its writing.
    options = {**options, "uncompressed_pdf": True}
    body_html = [_with_style(cut.head, NO_MARGIN_BOXES) + part + cut.tail for part in cut.body]
    # The longest parts first, so that the last one to start is a short one.
    order = sorted(range(len(body_html)), key=lambda index: -len(body_html[index]))
    futures: dict[int, Future[Part]] = {index: pool.submit(render_part, body_html[index], base_url, options)
                                        for index in order}
    # Only its page count is used: laid out, not written.
    guess = pool.submit(render_part, _front_html(cut, {}), base_url, options, None, False)
    parts = [futures[index].result() for index in range(len(body_html))]
    front_pages = guess.result().pages
    extra = [guess.result()]
    joining = time.process_time()
    joined_body: _Joined | None = None
    for _attempt in range(3):
        numbers, first_pages = _page_numbers(front_pages, parts)
        total = front_pages + sum(part.pages for part in parts)
        # The workers lay out the contents and the footers (untagged: only their drawing is used,
        # laid over the pages as an artifact; in as many pieces as workers) while this process
        # copies the body parts into the joined file.
        front_future = pool.submit(render_part, _front_html(cut, numbers), base_url, options, finisher)
        stamp_futures = [pool.submit(render_part, document, base_url, {"uncompressed_pdf": True})
                         for document in _stamp_jobs(cut, total, workers)]
        joined_body = joined_body or _Joined(parts)
        front, stamps = front_future.result(), [future.result() for future in stamp_futures]
        extra += [front, *stamps]
        if front.pages == front_pages:
            break
        front_pages = front.pages
    data = (joined_body or _Joined(parts)).finish(front, parts, first_pages, stamps)
    # CPU seconds by step (each process's own), for the logs and the benchmark's breakdown.
    seconds = {"parts' layout": sum(part.layout_seconds for part in parts),
               "parts' PDF writing": sum(part.write_seconds for part in parts),
               "contents and footers": sum(part.layout_seconds + part.write_seconds for part in extra),
               "join": time.process_time() - joining}
    log.info("pdf: %d pages in %d parts, %.2f s; CPU s: %s", total, len(parts) + 1, time.perf_counter() - started,
             ", ".join(f"{name} {value:.2f}" for name, value in seconds.items()),
             extra={"pdf_pages": total, "pdf_parts": len(parts) + 1, "pdf_seconds": seconds})
    return data


def _page_numbers(front_pages: int, parts: list[Part]) -> tuple[dict[str, int], list[int]]:
    numbers: dict[str, int] = {}
    first_pages, offset = [], front_pages
    for part in parts:
        first_pages.append(offset)
        for name, index in part.anchors.items():
            numbers.setdefault(name, offset + index + 1)
        offset += part.pages
    return numbers, first_pages


# The first part's catalog entries the joined file keeps: WeasyPrint writes them from <html lang>
# and <title> (PDF/UA), the finisher adds its viewer preferences (text direction).
CATALOG_KEYS = ("/Lang", "/ViewerPreferences", "/Metadata", "/PageMode", "/PageLayout")
# Laid after each page's own content, outside its marked content: the footers are pagination
# artifacts, not part of the structure (PDF/UA: all content is either tagged or an artifact).
STAMP_BEFORE = b"q\n"
STAMP_AFTER = b"\nQ /Artifact <</Type /Pagination>> BDC q /TadamonStamp Do Q EMC\n"


class _Joined:
    """One file from the parts, with pikepdf (qpdf): its copies from another file keep one map per
    source file, so the structure elements copied after the pages point at the joined pages (no
    reference is rewritten by hand), and it writes the many small structure elements in object
    streams, fast (C++).

    Built in two steps: the body parts when they are done (`__init__`, while the workers lay out
    the contents and the footers), then the first part put before them, the footers, the outline
    (`finish`). Tagged parts give one structure tree: a Document element holding each part's
    top-level elements in order; the pages' /StructParents and the link annotations'
    /StructParent renumbered (keys given in the order the parts are copied, unique, as the
    ParentTree asks); one ParentTree over them; the role and class maps merged."""

    def __init__(self, parts: list[Part]) -> None:
        import pikepdf
        from pikepdf import Array, Dictionary, Name

        self.joined = joined = pikepdf.new()
        # Kept open until the file is saved: qpdf reads a copied stream's data from its source then.
        self.sources = [pikepdf.open(io.BytesIO(part.pdf)) for part in parts]
        self.tagged = all("/StructTreeRoot" in source.Root for source in self.sources)
        self.parents: dict[int, Any] = {}
        self.next_key = 0
        self.maps: dict[str, Any] = {"/RoleMap": Dictionary(), "/ClassMap": Dictionary()}
        self.document = joined.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array()))
        for source in self.sources:
            self._add(source, first=False)

    def _add(self, source: Any, first: bool) -> None:
        """`source`'s pages after those already joined, or before them when it is the `first`."""
        joined = self.joined
        offset = 0 if first else len(joined.pages)
        if first:
            for index, page in enumerate(source.pages):
                joined.pages.insert(index, page)
        else:
            joined.pages.extend(source.pages)
        if not (self.tagged and "/StructTreeRoot" in source.Root):
            self.tagged = False
            return
        from pikepdf import Array, Dictionary

        tree = source.Root.StructTreeRoot
        holder, kids = _top_elements(tree)
        entries = list(_number_tree(tree.get("/ParentTree")))
        # Cut off above the part's top elements (in this in-memory copy of the part) so that copying
        # them, or an element whose /P names the holder, does not bring the part's root along.
        holder.K = Array()
        for key in ("/P", "/ParentTree"):
            if key in holder:
                del holder[key]
        renumbered: dict[int, int] = {}
        for index, page in enumerate(source.pages):
            copy = joined.pages[offset + index].obj
            if "/StructParents" in page.obj:
                renumbered[int(page.obj.StructParents)] = copy.StructParents = self._key()
            for annotation, annotation_copy in zip(page.obj.get("/Annots", Array()), copy.get("/Annots", Array()),
                                                   strict=True):
                if "/StructParent" in annotation:
                    renumbered[int(annotation.StructParent)] = annotation_copy.StructParent = self._key()
        # A page's array of elements (one per MCID) and the part's top elements are each copied in
        # one call, made indirect in the part first (qpdf copies only indirect objects): the copy
        # runs in C++, not one Python call per element (a tenth of the join on a 200-action plan).
        for number, value in entries:
            if number in renumbered:
                direct = isinstance(value, Array) and not value.is_indirect
                self.parents[renumbered[number]] = _foreign(joined, source.make_indirect(value) if direct else value)
        copies = joined.copy_foreign(source.make_indirect(Array(kids)))
        for element in copies:
            if isinstance(element, Dictionary):
                element.P = self.document
        if first:
            self.document.K = Array([*copies, *self.document.K])
        else:
            self.document.K.extend(copies)
        for key, merged in self.maps.items():
            for name, value in tree.get(key, Dictionary()).items():
                if name not in merged:
                    merged[name] = _foreign(joined, value)

    def _key(self) -> int:
        self.next_key += 1
        return self.next_key - 1

    def finish(self, front: Part, parts: list[Part], first_pages: list[int], stamps: list[Part]) -> bytes:
        """The file: the first part before the body, its catalog (language, viewer preferences,
        metadata), the footers, the outline."""
        import pikepdf

        joined = self.joined
        first = pikepdf.open(io.BytesIO(front.pdf))
        self.sources.append(first)
        self._add(first, first=True)
        for key in CATALOG_KEYS:
            if key in first.Root:
                joined.Root[key] = _foreign(joined, first.Root.get(key))
        if "/Info" in first.trailer:
            joined.trailer.Info = _foreign(joined, first.trailer.Info)
        if self.tagged:
            self._tree()
        else:
            # An untagged file: no page may point into a ParentTree it does not have.
            for page in joined.pages:
                if "/StructParents" in page.obj:
                    del page.obj["/StructParents"]
        stamp_files = [pikepdf.open(io.BytesIO(stamp.pdf)) for stamp in stamps]
        _stamp(joined, [page for index, stamp in enumerate(stamp_files)
                        for page in list(stamp.pages)[STAMP_DUMMY if index else 0:]])
        with joined.open_outline() as outline:
            for offset, bookmarks in zip([0, *first_pages], [front.bookmarks, *(part.bookmarks for part in parts)],
                                         strict=True):
                outline.root.extend(_outline(bookmarks, offset))
        output = io.BytesIO()
        joined.save(output, min_version=first.pdf_version, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return output.getvalue()

    def _tree(self) -> None:
        from pikepdf import Array, Dictionary, Name

        joined = self.joined
        root = joined.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=Array([self.document])))
        self.document.P = root
        # One flat number tree, as WeasyPrint writes it (keys in increasing order).
        nums = [item for number in sorted(self.parents) for item in (number, self.parents[number])]
        root.ParentTree = joined.make_indirect(Dictionary(Nums=Array(nums)))
        root.ParentTreeNextKey = self.next_key
        for key, merged in self.maps.items():
            if len(merged):
                root[key] = merged
        joined.Root.StructTreeRoot = root
        joined.Root.MarkInfo = Dictionary(Marked=True)


def _top_elements(tree: Any) -> tuple[Any, list[Any]]:
    """The element that holds a part's top-level elements (WeasyPrint's one Document element, or
    the root itself) and those elements."""
    kids = _as_list(tree.get("/K"))
    if len(kids) == 1 and kids[0].get("/S") == "/Document":
        return kids[0], _as_list(kids[0].get("/K"))
    return tree, kids


def _as_list(value: Any) -> list[Any]:
    from pikepdf import Array

    if value is None:
        return []
    return list(value) if isinstance(value, Array) else [value]


def _number_tree(node: Any) -> Iterator[tuple[int, Any]]:
    if node is None:
        return
    nums = node.get("/Nums")
    if nums is not None:
        for index in range(0, len(nums) - 1, 2):
            yield int(nums[index]), nums[index + 1]
    for kid in node.get("/Kids", ()):
        yield from _number_tree(kid)


def _foreign(joined: Any, value: Any) -> Any:
    """`value` from another file, in `joined`: qpdf copies indirect objects only (once per source
    file: a second copy returns the first), direct arrays and dictionaries are rebuilt around them."""
    from pikepdf import Array, Dictionary, Object

    if isinstance(value, Object) and value.is_indirect:
        return joined.copy_foreign(value)
    if isinstance(value, Array):
        return Array([_foreign(joined, item) for item in value])
    if isinstance(value, Dictionary):
        return Dictionary({key: _foreign(joined, item) for key, item in value.items()})
    return value


def _stamp(joined: Any, stamp_pages: list[Any]) -> None:
    """Lays stamp page i over page i as a form XObject marked as a pagination artifact: a few bytes
    per page, and the page's own content is neither parsed nor rewritten."""
    from pikepdf import Array, Dictionary, Name

    before, after = (joined.make_indirect(joined.make_stream(data)) for data in (STAMP_BEFORE, STAMP_AFTER))
    for page, over in zip(joined.pages, stamp_pages, strict=False):
        contents = _as_list(over.obj.get("/Contents"))
        drawing = b"\n".join(stream.read_bytes() for stream in contents)
        form = joined.make_indirect(joined.make_stream(drawing, Type=Name.XObject, Subtype=Name.Form,
                                                       BBox=Array(over.mediabox),
                                                       Resources=_foreign(joined, over.obj.Resources)))
        # Copies: WeasyPrint's pages share one resource dictionary, the stamps differ by page.
        resources = Dictionary(dict(page.obj.get("/Resources", Dictionary()).items()))
        xobjects = Dictionary(dict(resources.get("/XObject", Dictionary()).items()))
        xobjects.TadamonStamp = form
        resources.XObject = xobjects
        page.obj.Resources = resources
        page.obj.Contents = Array([before, *_as_list(page.obj.get("/Contents")), after])


def _outline(bookmarks: list[Any], offset: int) -> list[Any]:
    from pikepdf import OutlineItem

    items = []
    for label, page, children in bookmarks:
        item = OutlineItem(label, offset + page)
        item.children.extend(_outline(children, offset))
        items.append(item)
    return items
