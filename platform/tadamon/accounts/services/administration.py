"""Platform roles, enabling accounts, and creating administrators."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tadamon.accounts.models import (
    RoleAssignment,
    User,
)
from tadamon.accounts.services.common import (
    AccountError,
    check_password_strength,
    new_account,
    normalize_email,
)
from tadamon.accounts.services.sessions import end_other_sessions
from tadamon.core import audit
from tadamon.core.permissions import Role
from tadamon.extensions import db


def set_roles(actor: User, user: User, roles: set[Role]) -> None:
    """Grants and removes platform roles; the change goes to the audit log."""
    before = sorted(user.roles)
    if actor.id == user.id and Role.ADMIN in user.roles and Role.ADMIN not in roles:
        remaining_admins = db.session.scalar(
            select(func.count()).select_from(RoleAssignment).where(
                RoleAssignment.role == Role.ADMIN, RoleAssignment.user_id != user.id
            )
        )
        if not remaining_admins:
            raise AccountError(_l("You are the last administrator: give the role to someone else first."))
    for assignment in list(user.role_assignments):
        if Role(assignment.role) not in roles:
            user.role_assignments.remove(assignment)
    for role in sorted(roles - user.roles):
        user.role_assignments.append(RoleAssignment(role=role, granted_by_id=actor.id))
    db.session.flush()
    after = sorted(user.roles)
    if before != after:
        audit.record(
            "user.roles_changed",
            "user",
            user.id,
            object_label=user.email,
            before={"roles": before},
            after={"roles": after},
            actor=actor,
        )


def set_enabled(actor: User, user: User, enabled: bool) -> None:
    if actor.id == user.id and not enabled:
        raise AccountError(_l("You cannot disable your own account."))
    if user.is_enabled == enabled:
        return
    user.is_enabled = enabled
    if not enabled:
        end_other_sessions(user, keep_session_id=None)
    audit.record(
        "user.enabled" if enabled else "user.disabled",
        "user",
        user.id,
        object_label=user.email,
        before={"enabled": not enabled},
        after={"enabled": enabled},
        actor=actor,
    )


def create_admin(*, email: str, display_name: str, password: str, language: str = "ar") -> User:
    """Creates (or promotes) a verified administrator: the CLI's create-admin."""
    email = normalize_email(email)
    check_password_strength(password, email=email, name=display_name)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = new_account(email=email, display_name=display_name, password=password, language=language,
                           verified=True)
        db.session.add(user)
        db.session.flush()
    if not user.has_role(Role.ADMIN):
        user.role_assignments.append(RoleAssignment(role=Role.ADMIN))
        db.session.flush()
        audit.record(
            "user.roles_changed", "user", user.id, object_label=user.email,
            after={"roles": sorted(user.roles)},
        )
    return user


def save_account(actor: User, user: User, *, roles: set[Role], enabled: bool) -> None:
    """An administrator's edit of an account: its platform roles and whether it may log in."""
    set_roles(actor, user, roles)
    set_enabled(actor, user, enabled)
