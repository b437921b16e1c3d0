"""Action plan forms: an action (with rows of milestones and indicators), an offer to carry
it, a progress update, the steering group's answers, versions and exports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from tadamon.action_plan.models import (
    Action,
    ActionStatus,
    CommitmentRole,
    Indicator,
    TerritoryScope,
)
from tadamon.action_plan.services.actions import (
    ACTION_FIELDS,
    TEXT_FIELDS,
    ActionData,
    IndicatorData,
    MilestoneData,
)
from tadamon.action_plan.services.commitments import UpdateData
from tadamon.core.forms import TadamonForm, enum_choices, reasonable_date
from tadamon.core.idempotency import SubmissionKey
from tadamon.membership.forms import long_text, text
from tadamon.workshops.forms import MultiCheckboxField, optional_int

REQUIRED = _l("This field is required.")
DATE_MESSAGE = _l("Enter a date, for example 2027-03-14.")
NUMBER_MESSAGE = _l("Enter a number, for example 1500 or 12.5.")
PERCENT_MESSAGE = _l("Enter a whole number from 0 to 100.")
# Rows offered blank under the existing ones, so that rows are added without JavaScript.
BLANK_ROWS = 2


class LocalisedDateField(DateField):
    """A date with our own message for a bad value (WTForms' default is English only)."""

    data: date | None

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(DATE_MESSAGE)) from None


class LocalisedDecimalField(DecimalField):
    data: Decimal | None

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist:
            valuelist = [valuelist[0].replace(" ", "").replace("\u00a0", "").replace(",", ".")]
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(NUMBER_MESSAGE)) from None


def date_field(label: object) -> LocalisedDateField:
    return LocalisedDateField(label, validators=[Optional(), reasonable_date], render_kw={"dir": "ltr"})


def decimal_field(label: object) -> LocalisedDecimalField:
    return LocalisedDecimalField(label, places=2, validators=[
        Optional(), NumberRange(min=-1e12, max=1e12, message=NUMBER_MESSAGE)],
        render_kw={"inputmode": "decimal", "dir": "ltr"})


def percent_field(label: object, required: bool = False) -> IntegerField:
    return IntegerField(label, validators=[InputRequired(message=REQUIRED) if required else Optional(),
                                           NumberRange(min=0, max=100, message=PERCENT_MESSAGE)],
                        render_kw={"inputmode": "numeric", "dir": "ltr", "min": 0, "max": 100})


def _id_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


class MilestoneRow(Form):
    title = text(_l("Milestone"), 300)
    due_on = date_field(_l("Due on"))
    done = BooleanField(_l("Reached"))

    def milestone_data(self) -> MilestoneData:
        return MilestoneData(title=self.title.data or "", due_on=self.due_on.data, done=bool(self.done.data))


class IndicatorRow(Form):
    indicator_id = HiddenField()
    name = text(_l("Indicator"), 300)
    unit = text(_l("Unit"), 60)
    baseline = decimal_field(_l("Baseline"))
    target = decimal_field(_l("Target"))
    current_value = decimal_field(_l("Current value"))

    def indicator_data(self) -> IndicatorData:
        return IndicatorData(name=self.name.data or "", unit=self.unit.data or "", baseline=self.baseline.data,
                             target=self.target.data, current_value=self.current_value.data,
                             indicator_id=_id_or_none(self.indicator_id.data))


