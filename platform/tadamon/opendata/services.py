"""The open datasets: which exist, the files each holds, and its ZIP archive.

Only what the public pages show goes in: organisations' public profile fields (never a contact
address, an e-mail or a person), published plan versions, and consultations whose results are
published, asked through the same permission predicates as the pages (`Actor(None)`: anyone).

An archive is deterministic: its entries are written in a fixed order with a fixed timestamp
and fixed attributes, so the same data always gives the same bytes (and the same ETag). It is
kept in storage under a key holding the SHA-256 of its files, so it is zipped again only when
the data changed; building the files themselves is a few queries (see README, "Open data").
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select

from tadamon.action_plan import exports as plan_exports
from tadamon.action_plan import services as plan
from tadamon.action_plan.models import PlanVersion, VersionState
from tadamon.core.actor import Actor
from tadamon.core.i18n import pick_text, texts_of
from tadamon.core.storage import storage
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.models import FieldOfAction, MembershipState, Organisation
from tadamon.opendata import dictionary
from tadamon.opendata.dictionary import Resource
from tadamon.voting import ledger
from tadamon.voting import permissions as voting_rules
from tadamon.voting import services as voting
from tadamon.workshops.models import Consultation, Phase

LANGUAGES = ("ar", "fr", "en")
NETWORK_ID = "tadamon"
# Every entry's timestamp: a constant, so that equal data give equal bytes (ZIP's epoch).
ENTRY_TIME = (1980, 1, 1, 0, 0, 0)
# A cell starting with one of these would be run as a formula by a spreadsheet: see `_cell`.
FORMULA_STARTS = plan_exports.FORMULA_STARTS

LICENSES: dict[str, dict[str, str]] = {
    "CC-BY-4.0": {"title": "Creative Commons Attribution 4.0 International",
                  "path": "https://creativecommons.org/licenses/by/4.0/"},
    "ODbL-1.0": {"title": "Open Data Commons Open Database License (ODbL) v1.0",
                 "path": "https://opendatacommons.org/licenses/odbl/1-0/"},
}


class UnknownLicense(ValueError):
    pass


def license_id() -> str:
    """The licence chosen by OPEN_DATA_LICENSE (CC-BY-4.0 by default, or ODbL-1.0)."""
    chosen = str(current_app.config.get("OPEN_DATA_LICENSE") or "CC-BY-4.0")
    if chosen not in LICENSES:
        raise UnknownLicense(f"OPEN_DATA_LICENSE must be one of {', '.join(LICENSES)}, not {chosen!r}")
    return chosen


# --- which datasets --------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    key: str  # "organisations", "consultation-<id>", "plan-<number>"
    kind: str  # a key of dictionary.RESOURCES
    titles: Mapping[str, str]  # by language
    modified: datetime | None
    subject: Any = None  # the Consultation or PlanVersion

    def title(self, language: str | None = None) -> str:
        return pick_text(self.titles, language).text

    @property
    def file_name(self) -> str:
        return f"tadamon-{self.key}.zip"


def _in_each_language(render: Callable[[], str]) -> dict[str, str]:
    titles = {}
    for language in LANGUAGES:
        with force_locale(language):
            titles[language] = render()
    return titles


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _organisations_dataset() -> Dataset:
    latest = db.session.scalar(select(func.max(Organisation.approved_at))
                               .where(Organisation.state == MembershipState.APPROVED))
    return Dataset("organisations", "organisations", _in_each_language(lambda: _("Member organisations")),
                   _aware(latest))


def _plan_dataset(version: PlanVersion) -> Dataset:
    return Dataset(f"plan-{version.number}", "plan",
                   _in_each_language(lambda: _("Action plan, version %(number)s", number=version.number)),
                   _aware(version.published_at), version)


def _consultation_dataset(consultation: Consultation) -> Dataset:
    vote = voting.round_of(consultation)
    questions = texts_of(consultation, "question")

    def title() -> str:
        from flask_babel import get_locale

        return _("Consultation: %(question)s", question=pick_text(questions, str(get_locale())).text)

    return Dataset(f"consultation-{consultation.id}", "consultation", _in_each_language(title),
                   _aware(vote.closed_at) if vote is not None else None, consultation)


def published_consultations() -> list[Consultation]:
    """Consultations whose results anyone may read (the results page's own rule)."""
    rows = db.session.scalars(select(Consultation).where(Consultation.phase == Phase.RESULTS_PUBLISHED)
                              .order_by(Consultation.id))
    anyone = Actor(None)
    return [c for c in rows if voting_rules.can_view_results(anyone, c)
            and (vote := voting.round_of(c)) is not None and vote.results]


def published_versions() -> list[PlanVersion]:
    return list(db.session.scalars(select(PlanVersion).where(PlanVersion.state == VersionState.PUBLISHED)
                                   .order_by(PlanVersion.number.desc())))


def datasets() -> list[Dataset]:
    """Every open dataset: the organisations, the plan's published versions (latest first), then
    the consultations with published results."""
    return ([_organisations_dataset()] + [_plan_dataset(v) for v in published_versions()]
            + [_consultation_dataset(c) for c in published_consultations()])


def find(key: str) -> Dataset | None:
    """The dataset named `key`, or None (unknown, or not public)."""
    kind, _sep, number = key.partition("-")
    if key == "organisations":
        return _organisations_dataset()
    if not number.isdigit() or len(number) > 9:
        return None
    if kind == "plan":
        version = next((v for v in published_versions() if v.number == int(number)), None)
        return _plan_dataset(version) if version is not None else None
    if kind == "consultation":
        consultation = next((c for c in published_consultations() if c.id == int(number)), None)
        return _consultation_dataset(consultation) if consultation is not None else None
    return None


# --- files -----------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """CSV text of one value. Text a member typed that a spreadsheet would run as a formula
    gets a leading apostrophe, as in the plan's exports (the JSON files keep it unchanged)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def render_csv(resource: Resource, rows: Iterable[Mapping[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark (spreadsheets then read Arabic right), comma-separated,
    CRLF line ends (RFC 4180), a header row of the column names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    names = [column.name for column in resource.columns]
    writer.writerow(names)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in names])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _json(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _date(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment is not None else None


def _organisation_files() -> dict[str, bytes]:
    organisations = list(db.session.scalars(select(Organisation).where(Organisation.state == MembershipState.APPROVED)
                                            .order_by(Organisation.id)))
    fields = list(db.session.scalars(select(FieldOfAction).order_by(FieldOfAction.id)))
    rows = [{"id": o.id, **{f"name_{code}": getattr(o, f"name_{code}") for code in LANGUAGES},
             "acronym": o.acronym, "legal_form": o.legal_form, "region": o.region, "province": o.province,
             "website": o.website, "year_founded": o.year_founded,
             "fields_of_action": "|".join(str(f.id) for f in sorted(o.fields, key=lambda f: f.id)),
             "member_since": _date(o.approved_at),
             "url": external_url("membership.profile", organisation_id=o.id)} for o in organisations]
    documents = [{**row, "fields_of_action": [f.id for f in sorted(o.fields, key=lambda f: f.id)],
                  "description": texts_of(o, "description")} for row, o in zip(rows, organisations, strict=True)]
    return {
        "organisations.csv": render_csv(dictionary.ORGANISATIONS, rows),
        "fields_of_action.csv": render_csv(dictionary.FIELDS, (
            {"id": f.id, **{f"name_{code}": getattr(f, f"name_{code}") for code in LANGUAGES}} for f in fields)),
        "organisations.json": _json({"organisations": documents}),
        "popolo.json": _json(popolo_organisations(organisations)),
    }


def _network() -> dict[str, Any]:
    return {"id": NETWORK_ID, "name": "Tadamon", "classification": "network",
            "links": [{"url": current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/"}]}


def _popolo_name(organisation: Organisation) -> dict[str, Any]:
    names = [{"name": getattr(organisation, f"name_{code}"), "note": code}
             for code in LANGUAGES if getattr(organisation, f"name_{code}")]
    return {"name": organisation.original_name, "other_names": names}


def popolo_organisations(organisations: list[Organisation]) -> dict[str, Any]:
    """Popolo: each member organisation is an Organization, and a Membership of the network
    (the network is an Organization too: its members are organisations, not people)."""
    entries = [_network()]
    memberships = []
    for organisation in organisations:
        entry: dict[str, Any] = {"id": f"organisation-{organisation.id}", **_popolo_name(organisation),
                                 "classification": organisation.legal_form,
                                 "links": [{"url": external_url("membership.profile",
                                                                organisation_id=organisation.id)}]}
        if organisation.acronym:
            entry["identifiers"] = [{"scheme": "acronym", "identifier": organisation.acronym}]
        if organisation.year_founded:
            entry["founding_date"] = str(organisation.year_founded)
        if organisation.website:
            entry["links"].append({"url": organisation.website, "note": "website"})
        entries.append(entry)
        memberships.append({"id": f"membership-{organisation.id}", "organization_id": NETWORK_ID,
                            "member": {"@type": "Organization", "id": f"organisation-{organisation.id}"},
                            "role": "member", "start_date": _date(organisation.approved_at)})
    return {"organizations": entries, "memberships": memberships}


def _ranks(ranking: list[list[str]]) -> dict[str, int]:
    """Tiers to ranks: tied candidates share a rank, the next tier's rank counts them (1, 1, 3)."""
    ranks, position = {}, 1
    for tier in ranking:
        for key in tier:
            ranks[key] = position
        position += len(tier)
    return ranks


def _consultation_files(consultation: Consultation) -> dict[str, bytes]:
    vote = voting.round_of(consultation)
    assert vote is not None  # a published consultation has voted
    definition = voting.definition_of(vote)
    results = voting.results_of(vote) or {}
    ranks = _ranks(results.get("ranking", []))
    found = voting.proposals_by_key(vote)
    candidates = []
    for candidate in definition["candidates"]:
        proposal = found.get(candidate["id"])
        candidates.append({
            "candidate": candidate["id"], "proposal_id": voting.proposal_id_of(candidate["id"]),
            "title": candidate["title"], "language": proposal.language if proposal else "",
            "organisation_id": proposal.organisation_id if proposal else None,
            "organisation_name": proposal.organisation.original_name if proposal else "",
            "rank": ranks.get(candidate["id"]), "winner": candidate["id"] in results.get("winners", []),
            "url": external_url("proposals.show", proposal_id=voting.proposal_id_of(candidate["id"]))})
    entries = voting.receipts(vote)
    replaced = voting.superseded_receipts(entries)
    about = {
        "id": consultation.id, "question": texts_of(consultation, "question"),
        "voting_method": definition["method"], "options": definition["options"],
        "secret_ballots": bool(definition["secret"]),
        "voting_opened_at": vote.opened_at.isoformat(), "voting_closed_at": vote.closed_at.isoformat()
        if vote.closed_at else None,
        "eligible": vote.eligible_count, "participants": vote.participants,
        "definition_hash": vote.definition_hash, "ledger_head": vote.published_head,
        "workshop_id": consultation.workshop_id,
        "url": external_url("workshops.consultation", consultation_id=consultation.id),
        "results_url": external_url("voting.results", consultation_id=consultation.id),
    }
    return {
        "candidates.csv": render_csv(dictionary.CANDIDATES, candidates),
        "receipts.csv": render_csv(dictionary.RECEIPTS, (
            {"position": e.position, "receipt": e.entry_hash, "previous": e.previous_hash,
             "superseded": e.entry_hash in replaced} for e in entries)),
        "consultation.json": _json(about),
        "results.json": _json(results),
        "ballots.json": _json(ledger.export_document(vote)),
        "popolo.json": _json(popolo_vote(consultation, vote, candidates, results)),
    }


def _counts(method: str, details: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """Popolo Counts for one candidate, where the method counts options: yes/no/abstain for a
    yes-or-no vote, supports for approval. Other methods rank; their figures stay in results.json."""
    if method == "yes_no":
        return [{"option": option, "value": int(value)} for option, value in sorted(details["counts"][key].items())]
    if method == "approval":
        return [{"option": "yes", "value": int(details["approvals"][key])}]
    return []


def popolo_vote(consultation: Consultation, vote: Any, candidates: list[dict[str, Any]],
                results: Mapping[str, Any]) -> dict[str, Any]:
    """Popolo: the consultation's question is a Motion with one VoteEvent (who took part); each
    proposal put to the vote is a Motion too, with its VoteEvent's Counts and its result. The
    voters are organisations; how each voted is given only for a vote with public ballots."""
    motion_id = f"consultation-{consultation.id}"
    start, end = vote.opened_at.isoformat(), vote.closed_at.isoformat() if vote.closed_at else None
    method = results.get("method", "")
    details = results.get("details", {})
    winners = set(results.get("winners", []))
    motions = [{"id": motion_id, "organization_id": NETWORK_ID, "classification": "consultation",
                "text": consultation.question_fr or consultation.question_ar or consultation.question_en,
                "other_texts": [{"text": t, "note": code} for code, t in texts_of(consultation, "question").items() if t],
                "date": start, "requirement": method,
                "result": " ".join(sorted(winners))}]
    events = [{"id": f"{motion_id}-vote", "motion_id": motion_id, "organization_id": NETWORK_ID,
               "start_date": start, "end_date": end, "result": " ".join(sorted(winners)),
               "counts": [{"option": "voted", "value": vote.participants},
                          {"option": "absent", "value": max(vote.eligible_count - vote.participants, 0)}]}]
    public = {} if voting.is_secret(vote) else {
        organisation.id: ballot for organisation, ballot in voting.public_ballots(vote)}
    for candidate in candidates:
        key = candidate["candidate"]
        motions.append({"id": f"{motion_id}-{key}", "organization_id": NETWORK_ID, "classification": "proposal",
                        "text": candidate["title"], "date": start, "requirement": method,
                        "result": "pass" if key in winners else "fail"})
        event: dict[str, Any] = {"id": f"{motion_id}-{key}-vote", "motion_id": f"{motion_id}-{key}",
                                 "organization_id": NETWORK_ID, "start_date": start, "end_date": end,
                                 "result": "pass" if key in winners else "fail",
                                 "counts": _counts(method, details, key)}
        if public:
            event["votes"] = [{"voter_id": f"organisation-{organisation_id}", "option": _option(ballot, key)}
                              for organisation_id, ballot in sorted(public.items())]
        events.append(event)
    return {"organizations": [_network()], "motions": motions, "vote_events": events}


def _option(ballot: Mapping[str, Any], key: str) -> str:
    """One public ballot's answer about one candidate, as text (a level, a rank, or yes/absent)."""
    if "approvals" in ballot:
        return "yes" if key in ballot["approvals"] else "not voting"
    if "ranking" in ballot:
        rank = next((i for i, tier in enumerate(ballot["ranking"], 1) if key in tier), None)
        return f"rank {rank}" if rank else "not voting"
    for value in ballot.values():
        if isinstance(value, dict) and key in value:
            return str(value[key])
    return "not voting"


def _plan_files(version: PlanVersion) -> dict[str, bytes]:
    snapshot = plan.snapshot_of(version)

    def ref(organisation: Mapping[str, Any] | None) -> str:
        return organisation["id"] if organisation else ""

    actions, indicators, updates = [], [], []
    for action in snapshot.get("actions", []):
        number = action["number"]
        actions.append({
            "number": number, **{f"title_{code}": action["title"].get(code, "") for code in LANGUAGES},
            "theme": action.get("theme"), "status": action.get("status"), "progress": action.get("progress"),
            "territory_scope": action["territory"].get("scope"),
            "regions": "|".join(action["territory"].get("regions") or []),
            "lead_organisation": ref(action.get("lead")),
            "partner_organisations": "|".join(ref(p) for p in action.get("partners", [])),
            "starts_on": action.get("starts_on"), "ends_on": action.get("ends_on"),
            "budget_estimate": action["budget"].get("estimate"),
            "url": external_url("action_plan.action", action_id=number)})
        indicators += [{"action_number": number, "indicator": i["id"], "name": i["name"], "unit": i["unit"],
                        "baseline": i["baseline"], "target": i["target"], "current": i["current"]}
                       for i in action.get("indicators", [])]
        updates += [{"action_number": number, "on": u["on"], "organisation": ref(u.get("organisation")),
                     "progress": u.get("progress"), "text": u["text"]} for u in action.get("updates", [])]
    return {
        "actions.csv": render_csv(dictionary.ACTIONS, actions),
        "indicators.csv": render_csv(dictionary.INDICATORS, indicators),
        "updates.csv": render_csv(dictionary.UPDATES, updates),
        "plan.json": plan_exports.render(snapshot, "json", "fr"),
    }


def data_files(dataset: Dataset) -> dict[str, bytes]:
    if dataset.kind == "organisations":
        return _organisation_files()
    if dataset.kind == "consultation":
        return _consultation_files(dataset.subject)
    return _plan_files(dataset.subject)


# --- the dictionary, the licence, the archive ------------------------------------------------


def _texts(lazy: Any) -> dict[str, str]:
    texts = {}
    for language in LANGUAGES:
        with force_locale(language):
            texts[language] = str(lazy)
    return texts


def datapackage(dataset: Dataset) -> dict[str, Any]:
    """Frictionless Data Package: each resource's path, format and, for a table, its Table Schema
    (every column's name, type and description). `description` is in English; the custom
    `descriptions` property holds it in Arabic, French and English."""
    chosen = license_id()
    resources = []
    for resource in dictionary.RESOURCES[dataset.kind]:
        described = _texts(resource.description)
        entry: dict[str, Any] = {"name": resource.path.rsplit(".", 1)[0].replace("_", "-"), "path": resource.path,
                                 "description": described["en"], "descriptions": described}
        if resource.is_table:
            entry.update({"format": "csv", "mediatype": "text/csv", "encoding": "utf-8-sig",
                          "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
                          "schema": {"fields": [{
                              "name": column.name, "type": column.type,
                              **({"format": column.format} if column.format else {}),
                              "description": _texts(column.description)["en"],
                              "descriptions": _texts(column.description)} for column in resource.columns]}})
        else:
            entry.update({"format": "json", "mediatype": "application/json", "encoding": "utf-8"})
        resources.append(entry)
    return {"name": f"tadamon-{dataset.key}", "title": dataset.titles["en"], "titles": dict(dataset.titles),
            "licenses": [{"name": chosen, **LICENSES[chosen]}],
            "homepage": external_url("opendata.index"), "resources": resources}


def license_text(dataset: Dataset) -> str:
    chosen = license_id()
    lines = []
    for language in LANGUAGES:
        with force_locale(language):
            lines += [dataset.titles[language], "",
                      _("These data are published by the Tadamon network under the licence %(license)s: %(url)s",
                        license=LICENSES[chosen]["title"], url=LICENSES[chosen]["path"]),
                      _("You may share and reuse them, including commercially, provided you credit "
                        "“Tadamon” and link to %(url)s.", url=external_url("opendata.index")),
                      *([_("Databases you make from them must be shared under the same licence.")]
                        if chosen == "ODbL-1.0" else []),
                      "", "-" * 40, ""]
    return "\n".join(lines)


def _md(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def dictionary_text(dataset: Dataset, language: str) -> str:
    """The human-readable dictionary, in one language (Markdown)."""
    chosen = license_id()
    with force_locale(language):
        lines = [f"# {dataset.titles[language]}", "",
                 _("Open data of the Tadamon network. This file describes every file of the archive and every "
                   "column of its tables."), "",
                 "## " + _("Files"), ""]
        for resource in (*dictionary.RESOURCES[dataset.kind], dictionary.PACKAGE, dictionary.DICTIONARIES,
                         dictionary.LICENSE):
            # French sets a no-break space before a colon.
            colon = "\u00a0:" if language == "fr" else ":"
            lines.append(f"- `{resource.path}`{colon} {resource.description}")
        lines += ["", "## " + _("Tables (CSV)"), "",
                  _("The tables are in UTF-8 with a byte-order mark, separated by commas, with a first row of "
                    "column names. Several values in one cell are separated by a vertical bar (|). Text that "
                    "starts with =, +, - or @ begins with an apostrophe, so that no spreadsheet runs it as a "
                    "formula; the JSON files keep it as written."), ""]
        for resource in dictionary.RESOURCES[dataset.kind]:
            if not resource.is_table:
                continue
            lines += [f"### `{resource.path}`", "", str(resource.description), "",
                      "| " + " | ".join((_("Column"), _("Type"), _("Description"))) + " |", "|---|---|---|"]
            lines += [f"| `{c.name}` | {c.type} | {_md(str(c.description))} |" for c in resource.columns]
            lines.append("")
        if dataset.kind == "consultation":
            lines += ["## " + _("Recomputing the results"), "",
                      _("Anyone can count the vote again from the ballots: with Tadamon installed, run "
                        "“flask --app wsgi tally ballots.json”. It prints the winners and the ranking, which are "
                        "those of results.json."), ""]
        lines += ["## " + _("Licence"), "", f"{LICENSES[chosen]['title']} — {LICENSES[chosen]['path']}", ""]
    return "\n".join(lines)


def all_files(dataset: Dataset) -> dict[str, bytes]:
    files = data_files(dataset)
    files["datapackage.json"] = _json(datapackage(dataset))
    for language in LANGUAGES:
        files[f"DICTIONARY.{language}.md"] = dictionary_text(dataset, language).encode("utf-8")
    files["LICENSE.txt"] = license_text(dataset).encode("utf-8")
    return files


def zip_files(files: Mapping[str, bytes]) -> bytes:
    """A deterministic ZIP: sorted entries, a constant timestamp, fixed permissions."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"tadamon-open-data/{name}", date_time=ENTRY_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3  # Unix, whatever machine builds it
            archive.writestr(info, files[name])
    return buffer.getvalue()


@dataclass(frozen=True)
class Archive:
    data: bytes
    digest: str  # SHA-256 of the files: the ETag
    storage_key: str


def archive(dataset: Dataset) -> Archive:
    """The dataset's ZIP, from storage when its files have not changed, else zipped and stored."""
    files = all_files(dataset)
    summary = hashlib.sha256()
    for name in sorted(files):
        summary.update(name.encode("utf-8") + b"\0" + hashlib.sha256(files[name]).digest())
    digest = summary.hexdigest()
    key = f"open-data/{dataset.key}-{digest[:32]}.zip"
    store = storage()
    data = store.load(key)
    if data is None:
        data = zip_files(files)
        store.save(key, data)
    return Archive(data, digest, key)
