"""The plan in one reader's language: the public pages and every export lay out this view,
built from a snapshot, so what is published, shown and exported is the same document.

Charts are server-rendered SVG (no script), mirrored for RTL, each with a table of the
same figures beside it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from babel.lists import format_list
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from markupsafe import Markup, escape

from tadamon.action_plan.models import (
    ROLE_LABELS,
    SCOPE_LABELS,
    STATUS_LABELS,
    Action,
    ActionStatus,
    CommitmentRole,
    Decision,
    TerritoryScope,
)
from tadamon.action_plan.services.diff import diff
from tadamon.core.bidi import gettext_isolated, join, ngettext_isolated
from tadamon.core.hooks import voting_methods
from tadamon.core.i18n import LocalText, current_language, pick_text, text_direction, texts_of
from tadamon.core.times import format_date
from tadamon.membership.regions import REGIONS, REGIONS_BY_CODE


def _organisation_name(organisation: dict[str, Any] | None, language: str) -> str:
    if not organisation:
        return ""
    return pick_text(organisation.get("name"), language).text


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass
class SourceView:
    key: str
    title: str
    lang: str
    url: str
    organisation: str
    co_authors: list[str]
    cosignatures: int
    consultation: LocalText
    consultation_url: str
    consultation_id: int | None
    workshop: LocalText | None
    workshop_url: str
    vote_sentence: str
    vote_figure: str
    recorded_results_url: str
    ledger_head: str
    definition_hash: str
    lineage: list[str]

    @property
    def results_url(self) -> str:
        """The results page, only while the reader may open it (asked when a page shows it)."""
        return _visible_results_url(self.recorded_results_url)

    @property
    def authors(self) -> list[str]:
        """The proposing organisation, then its co-authors: one list, joined by the page."""
        return [self.organisation, *self.co_authors]


@dataclass
class ActionView:
    key: str
    number: int
    title: LocalText
    description: LocalText
    objectives: str
    theme_key: str | None
    theme: str
    scope: str
    territory: str
    region_codes: list[str]
    status: str
    status_label: str
    progress: int
    lead: str
    lead_key: str | None
    partners: list[str]
    organisation_keys: list[str]
    starts_on: date | None
    ends_on: date | None
    period: str
    milestones: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    budget: str
    funding_sources: str
    sources: list[SourceView]
    updates: list[dict[str, Any]]
    decisions: list[tuple[datetime | None, str]]


@dataclass
class PlanView:
    version: int | None
    state: str
    published_at: datetime | None
    language: str
    themes: list[tuple[str, str]]
    actions: list[ActionView]
    sections: list[tuple[str, list[ActionView]]] = field(default_factory=list)


def territory_text(territory: dict[str, Any]) -> str:
    scope = territory.get("scope", TerritoryScope.NATIONAL.value)
    if scope == TerritoryScope.NATIONAL.value:
        return str(SCOPE_LABELS[TerritoryScope.NATIONAL])
    names = [REGIONS_BY_CODE[code].name() for code in territory.get("regions", []) if code in REGIONS_BY_CODE]
    provinces = territory.get("provinces") or []
    # Place names, in exports too: the language's list pattern, no isolation characters.
    return format_list(names + provinces, locale=current_language()) if names or provinces else ""


def decision_sentence(kind: str, detail: dict[str, Any]) -> str:
    if kind == "created":
        titles = detail.get("titles", [])
        if len(titles) > 1:
            return ngettext_isolated("The steering group made this action from %(num)d proposal: %(titles)s.",
                                     "The steering group made this action from %(num)d proposals: %(titles)s.",
                                     len(titles), titles=join(titles, quoted=True))
        return gettext_isolated("The steering group made this action from the proposal “%(title)s”.",
                                title=(titles or [""])[0])
    if kind == "merged":
        return gettext_isolated("The steering group merged into this action: %(titles)s.",
                                titles=join(detail.get("titles", []), quoted=True))
    if kind == "status_changed":
        status = detail.get("status", "")
        label = STATUS_LABELS.get(ActionStatus(status)) if status in {s.value for s in ActionStatus} else status
        return gettext_isolated("Status set to %(status)s.", status=label)
    if kind == "removed":
        return gettext_isolated("The steering group removed this action from the plan: %(reason)s", reason=detail.get("reason", ""))
    if kind in ("commitment_confirmed", "commitment_declined"):
        role = detail.get("role", "")
        role_label = ROLE_LABELS.get(CommitmentRole(role)) if role in {r.value for r in CommitmentRole} else role
        if kind == "commitment_confirmed":
            return gettext_isolated("%(organisation)s confirmed as %(role)s.", organisation=detail.get("organisation", ""),
                     role=role_label)
        return gettext_isolated("%(organisation)s's offer to act as %(role)s declined. %(answer)s",
                 organisation=detail.get("organisation", ""), role=role_label, answer=detail.get("answer", ""))
    if kind == "lead_requested":
        return gettext_isolated("The steering group called for a lead organisation.")
    if kind == "published":
        return gettext_isolated("Published in version %(number)s of the plan.", number=format_decimal(detail.get("version", 0)))
    if kind == "set_aside":
        return gettext_isolated("The steering group set the proposal “%(title)s” aside: %(reason)s",
                 title=detail.get("proposal", ""), reason=detail.get("reason", ""))
    if kind == "restored":
        return gettext_isolated("The steering group brought the proposal “%(title)s” back to the candidates.",
                 title=detail.get("proposal", ""))
    return kind


def _vote_sentence(vote: dict[str, Any] | None, language: str) -> str:
    if not vote:
        return _("Not put to a vote.")
    method = voting_methods().get(vote["method"])
    label = str(method.label) if method else vote["method"]
    if vote.get("adopted") is not None:
        verdict = _("adopted") if vote["adopted"] else _("not adopted")
        return _("%(method)s: %(verdict)s; %(participants)s of %(eligible)s organisations voted.",
                 method=label, verdict=verdict, participants=format_decimal(vote["participants"]),
                 eligible=format_decimal(vote["eligible"]))
    return _("%(method)s: ranked %(rank)s; %(participants)s of %(eligible)s organisations voted.",
             method=label, rank=format_decimal(vote["rank"]), participants=format_decimal(vote["participants"]),
             eligible=format_decimal(vote["eligible"]))


def _lineage_sentence(step: dict[str, Any], language: str) -> str:
    organisation = _organisation_name(step.get("from_organisation"), language)
    moment = _moment(step.get("at"))
    when = format_date(moment) if moment else ""
    if step["kind"] == "merge":
        return gettext_isolated("Merged from “%(title)s” by %(organisation)s (%(date)s): %(reason)s", title=step["from_title"],
                 organisation=organisation, date=when, reason=step.get("reason") or "—")
    return gettext_isolated("Split from “%(title)s” by %(organisation)s (%(date)s): %(reason)s", title=step["from_title"],
             organisation=organisation, date=when, reason=step.get("reason") or "—")


_RESULTS_URL = re.compile(r"^/consultations/(\d+)/results$")


def _visible_results_url(url: str) -> str:
    """The vote's results page as the snapshot recorded it, only while the reader may open it
    (a published plan outlives a vote whose results were never published: no link to a 403)."""
    match = _RESULTS_URL.match(url or "")
    return url if match and int(match.group(1)) in _consultations_with_visible_results() else ""


def _consultations_with_visible_results() -> set[int]:
    """Ids of the consultations whose results the reader may open: one query a request, however
    many actions cite a vote (only closed or published votes can have visible results)."""
    from flask import g
    from sqlalchemy import select

    from tadamon.core.actor import current_actor
    from tadamon.extensions import db
    from tadamon.voting.permissions import can_view_results
    from tadamon.workshops.models import Consultation, Phase

    visible: set[int] | None = g.get("consultations_with_visible_results")
    if visible is None:
        actor = current_actor()
        candidates = db.session.scalars(
            select(Consultation).where(Consultation.phase.in_([Phase.CLOSED, Phase.RESULTS_PUBLISHED])))
        visible = {c.id for c in candidates if can_view_results(actor, c)}
        g.consultations_with_visible_results = visible
    return visible


def _source_view(source: dict[str, Any], language: str) -> SourceView:
    vote = source.get("vote")
    workshop = source.get("workshop")
    return SourceView(
        key=source["proposal"], title=source["title"], lang=source.get("language") or language, url=source["url"],
        organisation=_organisation_name(source.get("organisation"), language),
        co_authors=[_organisation_name(o, language) for o in source.get("co_authors", [])],
        cosignatures=source.get("cosignatures", 0),
        consultation=pick_text(source["consultation"].get("question"), language),
        consultation_url=source["consultation"]["url"],
        consultation_id=_number_in(source["consultation"].get("id")),
        workshop=pick_text(workshop["title"], language) if workshop else None,
        workshop_url=workshop["url"] if workshop else "",
        vote_sentence=_vote_sentence(vote, language),
        vote_figure=(vote or {}).get("figure", {}).get(language, ""),
        recorded_results_url=(vote or {}).get("results_url", ""),
        ledger_head=(vote or {}).get("ledger_head") or "",
        definition_hash=(vote or {}).get("definition_hash") or "",
        lineage=[_lineage_sentence(step, language) for step in source.get("lineage", [])],
    )


def _number_in(key: str | None) -> int | None:
    """The row id in a snapshot key ("consultation-3" -> 3)."""
    tail = (key or "").rpartition("-")[2]
    return int(tail) if tail.isdigit() else None


def _number_text(value: float | None) -> str:
    return "—" if value is None else format_decimal(value, format="#,##0.##")


def _period(starts: date | None, ends: date | None) -> str:
    if starts and ends:
        return _("%(start)s to %(end)s", start=format_date(starts), end=format_date(ends))
    if starts or ends:
        return str(format_date(starts or ends))
    return _("Dates not set")


def _budget_text(budget: dict[str, Any]) -> str:
    estimate = budget.get("estimate")
    if estimate is None:
        return _("Not estimated")
    return _("%(amount)s %(currency)s", amount=_number_text(estimate), currency=budget.get("currency", "MAD"))


def _milestone_row(milestone: dict[str, Any]) -> dict[str, Any]:
    due = _day(milestone.get("due_on"))
    return {"title": milestone["title"], "due": format_date(due) if due else "",
            "done": milestone.get("done", False)}


def _indicator_row(indicator: dict[str, Any]) -> dict[str, Any]:
    return {"name": indicator["name"], "unit": indicator.get("unit", ""),
            **{key: _number_text(indicator.get(key)) for key in ("baseline", "target", "current")}}


def _update_row(update: dict[str, Any], language: str) -> dict[str, Any]:
    on = _day(update.get("on"))
    return {"on": format_date(on) if on else "",
            "organisation": _organisation_name(update.get("organisation"), language), "text": update["text"],
            "progress": update.get("progress")}


def action_view(action: dict[str, Any], themes: dict[str, str], language: str) -> ActionView:
    """One action of a snapshot, worded for a reader of `language`."""
    starts, ends = _day(action.get("starts_on")), _day(action.get("ends_on"))
    status = action.get("status", ActionStatus.PLANNED.value)
    lead = action.get("lead")
    partners = action.get("partners", [])
    territory = action["territory"]
    return ActionView(
        key=action["id"], number=action["number"], title=pick_text(action.get("title"), language),
        description=pick_text(action.get("description"), language), objectives=action.get("objectives", ""),
        theme_key=action.get("theme"), theme=themes.get(action.get("theme") or "", _("No theme")),
        scope=territory["scope"], territory=territory_text(territory), region_codes=territory.get("regions", []),
        status=status, status_label=str(STATUS_LABELS[ActionStatus(status)]), progress=int(action.get("progress") or 0),
        lead=_organisation_name(lead, language), lead_key=lead["id"] if lead else None,
        partners=[_organisation_name(p, language) for p in partners],
        organisation_keys=([lead["id"]] if lead else []) + [p["id"] for p in partners],
        starts_on=starts, ends_on=ends, period=_period(starts, ends),
        milestones=[_milestone_row(m) for m in action.get("milestones", [])],
        indicators=[_indicator_row(i) for i in action.get("indicators", [])],
        budget=_budget_text(action.get("budget") or {}), funding_sources=(action.get("budget") or {}).get(
            "funding_sources", ""),
        sources=[_source_view(s, language) for s in action.get("sources", [])],
        updates=[_update_row(u, language) for u in action.get("updates", [])],
        decisions=[(_moment(d.get("at")), decision_sentence(d["kind"], d.get("detail", {})))
                   for d in action.get("decisions", [])],
    )


def theme_names(snapshot: Mapping[str, Any] | None, language: str) -> dict[str, str]:
    """The snapshot's themes by id, named in the reader's language."""
    return {t["id"]: pick_text(t["name"], language).text for t in (snapshot or {}).get("themes", [])}


def title_of(action: Action, language: str | None = None) -> LocalText:
    """An action's title for the reader (a live row, not a snapshot)."""
    return pick_text(texts_of(action, "title"), language)


