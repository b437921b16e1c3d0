"""Delivered light (issue 14): compressed text, static files cached a year under a content hash
(logged in or not), `Vary` on what the language was read from."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest

from tadamon.core.delivery import IMMUTABLE, static_hash
from tests import support

STATIC_LINK = re.compile(r'(?:href|src)="(/static/[^"?]+)\?v=([0-9a-f]{12})"')


def static_links(client, path: str = "/") -> dict[str, str]:
    page = client.get(path).get_data(as_text=True)
    return dict(STATIC_LINK.findall(page))


def test_static_addresses_carry_the_hash_of_their_content(app, client):
    links = static_links(client)
    assert "/static/css/tadamon.css" in links and "/static/favicon.svg" in links, links
    with app.test_request_context():
        for path, version in links.items():
            assert version == static_hash(path.removeprefix("/static/")), path


@pytest.mark.parametrize("logged_in", [False, True])
def test_hashed_static_files_are_immutable_for_everyone(client, create_user, login, logged_in):
    if logged_in:
        login(client, create_user())
        assert client.get("/account/").headers["Cache-Control"] == "no-store"
    for path, version in static_links(client).items():
        response = client.get(f"{path}?v={version}")
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == IMMUTABLE, path
        # Public: neither tied to nor setting the session cookie.
        assert "Cookie" not in response.headers.get("Vary", ""), response.headers
        assert "Set-Cookie" not in response.headers, path


def test_static_files_without_their_hash_are_revalidated(client):
    response = client.get("/static/css/tadamon.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    stale = client.get("/static/css/tadamon.css?v=000000000000")
    assert stale.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize(("encoding", "decode"), [("br", brotli.decompress), ("gzip", gzip.decompress)])
@pytest.mark.parametrize("path", ["/", "/static/css/tadamon.css", "/static/favicon.svg"])
def test_text_is_compressed(client, path, encoding, decode):
    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    response = client.get(path, headers={"Accept-Encoding": f"{encoding}, deflate"})
    assert response.status_code == 200
    assert "Accept-Encoding" in response.headers["Vary"]
    if len(plain.get_data()) < 500:  # too small to be worth it
        assert "Content-Encoding" not in response.headers
        return
    assert response.headers["Content-Encoding"] == encoding
    body = b"".join(response.response) if response.is_streamed else response.get_data()
    assert support.without_csrf_tokens(decode(body).decode()) == support.without_csrf_tokens(plain.get_data(True))
    assert len(body) < len(plain.get_data()) / 2


def test_brotli_is_preferred(client):
    response = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert response.headers["Content-Encoding"] == "br"


def test_language_from_the_browser_varies_on_accept_language(client):
    response = client.get("/", headers={"Accept-Language": "fr"})
    assert 'lang="fr"' in response.get_data(as_text=True)
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response.headers["Vary"].split(",")}


def test_language_from_the_cookie_does_not_vary_on_accept_language(client):
    client.set_cookie("tadamon_lang", "ar")
    response = client.get("/", headers={"Accept-Language": "fr"})
    assert 'lang="ar"' in response.get_data(as_text=True)
    assert "Accept-Language" not in response.headers["Vary"]
    assert "Cookie" in response.headers["Vary"]


def test_behind_a_compressing_proxy_the_application_compresses_nothing(tmp_path):
    """PROXY_COMPRESSES (nginx's gzip in front): the workers send pages and files as they are."""
    app = support.make_test_app(f"sqlite:///{tmp_path}/proxied.sqlite3", PROXY_COMPRESSES=True)
    with app.app_context():
        support.upgrade_database()
    client = app.test_client()
    for path in ("/", "/static/css/tadamon.css"):
        response = client.get(path, headers={"Accept-Encoding": "br, gzip"})
        assert response.status_code == 200, path
        assert "Content-Encoding" not in response.headers, path
        assert len(response.get_data()) > 500, path  # large enough that it would have been compressed
