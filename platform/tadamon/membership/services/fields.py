"""Fields of action: the list the steering group keeps."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.core.kept_lists import save_kept_item
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
    return save_kept_item(actor, FieldOfAction, field_of_action, names, active, kind="field_of_action",
                          unnamed=MembershipError(_l("Give the field a name in at least one language."),
                                                  field="name_ar"))
