"""Results in words, numbers and pictures: what the results page shows, computed here so the
template only lays it out. Charts are server-rendered SVG (no script), mirrored for RTL, and
always come with a data table carrying the same figures."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from flask_babel import format_number, format_percent
from flask_babel import gettext as _
from markupsafe import Markup, escape

from tadamon.core.bidi import join
from tadamon.core.i18n import text_direction
from tadamon.core.markup import render_markdown
from tadamon.membership.models import LEGAL_FORM_LABELS, LegalForm, Organisation
from tadamon.membership.regions import REGIONS_BY_CODE
from tadamon.proposals.models import Proposal
from tadamon.voting import services
from tadamon.voting.methods import Segment, VotingMethod, get_method
from tadamon.voting.models import VotingRound
from tadamon.voting.results import StoredResults, current_language
from tadamon.voting.results import participation as stored_participation
from tadamon.workshops.models import Consultation, Phase


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
    # The whole ranking's number of rows, and whether its pairwise table was left out, when
    # `rows` are only its first ones (see RANKING_SHOWN).
    total: int = 0
    pairwise_cut: bool = False


def _title(proposals: dict[str, Proposal], key: str) -> str:
    proposal = proposals.get(key)
    return proposal.title if proposal is not None else key


def _names(proposals: dict[str, Proposal], keys: list[str]) -> str:
    """Proposal titles for a sentence: quoted the reader's way, isolated, joined by the
    language's list pattern ("«A» et «B»", "«A» و«B»")."""
    return join([_title(proposals, key) for key in keys], quoted=True)


def _rows(method: VotingMethod, results: dict[str, Any], proposals: dict[str, Proposal]) -> list[Row]:
    rows: list[Row] = []
    for position, tier in enumerate(results["ranking"], 1):
        rank = 1 + sum(len(t) for t in results["ranking"][: position - 1])
        for key in tier:
            figure = method.figure(key, results["details"])
            rows.append(Row(key=key, rank=rank, tied=len(tier) > 1, proposal=proposals.get(key),
                            title=_title(proposals, key), figure=figure.text, segments=figure.segments,
                            adopted=figure.adopted))
    return rows


def bar_chart(rows: list[Row], scale: float, caption_id: str) -> Markup:
    """Horizontal (stacked) bars, one per proposal, best first, each under its label; they start
    at the inline start. A narrow canvas: on a phone a 14-unit label reads at 12 px or more."""
    rtl = text_direction() == "rtl"
    width, row_height, bar_height = 320, 44, 16
    bar_area = width - 4
    height = max(len(rows), 1) * row_height + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
             f'role="img" aria-labelledby="{caption_id}" focusable="false">']
    for index, row in enumerate(rows):
        y = 4 + index * row_height
        label = row.title if len(row.title) <= 36 else row.title[:35] + "…"
        label_x = width - 2 if rtl else 2
        anchor = "end" if rtl else "start"
        parts.append(f'<text x="{label_x}" y="{y + 14}" text-anchor="{anchor}" '
                     f'direction="{"rtl" if rtl else "ltr"}" class="chart-label">{escape(str(row.rank))}. '
                     f'{escape(label)}</text>')
        offset = 0.0
        for segment in row.segments:
            length = bar_area * (segment.value / scale) if scale else 0
            if length <= 0:
                continue
            x = (width - 2 - offset - length) if rtl else (2 + offset)
            parts.append(f'<rect x="{x:.1f}" y="{y + 20}" width="{length:.1f}" height="{bar_height}" '
                         f'class="{segment.css_class}"><title>{escape(segment.label)}</title></rect>')
            offset += length
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text inside was escaped above