def plan_view(snapshot: Mapping[str, Any], language: str | None = None) -> PlanView:
    language = language or current_language()
    themes = theme_names(snapshot, language)
    actions = [action_view(a, themes, language) for a in snapshot.get("actions", [])]
    sections: dict[str, list[ActionView]] = {}
    for action in actions:
        sections.setdefault(action.theme, []).append(action)
    ordered = [(name, sections[name]) for name in list(themes.values()) + [_("No theme")] if name in sections]
    return PlanView(version=snapshot.get("version"), state=snapshot.get("state", "draft"),
                    published_at=_moment(snapshot.get("published_at")), language=language,
                    themes=list(themes.items()), actions=actions, sections=ordered)


@dataclass
class DiffView:
    """What changed between two versions, each action worded for the reader."""

    added: list[ActionView]
    removed: list[ActionView]
    # (the action now, the action before, the names of the fields that changed)
    changed: list[tuple[ActionView, ActionView | None, list[str]]]


def diff_view(new: Mapping[str, Any], old: Mapping[str, Any] | None, language: str | None = None) -> DiffView:
    """The changes from `old` (None: the first version) to `new`, in the reader's language."""
    language = language or current_language()
    changes = diff(old, new)
    themes = {**theme_names(old, language), **theme_names(new, language)}

    def view(action: dict[str, Any]) -> ActionView:
        return action_view(action, themes, language)

    return DiffView(added=[view(a) for a in changes.added], removed=[view(a) for a in changes.removed],
                    changed=[(view(c.action), view(c.before) if c.before else None, c.fields)
                             for c in changes.changed])


