"""Proposal forms."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from tadamon.core.forms import TadamonForm, enum_choices, offered_choice, reasonable_date
from tadamon.core.idempotency import SubmissionKey
from tadamon.proposals.models import TERRITORY_LABELS, Evaluation, Stance
from tadamon.workshops.forms import optional_int

REQUIRED = _l("This field is required.")
TOO_LONG = _l("This text is too long.")


def _strip(value: object) -> object:
    # Browsers send a textarea's line breaks as CRLF; one form of text is stored and versioned.
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else value


def _area(label: object, limit: int = 5000, rows: int = 3) -> TextAreaField:
    return TextAreaField(label, filters=[_strip], validators=[Optional(), Length(max=limit, message=TOO_LONG)],
                         render_kw={"rows": rows, "dir": "auto"})


def _choice_id(value: object) -> int | str | None:
    """An id among a select's options: a whole number, None for the blank option, and anything
    else kept as typed so that `offered_choice` refuses it (rather than reading it as blank)."""
    number = optional_int(value)
    return number if number is not None or value in (None, "") else str(value)


def _title_field() -> StringField:
    return StringField(_l("Title"), filters=[_strip], validators=[Optional(), Length(max=200, message=TOO_LONG)],
                       render_kw={"dir": "auto"})


def _body_field(label: object) -> TextAreaField:
    return TextAreaField(label, filters=[_strip], validators=[Optional(), Length(max=30000, message=TOO_LONG)],
                         description=_l("You can use simple formatting: **bold**, *italics*, lists with “- ”, links."),
                         render_kw={"rows": 12, "dir": "auto"})


def _language_field() -> SelectField:
    return SelectField(_l("Language of the proposal"),
                       choices=[SelectChoice("ar", "العربية", render_kw={"lang": "ar"}),
                                SelectChoice("fr", "Français", render_kw={"lang": "fr"}),
                                SelectChoice("en", "English", render_kw={"lang": "en"})])


class ProposalForm(TadamonForm):
    title = _title_field()
    body = _body_field(_l("The proposal"))
    language = _language_field()
    theme_id = SelectField(_l("Theme"), coerce=_choice_id, validate_choice=False, validators=[offered_choice])
    territory_scope = RadioField(_l("Territory"), choices=[SelectChoice(k, v) for k, v in TERRITORY_LABELS.items()],
                                 default="national")
    territory_region = SelectField(_l("Region"), validate_choice=False, validators=[offered_choice])
    territory_province = StringField(_l("Province"), filters=[_strip], validators=[Optional(), Length(max=120)])
    beneficiaries = _area(_l("Who benefits"))
    expected_impact = _area(_l("Expected impact"))
    resources_needed = _area(_l("Resources needed"))
    partners_sought = _area(_l("Partners sought"))
    # Names the draft this page writes, so a submit and an autosave in flight keep one draft.
    draft_key = HiddenField(validators=[Optional(), Length(max=43)])
    attachment = FileField(_l("Attach a PDF or an image (at most 5 MB)"),
                           render_kw={"accept": "application/pdf,image/png,image/jpeg,image/webp"})


class CommentForm(SubmissionKey, TadamonForm):
    body = TextAreaField(_l("Your comment"), filters=[_strip],
                         validators=[InputRequired(message=_l("Write your comment.")), Length(max=5000, message=TOO_LONG)],
                         render_kw={"rows": 4, "dir": "auto"})
    stance = RadioField(_l("Your organisation's position"),
                        choices=enum_choices(Stance), default="neutral")
    parent_id = HiddenField()


class ReasonForm(TadamonForm):
    reason = TextAreaField(_l("Reason"), filters=[_strip],
                           validators=[InputRequired(message=REQUIRED), Length(max=2000, message=TOO_LONG)],
                           render_kw={"rows": 2, "dir": "auto"})


class ModerationForm(TadamonForm):
    decision = RadioField(_l("Decision"), choices=[SelectChoice("hide", _l("Hide it (the reason is shown in its place)")),
                                                   SelectChoice("keep", _l("Keep it"))],
                          validators=[InputRequired(message=_l("Choose to hide the content or to keep it."))])
    reason = TextAreaField(_l("Reason, told to the reporter and the author"), filters=[_strip],
                           validators=[InputRequired(message=REQUIRED), Length(max=2000, message=TOO_LONG)],
                           render_kw={"rows": 2, "dir": "auto"})


class EvaluationForm(TadamonForm):
    evaluation = RadioField(_l("Evaluation"), choices=enum_choices(Evaluation),
                            validators=[InputRequired(message=_l("Choose an evaluation."))])
    answer = _area(_l("Public answer to the organisation"), 5000)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MergeForm(TadamonForm):
    sources = MultiCheckboxField(_l("Proposals to merge into this one"), coerce=int, validate_choice=False)
    reason = TextAreaField(_l("Why they are merged (shown publicly)"), filters=[_strip],
                           validators=[InputRequired(message=REQUIRED), Length(max=2000)], render_kw={"rows": 2})


class ProposalFilterForm(TadamonForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), filters=[_strip], validators=[Optional(), Length(max=200)])
    theme = SelectField(_l("Theme"), validate_choice=False)
    region = SelectField(_l("Region"), validate_choice=False)
    evaluation = SelectField(_l("Evaluation"), validate_choice=False)
    sort = SelectField(_l("Sort by"), validate_choice=False, choices=[
        SelectChoice("recent", _l("Most recent")), SelectChoice("cosigned", _l("Most co-signed")),
        SelectChoice("discussed", _l("Most discussed")), SelectChoice("random", _l("Random order"))])


class AmendmentForm(SubmissionKey, TadamonForm):
    title = StringField(_l("Amended title"), filters=[_strip],
                        validators=[InputRequired(message=REQUIRED), Length(max=200, message=TOO_LONG)],
                        render_kw={"dir": "auto"})
    body = TextAreaField(_l("Amended text"), filters=[_strip],
                         validators=[InputRequired(message=REQUIRED), Length(max=30000, message=TOO_LONG)],
                         render_kw={"rows": 8, "dir": "auto"})
    justification = TextAreaField(_l("Why this change"), filters=[_strip],
                                  validators=[InputRequired(message=_l("Explain why you propose this change.")),
                                              Length(max=3000, message=TOO_LONG)],
                                  render_kw={"rows": 3, "dir": "auto"})


class SplitForm(TadamonForm):
    title_1 = StringField(_l("First part: title"), filters=[_strip],
                          validators=[InputRequired(message=REQUIRED), Length(max=200)], render_kw={"dir": "auto"})
    body_1 = TextAreaField(_l("First part: text"), filters=[_strip],
                           validators=[InputRequired(message=REQUIRED), Length(max=30000)],
                           render_kw={"rows": 6, "dir": "auto"})
    title_2 = StringField(_l("Second part: title"), filters=[_strip],
                          validators=[InputRequired(message=REQUIRED), Length(max=200)], render_kw={"dir": "auto"})
    body_2 = TextAreaField(_l("Second part: text"), filters=[_strip],
                           validators=[InputRequired(message=REQUIRED), Length(max=30000)],
                           render_kw={"rows": 6, "dir": "auto"})
    reason = TextAreaField(_l("Why it is split (shown publicly)"), filters=[_strip],
                           validators=[InputRequired(message=REQUIRED), Length(max=2000)], render_kw={"rows": 2})


class _DayField(DateField):
    """A day, with the platform's own message for a bad value (WTForms' is English only)."""

    data: date | None

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Enter a date, for example 2027-03-14."))) from None


class RoomProposalForm(SubmissionKey, TadamonForm):
    """A proposal made on paper in the room, typed in by a facilitator as it was written."""

    consultation_id = SelectField(_l("Consultation"), coerce=_choice_id, validate_choice=False,
                                  validators=[InputRequired(message=REQUIRED), offered_choice])
    organisation_id = SelectField(_l("Organisation that made it"), coerce=_choice_id, validate_choice=False,
                                  validators=[InputRequired(message=REQUIRED), offered_choice])
    made_on = _DayField(_l("Day it was made in the room"), validators=[reasonable_date], render_kw={"dir": "ltr"})
    title = _title_field()
    body = _body_field(_l("The proposal, as written on the paper"))
    language = _language_field()