def results_view(results: dict[str, Any], proposals: dict[str, Proposal]) -> ResultsView:
    method = get_method(results["method"])
    rows = _rows(method, results, proposals)
    details = results["details"]
    ties = [_("%(proposals)s are tied.", proposals=_names(proposals, tier))
            for tier in results["ranking"] if len(tier) > 1 and tier != results["winners"]]
    scale = method.scale(results)
    return ResultsView(method=method.id, rows=rows,
                       winners_sentence=method.winners_sentence(results, lambda keys: _names(proposals, keys)),
                       notes=[*method.verdict(details), *ties, *method.how_counted()], legend=method.legend(),
                       scale=scale, chart=bar_chart(rows, scale, "results-chart-caption"),
                       pairwise=method.pairwise(details, [row.key for row in rows]))


# The results page shows the first rows of a long ranking (its chart, its table), and links to
# the whole one: a national vote puts dozens of proposals to the vote, and the page must cost the
# same whatever their number. The pairwise table (rows × rows) comes only with the whole ranking.
RANKING_SHOWN = 10


def freeze_view(view: ResultsView) -> dict[str, Any]:
    """A view as JSON data, to be stored once (`voting.results`) and shown many times; with the
    chart of its first RANKING_SHOWN rows when it has more. In the view's language (its locale)."""
    top = (str(bar_chart(view.rows[:RANKING_SHOWN], view.scale, "results-chart-caption"))
           if len(view.rows) > RANKING_SHOWN else None)
    return {"method": view.method, "winners_sentence": view.winners_sentence, "notes": view.notes,
            "scale": view.scale, "chart": str(view.chart), "chart_top": top,
            "legend": [[s.value, s.css_class, s.label] for s in view.legend],
            "pairwise": view.pairwise,
            "rows": [{"key": r.key, "rank": r.rank, "tied": r.tied, "title": r.title, "figure": r.figure,
                      "adopted": r.adopted, "segments": [[s.value, s.css_class, s.label] for s in r.segments]}
                     for r in view.rows]}


def thaw_view(data: dict[str, Any], proposals: dict[str, Proposal], shown: int | None = None) -> ResultsView:
    """A stored view, with the proposals it links to: no tally, no translation, no formatting.
    `shown`: only the ranking's first rows, their chart, and no pairwise table."""
    cut = shown is not None and len(data["rows"]) > shown
    rows = [Row(key=r["key"], rank=r["rank"], tied=r["tied"], proposal=proposals.get(r["key"]), title=r["title"],
                figure=r["figure"], adopted=r["adopted"], segments=[Segment(*s) for s in r["segments"]])
            for r in (data["rows"][:shown] if cut else data["rows"])]
    chart = data.get("chart_top") if cut else data["chart"]
    return ResultsView(
        method=data["method"], winners_sentence=data["winners_sentence"], notes=data["notes"], scale=data["scale"],
        # Built by bar_chart, which escapes every text (a view stored before the first rows'
        # chart was: drawn here, until the periodic task stores the view again).
        chart=Markup(chart) if chart is not None else bar_chart(rows, data["scale"], "results-chart-caption"),  # noqa: S704
        legend=[Segment(*segment) for segment in data["legend"]], pairwise=None if cut else data["pairwise"],
        rows=rows, total=len(data["rows"]), pairwise_cut=bool(cut and data["pairwise"]))


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


def frozen_participation(counts: dict[str, list[services.ParticipationCount]]) -> dict[str, list[list[str]]]:
    """The participation tables as the results page shows them, in the current language:
    [name, eligible, voted, share] per row, every figure formatted (stored with the view)."""
    return {kind: [[name, format_number(eligible), format_number(voted), share]
                   for name, eligible, voted, share in participation_rows(rows, kind)]
            for kind, rows in counts.items()}


def summarise(method_id: str, ballot: dict[str, Any], titles: dict[str, str]) -> str:
    """One public ballot in words, for the table of how each organisation voted; the candidates
    named by `titles` (the stored ranking's, {key: title})."""
    return get_method(method_id).summarise(ballot, lambda key: titles.get(key, key))


SUMMARY_LENGTH = 360


