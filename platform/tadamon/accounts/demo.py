"""The demo's people: one account per role, and ordinary people the organisations invite.

Every name here is invented. Every account's password is DEMO_PASSWORD.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tadamon.accounts.models import RoleAssignment, User
from tadamon.core.db import utcnow
from tadamon.core.permissions import Role
from tadamon.extensions import db

if TYPE_CHECKING:
    from tadamon.demo import DemoContext

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


def seed(demo: DemoContext) -> None:
    """The role accounts (printed by `flask demo`) and 45 × scale ordinary people."""
    scale, password_hash, accounts = demo.scale, demo.password_hash, demo.accounts
    now = utcnow()
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
