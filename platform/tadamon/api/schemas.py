"""The API's representations (marshmallow): what the OpenAPI document describes is what the
views answer, since flask-smorest builds both from these schemas."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

LANGUAGES = ("ar", "fr", "en")


# A NUL cannot be stored (PostgreSQL refuses it): a body's texts refuse it up front, as
# core.errors does in forms and query strings; a pattern (not code), so the OpenAPI document
# says it too. A lone surrogate (valid JSON, not valid UTF-8) becomes U+FFFD: kept, not refused.
STORABLE = validate.Regexp(r"^[^\x00]*$", error="Contains a character that cannot be stored (NUL).")


class _Text(ma.fields.String):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not isinstance(text, str):
            return text
        return "".join("\ufffd" if "\ud800" <= char <= "\udfff" else char for char in text)


def Text(**kwargs: Any) -> ma.fields.String:  # noqa: N802 (used like the field class it makes)
    """A string of a request body."""
    extra = kwargs.pop("validate", None)
    return _Text(validate=[STORABLE, *([extra] if extra else [])], **kwargs)


class Texts(ma.Schema):
    """A text in each of the platform's languages (empty when not written in that one)."""

    ar = ma.fields.String(required=True)
    fr = ma.fields.String(required=True)
    en = ma.fields.String(required=True)


class PageArgs(ma.Schema):
    cursor = ma.fields.String(load_default=None, validate=validate.Regexp(r"^c[0-9]{1,10}$"),
                              metadata={"description": "The `next_cursor` of the previous page"})
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class Page(ma.Schema):
    next_cursor = ma.fields.String(allow_none=True, required=True,
                                   metadata={"description": "Give it as `cursor` for the next page; null on the last"})


class FieldOfAction(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    name_i18n = ma.fields.Nested(Texts, required=True)


class Organisation(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, metadata={"description": "In the caller's language, else the first written"})
    name_i18n = ma.fields.Nested(Texts, required=True)
    acronym = ma.fields.String(required=True)
    description_i18n = ma.fields.Nested(Texts, required=True)
    region = ma.fields.String(required=True, metadata={"description": "Region code (e.g. CAS)"})
    province = ma.fields.String(required=True)
    website = ma.fields.String(required=True)
    year_founded = ma.fields.Integer(allow_none=True, required=True)
    fields_of_action = ma.fields.List(ma.fields.Nested(FieldOfAction), required=True)
    member_since = ma.fields.DateTime(allow_none=True, required=True)
    url = ma.fields.String(required=True)


class OrganisationArgs(PageArgs):
    region = ma.fields.String(load_default="", validate=validate.Length(max=3))
    field_of_action = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=2_147_483_647))


class OrganisationPage(Page):
    data = ma.fields.List(ma.fields.Nested(Organisation), required=True)


class PhaseDates(ma.Schema):
    proposals_open = ma.fields.DateTime(allow_none=True, required=True)
    deliberation = ma.fields.DateTime(allow_none=True, required=True)
    voting = ma.fields.DateTime(allow_none=True, required=True)
    closed = ma.fields.DateTime(allow_none=True, required=True)


class PhaseMove(ma.Schema):
    from_phase = ma.fields.String(required=True)
    to_phase = ma.fields.String(required=True)
    moved_at = ma.fields.DateTime(required=True)


class Consultation(ma.Schema):
    id = ma.fields.Integer(required=True)
    question = ma.fields.String(required=True)
    question_i18n = ma.fields.Nested(Texts, required=True)
    description_i18n = ma.fields.Nested(Texts, required=True)
    workshop_id = ma.fields.Integer(allow_none=True, required=True)
    workshop_ics = ma.fields.String(allow_none=True, required=True,
                                    metadata={"description": "The workshop's iCalendar file"})
    phase = ma.fields.String(required=True)
    phase_label = ma.fields.String(required=True)
    scheduled = ma.fields.Nested(PhaseDates, required=True)
    history = ma.fields.List(ma.fields.Nested(PhaseMove), required=True)
    voting_method = ma.fields.String(required=True)
    url = ma.fields.String(required=True)


PHASES = ("proposals_open", "deliberation", "voting", "closed", "results_published")


class ConsultationArgs(PageArgs):
    phase = ma.fields.String(load_default="", validate=validate.OneOf(("", *PHASES)))
    workshop_id = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=2_147_483_647))


class ConsultationPage(Page):
    data = ma.fields.List(ma.fields.Nested(Consultation), required=True)


class Version(ma.Schema):
    number = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)


class Cosigner(ma.Schema):
    organisation_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    cosigned_at = ma.fields.DateTime(required=True)


