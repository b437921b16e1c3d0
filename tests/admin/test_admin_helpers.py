"""The administration helpers: one service saving an account, the audit filters."""

from __future__ import annotations

from datetime import date

import pytest

from tadamon.accounts import services
from tadamon.core import audit
from tadamon.core.permissions import Role
from tadamon.extensions import db


def test_save_account_changes_roles_and_access_together(create_user):
    admin, user = create_user(roles=[Role.ADMIN]), create_user()
    services.save_account(admin, user, roles={Role.STEERING}, enabled=False)
    db.session.commit()
    assert user.roles == {Role.STEERING} and not user.is_enabled


def test_save_account_refuses_the_last_admin_losing_the_role(create_user):
    admin = create_user(roles=[Role.ADMIN])
    with pytest.raises(services.AccountError):
        services.save_account(admin, admin, roles=set(), enabled=True)


def test_audit_filters_give_the_object_kinds_and_the_criteria(app, create_user):
    from flask import request

    from tadamon.admin import services as admin_services
    from tadamon.admin.forms import AuditFilterForm

    audit.record("user.enabled", "user", 1, object_label="x")
    audit.record("charter.published", "charter", 1, object_label="v1")
    db.session.commit()
    assert admin_services.audit_object_types() == ["charter", "user"]
    with app.test_request_context("/admin/audit?action=user&since=2026-01-02&object_type=user"):
        form = AuditFilterForm(request.args, object_types=admin_services.audit_object_types())
        assert [choice.value for choice in form.object_type.choices] == ["", "charter", "user"]
        assert form.criteria() == {"action": "user", "actor": None, "object_type": "user",
                                   "since": date(2026, 1, 2), "until": None}
    with app.test_request_context("/admin/audit?since=1800-01-01&action=user"):
        assert set(AuditFilterForm(request.args).criteria().values()) == {None}