class ActionForm(SubmissionKey, TadamonForm):
    title_ar = text(_l("Title in Arabic"), 300)
    title_fr = text(_l("Title in French"), 300)
    title_en = text(_l("Title in English"), 300)
    description_ar = long_text(_l("Description in Arabic"), 20000)
    description_fr = long_text(_l("Description in French"), 20000)
    description_en = long_text(_l("Description in English"), 20000)
    objectives = long_text(_l("Objectives"), 5000, description=_l("One objective per line."))
    theme_id = SelectField(_l("Theme"), coerce=optional_int, validate_choice=False)
    territory_scope = RadioField(_l("Territory"), choices=enum_choices(TerritoryScope),
                                 default="national", validators=[InputRequired(message=REQUIRED)])
    regions = MultiCheckboxField(_l("Regions"))
    provinces = text(_l("Provinces or cities"), 1000, description=_l("Separated by commas."))
    starts_on = date_field(_l("Start date"))
    ends_on = date_field(_l("End date"))
    milestones = FieldList(FormField(MilestoneRow), min_entries=0, max_entries=40)
    indicators = FieldList(FormField(IndicatorRow), min_entries=0, max_entries=40)
    budget_estimate = decimal_field(_l("Budget estimate (MAD)"))
    funding_sources = long_text(_l("Funding sources"), 5000)
    status = SelectField(_l("Status"), choices=enum_choices(ActionStatus), default="planned")
    progress = percent_field(_l("Progress (%)"))

    def fill(self, data: ActionData) -> None:
        """Shows `data` in the form (a first draft, or the action as it is)."""
        for name in ACTION_FIELDS:
            getattr(self, name).data = getattr(data, name)
        self.regions.data = data.regions
        for milestone in data.milestones:
            self.milestones.append_entry({"title": milestone.title, "due_on": milestone.due_on,
                                          "done": milestone.done})
        for indicator in data.indicators:
            self.indicators.append_entry({"indicator_id": indicator.indicator_id or "", "name": indicator.name,
                                          "unit": indicator.unit, "baseline": indicator.baseline,
                                          "target": indicator.target, "current_value": indicator.current_value})

    def add_blank_rows(self) -> None:
        """Blank milestone and indicator rows under the filled ones, to add rows without JavaScript."""
        for rows, key in ((self.milestones, "title"), (self.indicators, "name")):
            while len(rows.entries) < len([e for e in rows.entries if getattr(e.form, key).data]) + BLANK_ROWS:
                rows.append_entry()

    def action_data(self) -> ActionData:
        """What was typed, for `create_action` and `update_action` (which check the rules)."""
        return ActionData(
            **{name: getattr(self, name).data or "" for name in TEXT_FIELDS},
            theme_id=self.theme_id.data, territory_scope=self.territory_scope.data or "national",
            regions=list(self.regions.data or []), starts_on=self.starts_on.data, ends_on=self.ends_on.data,
            budget_estimate=self.budget_estimate.data, status=self.status.data or "planned",
            progress=self.progress.data or 0,
            milestones=[entry.form.milestone_data() for entry in self.milestones.entries],
            indicators=[entry.form.indicator_data() for entry in self.indicators.entries])


class VolunteerForm(SubmissionKey, TadamonForm):
    role = RadioField(_l("Your organisation offers to"), choices=[
        SelectChoice("lead", _l("Lead the action")), SelectChoice("partner", _l("Be a partner"))], default="partner",
        validators=[InputRequired(message=REQUIRED)])
    message = long_text(_l("What your organisation brings"), 3000,
                        description=_l("Your experience, your people in the territories, your resources."))


class DecideCommitmentForm(TadamonForm):
    answer = long_text(_l("Answer to the organisation (optional)"), 2000)


class IndicatorValueRow(Form):
    indicator_id = HiddenField()
    value = decimal_field(_l("Value now"))


class ProgressUpdateForm(SubmissionKey, TadamonForm):
    happened_on = LocalisedDateField(_l("Date"), validators=[InputRequired(message=REQUIRED), reasonable_date],
                                     render_kw={"dir": "ltr"})
    text = TextAreaField(_l("What was done"), validators=[InputRequired(message=REQUIRED),
                                                          Length(max=10000, message=_l("This text is too long."))])
    progress = percent_field(_l("Progress now (%)"))
    indicator_values = FieldList(FormField(IndicatorValueRow), min_entries=0, max_entries=40)

    def start_from(self, action: Action, today: date) -> None:
        """A new update starts from today, the action's progress and its indicators' values."""
        self.happened_on.data = today
        self.progress.data = action.progress
        for indicator in action.indicators:
            self.indicator_values.append_entry({"indicator_id": str(indicator.id), "value": indicator.current_value})

    def indicator_rows(self, action: Action) -> list[tuple[Indicator | None, Any]]:
        """Each indicator row of the form with the action's indicator it is about (None: not one of them)."""
        indicators = {i.id: i for i in action.indicators}
        return [(indicators.get(_id_or_none(e.form.indicator_id.data) or 0), e) for e in self.indicator_values.entries]

    def update_data(self, rows: list[tuple[Indicator | None, Any]]) -> UpdateData:
        values: dict[int, Decimal] = {indicator.id: entry.form.value.data for indicator, entry in rows
                                      if indicator is not None and entry.form.value.data is not None}
        # InputRequired: a validated form holds a date.
        return UpdateData(happened_on=cast("date", self.happened_on.data), text=self.text.data or "", progress=self.progress.data,
                          indicator_values=values)


class ReasonForm(TadamonForm):
    reason = TextAreaField(_l("Reason (public)"), validators=[
        InputRequired(message=REQUIRED), Length(max=3000, message=_l("This text is too long."))])


class AddSourcesForm(TadamonForm):
    pass


class VersionForm(TadamonForm):
    note = long_text(_l("What changed (for the reviewers)"), 3000)


class ExportForm(TadamonForm):
    version = SelectField(_l("Version"), validate_choice=True)
    file_format = RadioField(_l("Format"), validators=[InputRequired(message=REQUIRED)], default="pdf")
    language = RadioField(_l("Language"), choices=[
        SelectChoice("ar", "العربية"), SelectChoice("fr", "Français"), SelectChoice("en", "English")],
                          validators=[InputRequired(message=REQUIRED)])


ROLE_CHOICES = enum_choices(CommitmentRole)
