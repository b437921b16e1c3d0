"""Who may administer users and roles, and read the audit log."""

from __future__ import annotations

from typing import Any

from tadamon.core.actor import Actor
from tadamon.core.permissions import Role, has_role, rule


@rule("admin.manage_users")
def can_manage_users(actor: Actor, obj: Any = None) -> bool:
    return has_role(actor, Role.ADMIN)


@rule("admin.view_audit_log")
def can_view_audit_log(actor: Actor, obj: Any = None) -> bool:
    return has_role(actor, Role.ADMIN, Role.STEERING)


@rule("admin.enter_area")
def can_enter_admin_area(actor: Actor, obj: Any = None) -> bool:
    return can_manage_users(actor) or can_view_audit_log(actor)
