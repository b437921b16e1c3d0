"""Security headers, cookies, error pages in the user's language, no traceback leaks."""

from __future__ import annotations

import pytest

from tadamon.config import ConfigurationError, load_config


def test_security_headers_on_every_response(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_logged_in_pages_are_not_stored(client, create_user, login):
    login(client, create_user())
    assert client.get("/account/").headers["Cache-Control"] == "no-store"


def test_session_cookie_is_http_only_and_same_site(client, create_user):
    create_user(email="c@example.org")
    response = client.post(
        "/account/login", data={"email": "c@example.org", "password": "correct horse battery staple"}
    )
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("tadamon_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure_and_need_a_real_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError):
        load_config(tmp_path, {"ENV": "production"})
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    config = load_config(tmp_path, {"ENV": "production"})
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["MAIL_OUTBOX"] is False and config["SHOW_OUTBOX_PAGE"] is False


def test_database_url_selects_psycopg(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/tadamon")
    assert load_config(tmp_path)["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/tadamon"
    monkeypatch.delenv("DATABASE_URL")
    assert load_config(tmp_path)["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_sqlite_runs_with_foreign_keys_wal_and_a_busy_timeout(app):
    from sqlalchemy import text

    from tadamon.extensions import db

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 10000
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"


@pytest.mark.parametrize(("language", "text"), [("en", "Page not found"), ("fr", "Page introuvable"),
                                                 ("ar", 'dir="rtl"')])
def test_404_in_the_users_language(client, language, text):
    response = client.get("/no/such/page", headers={"Accept-Language": language})
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)


def test_405_page(client):
    response = client.get("/account/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_413_page(client):
    response = client.post("/account/login", data={"email": "x" * (33 * 1024 * 1024)})
    assert response.status_code == 413
    assert "File too large" in response.get_data(as_text=True)


def test_500_page_shows_no_traceback(database_url):
    from tadamon.core.auth import public
    from tests.support import make_test_app

    app = make_test_app(database_url, PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom-for-test")
    @public
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom-for-test", headers={"Accept-Language": "fr"})
    body = response.get_data(as_text=True)
    with app.app_context():  # this app's own pool: closed now, not by the garbage collector later
        from tadamon.extensions import db

        db.engine.dispose()
    assert response.status_code == 500
    assert "secret internals" not in body and "Traceback" not in body
    assert 'lang="fr"' in body


def test_403_page(client, create_user, login):
    login(client, create_user())
    response = client.get("/admin/users", headers={"Accept-Language": "fr"})
    assert response.status_code == 403
    assert 'lang="fr"' in response.get_data(as_text=True)


def test_home_page_with_its_stylesheet_stays_under_60_kb(client):
    page = client.get("/")
    css = client.get("/static/css/tadamon.css")
    total = len(page.data) + len(css.data)
    css.close()
    assert total < 60 * 1024, total


def test_no_asset_comes_from_another_site(client):
    body = client.get("/").get_data(as_text=True)
    assert "http://" not in body.replace("http://www.w3.org", "") and "https://" not in body


def test_lazy_messages_are_escaped_in_templates(app):
    from flask import render_template_string
    from flask_babel import lazy_gettext

    with app.test_request_context():
        message = lazy_gettext("Welcome, %(name)s.", name="<script>alert(1)</script>")
        rendered = render_template_string("{{ message }}", message=message)
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered


def test_out_of_range_numbers_and_dates_never_reach_a_500(client, create_user, login):
    from tadamon.core.permissions import Role

    login(client, create_user(roles=[Role.ADMIN]))
    for path in ("/workshops/99999999999999999999", "/organisations/99999999999999999999",
                 "/membership/99999999999999999999", "/consultations/99999999999999999999",
                 "/charter/v99999999999999999999", "/organisations?page=99999999999999999999&field=99999999999999",
                 "/workshops?page=99999999999999999999&theme=99999999999999999999",
                 "/steering/applications?until=9999-12-31", "/admin/audit?until=9999-12-31&since=0001-01-01",
                 "/steering/calendar?year=9999&month=12", "/steering/calendar?year=1&month=1"):
        response = client.get(path)
        assert response.status_code < 500, path
    response = client.post("/acting-for", data={"organisation_id": "99999999999999999999"})
    assert response.status_code < 500


def test_email_is_sent_over_smtp_only_after_the_commit(app, monkeypatch):
    """Queued in the caller's transaction: a rolled-back change sends nothing, a committed one
    is sent by the queue's sender (the scheduler or the worker), never before the commit."""
    from tadamon.core import mail
    from tadamon.extensions import db

    sent = []
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.org")
    monkeypatch.setattr(mail, "_deliver", lambda message: sent.append(message["To"]))
    with app.test_request_context():
        mail.send_email("a@example.org", "password_changed", language="fr", subject="S",
                        user=type("U", (), {"display_name": "A"})())
        assert sent == []
        db.session.rollback()
        mail.send_email("b@example.org", "password_changed", language="fr", subject="S",
                        user=type("U", (), {"display_name": "B"})())
        db.session.commit()
        assert sent == []
        mail.send_queued_mail()
    assert sent == ["b@example.org"]
