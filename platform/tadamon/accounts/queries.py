"""Read-only questions about people that other modules ask (one place each)."""

from __future__ import annotations

from sqlalchemy import select

from tadamon.accounts.models import RoleAssignment, User
from tadamon.core.permissions import Role
from tadamon.extensions import db


def holders_of(role: Role) -> list[User]:
    """The enabled accounts holding `role` (a disabled account is never told anything)."""
    return list(db.session.scalars(
        select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == role.value, User.is_enabled.is_(True))
        .order_by(User.id)
    ))
