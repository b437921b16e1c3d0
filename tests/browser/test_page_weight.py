"""The home page stays light for phones on slow, metered connections."""

from __future__ import annotations

import re

HOME_BUDGET_BYTES = 60 * 1024
STYLESHEET = re.compile(r'<link\b[^>]*\brel="stylesheet"[^>]*\bhref="([^"]+)"')


def test_home_page_html_and_css_under_60_kb(new_page) -> None:
    page = new_page("ar")
    request = page.context.request
    home = request.get("/")
    assert home.ok, home.status
    html = home.body()
    stylesheets = STYLESHEET.findall(html.decode("utf-8"))
    assert stylesheets, "the home page links no stylesheet"
    sizes = {"/": len(html)}
    for href in stylesheets:
        css = request.get(href)
        assert css.ok, (href, css.status)
        assert css.headers.get("content-type", "").startswith("text/css"), css.headers
        sizes[href] = len(css.body())
    total = sum(sizes.values())
    # Uncompressed bytes: an upper bound on what goes over the wire.
    assert total < HOME_BUDGET_BYTES, f"home page weighs {total} bytes: {sizes}"
