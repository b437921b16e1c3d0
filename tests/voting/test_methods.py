"""Each voting method's form reading (`parse`, `prefill`, `typed`) and settings, the registry,
and a sixth method registered from the tests and driven through the whole stack: one class
and one template are all a method needs."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from jinja2 import ChoiceLoader, DictLoader
from werkzeug.datastructures import MultiDict

from tadamon.core.errors_domain import DomainError
from tadamon.core.hooks import voting_methods
from tadamon.extensions import db
from tadamon.voting import ledger, services
from tadamon.voting.methods import (
    BUILT_IN,
    REGISTRY,
    Figure,
    MethodBase,
    Segment,
    VoteError,
    get_method,
    register,
    unregister,
)
from tadamon.voting.methods.base import Titles
from tadamon.voting.methods.common import (
    BallotError,
    Ballots,
    Result,
    check_candidate,
    choice,
    count_of,
    tiers_by,
)
from tadamon.voting.tally import tally_document
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase

CANDIDATES = ["p1", "p2", "p3"]


def form(*pairs: tuple[str, str]) -> MultiDict[str, str]:
    return MultiDict(list(pairs))


# --- parse and prefill, method by method -------------------------------------------------------


def test_approval_reads_the_ticked_proposals_in_the_candidates_order():
    approval = get_method("approval")
    ballot = approval.parse(form(("approve", "p3"), ("approve", "p1"), ("approve", "p9")), CANDIDATES,
                            {"max_approvals": 2})
    assert ballot == {"approvals": ["p1", "p3"]}  # unknown candidates are ignored
    assert approval.prefill(ballot) == {"p1": True, "p3": True}
    with pytest.raises(VoteError, match="at most 1") as refused:
        approval.parse(form(("approve", "p1"), ("approve", "p2")), CANDIDATES, {"max_approvals": 1})
    assert refused.value.field == "ballot"
    assert approval.typed(form(("approve", "p2")), CANDIDATES) == {"p2": True}


def test_score_skips_unscored_proposals_and_refuses_a_score_out_of_range():
    score = get_method("score")
    ballot = score.parse(form(("score-p1", "5"), ("score-p2", ""), ("score-p3", "0")), CANDIDATES, {})
    assert ballot == {"scores": {"p1": 5, "p3": 0}}
    assert score.prefill(ballot) == {"p1": "5", "p3": "0"}
    with pytest.raises(VoteError, match="0 to 5"):
        score.parse(form(("score-p1", "6")), CANDIDATES, {})
    assert score.typed(form(("score-p1", "9"), ("score-p2", "")), CANDIDATES) == {"p1": "9"}


def test_majority_judgment_grades_an_ungraded_proposal_reject():
    method = get_method("majority_judgment")
    options = method.options(None)
    ballot = method.parse(form(("grade-p1", "5"), ("grade-p3", "2")), CANDIDATES, options)
    assert ballot == {"grades": {"p1": 5, "p2": 0, "p3": 2}}
    assert method.prefill(ballot) == {"p1": "5", "p2": "0", "p3": "2"}
    with pytest.raises(VoteError, match="grades"):
        method.parse(form(("grade-p1", "6")), CANDIDATES, options)


def test_schulze_reads_numbers_as_tiers_and_equal_numbers_as_ties():
    schulze = get_method("schulze")
    ballot = schulze.parse(form(("rank-p1", "3"), ("rank-p2", " 1 "), ("rank-p3", "1")), CANDIDATES, {})
    assert ballot == {"ranking": [["p2", "p3"], ["p1"]]}
    assert schulze.prefill(ballot) == {"p2": "1", "p3": "1", "p1": "2"}
    assert schulze.parse(form(("rank-p2", "2")), CANDIDATES, {}) == {"ranking": [["p2"]]}
    for bad in ("0", "4", "x", "-1"):
        with pytest.raises(VoteError, match="from 1 to 3"):
            schulze.parse(form(("rank-p1", bad)), CANDIDATES, {})


def test_yes_no_counts_an_unanswered_proposal_as_an_abstention():
    yes_no = get_method("yes_no")
    ballot = yes_no.parse(form(("vote-p1", "yes"), ("vote-p2", "no")), CANDIDATES, {})
    assert ballot == {"votes": {"p1": "yes", "p2": "no", "p3": "abstain"}}
    assert yes_no.prefill(ballot) == ballot["votes"]
    with pytest.raises(VoteError, match="yes, no or abstain"):
        yes_no.parse(form(("vote-p1", "maybe")), CANDIDATES, {})


@pytest.mark.parametrize("method", BUILT_IN, ids=lambda method: method.id)
def test_every_sample_ballot_parses_and_counts(method):
    options = {"max_approvals": 2, "grades": ["a", "b", "c", "d", "e", "f"], "quorum": 0.5, "threshold": 0.5}
    ballots = [method.parse(method.sample_form(CANDIDATES, number), CANDIDATES, options) for number in range(4)]
    result = method.tally(CANDIDATES, ballots, {**options, "eligible": 4})
    assert sorted(c for tier in result.ranking for c in tier) == CANDIDATES
    for ballot in ballots:  # what prefill gives back names only candidates
        assert set(method.prefill(ballot)) <= set(CANDIDATES)


def test_settings_are_validated_by_the_method_that_uses_them():
    with pytest.raises(DomainError) as missing:
        get_method("approval").validate_settings({"max_approvals": None})
    assert missing.value.field == "max_approvals"
    with pytest.raises(DomainError) as share:
        get_method("yes_no").validate_settings({"quorum": 0.5, "threshold": 1.5})
    assert share.value.field == "threshold"
    get_method("yes_no").validate_settings({"quorum": 1, "threshold": 0.5})
    get_method("schulze").validate_settings({})
    assert get_method("yes_no").settings == ("quorum", "threshold")


def test_the_registry_lists_the_five_methods_in_the_order_offered():
    assert list(REGISTRY)[:5] == ["approval", "score", "majority_judgment", "schulze", "yes_no"]
    with pytest.raises(LookupError, match="lottery"):
        get_method("lottery")
    with pytest.raises(BallotError, match="unknown method 'lottery'; expected one of approval"):
        tally_document({"format": "tadamon-ballots/1", "method": "lottery"})
    with pytest.raises(BallotError, match="unknown method"):
        tally_document({"format": "tadamon-ballots/1", "method": ["approval"]})


def test_a_ballot_error_names_the_ballot_it_comes_from():
    with pytest.raises(BallotError, match="^ballot 2: unknown candidate 'p9'$"):
        get_method("approval").tally(CANDIDATES, [{"approvals": ["p1"]}, {"approvals": ["p9"]}], {})


# --- a sixth method, from the tests -----------------------------------------------------------


class Plurality(MethodBase):
    """One choice per organisation; the most chosen proposals win."""

    id = "plurality"
    label = "Plurality (test)"
    explanation = "Each organisation chooses one proposal."
    template = "voting/methods/plurality.html"
    prefix = "choose"

    def parse(self, formdata: Any, candidates: Sequence[str], options: Mapping[str, Any]) -> dict[str, Any]:
        chosen = choice(formdata, self.prefix)
        if chosen not in candidates:
            raise VoteError("Choose one proposal.")
        return {"choice": chosen}

    def prefill(self, ballot: Mapping[str, Any]) -> dict[str, Any]:
        return {ballot["choice"]: True}

    def typed(self, formdata: Any, candidates: Sequence[str]) -> dict[str, Any]:
        chosen = choice(formdata, self.prefix)
        return {chosen: True} if chosen in candidates else {}

    def count(self, candidates: Sequence[str], ballots: Ballots, options: dict[str, Any]) -> Result:
        totals = dict.fromkeys(candidates, 0)
        for ballot in ballots:
            chosen = ballot.get("choice")
            if not isinstance(chosen, str):
                raise BallotError("'choice' must name one candidate")
            check_candidate(chosen, totals)
            totals[chosen] += count_of(ballot)
        ranking = tiers_by(candidates, totals)
        return Result(ranking[0] if ranking else [], ranking, {"choices": totals})

    def figure(self, key: str, details: Mapping[str, Any]) -> Figure:
        chosen = details["choices"][key]
        return Figure(f"chosen by {chosen}", [Segment(chosen, "seg-yes", "Chosen")])

    def summarise(self, ballot: Mapping[str, Any], title: Titles) -> str:
        return f"Chooses {title(ballot['choice'])}"


PLURALITY_TEMPLATE = """<fieldset><legend>Choose one proposal.</legend>
{% for candidate in definition.candidates %}<div class="checkbox"><input type="radio" id="choose-{{ candidate.id }}"
 name="choose" value="{{ candidate.id }}"{% if values.get(candidate.id) %} checked{% endif %}>