def field_labels() -> dict[str, str]:
    """The names of an action's fields, as the diff shows them."""
    return {"title": _("Title"), "description": _("Description"), "objectives": _("Objectives"),
            "theme": _("Theme"), "territory": _("Territory"), "lead": _("Lead organisation"),
            "partners": _("Partners"), "starts_on": _("Start date"), "ends_on": _("End date"),
            "milestones": _("Milestones"), "indicators": _("Indicators"), "budget": _("Budget"),
            "status": _("Status"), "progress": _("Progress"), "sources": _("Sources")}


def decision_trail(decisions: Sequence[Decision]) -> list[tuple[datetime, str]]:
    """The live decision trail of an action, as dated sentences."""
    return [(d.at, decision_sentence(d.kind, json.loads(d.detail or "{}"))) for d in decisions]


# --- filters ---------------------------------------------------------------------------------


@dataclass
class PlanFilters:
    theme: str = ""
    region: str = ""
    organisation: str = ""
    status: str = ""

    @property
    def active(self) -> bool:
        return bool(self.theme or self.region or self.organisation or self.status)


def filter_actions(actions: list[ActionView], filters: PlanFilters) -> list[ActionView]:
    def keep(action: ActionView) -> bool:
        if filters.theme and action.theme_key != filters.theme:
            return False
        if filters.region == "national" and action.scope != TerritoryScope.NATIONAL.value:
            return False
        if filters.region and filters.region != "national" and filters.region not in action.region_codes:
            return False
        if filters.organisation and filters.organisation not in action.organisation_keys:
            return False
        return not (filters.status and action.status != filters.status)

    return [action for action in actions if keep(action)]


def organisation_choices(snapshot: Mapping[str, Any], language: str) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for action in snapshot.get("actions", []):
        for organisation in ([action["lead"]] if action.get("lead") else []) + action.get("partners", []):
            found[organisation["id"]] = _organisation_name(organisation, language)
    return sorted(found.items(), key=lambda item: item[1])


def region_choices() -> list[tuple[str, str]]:
    return [("national", str(SCOPE_LABELS[TerritoryScope.NATIONAL]))] + [(r.code, r.name()) for r in REGIONS]


def status_choices() -> list[tuple[str, str]]:
    return [(status.value, str(status.label)) for status in ActionStatus]


# --- summary pictures --------------------------------------------------------------------------


@dataclass
class Chart:
    caption_id: str
    svg: Markup
    rows: list[tuple[str, str]]


# Charts are drawn on a narrow canvas, each label on its own line above its bar, so that on a
# phone (the canvas shown 290 to 340 px wide) a 14-unit label reads at 12 px or more.
CHART_WIDTH = 320


def _bars(caption_id: str, rows: list[tuple[str, float, str]], css_class: str = "seg-yes") -> Chart:
    """Horizontal bars starting at the inline start, each under its label."""
    rtl = text_direction() == "rtl"
    width, row_height, bar_height = CHART_WIDTH, 42, 14
    bar_area = width - 48  # room for the value after the longest bar
    scale = max((value for _label, value, _text in rows), default=0) or 1
    height = max(len(rows), 1) * row_height + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="{caption_id}" focusable="false">']
    for index, (label, value, text) in enumerate(rows):
        y = 4 + index * row_height
        short = label if len(label) <= 38 else label[:37] + "…"
        label_x = width - 2 if rtl else 2
        parts.append(f'<text x="{label_x}" y="{y + 14}" text-anchor="start" '
                     f'direction="{"rtl" if rtl else "ltr"}" class="chart-label">{escape(short)}</text>')
        length = bar_area * value / scale
        x = (width - length) if rtl else 0
        if length > 0:
            parts.append(f'<rect x="{x:.1f}" y="{y + 20}" width="{length:.1f}" height="{bar_height}" class="{css_class}">'
                         f'<title>{escape(label)}: {escape(text)}</title></rect>')
        value_x = (x - 6) if rtl else (x + length + 6)
        parts.append(f'<text x="{value_x:.1f}" y="{y + 32}" text-anchor="{"end" if rtl else "start"}" '
                     f'class="chart-value" direction="ltr">{escape(text)}</text>')
    parts.append("</svg>")
    return Chart(caption_id=caption_id, svg=Markup("".join(parts)),  # noqa: S704 - texts escaped above
                 rows=[(label, text) for label, _value, text in rows])


def charts(actions: list[ActionView]) -> dict[str, Chart]:
    by_theme = Counter(action.theme for action in actions)
    by_region: Counter[str] = Counter()
    for action in actions:
        if action.scope == TerritoryScope.NATIONAL.value:
            by_region[str(SCOPE_LABELS[TerritoryScope.NATIONAL])] += 1
        for code in action.region_codes:
            if code in REGIONS_BY_CODE:
                by_region[REGIONS_BY_CODE[code].name()] += 1
    by_status = Counter(action.status for action in actions)
    status_rows = [(str(s.label), float(by_status[s.value]), format_decimal(by_status[s.value]))
                   for s in ActionStatus]
    return {
        "theme": _bars("chart-theme", [(name, float(n), format_decimal(n)) for name, n in by_theme.most_common()]),
        "region": _bars("chart-region", [(name, float(n), format_decimal(n)) for name, n in by_region.most_common()]),
        "status": _bars("chart-status", status_rows, "seg-progress"),
    }


def average_progress(actions: list[ActionView]) -> str:
    if not actions:
        return format_percent(0)
    return format_percent(sum(a.progress for a in actions) / len(actions) / 100)


def timeline(actions: list[ActionView], caption_id: str = "chart-timeline") -> Chart | None:
    """Each dated action as a bar from its start to its end, on a shared time axis (years
    marked), mirrored in RTL so that time runs in the reading direction."""
    dated = [(a, starts, ends) for a in actions if (starts := a.starts_on) and (ends := a.ends_on)]
    if not dated:
        return None
    first = min(starts for _a, starts, _e in dated)
    last = max(ends for _a, _s, ends in dated)
    span = max((last - first).days, 1)
    rtl = text_direction() == "rtl"
    width, row, top = CHART_WIDTH, 36, 24
    area = width - 8
    height = top + len(dated) * row + 6
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart plan-timeline" viewBox="0 0 {width} {height}" '
             f'role="img" aria-labelledby="{caption_id}" focusable="false">']

    def position(day: date) -> float:
        offset = area * (day - first).days / span
        return (width - 4 - offset) if rtl else (4 + offset)

    for year in range(first.year, last.year + 2):
        mark = date(year, 1, 1)
        if first <= mark <= last:
            x = position(mark)
            parts.append(f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height}" class="chart-axis"/>'
                         f'<text x="{x:.1f}" y="{top - 10}" text-anchor="middle" class="chart-value" '
                         f'direction="ltr">{year}</text>')
    for index, (action, starts, ends) in enumerate(dated):
        y = top + index * row
        label = action.title.text if len(action.title.text) <= 38 else action.title.text[:37] + "…"
        label_x = width - 2 if rtl else 2
        parts.append(f'<text x="{label_x}" y="{y + 14}" class="chart-label" direction="{"rtl" if rtl else "ltr"}">'
                     f'{escape(label)}</text>')
        start, end = position(starts), position(ends)
        x, length = min(start, end), max(abs(end - start), 2)
        parts.append(f'<rect x="{x:.1f}" y="{y + 19}" width="{length:.1f}" height="12" '
                     f'class="status-{escape(action.status)}"><title>{escape(action.title.text)}: '
                     f'{escape(action.period)}</title></rect>')
    parts.append("</svg>")
    return Chart(caption_id=caption_id, svg=Markup("".join(parts)),  # noqa: S704 - texts escaped above
                 rows=[(a.title.text, a.period) for a, _s, _e in dated])
