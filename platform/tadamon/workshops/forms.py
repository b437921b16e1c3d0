"""Workshop and consultation forms. Date-times are typed in the user's zone (Casablanca)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from tadamon.core.forms import TadamonForm, enum_choices
from tadamon.core.i18n import localized
from tadamon.core.idempotency import SubmissionKey
from tadamon.core.times import MOROCCO, instant_of, wall_of
from tadamon.membership.forms import in_each_language, long_text, text
from tadamon.workshops.models import (
    DocumentKind,
    Participation,
    Phase,
    WorkshopFormat,
    WorkshopStatus,
)
from tadamon.workshops.services.themes import active_themes

REQUIRED = _l("This field is required.")
DATETIME_MESSAGE = _l("Enter a date and time, for example 2026-03-14 09:30.")


def theme_choices(blank: object = None) -> list[SelectChoice]:
    """The themes offered now, in the reader's language, after a `blank` choice when given."""
    choices = [SelectChoice(theme.id, localized(theme, "name")[0]) for theme in active_themes()]
    return ([SelectChoice("", str(blank))] if blank is not None else []) + choices


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def optional_int(value: object) -> int | None:
    """Coerces a choice to int; the blank "choose..." option stays None."""
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


class LocalDateTimeField(DateTimeLocalField):
    """A date and time typed in the user's zone, with our own message for a bad value."""

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(DATETIME_MESSAGE)) from None


def local_datetime(label: object, required: bool = False) -> DateTimeLocalField:
    return LocalDateTimeField(
        label, format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired(message=REQUIRED)] if required else [Optional()],
        render_kw={"dir": "ltr"},
    )


# Workshops happen in Morocco: their times are typed, and labelled, in Casablanca time,
# whatever the zone of the person typing.
WORKSHOP_ZONE = MOROCCO


def to_utc(moment: datetime | None) -> datetime | None:
    """A wall-clock Casablanca time typed in a form, as an aware UTC datetime."""
    return None if moment is None else instant_of(moment, WORKSHOP_ZONE)


def to_local(moment: datetime | None) -> datetime | None:
    """A stored instant as the wall-clock Casablanca time a form shows."""
    return None if moment is None else wall_of(moment, WORKSHOP_ZONE)


class ThemeForm(SubmissionKey, TadamonForm):
    name_ar, name_fr, name_en = in_each_language(
        text, (_l("Name in Arabic"), _l("Name in French"), _l("Name in English")), 200)
    description_ar, description_fr, description_en = in_each_language(
        long_text, (_l("Description in Arabic"), _l("Description in French"), _l("Description in English")), 5000, rows=3)
    active = BooleanField(_l("Offered for new workshops"), default=True)


class WorkshopForm(SubmissionKey, TadamonForm):
    title_ar, title_fr, title_en = in_each_language(
        text, (_l("Title in Arabic"), _l("Title in French"), _l("Title in English")), 200)
    theme_id = SelectField(_l("Theme"), coerce=optional_int, validators=[InputRequired(message=_l("Choose a theme."))],
                           validate_choice=False)
    description_ar, description_fr, description_en = in_each_language(
        long_text, (_l("Description in Arabic"), _l("Description in French"), _l("Description in English")), rows=4)
    scope = RadioField(_l("Scope"), choices=[SelectChoice("national", _l("National")),
                                             SelectChoice("regional", _l("One or more regions"))],
                       default="national", validators=[InputRequired(message=REQUIRED)])
    regions = MultiCheckboxField(_l("Regions"), validate_choice=False)
    format = RadioField(_l("Format"), choices=enum_choices(WorkshopFormat),
                        default="in_person", validators=[InputRequired(message=REQUIRED)])
    venue = text(_l("Venue"), 200)
    address = text(_l("Address"), 300)
    online_link = StringField(
        _l("Link to join online"), validators=[Optional(), Length(max=500), URL(require_tld=False, message=_l("Enter a web address such as https://example.org."))],
        description=_l("Shown only to registered organisations."), render_kw={"dir": "ltr", "inputmode": "url"},
    )
    starts_at = local_datetime(_l("Start (Casablanca time)"), required=True)
    ends_at = local_datetime(_l("End (Casablanca time)"), required=True)
    capacity = IntegerField(_l("Capacity (organisations)"),
                            validators=[InputRequired(message=REQUIRED),
                                        NumberRange(min=1, max=100000, message=_l("The capacity is at least one organisation."))],
                            render_kw={"inputmode": "numeric", "dir": "ltr"})


class FacilitatorsForm(TadamonForm):
    facilitators = MultiCheckboxField(_l("Facilitators"), coerce=int, validate_choice=False)


def status_or_none(value: object) -> WorkshopStatus | None:
    """A workshop stage from the form, or None when it names none."""
    return next((status for status in WorkshopStatus if status == value), None)


def phase_or_none(value: object) -> Phase | None:
    """A consultation phase from the form, or None when it names none."""
    return next((phase for phase in Phase if phase == value), None)


class StatusForm(TadamonForm):
    status = SelectField(_l("Next stage"), coerce=status_or_none, validate_choice=False)


