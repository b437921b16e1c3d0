"""The flask commands: demo (with --scale), create-admin, totp-code."""

from __future__ import annotations

from sqlalchemy import func, select

from tadamon.accounts.models import User
from tadamon.core.permissions import Role
from tadamon.extensions import db


def _demo(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result


def test_demo_builds_accounts_for_every_role_and_prints_how_to_log_in(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    for role in ("admin", "steering", "facilitator", "member"):
        assert role in result.output
    assert "solidarity-demo-2026" in result.output
    admin = db.session.scalar(select(User).where(User.email == "admin@demo.tadamon.ma"))
    assert admin.has_role(Role.ADMIN) and admin.two_factor_enabled
    languages = set(db.session.scalars(select(User.preferred_language)))
    assert languages == {"ar", "fr", "en"}


def test_demo_membership_spans_the_twelve_regions_with_founders_and_pending(app):
    from tadamon.membership.models import Charter, Organisation

    _demo(app)
    regions = set(db.session.scalars(select(Organisation.region).where(Organisation.state == "approved")))
    assert len(regions) == 12
    assert db.session.scalar(select(func.count()).where(Organisation.is_founding_member.is_(True))) == 8
    states = set(db.session.scalars(select(Organisation.state)))
    assert {"submitted", "rejected", "changes_requested", "draft"} <= states
    assert db.session.scalar(select(Charter).where(Charter.published_at.is_not(None))).principles


def test_create_admin(app):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "Boss@Example.org", "--name", "Boss",
              "--password", "a very long admin passphrase"],
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.org"))
    assert user.has_role(Role.ADMIN) and user.email_verified


def test_create_admin_refuses_a_weak_password_with_a_message(app):
    result = app.test_cli_runner().invoke(
        args=["create-admin", "--email", "b@example.org", "--name", "B", "--password", "password"],
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "Error:" in result.output


def test_totp_code_prints_six_digits(app):
    _demo(app)
    result = app.test_cli_runner().invoke(args=["totp-code", "admin@demo.tadamon.ma"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().isdigit() and len(result.output.strip()) == 6


def test_demo_workshops_cover_every_state_with_consultations_and_attendance(app):
    from tadamon.workshops.models import Consultation, Registration, Workshop, WorkshopDocument

    _demo(app)
    statuses = set(db.session.scalars(select(Workshop.status)))
    assert statuses == {"planned", "registration_open", "in_progress", "closed"}
    assert db.session.scalar(select(func.count()).select_from(Workshop)) == 5
    phases = set(db.session.scalars(select(Consultation.phase)))
    assert {"draft", "proposals_open", "deliberation", "voting", "closed", "results_published"} <= phases
    assert db.session.scalar(select(func.count()).where(Registration.attended.is_(True))) > 0
    assert db.session.scalar(select(func.count()).where(WorkshopDocument.kind == "minutes")) == 2


def test_demo_proposals_in_three_languages_with_a_merge_and_room_records(app):
    from tadamon.proposals.models import (
        Amendment,
        Comment,
        CoSignature,
        Lineage,
        Proposal,
        RoomOrigin,
    )

    _demo(app)
    assert set(db.session.scalars(select(Proposal.language))) == {"ar", "fr", "en"}
    assert db.session.scalar(select(func.count()).select_from(CoSignature)) > 0
    assert db.session.scalar(select(func.count()).select_from(Comment)) > 0
    assert db.session.scalar(select(func.count()).select_from(Lineage)) > 0
    assert db.session.scalar(select(func.count()).where(Proposal.recorded_by_id.is_not(None))) > 0
    assert db.session.scalar(select(func.count()).select_from(RoomOrigin)) > 0  # shown as made in the room
    assert db.session.scalar(select(func.count()).where(Amendment.state == "accepted")) > 0
