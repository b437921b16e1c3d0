"""Membership forms: shapes and lengths; services check the rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    AnyOf,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)
from wtforms.widgets import CheckboxInput, ListWidget

from tadamon.core import times
from tadamon.core.forms import TadamonForm, enum_choices, reasonable_date
from tadamon.core.idempotency import SubmissionKey
from tadamon.core.urls import int_arg
from tadamon.membership.models import (
    LegalForm,
    MembershipState,
    OrganisationRole,
)
from tadamon.membership.regions import REGION_CODES

F = TypeVar("F")


def texts(form: TadamonForm, *names: str) -> dict[str, str]:
    """The text fields `names` of a submitted form, "" for those left empty."""
    return {name: getattr(form, name).data or "" for name in names}


REQUIRED = _l("This field is required.")
TOO_LONG = _l("This text is too long.")


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def text(label: object, limit: int, **kwargs: object) -> StringField:
    return StringField(label, filters=[_strip],
                       validators=[Optional(), Length(max=limit, message=TOO_LONG)], **kwargs)


def long_text(label: object, limit: int = 10000, **kwargs: object) -> TextAreaField:
    return TextAreaField(label, filters=[_strip],
                         validators=[Optional(), Length(max=limit, message=TOO_LONG)], **kwargs)


# The languages a text is written in, each with its direction: every input says both, for
# screen readers, spelling and the cursor.
TEXT_LANGUAGES = (("ar", "rtl"), ("fr", "ltr"), ("en", "ltr"))


def in_each_language(field: Callable[..., F], labels: tuple[object, object, object], *args: object,
                     **render_kw: object) -> tuple[F, ...]:
    """One text's Arabic, French and English fields (`field(label, *args)` each), marked with
    their language and direction: `title_ar, title_fr, title_en = in_each_language(text, ...)`."""
    return tuple(field(label, *args, render_kw={"dir": direction, "lang": language, **render_kw})
                 for label, (language, direction) in zip(labels, TEXT_LANGUAGES, strict=True))


def count_field(label: object) -> IntegerField:
    return IntegerField(
        label,
        validators=[Optional(), NumberRange(min=0, max=10_000_000, message=_l("Enter a whole number, 0 or more."))],
        render_kw={"inputmode": "numeric", "dir": "ltr"},
    )


def region_choices(blank: object) -> list[SelectChoice]:
    from tadamon.membership.regions import REGIONS

    return [SelectChoice("", str(blank))] + [SelectChoice(r.code, r.name()) for r in REGIONS]


def legal_form_choices(blank: object | None = None) -> list[SelectChoice]:
    return enum_choices(LegalForm, blank)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NamesForm(TadamonForm):
    name_ar = text(_l("Name in Arabic"), 200, render_kw={"dir": "rtl", "lang": "ar"})
    name_fr = text(_l("Name in French"), 200, render_kw={"dir": "ltr", "lang": "fr"})
    name_en = text(_l("Name in English"), 200, render_kw={"dir": "ltr", "lang": "en"})


class ApplicationForm(TadamonForm):
    name_ar = text(_l("Name in Arabic"), 200, render_kw={"dir": "rtl", "lang": "ar"})
    name_fr = text(_l("Name in French"), 200, render_kw={"dir": "ltr", "lang": "fr"})
    name_en = text(_l("Name in English"), 200, render_kw={"dir": "ltr", "lang": "en"})
    acronym = text(_l("Acronym"), 30)
    legal_form = SelectField(_l("Legal form"), validators=[InputRequired(message=REQUIRED)])
    registration_number = text(_l("Registration number"), 60, render_kw={"dir": "ltr"})
    year_founded = IntegerField(
        _l("Year of creation"),
        validators=[Optional(), NumberRange(min=1900, message=_l("Enter a year between 1900 and this year."))],
        render_kw={"inputmode": "numeric", "dir": "ltr"},
    )

    def validate_year_founded(self, field: IntegerField) -> None:
        from wtforms.validators import ValidationError

        # Checked against today's year at each request, not the year the process started.
        if field.data is not None and field.data > date.today().year:
            raise ValidationError(str(_l("Enter a year between 1900 and this year.")))
    region = SelectField(
        _l("Region"),
        validators=[Optional(), AnyOf(("", *REGION_CODES), message=_l("Choose one of Morocco's twelve regions."))],
        validate_choice=False,
    )
    province = text(_l("Province or city"), 120)
    fields = MultiCheckboxField(_l("Fields of action"), coerce=int, validate_choice=False)
    description_ar, description_fr, description_en = in_each_language(
        long_text, (_l("Description in Arabic"), _l("Description in French"), _l("Description in English")), rows=5)
    website = StringField(
        _l("Website"), filters=[_strip],
        validators=[Optional(), Length(max=300, message=TOO_LONG),
                    URL(require_tld=True, message=_l("Enter a web address such as https://example.org."))],
        render_kw={"dir": "ltr", "inputmode": "url"},
    )
    social_links = long_text(_l("Social media links (one per line)"), 2000, render_kw={"dir": "ltr", "rows": 3})
    members_count = count_field(_l("Number of members"))
    volunteers_count = count_field(_l("Number of volunteers"))
    staff_count = count_field(_l("Number of staff"))
    contact_email = EmailField(
        _l("Contact email address"), filters=[_strip],
        validators=[Optional(), Length(max=254, message=TOO_LONG),
                    Email(message=_l("Enter an email address such as name@example.org."), check_deliverability=False)],
        render_kw={"dir": "ltr"},
    )
    contact_phone = text(_l("Contact phone"), 40, render_kw={"dir": "ltr", "inputmode": "tel"})
    address = text(_l("Address"), 300)
    statutes = FileField(
        _l("Statutes (PDF, at most 5 MB)"),
        render_kw={"accept": "application/pdf"},
        description=_l("The statutes are seen only by the steering group and your organisation."),
    )

    def __init__(self, *args: object, field_choices: list[SelectChoice] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.legal_form.choices = legal_form_choices()
        self.region.choices = region_choices(_l("Choose a region"))
        self.fields.choices = field_choices or []


class StatutesForm(TadamonForm):
    """The statutes alone, from the application form's request: they are kept as soon as
    they are valid, even when another field of the application is not."""

    class Meta:
        csrf = False  # the application form it comes with checks the token

    statutes = FileField()

    def has_file(self) -> bool:
        return bool(self.statutes.data and getattr(self.statutes.data, "filename", ""))


class SubmitApplicationForm(TadamonForm):
    adhere = BooleanField(
        _l("On behalf of the organisation, I adhere to the principles and values of the network's charter."),
        validators=[InputRequired(message=_l("To join, the organisation must adhere to the network's charter."))],
    )


class DecisionForm(TadamonForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("approve", _l("Approve: the organisation becomes a member")),
            SelectChoice("request_changes", _l("Ask for changes")),
            SelectChoice("reject", _l("Reject")),
        ],
        validators=[InputRequired(message=_l("Choose a decision."))],
    )
    message = long_text(_l("Message to the organisation"), 5000,
                        description=_l("Required to reject or to ask for changes."), render_kw={"rows": 4})


class ReasonForm(TadamonForm):
    message = TextAreaField(_l("Reason"), filters=[_strip],
                            validators=[InputRequired(message=REQUIRED), Length(max=5000, message=TOO_LONG)],
                            render_kw={"rows": 3})


class FoundingForm(TadamonForm):
    founding = BooleanField(_l("Founding member of the network"))


class InviteForm(SubmissionKey, TadamonForm):
    email = EmailField(
        _l("Their email address"), filters=[_strip],
        validators=[InputRequired(message=REQUIRED), Length(max=254, message=TOO_LONG),
                    Email(message=_l("Enter an email address such as name@example.org."), check_deliverability=False)],
        render_kw={"dir": "ltr", "autocomplete": "off"},
    )
    role = SelectField(
        _l("Role"),
        choices=enum_choices(OrganisationRole),
        default="member",
    )


class PersonRoleForm(TadamonForm):
    role = SelectField(
        _l("Role"),
        choices=enum_choices(OrganisationRole),
    )


class CharterTextForm(TadamonForm):
    title_ar, title_fr, title_en = in_each_language(
        text, (_l("Title in Arabic"), _l("Title in French"), _l("Title in English")), 200)
    preamble_ar, preamble_fr, preamble_en = in_each_language(
        long_text, (_l("Preamble in Arabic"), _l("Preamble in French"), _l("Preamble in English")), rows=4)

    def texts(self) -> dict[str, str]:
        return texts(self, "title_ar", "title_fr", "title_en", "preamble_ar", "preamble_fr", "preamble_en")


class PrincipleForm(SubmissionKey, TadamonForm):
    title_ar, title_fr, title_en = in_each_language(
        text, (_l("Principle in Arabic"), _l("Principle in French"), _l("Principle in English")), 200)
    explanation_ar, explanation_fr, explanation_en = in_each_language(
        long_text, (_l("Explanation in Arabic"), _l("Explanation in French"), _l("Explanation in English")), 3000, rows=3)

    def texts(self) -> dict[str, str]:
        return texts(self, "title_ar", "title_fr", "title_en", "explanation_ar", "explanation_fr", "explanation_en")


class FieldOfActionForm(SubmissionKey, TadamonForm):
    name_ar, name_fr, name_en = in_each_language(
        text, (_l("Name in Arabic"), _l("Name in French"), _l("Name in English")), 120)
    active = BooleanField(_l("Offered to organisations"), default=True)

    def names(self) -> dict[str, str]:
        return texts(self, "name_ar", "name_fr", "name_en")


class DirectoryFilterForm(TadamonForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search by name"), filters=[_strip], validators=[Optional(), Length(max=200)])
    region = SelectField(_l("Region"), validators=[Optional()], validate_choice=False)
    field = SelectField(_l("Field of action"), validators=[Optional()], validate_choice=False)
    legal_form = SelectField(_l("Legal form"), validators=[Optional()], validate_choice=False)

    def __init__(self, *args: Any, field_choices: list[SelectChoice] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region.choices = region_choices(_l("All regions"))
        self.legal_form.choices = legal_form_choices(_l("All legal forms"))
        self.field.choices = [SelectChoice("", _l("All fields")), *(field_choices or [])]

    def criteria(self) -> dict[str, Any]:
        """The search it asks for (nothing when it is not valid), as `directory_query` takes it."""
        if not self.validate():
            return {}
        return {"search": self.q.data or "", "region": self.region.data or "", "field_id": int_arg("field"),
                "legal_form": self.legal_form.data or ""}


def local_midnight(day: date) -> datetime:
    """The start of `day` in the person's time zone."""
    return times.local_midnight(day)


class ReviewFilterForm(TadamonForm):
    class Meta:
        csrf = False

    state = SelectField(_l("State"), validators=[Optional()], validate_choice=False,
                        choices=enum_choices([state for state in MembershipState if state is not MembershipState.DRAFT],
                                             blank=_l("Any state")))
    region = SelectField(_l("Region"), validators=[Optional()], validate_choice=False)
    legal_form = SelectField(_l("Legal form"), validators=[Optional()], validate_choice=False)
    since = DateField(_l("Submitted from"), validators=[Optional(), reasonable_date])
    until = DateField(_l("Submitted until"), validators=[Optional(), reasonable_date])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region.choices = region_choices(_l("Any region"))
        self.legal_form.choices = legal_form_choices(_l("Any legal form"))

    def criteria(self) -> dict[str, Any]:
        """The filters it asks for (nothing when it is not valid), as `review_queue_query` takes them."""
        if not self.validate():
            return {}
        return {"state": self.state.data or "", "region": self.region.data or "",
                "legal_form": self.legal_form.data or "",
                "since": local_midnight(self.since.data) if self.since.data else None,
                "until": local_midnight(self.until.data + timedelta(days=1)) if self.until.data else None}
