"""User text as a safe Markdown subset: markdown-it-py (raw HTML escaped) then nh3 (Ammonia).

Two layers on purpose: the renderer never emits raw HTML from the text, and the sanitiser
removes anything outside a small list of tags whatever happens upstream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from markupsafe import Markup

from tadamon.core.bidi import direction_of

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "a", "code", "h3", "h4", "bdi"}
INLINE_TAGS = {"strong", "em", "a", "code", "bdi", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "*": {"dir", "lang"}}


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    # Imported on first use, like nh3 in _sanitise: every command and worker imports this module
    # (the template filters), and most commands never render member text.
    from markdown_it import MarkdownIt

    # commonmark without images, tables or raw HTML; headings are shifted down below the page's h2.
    renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    renderer.disable(["image", "html_block", "html_inline"])
    return renderer


def _sanitise(html: str, tags: set[str]) -> str:
    import nh3  # on first use: see _renderer

    return nh3.clean(
        html, tags=tags, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


def render_markdown(text: str) -> Markup:
    html = _renderer().render(text or "")
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>").replace("<h2>", "<h4>").replace("</h2>", "</h4>")
    cleaned = _sanitise(html, ALLOWED_TAGS)
    # Each block finds its own direction: an Arabic proposal may hold a French paragraph.
    for tag in ("p", "li", "h3", "h4", "blockquote"):
        cleaned = cleaned.replace(f"<{tag}>", f'<{tag} dir="auto">')
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 just above


def render_inline_markdown(text: str) -> Markup:
    """One line of member text (a milestone, an objective) inside a sentence or a list item:
    emphasis, code and links, but no paragraph around it and no block (a "# " or "1. " at the
    start of a milestone stays text)."""
    html = _renderer().renderInline(text or "")
    cleaned = _sanitise(html, INLINE_TAGS)
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 just above


# --- member Markdown for files: exports lay it out themselves ------------------------------------
# The PDF needs each block's direction written out (WeasyPrint ignores dir="auto"); Word needs runs
# with bold and italics; spreadsheets need plain text; the Markdown export needs the member's
# Markdown again, but only the safe subset. One walk over markdown-it's tokens serves them all.

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_BLOCK_AUTO = re.compile(r'<(p|li|h3|h4|blockquote) dir="auto">')
_TAG_OR_ENTITY = re.compile(r"<[^>]*>|&[#a-zA-Z0-9]+;")


@dataclass(frozen=True)
class Run:
    """A piece of text with one style."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    href: str = ""


@dataclass
class Block:
    """A paragraph, a heading, a list item (its first paragraph carries the marker: "•" or
    "3.") or a code block, at a list depth."""

    kind: str
    runs: list[Run] = field(default_factory=list)
    depth: int = 0
    marker: str = ""

    @property
    def text(self) -> str:
        return "".join(run.text for run in self.runs)


def _safe_href(href: str) -> str:
    scheme = urlsplit(href).scheme.lower()
    return href if scheme in LINK_SCHEMES else ""


def _runs(children: list[Any]) -> list[Run]:
    runs: list[Run] = []
    bold = italic = 0
    href = ""
    for token in children:
        kind = token.type
        if kind == "strong_open":
            bold += 1
        elif kind == "strong_close":
            bold -= 1
        elif kind == "em_open":
            italic += 1
        elif kind == "em_close":
            italic -= 1
        elif kind == "link_open":
            href = _safe_href(str(token.attrGet("href") or ""))
        elif kind == "link_close":
            href = ""
        elif kind in ("text", "code_inline", "softbreak", "hardbreak"):
            text = {"softbreak": " ", "hardbreak": "\n"}.get(kind, token.content)
            run = Run(text, bold=bold > 0, italic=italic > 0, code=kind == "code_inline", href=href)
            previous = runs[-1] if runs else None
            if previous and (previous.bold, previous.italic, previous.code, previous.href) == \
                    (run.bold, run.italic, run.code, run.href):
                runs[-1] = Run(previous.text + run.text, run.bold, run.italic, run.code, run.href)
            else:
                runs.append(run)
    return runs


