"""Who may do what with accounts and their administration."""

from __future__ import annotations

from typing import Any

from tadamon.core.permissions import Role, has_role, is_authenticated, rule


@rule("accounts.manage_own_account")
def can_manage_own_account(user: Any, obj: Any = None) -> bool:
    return is_authenticated(user)


@rule("admin.manage_users")
def can_manage_users(user: Any, obj: Any = None) -> bool:
    return has_role(user, Role.ADMIN)


@rule("admin.view_audit_log")
def can_view_audit_log(user: Any, obj: Any = None) -> bool:
    return has_role(user, Role.ADMIN, Role.STEERING)


@rule("admin.enter_area")
def can_enter_admin_area(user: Any, obj: Any = None) -> bool:
    return can_manage_users(user) or can_view_audit_log(user)