class DocumentForm(SubmissionKey, TadamonForm):
    kind = SelectField(_l("Kind of document"),
                       choices=enum_choices(DocumentKind))
    title = text(_l("Title (optional)"), 200)
    document = FileField(_l("File (PDF or office document, at most 10 MB)"),
                         validators=[InputRequired(message=_l("Choose a file."))])


class RegistrationForm(TadamonForm):
    attendees = TextAreaField(
        _l("Who will attend (one name per line)"),
        validators=[InputRequired(message=_l("Name at least one person who will attend.")), Length(max=2000)],
        render_kw={"rows": 3},
    )


class RegistrationDecisionForm(TadamonForm):
    decision = SelectField(_l("Decision"), choices=[SelectChoice("accept", _l("Accept")),
                                                    SelectChoice("decline", _l("Decline"))])


class BulkDecisionForm(TadamonForm):
    """The registrations ticked in the table, and the decision taken for all of them (the
    button pressed). The view offers the registrations still to decide as choices."""

    registrations = MultiCheckboxField(_l("Registrations"), coerce=optional_int,
                                       validators=[InputRequired(message=_l("Tick at least one registration."))])
    decision = SelectField(_l("Decision"), choices=[SelectChoice("accept", _l("Accept")),
                                                    SelectChoice("decline", _l("Decline"))])


class ReconsiderForm(TadamonForm):
    decision = RadioField(_l("What becomes of the registration"), default="pending", choices=[
        SelectChoice("pending", _l("Back to pending: decide later")),
        SelectChoice("accept", _l("Accept it now"))],
        validators=[InputRequired(message=REQUIRED)])


class ConsultationForm(SubmissionKey, TadamonForm):
    question_ar, question_fr, question_en = in_each_language(
        text, (_l("Question in Arabic"), _l("Question in French"), _l("Question in English")), 300)
    description_ar, description_fr, description_en = in_each_language(
        long_text, (_l("Description in Arabic"), _l("Description in French"), _l("Description in English")), rows=4)
    participation = RadioField(_l("Who takes part"),
                               choices=enum_choices(Participation),
                               default="all_members")
    proposals_open_at = local_datetime(_l("Proposals open on"))
    deliberation_at = local_datetime(_l("Deliberation starts on"))
    voting_at = local_datetime(_l("Voting opens on"))
    closed_at = local_datetime(_l("Voting closes on"))
    amendments_allowed = BooleanField(_l("Organisations may propose amendments to others' proposals during the deliberation"),
                                      default=True)
    voting_method = SelectField(_l("Voting method"), validate_choice=False)
    max_approvals = IntegerField(_l("Approval voting: proposals each organisation may support"),
                                 validators=[Optional(), NumberRange(min=1, max=1000, message=_l("Enter a whole number, 1 or more."))],
                                 render_kw={"inputmode": "numeric", "dir": "ltr"})
    quorum = DecimalField(_l("Yes / no: quorum (share of eligible organisations, e.g. 0.5)"), places=None,
                          validators=[Optional(), NumberRange(min=0, max=1, message=_l("Give a share between 0 and 1, for example 0.5."))],
                          render_kw={"inputmode": "decimal", "dir": "ltr"})
    threshold = DecimalField(_l("Yes / no: threshold (share of yes among yes and no, e.g. 0.5)"), places=None,
                             validators=[Optional(), NumberRange(min=0, max=1, message=_l("Give a share between 0 and 1, for example 0.5."))],
                             render_kw={"inputmode": "decimal", "dir": "ltr"})


    secret_ballots = BooleanField(_l("Secret ballots: only the totals and the list of organisations that voted are "
                                     "shown, never how an organisation voted"), default=False)


class WorkshopFilterForm(TadamonForm):
    class Meta:
        csrf = False

    when = SelectField(_l("When"), choices=[SelectChoice("upcoming", _l("Upcoming")), SelectChoice("past", _l("Past"))],
                       validate_choice=False)
    theme = SelectField(_l("Theme"), validate_choice=False)
    region = SelectField(_l("Region"), validate_choice=False)
    format = SelectField(_l("Format"), validate_choice=False)


class MinutesForm(TadamonForm):
    minutes_ar, minutes_fr, minutes_en = in_each_language(
        long_text, (_l("Minutes in Arabic"), _l("Minutes in French"), _l("Minutes in English")), 50000, rows=6)


class RoomRecordForm(SubmissionKey, TadamonForm):
    kind = RadioField(_l("What are you recording?"),
                      choices=[SelectChoice("paper_proposal", _l("Proposal written on paper")),
                               SelectChoice("discussion_notes", _l("Notes of a discussion"))],
                      default="paper_proposal", validators=[InputRequired(message=REQUIRED)])
    organisation_id = SelectField(_l("On behalf of"), coerce=optional_int, validate_choice=False)
    title = text(_l("Title"), 200)
    body = TextAreaField(_l("Text"), validators=[InputRequired(message=REQUIRED), Length(max=20000)],
                         render_kw={"rows": 6, "dir": "auto"})
    language = SelectField(_l("Language of the text"),
                           choices=[SelectChoice("ar", "العربية", render_kw={"lang": "ar"}),
                                    SelectChoice("fr", "Français", render_kw={"lang": "fr"}),
                                    SelectChoice("en", "English", render_kw={"lang": "en"})])
