"""The base form: keeps typed input across expired sessions and CSRF tokens."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import flash, g, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.fields.choices import SelectChoice

from tadamon.core import stash
from tadamon.core.enums import LabelledEnum

F = TypeVar("F", bound=Callable[..., Any])
FormT = TypeVar("FormT", bound="TadamonForm")
REDISPLAYS_FORM_ATTRIBUTE = "tadamon_redisplays_form"


def redisplays_form(view: F) -> F:
    """Marks a view whose POST only ever changes anything through a validated form.

    When such a request fails the CSRF check (an expired token after a long writing
    session), the view is called again: its form fails validation the same way and the
    page comes back with everything typed and a request to submit again. Views without
    this mark get a plain 400 page, so a button without a form can never act unchecked.
    """
    setattr(view, REDISPLAYS_FORM_ATTRIBUTE, True)
    return view


class OptionsWrittenDirectly(widgets.Select):
    """WTForms' select, each plain option written directly instead of through `html_params`
    (a dictionary built, sorted and cleaned per option: a third of the cost of a list page's
    filter form, with its dozens of regions, themes and formats). The same HTML: `selected`
    before `value`, as html_params sorts them; options with attributes of their own go the
    usual way."""

    @classmethod
    def render_option(cls, choice: SelectChoice, **kwargs: Any) -> Markup:
        if choice.render_kw or kwargs:
            return super().render_option(choice, **kwargs)
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        label = escape(choice.label or choice.value)
        selected = "selected " if choice.selected else ""
        return Markup(f'<option {selected}value="{escape(value)}">{label}</option>')  # noqa: S704 - value and label escaped


SELECT_WIDGETS = {False: OptionsWrittenDirectly(), True: OptionsWrittenDirectly(multiple=True)}


class TadamonForm(FlaskForm):
    """A FlaskForm that refills itself from a stash left by an expired session.

    On a GET of the address where a stashed submission was made, the form is filled
    with what was typed (secrets excepted) and `restored` is set, so the page can say so.
    """

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            field = super().bind_field(form, unbound_field, options)  # type: ignore[misc]
            # Every select of the platform with WTForms' own widget: the same widget, lighter.
            if type(field.widget) is widgets.Select:
                field.widget = SELECT_WIDGETS[field.widget.multiple]
            return field

    restored: bool = False
    # Restored from a post that did not say it came from our pages: the page asks for a read-through.
    restored_unchecked: bool = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        restored_data = None
        unchecked = False
        if "formdata" not in kwargs and request.method == "GET":
            unchecked = stash.stash_origin_unchecked()
            restored_data = stash.take_stashed_submission(request.path)
            if restored_data is not None:
                kwargs["formdata"] = restored_data
                from tadamon.core.member_pages import keep_personal

                keep_personal()  # what this reader typed: a member page showing it is never stored
        super().__init__(*args, **kwargs)
        self.restored = restored_data is not None
        self.restored_unchecked = self.restored and unchecked

    @property
    def csrf_expired(self) -> bool:
        """True when this submission was refused for an expired or missing CSRF token."""
        return bool(g.get("csrf_redispatched")) or bool(
            getattr(self, "csrf_token", None) is not None and self.csrf_token.errors
        )


def edit_form(form_class: type[FormT], obj: Any, **data: Any) -> FormT:
    """The form editing `obj`: on a GET filled from it (and from `data` for the fields `obj`
    has no attribute for), otherwise from what was submitted."""
    if request.method == "GET":
        return form_class(obj=obj, **data)
    return form_class()


class ConfirmForm(TadamonForm):
    """A form with no field: a button that changes state still carries a CSRF token."""


CSRF_EXPIRED_MESSAGE = _l(
    "This form had expired, so nothing was saved yet. What you typed is kept below: "
    "please check it and submit again."
)
STASH_RESTORED_MESSAGE = _l(
    "Your session had ended. We kept what you typed: please check it and submit again."
)
STASH_UNCHECKED_MESSAGE = _l(
    "Your session had ended. We kept what your browser sent, but it did not say which page it came from: "
    "read every field through before you submit it."
)


def reasonable_date(form: Any, field: Any) -> None:
    """Dates between 1900 and 2100: beyond, date arithmetic overflows and no one means it."""
    from wtforms.validators import ValidationError

    if field.data is not None and not 1900 <= field.data.year <= 2100:
        field.data = None
        raise ValidationError(str(_l("Enter a date between 1900 and 2100.")))


CHOICE_NOT_OFFERED = _l("Choose one of the options offered.")


def offered_choice(form: Any, field: Any) -> None:
    """A select whose options are built per request (`validate_choice=False`, so an empty
    list is allowed) still accepts only a value it offered: an unknown or oversized id is a
    message by the field, never a database error."""
    from wtforms.validators import ValidationError

    if field.data in (None, ""):  # nothing chosen: `InputRequired` decides whether that is allowed
        return
    if not any(match for _value, _label, match, *_rest in field.iter_choices()):
        raise ValidationError(str(CHOICE_NOT_OFFERED))




def show_error(form: FlaskForm | None, error: Any) -> None:
    """A refused use-case (a DomainError) on the form: under its field when it names one,
    else as a message at the top of the page."""
    field = getattr(form, error.field, None) if (form is not None and error.field) else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(str(error.message), "error")


def enum_choices(members: Iterable[LabelledEnum], blank: Any = None) -> list[SelectChoice]:
    """A select's options: the members' values and labels (a whole enum, or some of its
    members), after an empty option labelled `blank` when one is given."""
    head = [SelectChoice("", blank)] if blank is not None else []
    return head + [SelectChoice(member.value, member.label) for member in members]


def notification_settings_form(categories: Iterable[LabelledEnum], frequencies: Iterable[LabelledEnum]) -> Any:
    """The notification settings: one choice of frequency per category shown to the person."""
    from wtforms import SelectField
    from wtforms.validators import InputRequired

    choices = enum_choices(frequencies)
    values = [choice.value for choice in choices]

    class NotificationSettingsForm(TadamonForm):
        pass

    for category in categories:
        setattr(NotificationSettingsForm, category.value,
                SelectField(category.label, choices=choices, validators=[InputRequired()],
                            coerce=lambda value, allowed=values: value if value in allowed else None))
    return NotificationSettingsForm
