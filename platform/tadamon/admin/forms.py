"""Administration forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from tadamon.core.forms import TadamonForm, enum_choices, reasonable_date
from tadamon.core.permissions import Role


class UserRolesForm(TadamonForm):
    admin = BooleanField(Role.ADMIN.label)
    steering = BooleanField(Role.STEERING.label)
    facilitator = BooleanField(Role.FACILITATOR.label)
    enabled = BooleanField(_l("The account may log in"))

    def selected_roles(self) -> set[Role]:
        return {role for role in Role if getattr(self, role.value).data}

    def show(self, user: Any) -> None:
        """Fills the form with the account as it is."""
        for role in Role:
            getattr(self, role.value).data = user.has_role(role)
        self.enabled.data = user.is_enabled


class AuditFilterForm(TadamonForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    action = StringField(_l("Action"), validators=[Optional(), Length(max=100)])
    actor = StringField(_l("Who"), validators=[Optional(), Length(max=200)])
    object_type = SelectField(_l("Object"), validators=[Optional()], choices=[])
    since = DateField(_l("From"), validators=[Optional(), reasonable_date])
    until = DateField(_l("Until"), validators=[Optional(), reasonable_date])

    def __init__(self, *args: Any, object_types: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.object_type.choices = [SelectChoice("", _l("Any object"))] + [
            SelectChoice(kind, kind) for kind in object_types or []
        ]

    def criteria(self) -> dict[str, Any]:
        """The filters asked for, as `audit_query` takes them (none when the form is not valid)."""
        valid = self.validate()
        return {name: (getattr(self, name).data or None) if valid else None
                for name in ("action", "actor", "object_type", "since", "until")}


class UserSearchForm(TadamonForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search by name or email"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), validators=[Optional()], choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = enum_choices(Role, blank=_l("Any role"))
