"""Trilingual, fictional demo data. Every name here is invented."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete

from tadamon.accounts.models import RoleAssignment, User
from tadamon.accounts.passwords import hash_password
from tadamon.core import audit
from tadamon.core.db import utcnow
from tadamon.core.permissions import Role
from tadamon.extensions import db

DEMO_PASSWORD = "solidarity-demo-2026"  # noqa: S105 - printed for the demo, never used in production

# Fixed TOTP keys so the demo's privileged accounts are reproducible (base32).
DEMO_TOTP_SECRETS = {
    Role.ADMIN: "JBSWY3DPEHPK3PXPADMINAAAAAAAAAAA",
    Role.STEERING: "JBSWY3DPEHPK3PXPSTEERINGAAAAAAAA",
    Role.FACILITATOR: "JBSWY3DPEHPK3PXPFACILITATORAAAA",
}


@dataclass(frozen=True)
class DemoAccount:
    role_label: str
    email: str
    password: str
    totp_secret: str | None


# (email, display name, language, role or None)
PEOPLE = [
    ("admin@demo.tadamon.ma", "سلمى الإدريسي", "ar", Role.ADMIN),
    ("steering@demo.tadamon.ma", "Youssef Benali", "fr", Role.STEERING),
    ("facilitator@demo.tadamon.ma", "Nadia Amrani", "fr", Role.FACILITATOR),
    ("member@demo.tadamon.ma", "كريم الفاسي", "ar", None),
    ("member.en@demo.tadamon.ma", "Leila Haddad", "en", None),
]

FIRST_NAMES = ["أمينة", "Omar", "Fatima", "Hicham", "Samira", "Rachid", "Zineb", "Mehdi", "Khadija", "Anas"]
LAST_NAMES = ["العلوي", "Bennani", "Tazi", "الشرقاوي", "Alaoui", "Berrada", "Chraibi", "المنصوري"]


def _reset() -> None:
    # The audit log is append-only even for the demo: `make demo` starts from a new database.
    # Here every other table is emptied, children first.
    from tadamon.action_plan import models as plan
    from tadamon.core.notifications import Notification
    from tadamon.membership import models as m
    from tadamon.proposals import models as p
    from tadamon.voting import models as v
    from tadamon.workshops import models as w

    # Published versions refuse ORM deletes (they are immutable); a bulk delete is the reset.
    for model in (plan.PlanExport, plan.PlanVersion, plan.Decision, plan.ProgressUpdate, plan.Commitment,
                  plan.Indicator, plan.Milestone, plan.ActionSource, plan.SetAside, plan.Action):
        db.session.execute(delete(model))
    for model in (v.LedgerEntry, v.Ballot, v.EligibleOrganisation, v.VotingRound):
        db.session.execute(delete(model))
    for model in (p.Similarity, p.TimelineEvent, p.Lineage, p.Report, p.Comment, p.CoSignature, p.CoAuthor,
                  p.ProposalVersion):
        db.session.execute(delete(model))
    db.session.execute(delete(p.Proposal).where(p.Proposal.merged_into_id.is_not(None)))
    db.session.execute(delete(p.Proposal))
    for model in (w.PhaseMove, w.Consultation, w.Registration, w.WorkshopDocument, w.WorkshopRegion):
        db.session.execute(delete(model))
    db.session.execute(w.workshop_facilitators.delete())
    for model in (w.Workshop, w.Theme):
        db.session.execute(delete(model))
    for model in (Notification, m.MembershipEvent, m.CharterAdherence, m.Invitation,
                  m.StatutesDocument, m.OrganisationMember):
        db.session.execute(delete(model))
    db.session.execute(m.organisation_fields.delete())
    for model in (m.Organisation, m.FieldOfAction, m.CharterPrinciple, m.Charter, RoleAssignment, User):
        db.session.execute(delete(model))


def build(*, scale: int = 1, reset: bool = True) -> list[DemoAccount]:
    """Seeds accounts for every role; `scale` multiplies the ordinary accounts."""
    if reset:
        _reset()
    now = utcnow()
    password_hash = hash_password(DEMO_PASSWORD)
    accounts: list[DemoAccount] = []
    for email, name, language, role in PEOPLE:
        user = User(
            email=email,
            display_name=name,
            password_hash=password_hash,
            preferred_language=language,
            email_verified_at=now,
            privacy_consent_at=now,
            password_changed_at=now,
        )
        secret = DEMO_TOTP_SECRETS.get(role) if role else None
        if secret:
            user.totp_secret = secret
            user.totp_enabled_at = now
        if role:
            user.role_assignments.append(RoleAssignment(role=role.value))
        db.session.add(user)
        accounts.append(DemoAccount(role.value if role else "member", email, DEMO_PASSWORD, secret))
    db.session.flush()
    extra_people = 45 * scale
    for index in range(extra_people):
        first = FIRST_NAMES[index % len(FIRST_NAMES)]
        last = LAST_NAMES[(index // len(FIRST_NAMES)) % len(LAST_NAMES)]
        db.session.add(
            User(
                email=f"person{index + 1}@demo.tadamon.ma",
                display_name=f"{first} {last}",
                password_hash=password_hash,
                preferred_language=("ar", "fr", "en")[index % 3],
                email_verified_at=now,
                privacy_consent_at=now,
                password_changed_at=now,
            )
        )
        if index % 1000 == 999:
            db.session.flush()
    from tadamon import demo_membership

    accounts += demo_membership.build(scale=scale, password_hash=password_hash)
    from tadamon import demo_workshops

    demo_workshops.build(scale=scale)
    from tadamon import demo_proposals

    demo_proposals.build(scale=scale)
    from tadamon import demo_voting

    demo_voting.build(scale=scale)
    from tadamon import demo_plan

    demo_plan.build(scale=scale)
    audit.record("demo.seeded", "platform", None, object_label=f"scale={scale}")
    db.session.flush()
    return accounts