def markdown_blocks(text: str) -> list[Block]:
    """Member Markdown as blocks of styled runs (the same safe subset as `render_markdown`)."""
    blocks: list[Block] = []
    lists: list[list[int]] = []  # per open list: [ordered (0/1), next number]
    marker = ""
    heading = False
    for token in _renderer().parse(text or ""):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            start = int(str(token.attrGet("start") or 1))
            lists.append([int(kind == "ordered_list_open"), start])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif kind == "list_item_open" and lists:
            ordered, number = lists[-1]
            marker = f"{number}." if ordered else "•"
            lists[-1][1] += 1
        elif kind == "heading_open":
            heading = True
        elif kind == "heading_close":
            heading = False
        elif kind == "inline":
            block_kind = "heading" if heading else ("item" if lists else "paragraph")
            blocks.append(Block(block_kind, _runs(token.children or []), depth=len(lists), marker=marker))
            marker = ""
        elif kind in ("code_block", "fence"):
            blocks.append(Block("code", [Run(token.content.rstrip("\n"), code=True)], depth=len(lists)))
    return blocks


def markdown_plain(text: str) -> str:
    """Member Markdown as plain text, one line a block ("• " before list items): for cells."""
    lines = []
    for block in markdown_blocks(text):
        prefix = "  " * max(block.depth - 1, 0) + (f"{block.marker} " if block.marker else "")
        lines.append(prefix + block.text)
    return "\n".join(lines)


def escape_markdown(text: str) -> str:
    """Text that stays text in any Markdown renderer: markup characters escaped, HTML as
    entities (Python-Markdown does not know every CommonMark escape), block starts neutralised."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for character in "\\`*_[]#":
        text = text.replace(character, "\\" + character)
    # A leading "-", "+", "1." or "1)" would start a list.
    return re.sub(r"^(\s*)([-+]|\d+(?=[.)]))", r"\1\\\2", text)


def _run_source(run: Run) -> str:
    if run.code:
        fence = "``" if "`" in run.text else "`"
        body = f"{fence} {run.text} {fence}" if fence == "``" else f"`{run.text}`"
    else:
        body = escape_markdown(run.text).replace("\n", "  \n")
        if run.bold and body.strip():
            body = f"**{body}**"
        if run.italic and body.strip():
            body = f"*{body}*"
    if run.href:
        body = f"[{body}](<{run.href.replace('>', '%3E').replace(' ', '%20')}>)"
    return body


def markdown_source(text: str, indent: str = "") -> str:
    """Member Markdown written again from its blocks: only the safe subset survives (no raw
    HTML, no images, only http, https and mailto links), headings become bold paragraphs (they
    would break the document's outline). `indent` starts every line (inside a list item)."""
    lines: list[str] = []
    previous = ""
    for block in markdown_blocks(text):
        body = "".join(_run_source(run) for run in block.runs)
        if block.kind == "code":
            body = "\n".join(f"    {line}" for line in block.text.splitlines())
        elif block.kind == "heading":
            body = f"**{body}**"
        if block.depth:
            pad = "   " * (block.depth - 1)
            bullet = "-" if block.marker == "•" else block.marker
            body = f"{pad}{bullet} {body}" if block.marker else f"{pad}   {body}"
        if lines and not (block.kind == "item" and previous == "item" and block.marker):
            lines.append("")
        lines.append(body)
        previous = block.kind
    return "\n".join(indent + line if line else line for line in "\n".join(lines).split("\n"))


def _resolve_directions(html: str, language: str) -> str:
    """Each block's dir="auto" replaced by its direction, from its first strong letter."""
    parts: list[str] = []
    position = 0
    for match in _BLOCK_AUTO.finditer(html):
        following = _TAG_OR_ENTITY.sub(" ", html[match.end():match.end() + 400])
        parts.append(html[position:match.start()])
        parts.append(f'<{match.group(1)} dir="{direction_of(following, language)}">')
        position = match.end()
    parts.append(html[position:])
    return "".join(parts)


def render_markdown_directed(text: str, language: str) -> Markup:
    """`render_markdown` with each block's direction written out (`dir="ltr"`/`"rtl"`), for
    renderers that ignore dir="auto" (WeasyPrint); `language` decides a block with no letter."""
    return Markup(_resolve_directions(str(render_markdown(text)), language))  # noqa: S704 - sanitised
