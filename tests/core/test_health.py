"""`/healthz` tells a load balancer whether this instance can serve, and names what fails."""

from __future__ import annotations

from tadamon.core.mail import MailState, OutboxMessage
from tadamon.extensions import db


def test_a_healthy_instance_answers_200_with_each_component(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True} and body["checks"]["storage"]["ok"] is True
    assert body["checks"]["redis"] == {"ok": True, "detail": "not configured"}
    assert body["checks"]["queues"]["failed_emails"] == 0
    assert "Set-Cookie" not in response.headers or "tadamon_session" not in response.headers["Set-Cookie"]


def test_queues_and_failed_emails_are_reported_not_failed_on(app, client, redis_url, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    db.session.add(OutboxMessage(recipient="x@example.org", subject="s", language="fr", text_body="t",
                                 html_body="h", state=MailState.FAILED.value))
    db.session.commit()
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["checks"]["redis"] == {"ok": True}
    queues = body["checks"]["queues"]
    assert queues["failed_emails"] == 1
    assert queues[app.config["EXPORT_QUEUE"]] == 0 and queues[app.config["MAIL_QUEUE"]] == 0


def test_an_unreachable_redis_or_unwritable_storage_answers_503_naming_it(app, client, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "fail" and body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setitem(app.config, "STORAGE_BACKEND", "local")
    monkeypatch.setitem(app.config, "EXPORT_FOLDER", str(blocker))
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["checks"]["storage"]["ok"] is False
