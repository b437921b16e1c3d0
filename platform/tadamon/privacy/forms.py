"""Privacy forms: shapes and lengths only; services check the rules."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from tadamon.core.forms import TadamonForm

REQUIRED = _l("This field is required.")


class DeleteAccountForm(TadamonForm):
    password = PasswordField(_l("Your password"), validators=[InputRequired(message=REQUIRED)],
                             render_kw={"autocomplete": "current-password"})
    code = StringField(
        _l("Six-digit code from your authenticator app"),
        validators=[Optional(), Length(max=12, message=_l("Enter the six digits."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "dir": "ltr"},
    )
    confirm = BooleanField(
        _l("I understand that my account is deleted for good and that I can no longer log in."),
        validators=[InputRequired(message=_l("Tick the box to confirm."))],
    )


class RefuseForm(TadamonForm):
    reason = TextAreaField(_l("Reason (the requester reads it)"),
                           validators=[InputRequired(message=REQUIRED), Length(max=2000)])