class Proposal(ma.Schema):
    id = ma.fields.Integer(required=True)
    consultation_id = ma.fields.Integer(required=True)
    organisation_id = ma.fields.Integer(required=True)
    state = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    language = ma.fields.String(required=True, metadata={"description": "The language it is written in"})
    theme_id = ma.fields.Integer(allow_none=True, required=True)
    territory_scope = ma.fields.String(required=True)
    territory_region = ma.fields.String(required=True)
    evaluation = ma.fields.String(allow_none=True, required=True)
    version = ma.fields.Integer(required=True)
    published_at = ma.fields.DateTime(allow_none=True, required=True)
    cosignature_count = ma.fields.Integer(required=True)
    comment_count = ma.fields.Integer(required=True)
    url = ma.fields.String(required=True)


class ProposalDetail(Proposal):
    versions = ma.fields.List(ma.fields.Nested(Version), required=True)
    cosigners = ma.fields.List(ma.fields.Nested(Cosigner), required=True)


class ProposalArgs(PageArgs):
    consultation_id = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=2_147_483_647))
    organisation_id = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=2_147_483_647))
    region = ma.fields.String(load_default="", validate=validate.Length(max=3))


class ProposalPage(Page):
    data = ma.fields.List(ma.fields.Nested(Proposal), required=True)


class NewProposal(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    title = Text(required=True, validate=validate.Length(max=200))
    body = Text(load_default="", validate=validate.Length(max=20_000))
    language = ma.fields.String(load_default="ar", validate=validate.OneOf(LANGUAGES))
    draft_key = ma.fields.String(load_default="", validate=validate.Regexp(r"^[A-Za-z0-9_-]{0,43}$"),
                                 metadata={"description": "Sent twice with the same key, one draft is made"})


class NewComment(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    body = Text(required=True, validate=validate.Length(min=1, max=5_000))
    stance = ma.fields.String(load_default="neutral", validate=validate.OneOf(("for", "against", "neutral")))


class Comment(ma.Schema):
    id = ma.fields.Integer(required=True)
    proposal_id = ma.fields.Integer(required=True)
    organisation_id = ma.fields.Integer(required=True)
    stance = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)


class Cosignature(ma.Schema):
    proposal_id = ma.fields.Integer(required=True)
    organisation_id = ma.fields.Integer(required=True)
    created = ma.fields.Boolean(required=True, metadata={"description": "False when it had already co-signed"})
    cosignature_count = ma.fields.Integer(required=True)


class PlanVersion(ma.Schema):
    number = ma.fields.Integer(required=True)
    published_at = ma.fields.DateTime(required=True)
    note = ma.fields.String(required=True)
    snapshot_hash = ma.fields.String(required=True, metadata={"description": "SHA-256 of the stored document"})
    url = ma.fields.String(required=True)


class PlanVersionList(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(PlanVersion), required=True)


class PlanVersionDetail(PlanVersion):
    document = ma.fields.Dict(required=True, metadata={
        "description": "The version as stored and published, with its actions: the `tadamon.plan/1` "
                       "document described by the JSON schema at /plan/schema.json"})


class Results(ma.Schema):
    consultation_id = ma.fields.Integer(required=True)
    method = ma.fields.String(required=True)
    results = ma.fields.Dict(required=True, metadata={"description": "The published tally, as the results page draws it"})


class Receipt(ma.Schema):
    position = ma.fields.Integer(required=True)
    receipt = ma.fields.String(required=True, metadata={"description": "The ledger entry's SHA-256, as sent to the voter"})
    previous = ma.fields.String(required=True)
    superseded = ma.fields.Boolean(required=True, metadata={"description": "A later ballot of the same voter replaced it"})


class LedgerHead(ma.Schema):
    position = ma.fields.Integer(required=True)
    hash = ma.fields.String(allow_none=True, required=True)


class Receipts(ma.Schema):
    consultation_id = ma.fields.Integer(required=True)
    head = ma.fields.Nested(LedgerHead, required=True)
    data = ma.fields.List(ma.fields.Nested(Receipt), required=True)


class Ballots(ma.Schema):
    consultation_id = ma.fields.Integer(required=True)
    head = ma.fields.Nested(LedgerHead, required=True)
    document = ma.fields.Dict(required=True, metadata={
        "description": "The anonymised ballots in the tadamon-ballots/1 format, as `flask export-ballots` writes "
                       "them: recount them with `flask tally`"})


class Principle(ma.Schema):
    position = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    title_i18n = ma.fields.Nested(Texts, required=True)
    explanation_i18n = ma.fields.Nested(Texts, required=True)


class Charter(ma.Schema):
    version = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    title_i18n = ma.fields.Nested(Texts, required=True)
    preamble_i18n = ma.fields.Nested(Texts, required=True)
    published_at = ma.fields.DateTime(required=True)
    principles = ma.fields.List(ma.fields.Nested(Principle), required=True)


class Theme(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    name_i18n = ma.fields.Nested(Texts, required=True)


class ThemeList(ma.Schema):
    data = ma.fields.List(ma.fields.Nested(Theme), required=True)


class Workshop(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    title_i18n = ma.fields.Nested(Texts, required=True)
    description_i18n = ma.fields.Nested(Texts, required=True)
    theme_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    format = ma.fields.String(required=True)
    venue = ma.fields.String(required=True)
    starts_at = ma.fields.DateTime(required=True)
    ends_at = ma.fields.DateTime(required=True)
    time_zone = ma.fields.String(required=True)
    capacity = ma.fields.Integer(required=True)
    ics = ma.fields.String(required=True, metadata={"description": "Its iCalendar file"})
    url = ma.fields.String(required=True)


WORKSHOP_STATUSES = ("planned", "registration_open", "in_progress", "closed")


class WorkshopArgs(PageArgs):
    theme_id = ma.fields.Integer(load_default=None, validate=validate.Range(min=1, max=2_147_483_647))
    status = ma.fields.String(load_default="", validate=validate.OneOf(("", *WORKSHOP_STATUSES)))


class WorkshopPage(Page):
    data = ma.fields.List(ma.fields.Nested(Workshop), required=True)


# ---- open data --------------------------------------------------------------------------------

class OpenDataset(ma.Schema):
    key = ma.fields.String(required=True, metadata={"description": "organisations, plan-N or consultation-N"})
    kind = ma.fields.String(required=True, validate=validate.OneOf(("organisations", "plan", "consultation")))
    title = ma.fields.String(required=True, metadata={"description": "In the caller's language"})
    title_i18n = ma.fields.Nested(Texts, required=True)
    modified = ma.fields.DateTime(allow_none=True, required=True)
    url = ma.fields.String(required=True, metadata={"description": "The ZIP archive"})


class OpenDataList(ma.Schema):
    license = ma.fields.String(required=True, metadata={"description": "SPDX identifier of the data's licence"})
    page = ma.fields.String(required=True)
    data = ma.fields.List(ma.fields.Nested(OpenDataset), required=True)


# ---- workshop registrations -------------------------------------------------------------------

class NewRegistration(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    attendees = Text(required=True, validate=validate.Length(min=1, max=2000),
                     metadata={"description": "Who will attend, one name per line (the organisers' list only)"})


class Registration(ma.Schema):
    workshop_id = ma.fields.Integer(required=True)
    organisation_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={
        "description": "pending, waitlisted, accepted, declined or withdrawn"})


# ---- progress updates -------------------------------------------------------------------------

class IndicatorValue(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    indicator_id = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=2_147_483_647))
    # A number (the OpenAPI document cannot describe a Decimal's bounds); kept as a decimal.
    value = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-1e12, max=1e12))


