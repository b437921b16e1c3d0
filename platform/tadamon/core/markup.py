"""User text as a safe Markdown subset: markdown-it-py (raw HTML escaped) then nh3 (Ammonia).

Two layers on purpose: the renderer never emits raw HTML from the text, and the sanitiser
removes anything outside a small list of tags whatever happens upstream.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "a", "code", "h3", "h4", "bdi"}
INLINE_TAGS = {"strong", "em", "a", "code", "bdi", "br"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "*": {"dir", "lang"}}


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    # commonmark without images, tables or raw HTML; headings are shifted down below the page's h2.
    renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    renderer.disable(["image", "html_block", "html_inline"])
    return renderer


def render_markdown(text: str) -> Markup:
    html = _renderer().render(text or "")
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>").replace("<h2>", "<h4>").replace("</h2>", "</h4>")
    cleaned = nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    # Each block finds its own direction: an Arabic proposal may hold a French paragraph.
    for tag in ("p", "li", "h3", "h4", "blockquote"):
        cleaned = cleaned.replace(f"<{tag}>", f'<{tag} dir="auto">')
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 just above


def render_inline_markdown(text: str) -> Markup:
    """One line of member text (a milestone, an objective) inside a sentence or a list item:
    emphasis, code and links, but no paragraph around it and no block (a "# " or "1. " at the
    start of a milestone stays text)."""
    html = _renderer().renderInline(text or "")
    cleaned = nh3.clean(
        html, tags=INLINE_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 just above