<label for="choose-{{ candidate.id }}">{% include "voting/_candidate.html" %}</label></div>{% endfor %}
</fieldset>"""


@pytest.fixture
def plurality(app) -> Iterator[Plurality]:
    """The sixth method, registered with its template for one test, then gone."""
    method = Plurality()
    loader = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([DictLoader({method.template: PLURALITY_TEMPLATE}), loader])
    register(method)
    try:
        yield method
    finally:
        unregister(method.id)
        app.jinja_env.loader = loader
        app.jinja_env.cache.clear()
    assert "plurality" not in voting_methods()


def test_a_sixth_method_runs_through_ballot_close_results_export_and_tally(
        plurality, open_vote, members, client, login, app, tmp_path):
    assert voting_methods()["plurality"] is plurality  # offered to consultations through core.hooks
    consultation, keys = open_vote("plurality")
    for (person, _organisation), chosen in zip(members, (keys[1], keys[1], keys[0]), strict=True):
        login(client, person)
        page = client.get(f"/consultations/{consultation.id}/vote").get_data(as_text=True)
        assert "Plurality (test)" in page and f'name="choose" value="{keys[2]}"' in page
        assert client.post(f"/consultations/{consultation.id}/vote", data={"choose": "nothing"}).status_code == 400
        assert client.post(f"/consultations/{consultation.id}/vote", data={"choose": chosen}).status_code == 302
    page = client.get(f"/consultations/{consultation.id}/vote").get_data(as_text=True)
    assert f'value="{keys[0]}" checked' in page  # the ballot cast is shown back

    facilitator = db.session.get(type(members[0][0]), consultation.created_by_id)
    workshops.move_phase(facilitator, consultation, Phase.CLOSED)
    workshops.move_phase(facilitator, consultation, Phase.RESULTS_PUBLISHED)
    db.session.commit()
    vote = services.round_of(consultation)
    published = services.results_of(vote)
    assert published["winners"] == [keys[1]] and published["details"]["choices"][keys[1]] == 2
    body = client.get(f"/consultations/{consultation.id}/results", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    assert "chosen by 2" in body and "Plurality (test)" in body and "Chooses " in body
    assert ledger.verify(vote) == []

    runner = app.test_cli_runner()
    exported = tmp_path / "plurality.json"
    assert runner.invoke(args=["export-ballots", str(consultation.id), "-o", str(exported)]).exit_code == 0
    assert json.loads(exported.read_text(encoding="utf-8"))["method"] == "plurality"
    line = json.loads(runner.invoke(args=["tally", str(exported)]).output.strip())
    assert {key: line[key] for key in ("winners", "ranking", "details")} == \
        {key: published[key] for key in ("winners", "ranking", "details")}
