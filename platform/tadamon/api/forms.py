"""The account page's token forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from tadamon.core.forms import TadamonForm

from .models import SCOPES


class ScopesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewTokenForm(TadamonForm):
    name = StringField(_l("Name of the token"), validators=[DataRequired(), Length(max=100)],
                       description=_l("What it is for, e.g. the name of the tool that uses it."))
    scopes = ScopesField(_l("What it may do"), choices=[SelectChoice(key, label) for key, label in SCOPES.items()],
                         validators=[DataRequired(message=_l("Choose what the token may do."))])
