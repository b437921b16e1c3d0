"""Administration forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from tadamon.core.forms import TadamonForm, reasonable_date
from tadamon.core.permissions import Role

ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.STEERING: _l("Steering group"),
    Role.FACILITATOR: _l("Facilitator"),
}


class UserRolesForm(TadamonForm):
    admin = BooleanField(ROLE_LABELS[Role.ADMIN])
    steering = BooleanField(ROLE_LABELS[Role.STEERING])
    facilitator = BooleanField(ROLE_LABELS[Role.FACILITATOR])
    enabled = BooleanField(_l("The account may log in"))

    def selected_roles(self) -> set[Role]:
        return {role for role in Role if getattr(self, role.value).data}


class AuditFilterForm(TadamonForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    action = StringField(_l("Action"), validators=[Optional(), Length(max=100)])
    actor = StringField(_l("Who"), validators=[Optional(), Length(max=200)])
    object_type = SelectField(_l("Object"), validators=[Optional()], choices=[])
    since = DateField(_l("From"), validators=[Optional(), reasonable_date])
    until = DateField(_l("Until"), validators=[Optional(), reasonable_date])


class UserSearchForm(TadamonForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search by name or email"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), validators=[Optional()], choices=[])