@functools.lru_cache(maxsize=512)
def proposal_summary(body: str, limit: int = SUMMARY_LENGTH) -> Markup:
    """The opening of a proposal, for the ballot: its first paragraph, cut at a word near
    `limit` characters, rendered like the proposal page renders it. Kept per text (a ballot
    page renders every candidate's, ~0.4 ms each; a proposal in voting no longer changes)."""
    first = (body or "").strip().split("\n\n", 1)[0].strip()
    if len(first) > limit:
        cut = first[:limit]
        first = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:.،؛") + "…"
    return render_markdown(first)


def ballot_page(consultation: Consultation, user: Any, organisation: Organisation | None,
                sent: Any = None, credential: str | None = None) -> dict[str, Any]:
    """What the ballot page shows. `sent` is the form as sent, whose choices stay on the page
    even when they do not validate; without it, the form shows the ballot already cast (a
    secret one only with the organisation's voting `credential`, and only to who may vote)."""
    vote = services.round_of(consultation)
    page: dict[str, Any] = {"consultation": consultation, "vote": vote, "organisation": organisation,
                            "reason": services.refusal(user, consultation, organisation), "current": None,
                            "definition": None, "method": None, "values": {}, "proposals": {},
                            "secret": False, "credential": None, "voted_without_code": False,
                            "summaries": {}}
    if vote is None:
        return page
    definition = services.definition_of(vote)
    method = get_method(definition["method"])
    may_see = organisation is not None and page["reason"] is None
    current = services.current_ballot(vote, organisation, credential) if may_see and organisation else None
    secret = services.is_secret(vote)
    secret_state = {"secret": secret, "credential": credential if secret and current is not None else None,
                    "voted_without_code": bool(secret and may_see and organisation and current is None
                                               and services.has_voted(vote, organisation))}
    if sent is not None:
        values = method.typed(sent, [c["id"] for c in definition["candidates"]])
    else:
        values = method.prefill(json.loads(current.content)) if current is not None else {}
    proposals = services.proposals_by_key(vote)
    return {**page, **secret_state, "current": current, "definition": definition, "method": method, "values": values,
            "proposals": proposals,
            "summaries": {key: proposal_summary(proposal.body) for key, proposal in proposals.items()}}


def results_page(consultation: Consultation, vote: VotingRound, stored: StoredResults,
                 ballots_page: int = 1, *, full_ranking: bool = False) -> dict[str, Any]:
    """What the results page shows: the ranking (its first RANKING_SHOWN rows unless
    `full_ranking`), participation, and (public ballots) one page of who voted what. All of it
    as stored at the close (see voting.results), in the reader's language: what the page reads
    is bounded by its rows, whatever the number of ballots, organisations or candidates."""
    results = stored.tally
    frozen = stored.view(current_language())
    if frozen is None:  # not stored in this language: formatted here, as the close would have
        frozen = freeze_view(results_view(results, services.proposals_by_key(vote)))
    shown = None if full_ranking else RANKING_SHOWN
    proposals = services.linked_proposals([row["key"] for row in frozen["rows"][:shown]])
    view = thaw_view(frozen, proposals, shown)
    ballots = services.public_ballots_page(vote, ballots_page, listed=stored.listed)
    titles = {row["key"]: row["title"] for row in frozen["rows"]} if ballots.items else {}
    # A view stored before these were: counted and formatted here, until the periodic task stores it again.
    tables = frozen.get("participation") or frozen_participation(stored_participation(vote))
    secret = frozen["secret"] if "secret" in frozen else services.is_secret(vote)
    return {
        "consultation": consultation, "vote": vote, "results": results, "proposals": proposals,
        "method": get_method(results["method"]), "view": view, "secret": secret,
        "published": consultation.current_phase is Phase.RESULTS_PUBLISHED,
        "by_region": tables["region"], "by_form": tables["legal_form"],
        "public_ballots": ballots.items, "ballots_page": ballots,
        "ballot_summaries": [summarise(results["method"], ballot, titles) for _organisation, ballot in ballots.items],
    }