class NewProgressUpdate(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    happened_on = ma.fields.Date(required=True, metadata={"description": "Not in the future"})
    text = Text(required=True, validate=validate.Length(min=1, max=10_000))
    progress = ma.fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=100))
    indicator_values = ma.fields.List(ma.fields.Nested(IndicatorValue), load_default=list,
                                      validate=validate.Length(max=40))
    submission_key = ma.fields.String(load_default="", validate=validate.Regexp(r"^[A-Za-z0-9_-]{0,43}$"),
                                      metadata={"description": "Sent twice with the same key, one update is made "
                                                               "(the second answers 422)"})


class ProgressUpdate(ma.Schema):
    id = ma.fields.Integer(required=True)
    action_id = ma.fields.Integer(required=True)
    organisation_id = ma.fields.Integer(required=True)
    happened_on = ma.fields.Date(required=True)
    progress = ma.fields.Integer(allow_none=True, required=True)
    text = ma.fields.String(required=True)
    action_progress = ma.fields.Integer(required=True, metadata={"description": "The action's progress now"})


# ---- ballots ----------------------------------------------------------------------------------

class NewBallot(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    choices = ma.fields.Dict(
        # Any key: like the ballot form's unknown inputs, a key naming no candidate is ignored.
        keys=ma.fields.String(validate=validate.Length(max=20)),
        values=ma.fields.String(validate=validate.Length(max=20)), required=True,
        validate=validate.Length(max=200),
        metadata={"description": "The ballot form's values by candidate (p + proposal id): approval `yes` for each "
                                 "proposal supported; score 0-5; majority judgment grade 0-5; Schulze rank 1-N; "
                                 "yes/no/abstain. A candidate left out is left blank, as on the form."})
    credential = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64),
                                  metadata={"description": "A secret vote's voting code, to change the ballot"})


class CastBallot(ma.Schema):
    consultation_id = ma.fields.Integer(required=True)
    organisation_id = ma.fields.Integer(required=True)
    receipt = ma.fields.String(required=True, metadata={"description": "Find it on the public list of receipts"})
    replaced = ma.fields.Boolean(required=True, metadata={"description": "True when it replaced an earlier ballot"})
    secret = ma.fields.Boolean(required=True)
    credential = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "A secret vote's voting code (also e-mailed): keep it to change the ballot; the platform "
                       "does not. Null for a public vote."})
