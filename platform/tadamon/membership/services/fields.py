"""Fields of action: the list the steering group keeps."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.core import audit
from tadamon.extensions import db
from tadamon.membership.models import (
    FieldOfAction,
)
from tadamon.membership.services.errors import MembershipError


def active_fields() -> list[FieldOfAction]:
    return list(db.session.scalars(select(FieldOfAction).where(FieldOfAction.is_active.is_(True))
                                   .order_by(FieldOfAction.id)))


def all_fields() -> list[FieldOfAction]:
    return list(db.session.scalars(select(FieldOfAction).order_by(FieldOfAction.id)))


def save_field(actor: User, field_of_action: FieldOfAction | None, names: dict[str, str], active: bool) -> FieldOfAction:
    if not any(value.strip() for value in names.values()):
        raise MembershipError(_l("Give the field a name in at least one language."), field="name_ar")
    if field_of_action is None:
        field_of_action = FieldOfAction()
        db.session.add(field_of_action)
    for key, value in names.items():
        setattr(field_of_action, key, value.strip())
    field_of_action.is_active = active
    db.session.flush()
    audit.record("field_of_action.saved", "field_of_action", field_of_action.id,
                 object_label=field_of_action.name_fr or field_of_action.name_ar,
                 after={**names, "active": active}, actor=actor)
    return field_of_action
