"""Personal data on request and account deletion (Law 09-08 / GDPR rights of access and erasure)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pyotp
import pytest
from flask_babel import force_locale
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tadamon.accounts.models import User, UserSession
from tadamon.action_plan import exports as plan_exports
from tadamon.action_plan import services as plan
from tadamon.api import services as api_tokens
from tadamon.core.audit import AuditEntry
from tadamon.core.db import utcnow
from tadamon.core.hooks import forget_last_tick
from tadamon.core.notifications import Notification
from tadamon.core.storage import storage
from tadamon.extensions import db
from tadamon.membership.models import OrganisationMember, OrganisationRole
from tadamon.privacy import services as privacy
from tadamon.privacy.models import DataRequest, RequestKind, RequestState
from tadamon.proposals.models import Comment, Proposal
from tadamon.voting import ledger
from tadamon.voting import services as voting
from tests.conftest import PASSWORD
from tests.membership.conftest import charter, complete_application, education, steering  # noqa: F401
from tests.voting.conftest import open_vote  # noqa: F401
from tests.workshops.conftest import facilitator, members, open_workshop, theme  # noqa: F401

SECRET_NAME = "Zineb Secretname"


@pytest.fixture
def story(members, open_vote, create_user):
    """rep0 (renamed) wrote a proposal, commented, voted; a colleague acts for the same
    organisation so rep0 is not its last representative."""
    consultation, keys = open_vote("approval")
    person, organisation = members[0]
    person.display_name = SECRET_NAME
    person.preferred_language = "en"  # a person's own language wins over the client's
    colleague = create_user(email="colleague@example.org", name="Colleague Person")
    db.session.add(OrganisationMember(organisation_id=organisation.id, user_id=colleague.id,
                                      role=OrganisationRole.REPRESENTATIVE))
    proposal = db.session.scalars(select(Proposal).where(Proposal.organisation_id == organisation.id)).one()
    db.session.add(Comment(proposal_id=proposal.id, organisation_id=organisation.id, author_id=person.id,
                           body="Un commentaire signé", stance="for"))
    db.session.commit()
    voting.cast_ballot(person, consultation, organisation, MultiDict({"approve": [keys[0]]}))
    db.session.commit()
    return {"person": person, "organisation": organisation, "consultation": consultation, "proposal": proposal,
            "colleague": colleague, "other": members[1][0]}


def _zip(client, request_id):
    response = client.get(f"/account/data/{request_id}/download")
    assert response.status_code == 200, response.status_code
    return zipfile.ZipFile(io.BytesIO(response.data))


def _ask(client, url="/account/data/request"):
    response = client.post(url)
    assert response.status_code == 302
    return db.session.scalars(select(DataRequest).order_by(DataRequest.id.desc())).first()


def test_my_data_holds_everything_listed_and_nothing_of_others(client, login, story):
    person, other = story["person"], story["other"]
    login(client, person)
    item = _ask(client)
    assert item.request_state is RequestState.READY and item.expires_at > utcnow() + timedelta(days=6)
    status = client.get(f"/account/data/{item.id}")
    assert b"download" in status.data
    archive = _zip(client, item.id)
    names = set(archive.namelist())
    assert {"README.txt", "account.json", "organisations.json", "contributions.json", "notifications.json",
            "sessions.json", "api_tokens.json", "audit.json", "consents.json", "uploads.json"} <= names
    account = json.loads(archive.read("account.json"))
    assert account["email"] == person.email and account["name"] == SECRET_NAME
    assert account["two_factor_enabled"] is False
    contributions = json.loads(archive.read("contributions.json"))
    assert [p["id"] for p in contributions["proposals_authored"]] == [story["proposal"].id]
    assert contributions["proposals_authored"][0]["versions"]  # the API's ProposalDetail shape
    assert contributions["comments"][0]["body"] == "Un commentaire signé"
    assert contributions["ballots_cast"][0]["receipt"]
    assert json.loads(archive.read("sessions.json"))
    everything = b"".join(archive.read(name) for name in names)
    assert other.email.encode() not in everything
    assert b"colleague@example.org" not in everything
    for secret in (person.password_hash, "token_hash"):
        assert secret.encode() not in everything
    assert "Tadamon" in archive.read("README.txt").decode()
    downloads = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.export_downloaded")).all()
    assert len(downloads) == 1


def test_the_readme_is_in_the_persons_language(client, login, story):
    login(client, story["person"])
    client.post("/language", data={"language": "fr"})
    item = _ask(client)
    readme = _zip(client, item.id).read("README.txt").decode()
    assert "Vos données" in readme or "Tadamon" in readme


def test_another_person_cannot_follow_or_download_my_export(client, login, story):
    login(client, story["person"])
    item = _ask(client)
    login(client, story["other"])
    assert client.get(f"/account/data/{item.id}").status_code == 404
    assert client.get(f"/account/data/{item.id}/download").status_code == 404


def test_the_link_expires_and_the_file_is_purged(client, login, story):
    login(client, story["person"])
    item = _ask(client)
    key = item.file_key
    assert storage().exists(key)
    item.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/account/data/{item.id}/download").status_code == 404
    forget_last_tick()
    assert privacy.purge_expired_personal_data() == 1
    db.session.commit()
    assert not storage().exists(key)
    assert db.session.get(DataRequest, item.id).request_state is RequestState.EXPIRED


def test_asking_needs_a_post_and_a_login(client, login, story):
    assert client.post("/account/data/request").status_code in (302, 401)
    login(client, story["person"])
    assert client.get("/account/data/request").status_code == 405


def test_the_organisation_export_for_its_representative_only(client, login, story):
    organisation = story["organisation"]
    login(client, story["other"])
    assert client.get(f"/organisations/{organisation.id}/data").status_code == 403
    assert client.post(f"/organisations/{organisation.id}/data/request").status_code == 403
    login(client, story["person"])
    item = _ask(client, f"/organisations/{organisation.id}/data/request")
    assert item.request_kind is RequestKind.ORGANISATION_EXPORT
    archive = _zip(client, item.id)
    assert {"organisation.json", "members.json", "proposals.json", "ballot_receipts.json",
            "registrations.json", "comments.json"} <= set(archive.namelist())
    members = json.loads(archive.read("members.json"))
    assert {m["name"] for m in members} == {SECRET_NAME, "Colleague Person"}
    assert json.loads(archive.read("ballot_receipts.json"))[0]["receipt"]
    assert [p["id"] for p in json.loads(archive.read("proposals.json"))] == [story["proposal"].id]


def _delete(client, password=PASSWORD, **extra):
    return client.post("/account/delete", data={"password": password, "confirm": "y", **extra})


def test_deleting_my_account_erases_me_and_keeps_the_record(client, login, story, app):
    person, organisation, consultation = story["person"], story["organisation"], story["consultation"]
    secret = api_tokens.create_token(person, organisation, "outil", ["comments"]).secret
    db.session.commit()
    old_email = person.email
    login(client, person)
    item = _ask(client)
    key = item.file_key
    assert _delete(client, password="wrong password").status_code == 400
    assert db.session.get(User, person.id).erased_at is None

    response = _delete(client)
    assert response.status_code == 302
    erased = db.session.get(User, person.id)
    with force_locale("en"):
        assert erased.is_erased and erased.display_name == "Former member"
    assert SECRET_NAME not in erased.stored_name
    assert erased.email != old_email and erased.email.endswith(".invalid") and erased.totp_secret is None
    assert not db.session.scalars(select(UserSession).where(UserSession.user_id == person.id)).all()
    assert not db.session.scalars(select(Notification).where(Notification.user_id == person.id)).all()
    assert api_tokens.authenticate(secret) is None
    assert not storage().exists(key)
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.account_erased")).one()
    done = db.session.scalars(select(DataRequest).where(DataRequest.kind == RequestKind.ACCOUNT_DELETION)).one()
    assert done.request_state is RequestState.DONE

    # Logged out, and no log-in is possible any more.
    assert client.get("/account/").status_code in (302, 401)
    login_page = client.post("/account/login", data={"email": old_email, "password": PASSWORD})
    assert login_page.status_code != 302

    # The record stays: the proposal, the comment, the ballot and the ledger, which verifies.
    assert db.session.get(Proposal, story["proposal"].id).author_id == person.id
    vote = voting.round_of(consultation)
    assert ledger.verify(vote) == []

    # The name is gone from every page and export.
    viewer = app.test_client()
    login(viewer, story["other"])
    pages = [f"/proposals/{story['proposal'].id}", f"/organisations/{organisation.id}", "/organisations",
             f"/api/v1/proposals/{story['proposal'].id}", "/api/v1/organisations"]
    for page in pages:
        body = viewer.get(page).get_data(as_text=True)
        assert SECRET_NAME not in body and old_email not in body, page
    plan_json = plan_exports.render(plan.build_snapshot(), "json", "en")
    assert SECRET_NAME.encode() not in plan_json
    admin_view = app.test_client()
    from tadamon.core.permissions import Role

    admin = _admin(story)
    login(admin_view, admin)
    audit_page = admin_view.get("/admin/audit").get_data(as_text=True)
    assert SECRET_NAME not in audit_page and "Former member" in audit_page
    assert Role.ADMIN in admin.roles


def _admin(story):
    from tadamon.accounts.models import RoleAssignment
    from tadamon.core.permissions import Role

    admin = User(email="admin-privacy@example.org", display_name="Admin", password_hash="x",
                 preferred_language="en", is_enabled=True, totp_secret=pyotp.random_base32(), totp_enabled_at=utcnow())
    admin.role_assignments.append(RoleAssignment(role=Role.ADMIN.value))
    db.session.add(admin)
    db.session.commit()
    return admin


def test_deletion_needs_the_second_factor_when_it_is_on(client, login, story):
    person = story["person"]
    person.totp_secret = pyotp.random_base32()
    person.totp_enabled_at = utcnow()
    db.session.commit()
    login(client, person)
    assert _delete(client, code="000000").status_code == 400
    assert db.session.get(User, person.id).erased_at is None
    assert _delete(client, code=pyotp.TOTP(person.totp_secret).now()).status_code == 302
    assert db.session.get(User, person.id).is_erased


def test_the_last_representative_cannot_delete_the_account(client, login, story):
    db.session.execute(OrganisationMember.__table__.delete().where(
        OrganisationMember.user_id == story["colleague"].id))
    db.session.commit()
    login(client, story["person"])
    page = client.get("/account/delete").get_data(as_text=True)
    assert "only representative" in page
    assert _delete(client).status_code == 400
    assert db.session.get(User, story["person"].id).erased_at is None


def test_organisation_erasure_is_asked_then_processed_by_an_administrator(client, login, story, app):
    organisation = story["organisation"]
    organisation.contact_phone = "+212 600 000 000"
    db.session.commit()
    login(client, story["person"])
    assert client.post(f"/organisations/{organisation.id}/data/erasure").status_code == 302
    item = db.session.scalars(select(DataRequest).where(
        DataRequest.kind == RequestKind.ORGANISATION_ERASURE)).one()
    assert item.is_open and item.due_at > utcnow() + timedelta(days=29)
    # Not for an ordinary member of the network.
    assert client.get("/admin/data-requests").status_code == 403
    admin_client = app.test_client()
    login(admin_client, _admin(story))
    register = admin_client.get("/admin/data-requests").get_data(as_text=True)
    assert "Organisation&#39;s erasure" in register or "Organisation's erasure" in register
    assert admin_client.post(f"/admin/data-requests/{item.id}/process").status_code == 302
    db.session.expire_all()
    assert db.session.get(DataRequest, item.id).request_state is RequestState.DONE
    assert organisation.contact_phone == "" and organisation.state == "left"
    assert not db.session.scalars(select(OrganisationMember).where(
        OrganisationMember.organisation_id == organisation.id)).all()
    assert db.session.get(Proposal, story["proposal"].id) is not None
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.request_processed")).one()


def test_a_refusal_needs_a_reason_and_is_audited(client, login, story, app):
    organisation = story["organisation"]
    login(client, story["person"])
    client.post(f"/organisations/{organisation.id}/data/erasure")
    item = db.session.scalars(select(DataRequest)).one()
    admin_client = app.test_client()
    login(admin_client, _admin(story))
    assert admin_client.post(f"/admin/data-requests/{item.id}/refuse", data={"reason": ""}).status_code == 400
    assert db.session.get(DataRequest, item.id).is_open
    assert admin_client.post(f"/admin/data-requests/{item.id}/refuse",
                             data={"reason": "Vote en cours"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(DataRequest, item.id).request_state is RequestState.REFUSED
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.request_refused")).one()
