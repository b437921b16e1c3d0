"""Account forms: shapes and lengths only; services check the rules."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional

from tadamon.core import stash
from tadamon.core.forms import TadamonForm
from tadamon.core.i18n import LANGUAGE_NATIVE_NAMES

# Each language is named in itself, and marked so screen readers pronounce it right.
LANGUAGE_CHOICES = [
    SelectChoice(code, name, render_kw={"lang": code})
    for code, name in LANGUAGE_NATIVE_NAMES.items()
]
TIMEZONE_CHOICES = [
    SelectChoice("Africa/Casablanca", _l("Morocco (Casablanca)")),
    SelectChoice("Europe/Paris", _l("Central Europe (Paris, Brussels)")),
    SelectChoice("Europe/London", _l("United Kingdom and Ireland (London)")),
    SelectChoice("UTC", _l("Coordinated Universal Time (UTC)")),
]

REQUIRED = _l("This field is required.")
EMAIL_FORMAT = _l("Enter an email address such as name@example.org.")
EMAIL_LENGTH = _l("An email address has at most 254 characters.")
NAME_LENGTH = _l("Use between 2 and 100 characters.")


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def email_field(label: object) -> EmailField:
    return EmailField(
        label,
        filters=[_strip],
        validators=[
            InputRequired(message=REQUIRED),
            Length(max=254, message=EMAIL_LENGTH),
            Email(message=EMAIL_FORMAT, check_deliverability=False),
        ],
        render_kw={"autocomplete": "email", "dir": "ltr", "inputmode": "email"},
    )


class RegistrationForm(TadamonForm):
    display_name = StringField(
        _l("Your name"),
        filters=[_strip],
        validators=[InputRequired(message=REQUIRED), Length(min=2, max=100, message=NAME_LENGTH)],
        render_kw={"autocomplete": "name"},
    )
    email = email_field(_l("Email address"))
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=REQUIRED)],
        description=_l("At least 8 characters. A few unrelated words make a strong password."),
        render_kw={"autocomplete": "new-password"},
    )
    preferred_language = SelectField(_l("Preferred language"), choices=LANGUAGE_CHOICES)
    consent = BooleanField(
        _l("I have read the privacy notice and agree that Tadamon keeps my account data."),
        validators=[InputRequired(message=_l("Please accept the privacy notice to create an account."))],
    )

    def details(self) -> dict[str, Any]:
        """What `register_user` takes."""
        return {"email": self.email.data, "display_name": self.display_name.data, "password": self.password.data,
                "language": self.preferred_language.data, "consent": self.consent.data}


class LoginForm(TadamonForm):
    email = email_field(_l("Email address"))
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(message=REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )
    # What a post from an expired session typed, carried through the log-in (core.stash):
    # JSON [[name, value], …], the address it was posted to, and whether it said its origin.
    carried = HiddenField(validators=[Optional(), Length(max=2 * stash.MAX_BYTES)])
    carried_path = HiddenField(validators=[Optional(), Length(max=500)])
    carried_checked = HiddenField(validators=[Optional(), Length(max=1)])


class TwoFactorForm(TadamonForm):
    code = StringField(
        _l("Six-digit code from your authenticator app"),
        validators=[InputRequired(message=REQUIRED), Length(max=12, message=_l("Enter the six digits."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "dir": "ltr"},
    )


class EmailOnlyForm(TadamonForm):
    email = email_field(_l("Email address"))


class ResetPasswordForm(TadamonForm):
    password = PasswordField(
        _l("New password"),
        validators=[InputRequired(message=REQUIRED)],
        description=_l("At least 8 characters. A few unrelated words make a strong password."),
        render_kw={"autocomplete": "new-password"},
    )


class ProfileForm(TadamonForm):
    display_name = StringField(
        _l("Your name"),
        filters=[_strip],
        validators=[InputRequired(message=REQUIRED), Length(min=2, max=100, message=NAME_LENGTH)],
        render_kw={"autocomplete": "name"},
    )
    preferred_language = SelectField(_l("Preferred language"), choices=LANGUAGE_CHOICES)
    timezone = SelectField(_l("Time zone"), choices=TIMEZONE_CHOICES)

    def details(self) -> dict[str, Any]:
        """What `update_profile` takes."""
        return {"display_name": self.display_name.data, "language": self.preferred_language.data,
                "timezone": self.timezone.data}


class ChangePasswordForm(TadamonForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[InputRequired(message=REQUIRED)],
        description=_l("At least 8 characters. Your other sessions will be logged out."),
        render_kw={"autocomplete": "new-password"},
    )


class ChangeEmailForm(TadamonForm):
    new_email = email_field(_l("New email address"))
    password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(message=REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )
