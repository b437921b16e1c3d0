"""Results in words, numbers and pictures: what the results page shows, computed here so the
template only lays it out. Charts are server-rendered SVG (no script), mirrored for RTL, and
always come with a data table carrying the same figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from markupsafe import Markup, escape

from tadamon.core.i18n import text_direction
from tadamon.membership.models import LEGAL_FORM_LABELS, LegalForm
from tadamon.membership.regions import REGIONS_BY_CODE
from tadamon.proposals.models import Proposal
from tadamon.voting.methods.majority_judgment import GRADE_LABELS
from tadamon.voting.methods.yes_no import VOTE_LABELS


@dataclass
class Segment:
    value: float
    css_class: str
    label: str


@dataclass
class Row:
    key: str
    rank: int
    tied: bool
    proposal: Proposal | None
    title: str
    figure: str
    segments: list[Segment] = field(default_factory=list)
    adopted: bool | None = None


@dataclass
class ResultsView:
    method: str
    rows: list[Row]
    winners_sentence: str
    notes: list[str]
    legend: list[Segment]
    scale: float
    chart: Markup
    pairwise: list[tuple[str, list[str]]] | None = None


def _title(proposals: dict[str, Proposal], key: str) -> str:
    proposal = proposals.get(key)
    return proposal.title if proposal is not None else key


def _names(proposals: dict[str, Proposal], keys: list[str]) -> str:
    return ", ".join(f"“{_title(proposals, key)}”" for key in keys)


def _winners_sentence(method: str, results: dict[str, Any], proposals: dict[str, Proposal]) -> str:
    winners = results["winners"]
    if method == "yes_no":
        if not winners:
            return _("No proposal is adopted.")
        return _("Adopted: %(proposals)s.", proposals=_names(proposals, winners))
    if not results["participants"]:
        return _("No organisation voted.")
    if len(winners) == 1:
        return _("%(proposal)s comes first.", proposal=_names(proposals, winners))
    return _("%(proposals)s are tied for first place; the method does not break this tie.",
             proposals=_names(proposals, winners))


def _rows(method: str, results: dict[str, Any], proposals: dict[str, Proposal]) -> tuple[list[Row], list[Segment], float]:
    details = results["details"]
    participants = max(results["participants"], 1)
    rows: list[Row] = []
    legend: list[Segment] = []
    scale = float(participants)
    for position, tier in enumerate(results["ranking"], 1):
        rank = 1 + sum(len(t) for t in results["ranking"][: position - 1])
        for key in tier:
            row = Row(key=key, rank=rank, tied=len(tier) > 1, proposal=proposals.get(key),
                      title=_title(proposals, key), figure="")
            if method == "approval":
                count = details["approvals"][key]
                row.figure = _("%(count)s organisations support it", count=format_decimal(count))
                row.segments = [Segment(count, "seg-yes", _("Support"))]
            elif method == "score":
                mean, total = details["mean"][key], details["total"][key]
                row.figure = _("mean %(mean)s out of 5, total %(total)s, scored by %(count)s",
                               mean=format_decimal(mean, format="0.##"), total=format_decimal(total),
                               count=format_decimal(details["scored_by"][key]))
                row.segments = [Segment(mean, "seg-yes", _("Mean score"))]
                scale = 5.0
            elif method == "majority_judgment":
                histogram = details["histograms"][key]
                grade_index = details["grades"].index(details["majority_grade"][key])
                row.figure = _("majority grade: %(grade)s", grade=GRADE_LABELS[grade_index])
                row.segments = [Segment(count, f"seg-grade-{level}", str(GRADE_LABELS[level]))
                                for level, count in enumerate(histogram)]
            elif method == "schulze":
                beaten = sum(1 for other, strength in details["strongest_paths"][key].items()
                             if strength > details["strongest_paths"][other][key])
                row.figure = _("beats %(count)s other proposals by the strongest paths", count=format_decimal(beaten))
                row.segments = [Segment(beaten, "seg-yes", _("Proposals beaten"))]
                scale = float(max(len(details["strongest_paths"]) - 1, 1))
            elif method == "yes_no":
                counts = details["counts"][key]
                row.adopted = bool(details["adopted"][key])
                row.figure = _("%(yes)s yes, %(no)s no, %(abstain)s abstentions",
                               yes=format_decimal(counts["yes"]), no=format_decimal(counts["no"]),
                               abstain=format_decimal(counts["abstain"]))
                row.segments = [Segment(counts[v], f"seg-{v}", str(VOTE_LABELS[v])) for v in ("yes", "no", "abstain")]
            rows.append(row)
    if method == "majority_judgment":
        legend = [Segment(0, f"seg-grade-{level}", str(label)) for level, label in enumerate(GRADE_LABELS)]
    elif method == "yes_no":
        legend = [Segment(0, f"seg-{v}", str(VOTE_LABELS[v])) for v in ("yes", "no", "abstain")]
    return rows, legend, scale


def bar_chart(rows: list[Row], scale: float, caption_id: str) -> Markup:
    """Horizontal (stacked) bars, one per proposal, best first; starts at the inline start."""
    rtl = text_direction() == "rtl"
    width, label_width, bar_height, gap = 640, 250, 22, 12
    bar_area = width - label_width - 16
    height = max(len(rows), 1) * (bar_height + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
             f'role="img" aria-labelledby="{caption_id}" focusable="false">']
    for index, row in enumerate(rows):
        y = gap + index * (bar_height + gap)
        label = row.title if len(row.title) <= 34 else row.title[:33] + "…"
        label_x = width - 4 if rtl else 4
        anchor = "end" if rtl else "start"
        parts.append(f'<text x="{label_x}" y="{y + bar_height * 0.7:.1f}" text-anchor="{anchor}" '
                     f'direction="{"rtl" if rtl else "ltr"}" class="chart-label">{escape(str(row.rank))}. '
                     f'{escape(label)}</text>')
        offset = 0.0
        for segment in row.segments:
            length = bar_area * (segment.value / scale) if scale else 0
            if length <= 0:
                continue
            x = (width - label_width - offset - length) if rtl else (label_width + offset)
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="{bar_height}" '
                         f'class="{segment.css_class}"><title>{escape(segment.label)}</title></rect>')
            offset += length
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text inside was escaped above


def results_view(results: dict[str, Any], proposals: dict[str, Proposal]) -> ResultsView:
    method = results["method"]
    rows, legend, scale = _rows(method, results, proposals)
    notes: list[str] = []
    details = results["details"]
    if method == "yes_no":
        notes.append(_("Quorum: %(participants)s of %(eligible)s eligible organisations took part (%(share)s); "
                       "%(required)s was required: %(verdict)s.",
                       participants=format_decimal(details["participants"]), eligible=format_decimal(details["eligible"]),
                       share=format_percent(details["participants"] / details["eligible"] if details["eligible"] else 0),
                       required=format_percent(details["quorum"]),
                       verdict=_("met") if details["quorum_met"] else _("not met")))
        notes.append(_("A proposal is adopted when yes is more than %(threshold)s of yes and no together.",
                       threshold=format_percent(details["threshold"])))
    for tier in results["ranking"]:
        if len(tier) > 1 and tier != results["winners"]:
            notes.append(_("%(proposals)s are tied.", proposals=_names(proposals, tier)))
    if method == "score":
        notes.append(_("Ranked by the mean of the scores each proposal received; a proposal left unscored by an "
                       "organisation is not counted in its mean."))
    if method == "majority_judgment":
        notes.append(_("Ranked by the majority grade (the median); ties are broken by removing median grades one "
                       "at a time, as Balinski and Laraki define it. An ungraded proposal counts as Reject."))
    pairwise = None
    if method == "schulze":
        notes.append(_("Counted by the Schulze method: a proposal ranks above another when its strongest chain of "
                       "majorities over it is stronger (winning votes)."))
        keys = [row.key for row in rows]
        pairwise = [(key, [("—" if key == other else format_decimal(details["pairwise"][key][other]))
                           for other in keys]) for key in keys]
    chart = bar_chart(rows, scale, "results-chart-caption")
    return ResultsView(method=method, rows=rows, winners_sentence=_winners_sentence(method, results, proposals),
                       notes=notes, legend=legend, scale=scale, chart=chart, pairwise=pairwise)


def participation_rows(rows: list[Any], kind: str) -> list[tuple[str, int, int, str]]:
    labelled = []
    for row in rows:
        if kind == "region":
            region = REGIONS_BY_CODE.get(row.label_key)
            name = region.name() if region is not None else _("Not given")
        else:
            known = row.label_key in {form.value for form in LegalForm}
            name = str(LEGAL_FORM_LABELS[LegalForm(row.label_key)]) if known else row.label_key
        share = format_percent(row.voted / row.eligible if row.eligible else 0)
        labelled.append((name, row.eligible, row.voted, share))
    return labelled


def summarise(method: str, ballot: dict[str, Any], proposals: dict[str, Proposal]) -> str:
    """One public ballot in words, for the table of how each organisation voted."""
    if method == "approval":
        chosen = ballot.get("approvals", [])
        return _("Supports: %(proposals)s", proposals=_names(proposals, chosen)) if chosen else _("Supports none")
    if method == "score":
        return "; ".join(f"{_title(proposals, key)}: {format_decimal(value)}" for key, value in ballot.get("scores", {}).items()) \
            or _("Scored none")
    if method == "majority_judgment":
        return "; ".join(f"{_title(proposals, key)}: {GRADE_LABELS[value]}" for key, value in ballot.get("grades", {}).items())
    if method == "schulze":
        tiers = ballot.get("ranking", [])
        return "; ".join(f"{format_decimal(position)}. " + " = ".join(_title(proposals, key) for key in tier)
                         for position, tier in enumerate(tiers, 1)) or _("Ranked none")
    if method == "yes_no":
        return "; ".join(f"{_title(proposals, key)}: {VOTE_LABELS[value]}" for key, value in ballot.get("votes", {}).items())
    return ""
