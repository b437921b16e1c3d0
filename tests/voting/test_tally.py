"""The five tallies against published worked examples and properties, and the tally command."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tadamon.voting.methods.majority_judgment import lower_median, removal_order
from tadamon.voting.tally import BallotError, tally_document


def document(method, candidates, ballots, **options):
    return {"format": "tadamon-ballots/1", "method": method, "candidates": candidates, "options": options,
            "ballots": ballots}


def test_schulze_wikipedia_example():
    # The 45-voter example of Schulze's method (Wikipedia): E wins, order E > A > C > B > D.
    profile = [("ACBED", 5), ("ADECB", 5), ("BEDAC", 8), ("CABED", 3), ("CAEBD", 7), ("CBADE", 2),
               ("DCEBA", 7), ("EBADC", 8)]
    result = tally_document(document("schulze", list("ABCDE"),
                                     [{"ranking": [[c] for c in order], "count": n} for order, n in profile]))
    assert result.winners == ["E"]
    assert result.ranking == [["E"], ["A"], ["C"], ["B"], ["D"]]
    assert result.details["pairwise"]["A"]["B"] == 20 and result.details["strongest_paths"]["E"]["D"] == 31


def test_schulze_ties_and_unranked_candidates_rank_last():
    result = tally_document(document("schulze", ["p1", "p2", "p3"], [{"ranking": [["p2"], ["p1", "p3"]]},
                                                                     {"ranking": [["p2"]]}]))
    assert result.winners == ["p2"] and result.ranking == [["p2"], ["p1", "p3"]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.permutations(["a", "b", "c", "d"]), min_size=1, max_size=25))
def test_a_condorcet_winner_always_wins_schulze(orders):
    ballots = [{"ranking": [[c] for c in order]} for order in orders]
    result = tally_document(document("schulze", ["a", "b", "c", "d"], ballots))
    d = result.details["pairwise"]
    condorcet = [x for x in "abcd" if all(d[x][y] > d[y][x] for y in "abcd" if y != x)]
    if condorcet:
        assert result.winners == condorcet


def test_majority_judgment_breaks_ties_the_balinski_laraki_way():
    # Both have majority grade 3 (Good); removing it leaves p1 {1, 5} -> 1 and p2 {2, 3} -> 2: p2 wins.
    result = tally_document(document("majority_judgment", ["p1", "p2"], [
        {"grades": {"p1": 5, "p2": 2}}, {"grades": {"p1": 1, "p2": 3}}, {"grades": {"p1": 3, "p2": 3}}]))
    assert result.winners == ["p2"] and result.ranking == [["p2"], ["p1"]]
    assert result.details["majority_grade"] == {"p1": "Good", "p2": "Good"}


def test_majority_judgment_absent_is_the_worst_grade_and_true_ties_stay_tied():
    result = tally_document(document("majority_judgment", ["p1", "p2"], [{"grades": {"p1": 4}}, {"grades": {"p2": 4}}]))
    assert result.winners == ["p1", "p2"] and result.ranking == [["p1", "p2"]]


def test_approval_counts_and_limit():
    result = tally_document(document("approval", ["p1", "p2", "p3"], [
        {"approvals": ["p1", "p3"]}, {"approvals": ["p3"], "count": 2}], max_approvals=2))
    assert result.winners == ["p3"] and result.ranking == [["p3"], ["p1"], ["p2"]]
    with pytest.raises(BallotError, match="ballot 1: .*more than max_approvals=1"):
        tally_document(document("approval", ["p1", "p2"], [{"approvals": ["p1", "p2"]}], max_approvals=1))


def test_score_ranks_by_mean_among_those_who_scored():
    result = tally_document(document("score", ["p1", "p2", "p3"], [
        {"scores": {"p1": 5, "p3": 1}}, {"scores": {"p1": 3, "p2": 4}}, {"scores": {"p2": 5}}]))
    # means: p1 (5+3)/2 = 4, p2 (4+5)/2 = 4.5, p3 1; totals 8, 9, 1
    assert result.ranking == [["p2"], ["p1"], ["p3"]] and result.winners == ["p2"]
    assert result.details["total"] == {"p1": 8, "p2": 9, "p3": 1}
    tie = tally_document(document("score", ["p1", "p2"], [{"scores": {"p1": 5}}, {"scores": {"p1": 3, "p2": 4}}]))
    assert tie.ranking == [["p1", "p2"]]


def test_yes_no_quorum_and_threshold():
    ballots = [{"votes": {"p1": "yes", "p2": "no"}}, {"votes": {"p1": "yes", "p2": "yes"}},
               {"votes": {"p1": "no"}}, {"votes": {}}]
    result = tally_document(document("yes_no", ["p1", "p2"], ballots, quorum=0.5, threshold=0.5, eligible=8))
    assert result.details["quorum_met"] is True
    assert result.winners == ["p1"]  # 2 yes > 0.5 × 3; p2: 1 yes, not > 0.5 × 2
    short = tally_document(document("yes_no", ["p1", "p2"], ballots, quorum=0.6, threshold=0.5, eligible=8))
    assert short.details["quorum_met"] is False and short.winners == []


@pytest.mark.parametrize(("content", "problem"), [
    ("{not json", "not valid JSON"),
    ('{"format": "other"}', "'format' must be"),
    ('{"format": "tadamon-ballots/1", "method": "lottery"}', "unknown method"),
    ('{"format": "tadamon-ballots/1", "method": "score", "candidates": ["a"], "ballots": [{"scores": {"a": 9}}]}',
     "ballot 1: score 9"),
    ('{"format": "tadamon-ballots/1", "method": "schulze", "candidates": ["a"], "ballots": [{"ranking": [["z"]]}]}',
     "unknown candidate"),
])
def test_tally_command_names_the_file_and_the_problem(app, tmp_path, content, problem):
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["tally", str(bad)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    line = json.loads(result.output.splitlines()[0])
    assert line["file"] == str(bad) and problem in line["error"]


def test_tally_command_prints_one_json_line_per_file(app, tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(document("approval", ["p1", "p2"], [{"approvals": ["p2"]}], max_approvals=1)))
    second.write_text(json.dumps(document("schulze", ["p1", "p2"], [{"ranking": [["p1"], ["p2"]]}])))
    result = app.test_cli_runner().invoke(args=["tally", str(first), str(second)])
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["winners"] for line in lines] == [["p2"], ["p1"]]
    assert lines[1]["ranking"] == [["p1"], ["p2"]] and "details" in lines[0]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=40))
def test_majority_sequence_equals_removing_the_median_again_and_again(grades):
    histogram = [grades.count(level) for level in range(6)]
    remaining, literal = list(histogram), []
    for _ in grades:
        grade = lower_median(remaining)
        literal.append(grade)
        remaining[grade] -= 1
    assert np.repeat(np.arange(6), histogram)[removal_order(len(grades))].tolist() == literal
