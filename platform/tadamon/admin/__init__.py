"""Administration: users and their roles, and the audit log."""

from __future__ import annotations

from tadamon.core.modules import Module


def module() -> Module:
    from tadamon.admin import permissions
    from tadamon.admin.views import bp

    return Module(name="admin", blueprint=bp, permissions=permissions)
