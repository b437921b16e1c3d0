"""Administrators manage roles; every change is in the append-only audit log, shown escaped."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tadamon.accounts.models import UserSession
from tadamon.core import audit
from tadamon.core.audit import AuditEntry, AuditLogIsAppendOnly
from tadamon.core.permissions import Role
from tadamon.extensions import db


@pytest.fixture
def admin_client(app, create_user, login):
    admin = create_user(roles=[Role.ADMIN], name="Admin Person")
    client = app.test_client()
    login(client, admin)
    client.admin = admin
    return client


def test_admin_grants_a_role_and_it_is_audited(admin_client, create_user):
    person = create_user(email="nadia@example.org")
    response = admin_client.post(
        f"/admin/users/{person.id}", data={"facilitator": "y", "enabled": "y"}
    )
    assert response.status_code == 302
    assert person.has_role(Role.FACILITATOR)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.roles_changed")).one()
    assert entry.actor_id == admin_client.admin.id
    assert entry.before == {"roles": []} and entry.after == {"roles": ["facilitator"]}
    assert entry.ip_address == "127.0.0.1"
    log = admin_client.get("/admin/audit?action=roles").get_data(as_text=True)
    assert "user.roles_changed" in log and "nadia@example.org" in log


def test_disabling_an_account_ends_its_sessions(admin_client, create_user, login, app):
    person = create_user()
    other = app.test_client()
    login(other, person)
    admin_client.post(f"/admin/users/{person.id}", data={})
    assert not person.is_enabled
    assert db.session.scalars(select(UserSession).where(UserSession.user_id == person.id)).all() == []
    assert other.get("/account/").status_code == 302


def test_the_last_admin_cannot_remove_their_own_role(admin_client):
    admin = admin_client.admin
    response = admin_client.post(f"/admin/users/{admin.id}", data={"enabled": "y"})
    assert "last administrator" in response.get_data(as_text=True)
    assert admin.has_role(Role.ADMIN)


def test_user_search_and_filter(admin_client, create_user):
    create_user(email="findme@example.org", name="Zineb Tazi")
    create_user(email="steer@example.org", roles=[Role.STEERING])
    page = admin_client.get("/admin/users?q=zineb").get_data(as_text=True)
    assert "findme@example.org" in page and "steer@example.org" not in page
    page = admin_client.get("/admin/users?role=steering").get_data(as_text=True)
    assert "steer@example.org" in page and "findme@example.org" not in page


def test_audit_log_escapes_attacker_controlled_strings(admin_client):
    audit.record("user.roles_changed", "user", 1, object_label="<script>alert(1)</script>",
                 after={"name": "<img src=x onerror=alert(1)>"}, actor=admin_client.admin)
    db.session.commit()
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    assert "<img src=x" not in page


def test_audit_entries_cannot_be_changed_through_the_orm(admin_client):
    entry = audit.record("x.y", "user", 1, actor=admin_client.admin)
    db.session.commit()
    entry.action = "forged"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()


def test_audit_filters(admin_client):
    audit.record("membership.approved", "organisation", 7, actor=admin_client.admin)
    audit.record("user.roles_changed", "user", 3, actor=admin_client.admin)
    db.session.commit()
    page = admin_client.get("/admin/audit?object_type=organisation").get_data(as_text=True)
    assert "membership.approved" in page and "user.roles_changed" not in page
    page = admin_client.get("/admin/audit?since=2000-01-01&until=2000-01-02").get_data(as_text=True)
    assert "membership.approved" not in page
    # bad input in a filter is a message, never a 500
    response = admin_client.get("/admin/audit?since=not-a-date&page=zz")
    assert response.status_code == 200


def test_audit_list_query_count_does_not_grow(admin_client, app):
    from sqlalchemy import event

    def count_queries(path):
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            admin_client.get(path)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    for n in range(3):
        audit.record("x.y", "user", n, actor=admin_client.admin)
    db.session.commit()
    few = count_queries("/admin/audit")
    for n in range(20):
        audit.record("x.y", "user", n, actor=admin_client.admin)
    db.session.commit()
    assert count_queries("/admin/audit") == few
