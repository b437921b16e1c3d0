"""The home page stays light for phones on slow, metered connections."""

from __future__ import annotations

import re
from typing import Any

import pytest

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


# --- over the wire: what a phone downloads on its first visit (issue 14) ----------------------

FIRST_LOAD_BUDGET_BYTES = 60 * 1024
KEY_PAGES = ("/", "/organisations", "/workshops", "/plan", "/plan/actions/1", "/consultations/1/results")


def _transferred(page: Any, path: str) -> tuple[int, dict[str, int]]:
    """Bytes on the wire (headers and compressed bodies) of one page load and its resources."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished",
           lambda e: sizes.__setitem__(urls.get(e["requestId"], e["requestId"]), int(e["encodedDataLength"])))
    response = page.goto(path, wait_until="load")
    assert response is not None and response.ok, (path, response and response.status)
    page.wait_for_load_state("networkidle")
    cdp.detach()
    return sum(sizes.values()), sizes


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_first_load_of_key_pages_under_60_kb_over_the_wire(browser, demo_server, language) -> None:
    for path in KEY_PAGES:
        # A new context each time: an empty cache, as on a first visit.
        context = browser.new_context(base_url=demo_server.url, locale=language,
                                      viewport={"width": 375, "height": 800})
        try:
            total, sizes = _transferred(context.new_page(), path)
        finally:
            context.close()
        assert total <= FIRST_LOAD_BUDGET_BYTES, f"{path} ({language}) weighs {total} bytes: {sizes}"
        print(f"first load {path} ({language}): {total} bytes")  # noqa: T201 - the measure, with -s


def test_logged_in_member_downloads_the_stylesheet_once(browser, demo_server) -> None:
    from tadamon.accounts.demo import DEMO_PASSWORD

    context = browser.new_context(base_url=demo_server.url, locale="ar", viewport={"width": 375, "height": 800})
    try:
        page = context.new_page()
        page.goto("/account/login")
        page.locator("#email").fill("member@demo.tadamon.ma")
        page.locator("#password").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            page.locator('form[action="/account/login"] button[type="submit"]').click()
        # Chromium's own account: a response served from its memory or disk cache is no download.
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        from_cache: set[str] = set()
        downloads: list[tuple[str, str]] = []
        cdp.on("Network.requestServedFromCache", lambda e: from_cache.add(e["requestId"]))
        cdp.on("Network.responseReceived", lambda e: downloads.append((e["requestId"], e["response"]["url"]))
               if not e["response"].get("fromDiskCache") and not e["response"].get("fromPrefetchCache") else None)
        for path in ("/notifications", "/plan", "/organisations", "/"):
            response = page.goto(path)
            assert response is not None and response.headers["cache-control"] == "no-store"
        fetched = [url for request_id, url in downloads if request_id not in from_cache]
        stylesheets = [url for url in fetched if ".css" in url]
        assert len(stylesheets) <= 1, f"the stylesheet was downloaded {len(stylesheets)} times: {stylesheets}"
    finally:
        context.close()

