"""What every open-data file holds, column by column: the one description the data package
(`datapackage.json`, Frictionless Table Schema) and the human-readable dictionaries
(`DICTIONARY.<language>.md`) are both written from, so they never disagree.

Descriptions are lazy strings: each is rendered in Arabic, French and English for the same file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

IN_AR = _l("In Arabic (empty when not given).")
IN_FR = _l("In French (empty when not given).")
IN_EN = _l("In English (empty when not given).")
ORGANISATION_ID = _l("Identifier of an organisation, as in the organisations dataset.")
ORGANISATION_REF = _l("Identifier of an organisation, written organisation-N, where N is its identifier in the "
                      "organisations dataset.")
ACTION_NUMBER = _l("Number of the action (its identifier on the platform).")
PUBLIC_PAGE = _l("Address of its public page.")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Table Schema type: string, integer, number, boolean, date, datetime, year
    description: Any  # a lazy string
    format: str | None = None  # a Table Schema format ("uri")


@dataclass(frozen=True)
class Resource:
    """One file of a dataset: a CSV table (with its columns) or a JSON document."""

    path: str
    description: Any
    columns: tuple[Column, ...] = ()

    @property
    def is_table(self) -> bool:
        return self.path.endswith(".csv")


ORGANISATIONS = Resource("organisations.csv", _l("The network's member organisations: their public profile."), (
    Column("id", "integer", _l("The organisation's identifier on the platform (it never changes).")),
    Column("name_ar", "string", IN_AR),
    Column("name_fr", "string", IN_FR),
    Column("name_en", "string", IN_EN),
    Column("acronym", "string", _l("Acronym (empty when none).")),
    Column("legal_form", "string", _l("Legal form: association, foundation, cooperative, network, "
                                      "social_enterprise, public_institution or other.")),
    Column("region", "string", _l("Code of the region of Morocco where it is based.")),
    Column("province", "string", _l("Province or prefecture where it is based.")),
    Column("website", "string", _l("Address of its website (empty when none)."), "uri"),
    Column("year_founded", "year", _l("Year it was founded (empty when not given).")),
    Column("fields_of_action", "string", _l("Identifiers of its fields of action (see fields_of_action.csv), "
                                            "separated by a vertical bar (|).")),
    Column("member_since", "date", _l("Date the network approved its membership.")),
    Column("url", "string", PUBLIC_PAGE, "uri"),
))
FIELDS = Resource("fields_of_action.csv", _l("The fields of action organisations work in."), (
    Column("id", "integer", _l("The field's identifier.")),
    Column("name_ar", "string", IN_AR),
    Column("name_fr", "string", IN_FR),
    Column("name_en", "string", IN_EN),
))
ORGANISATIONS_JSON = Resource("organisations.json", _l("The same organisations as a JSON list, with their "
                                                       "descriptions in each language."))
POPOLO_ORGANISATIONS = Resource("popolo.json", _l("The network, its member organisations and their memberships "
                                                  "in the Popolo vocabulary (Organization, Membership)."))

CANDIDATES = Resource("candidates.csv", _l("The proposals put to the vote, with their place in the published "
                                           "results."), (
    Column("candidate", "string", _l("The proposal's key in ballots.json and results.json: p followed by the "
                                     "proposal's identifier.")),
    Column("proposal_id", "integer", _l("The proposal's identifier on the platform.")),
    Column("title", "string", _l("Title of the proposal, as put to the vote.")),
    Column("language", "string", _l("Language the proposal was written in: ar, fr or en.")),
    Column("organisation_id", "integer", ORGANISATION_ID),
    Column("organisation_name", "string", _l("Name of the organisation that made the proposal, as it registered it.")),
    Column("rank", "integer", _l("Rank in the published results: 1 is first; tied proposals share a rank.")),
    Column("winner", "boolean", _l("true when the proposal is among the winners.")),
    Column("url", "string", PUBLIC_PAGE, "uri"),
))
RECEIPTS = Resource("receipts.csv", _l("The public ledger of the vote: one entry per ballot cast."), (
    Column("position", "integer", _l("Position of the entry in the ledger, from 1.")),
    Column("receipt", "string", _l("Hash of the entry (SHA-256): the receipt its organisation was given.")),
    Column("previous", "string", _l("Hash of the entry before it, which chains the ledger.")),
    Column("superseded", "boolean", _l("true when a later ballot of the same organisation replaced this one.")),
))
CONSULTATION_JSON = Resource("consultation.json", _l("The consultation: its question in each language, its voting "
                                                     "method, dates, and the fingerprints of the vote."))
RESULTS_JSON = Resource("results.json", _l("The results exactly as published: winners, ranking and the method's "
                                           "figures."))
BALLOTS_JSON = Resource("ballots.json", _l("The anonymised ballots (format tadamon-ballots/1): the tally command "
                                           "recomputes the results from this file."))
POPOLO_VOTE = Resource("popolo.json", _l("The consultation and its vote in the Popolo vocabulary (Motion, "
                                         "VoteEvent, Count)."))

ACTIONS = Resource("actions.csv", _l("The actions of this version of the plan."), (
    Column("number", "integer", ACTION_NUMBER),
    Column("title_ar", "string", IN_AR),
    Column("title_fr", "string", IN_FR),
    Column("title_en", "string", IN_EN),
    Column("theme", "string", _l("Identifier of the action's theme, written theme-N.")),
    Column("status", "string", _l("Status: planned, in_progress, done, suspended or dropped.")),
    Column("progress", "integer", _l("Progress, in percent (0 to 100).")),
    Column("territory_scope", "string", _l("Where the action takes place: national, regional or provincial.")),
    Column("regions", "string", _l("Codes of its regions, separated by a vertical bar (|).")),
    Column("lead_organisation", "string", ORGANISATION_REF),
    Column("partner_organisations", "string", _l("Identifiers of the partner organisations (organisation-N), "
                                                 "separated by a vertical bar (|).")),
    Column("starts_on", "date", _l("Start date (empty when not set).")),
    Column("ends_on", "date", _l("End date (empty when not set).")),
    Column("budget_estimate", "number", _l("Estimated budget, in Moroccan dirhams (MAD).")),
    Column("url", "string", PUBLIC_PAGE, "uri"),
))
INDICATORS = Resource("indicators.csv", _l("The indicators each action is measured by."), (
    Column("action_number", "integer", ACTION_NUMBER),
    Column("indicator", "string", _l("Identifier of the indicator, written indicator-N.")),
    Column("name", "string", _l("Name of the indicator, as written.")),
    Column("unit", "string", _l("Unit of its values.")),
    Column("baseline", "number", _l("Value at the start.")),
    Column("target", "number", _l("Value aimed at.")),
    Column("current", "number", _l("Latest value reported.")),
))
UPDATES = Resource("updates.csv", _l("The progress updates the organisations carrying the actions posted."), (
    Column("action_number", "integer", ACTION_NUMBER),
    Column("on", "date", _l("Date of what is reported.")),
    Column("organisation", "string", ORGANISATION_REF),
    Column("progress", "integer", _l("Progress reported, in percent (empty when not given).")),
    Column("text", "string", _l("What was done, as the organisation wrote it.")),
))
PLAN_JSON = Resource("plan.json", _l("This version of the plan as one document (format tadamon.plan/2, described "
                                     "by its JSON schema), with every action's sources and decisions."))

LICENSE = Resource("LICENSE.txt", _l("The licence these data are published under."))
DICTIONARIES = Resource("DICTIONARY.<language>.md", _l("This dictionary, in Arabic, French and English."))
PACKAGE = Resource("datapackage.json", _l("The same dictionary for programs (Frictionless Data Package)."))

# Every resource of each kind of dataset, in the order of the archive.
RESOURCES: dict[str, tuple[Resource, ...]] = {
    "organisations": (ORGANISATIONS, FIELDS, ORGANISATIONS_JSON, POPOLO_ORGANISATIONS),
    "consultation": (CANDIDATES, RECEIPTS, CONSULTATION_JSON, RESULTS_JSON, BALLOTS_JSON, POPOLO_VOTE),
    "plan": (ACTIONS, INDICATORS, UPDATES, PLAN_JSON),
}
