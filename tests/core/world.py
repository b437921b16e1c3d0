"""A seeded world for the attack suites: the demo's data in a committed database (SQLite, or a
PostgreSQL schema with TEST_DATABASE_URL), every route of the url_map with real ids in its
arguments, the forms its pages show, and a fingerprint of every table's content."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.html
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule

from tadamon import demo
from tadamon.accounts.models import User, UserSession, token_digest
from tadamon.extensions import db
from tests import support

DEMO_PEOPLE = ("admin@demo.tadamon.ma", "steering@demo.tadamon.ma", "facilitator@demo.tadamon.ma",
               "member@demo.tadamon.ma", "member.en@demo.tadamon.ma")

# A route argument → the table whose first row fills it (ids that exist, so views get past 404).
ARGUMENT_TABLES = {
    "action_id": "plan_actions", "amendment_id": "amendments", "attachment_id": "proposal_attachments",
    "comment_id": "comments", "commitment_id": "plan_commitments", "consultation_id": "consultations",
    "document_id": "workshop_documents", "field_id": "fields_of_action", "invitation_id": "invitations",
    "member_id": "organisation_members", "organisation_id": "organisations", "principle_id": "charter_principles",
    "proposal_id": "proposals", "registration_id": "registrations", "theme_id": "themes",
    "user_id": "users", "workshop_id": "workshops",
}


@contextmanager
def demo_world(tmp_path: Path, **overrides: Any) -> Iterator[Flask]:
    """An app whose commits are real, holding the demo's data. The periodic work (phase moves by
    schedule, digests) does not run on requests here: it would change tables by itself."""
    with support.committed_app(tmp_path, TICK_EVERY_SECONDS=10**9, **overrides) as app:
        with app.app_context():
            demo.build(scale=1)
            db.session.commit()
        yield app


def client_of(app: Flask, email: str | None) -> FlaskClient:
    """A client logged in as `email` (a server-side session row, as the log-in view makes), or
    anonymous."""
    client = app.test_client()
    if email is None:
        return client
    session_id = secrets.token_urlsafe(16)
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        db.session.add(UserSession(user_id=user_id, token_hash=token_digest(session_id)))
        db.session.commit()
    with client.session_transaction() as session:
        session.update({"_user_id": str(user_id), "_fresh": True, "sid": session_id})
    return client


def _first_id(table_name: str) -> int:
    table = db.metadata.tables[table_name]
    return db.session.scalar(select(func.min(table.c.id))) or 1


def _preferred_ids(app: Flask) -> dict[str, int]:
    """Ids that let the member's requests reach their writes: a consultation taking proposals
    and a draft of the member's organisation (the routes that once wrote before the CSRF check)."""
    from tadamon.membership.models import OrganisationMember
    from tadamon.proposals.models import Proposal, ProposalState
    from tadamon.workshops.models import Consultation, Phase

    member = db.session.scalar(select(User.id).where(User.email == "member@demo.tadamon.ma"))
    organisations = select(OrganisationMember.organisation_id).where(OrganisationMember.user_id == member)
    preferred: dict[str, int | None] = {
        "consultation_id": db.session.scalar(select(func.min(Consultation.id))
                                             .where(Consultation.phase == Phase.PROPOSALS_OPEN)),
        "proposal_id": db.session.scalar(select(func.min(Proposal.id)).where(
            Proposal.state == ProposalState.DRAFT, Proposal.organisation_id.in_(organisations))),
    }
    return {name: value for name, value in preferred.items() if value is not None}


def route_values(app: Flask) -> dict[str, Any]:
    """A real value for every argument a route of the url_map takes."""
    with app.app_context():
        values: dict[str, Any] = {name: _first_id(table) for name, table in ARGUMENT_TABLES.items()}
        values.update(_preferred_ids(app))
    values.update({"number": 1, "decision": "confirm", "token": "not-a-real-token"})
    return values


def url_of(rule: Rule, values: dict[str, Any]) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(r"<(?:[^:<>]+:)?" + name + r">|<any\([^)]*\):" + name + ">", str(values.get(name, 1)), path)
    return path


def rules(app: Flask, method: str) -> list[Rule]:
    return sorted((rule for rule in app.url_map.iter_rules()
                   if method in (rule.methods or ()) and rule.endpoint != "static"), key=lambda r: r.rule)


def table_fingerprints() -> dict[str, tuple[int, str]]:
    """Each table's row count and a SHA-256 of its rows in primary-key order."""
    prints = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
        digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
        prints[table.name] = (len(rows), digest)
    return prints


def csrf_token_of(client: FlaskClient, path: str = "/") -> str:
    """A valid CSRF token of `client`'s own session, read from a page's form."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on " + path
    return match.group(1)


@dataclass
class Form:
    """A form as a page shows it: where it posts, and each field's name with its offered values."""

    action: str
    page: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    multipart: bool = False


def forms_on(html: str, page: str, method: str = "POST") -> list[Form]:
    """The forms of a page sent with `method` (lxml's HTML parser), with each field's offered values."""
    found = []
    for element in lxml.html.fromstring(html).forms:
        if (element.method or "GET").upper() != method:
            continue
        form = Form(action=(element.get("action") or page).split("#")[0], page=page,
                    multipart="multipart" in (element.get("enctype") or ""))
        for item in element.inputs:
            name = item.get("name")
            if not name or name == "csrf_token":
                continue
            kind = item.get("type", item.tag) if item.tag == "input" else item.tag
            form.kinds[name] = kind
            offered = form.fields.setdefault(name, [])
            if item.tag == "select":
                offered += [option.get("value", option.text or "") for option in item.findall(".//option")]
            elif kind in ("radio", "checkbox", "hidden", "submit") and item.get("value") is not None:
                offered.append(item.get("value"))
        found.append(form)
    return found
