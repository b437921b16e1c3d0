"""The plan as a document: bulk loading in a fixed number of queries, a pure serialiser whose
output matches `plan.schema.json`, typed state columns, and the plan's pieces that pages and
templates ask (the one language fallback, pending offers, who reads an offer)."""

from __future__ import annotations

import json

import jsonschema
from flask_babel import force_locale
from sqlalchemy import event, select, text

from tadamon.action_plan import exports, presentation, services
from tadamon.action_plan.models import (
    Action,
    ActionStatus,
    Commitment,
    CommitmentRole,
    CommitmentState,
    PlanVersion,
    TerritoryScope,
    VersionState,
)
from tadamon.action_plan.permissions import can_read_offer
from tadamon.action_plan.services.diff import DIFFED_FIELDS
from tadamon.core.actor import Actor
from tadamon.core.notifications import Notification
from tadamon.extensions import db

SCHEMA = exports.schema()


def _counting(operation, *, cold=True):
    if cold:
        db.session.expire_all()  # as a request starts: nothing loaded yet
    seen = []

    def listener(*args):
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = operation()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return result, len([s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE"))])


def _carried(action, members, steering):
    person, organisation = members[action.id % 3]
    services.decide_commitment(steering, services.volunteer(person, organisation, action, "lead", ""), True)
    services.post_update(person, organisation, action, services.UpdateData(
        happened_on=action.created_at.date(), text="Commencé.", progress=10))


def test_the_snapshot_loads_in_a_fixed_number_of_queries(results, members, steering, make_action):
    _consultation, ids = results
    _carried(make_action(ids[:1]), members, steering)
    db.session.commit()
    one, few = _counting(lambda: services.build_snapshot())
    for i in range(4):
        _carried(make_action(ids[i % 3: i % 3 + 1]), members, steering)
    db.session.commit()
    five, more = _counting(lambda: services.build_snapshot())
    assert len(one["actions"]) == 1 and len(five["actions"]) == 5
    assert more == few


def test_serialise_action_is_pure_and_matches_the_schema(results, members, steering, make_action):
    _consultation, ids = results
    action = make_action(ids[:2], title_en="Solidarity fund", regions=["CAS"], territory_scope="regions")
    _carried(action, members, steering)
    db.session.commit()
    db.session.expire_all()
    related = services.load_related([action])
    # Pure once loaded: no query, and the same entry every time.
    entry, queries = _counting(lambda: services.serialise_action(action, related), cold=False)
    assert queries == 0
    assert entry == services.serialise_action(action, related)
    assert entry["id"] == f"action-{action.id}" and entry["title"]["en"] == "Solidarity fund"
    assert entry["status"] == "in_progress" and entry["progress"] == 10
    assert entry["territory"] == {"scope": "regions", "regions": ["CAS"], "provinces": []}
    assert [s["proposal"] for s in entry["sources"]] == [f"proposal-{i}" for i in ids[:2]]
    assert entry["lead"] is not None and entry["updates"][0]["text"] == "Commencé."
    assert [d["kind"] for d in entry["decisions"]] == ["created", "commitment_confirmed"]
    document = json.loads(services.canonical(services.build_snapshot([action])))
    jsonschema.validate(document, SCHEMA)


def test_a_stored_version_is_the_canonical_snapshot(results, steering, make_action):
    _consultation, ids = results
    make_action(ids[:1])
    version = services.submit_for_review(steering)
    stored = services.snapshot_of(version)
    assert version.snapshot == services.canonical(stored)
    assert stored["state"] == "review" and stored["version"] == version.number


def test_state_columns_are_enums_stored_as_their_plain_values(results, members, steering, make_action):
    _consultation, ids = results
    action = make_action(ids[:1])
    person, organisation = members[0]
    offer = services.volunteer(person, organisation, action, "partner", "")
    version = services.submit_for_review(steering)
    db.session.commit()
    db.session.expire_all()
    action, offer, version = (db.session.get(Action, action.id), db.session.get(Commitment, offer.id),
                              db.session.get(PlanVersion, version.id))
    assert action.status is ActionStatus.PLANNED and action.territory_scope is TerritoryScope.NATIONAL
    assert offer.role is CommitmentRole.PARTNER and offer.state is CommitmentState.VOLUNTEERED
    assert version.state is VersionState.REVIEW
    # The database holds the same strings as before the enums.
    row = db.session.execute(text("SELECT status, territory_scope FROM plan_actions WHERE id = :id"),
                             {"id": action.id}).one()
    assert tuple(row) == ("planned", "national")
    assert db.session.scalar(select(Commitment.id).where(Commitment.state == "volunteered")) == offer.id


def test_pending_offers_and_who_takes_volunteers(results, members, steering, make_action):
    _consultation, ids = results
    action = make_action(ids[:1])
    (rep0, org0), (rep1, org1), _third = members
    first = services.volunteer(rep0, org0, action, "lead", "Nous avons vingt formateurs.")
    second = services.volunteer(rep1, org1, action, "partner", "")
    services.decide_commitment(steering, first, True)
    db.session.commit()
    assert services.pending_commitments(action) == [second] and services.pending_commitments() == [second]
    assert second.is_pending and not first.is_pending
    assert services.takes_volunteers(action)
    action.status = ActionStatus.DONE
    assert not services.takes_volunteers(action)
    assert services.live_action(action.id) is action
    services.remove_action(steering, action, "Fusionnée.")
    db.session.expire_all()
    assert services.live_action(action.id) is None and services.live_action(10**6) is None


def test_an_offer_message_is_read_by_the_steering_group_and_the_offering_organisation(
        results, members, steering, make_action):
    _consultation, ids = results
    action = make_action(ids[:1])
    (rep0, org0), (rep1, org1), _third = members
    offer = services.volunteer(rep0, org0, action, "lead", "Confidentiel")
    assert can_read_offer(Actor(steering), offer)
    assert can_read_offer(Actor(rep0, org0), offer)
    assert not can_read_offer(Actor(rep1, org1), offer)
    assert not can_read_offer(Actor(None), offer)


def test_the_plan_uses_the_one_language_fallback(results, make_action, app):
    _consultation, ids = results
    action = make_action(ids[:1], title_ar="عنوان", title_fr="Titre", title_en="")
    with app.test_request_context("/"), force_locale("en"):
        title = presentation.title_of(action, "en")
        assert (title.text, title.language, title.untranslated) == ("عنوان", "ar", True)
        assert presentation.title_of(action, "fr") == ("Titre", "fr", False)
        view = presentation.plan_view(services.build_snapshot([action]), "en")
        assert view.actions[0].title.language == "ar" and view.actions[0].title.untranslated


def test_notifications_resolve_texts_through_the_one_fallback(results, members, steering, make_action, app):
    _consultation, ids = results
    action = make_action(ids[:1], title_ar="عنوان", title_fr="Titre", title_en="")
    person, organisation = members[0]
    services.volunteer(person, organisation, action, "lead", "")
    db.session.commit()
    note = db.session.scalars(select(Notification).where(Notification.user_id == steering.id,
                                                         Notification.kind == "plan.volunteered")).one()
    with app.test_request_context("/"), force_locale("en"):
        assert "عنوان" in note.text and "Titre" not in note.text
    with app.test_request_context("/"), force_locale("fr"):
        assert "Titre" in note.text and "عنوان" not in note.text


def test_the_diff_view_words_the_changes_for_the_reader(results, steering, make_action, app):
    _consultation, ids = results
    kept = make_action(ids[:1], title_fr="Avant")
    old = services.build_snapshot()
    data = services.ActionData.of(kept)
    data.title_fr = "Après"
    services.update_action(steering, kept, data)
    added = make_action(ids[1:2])
    with app.test_request_context("/"), force_locale("fr"):
        changes = presentation.diff_view(services.build_snapshot(), old, "fr")
        labels = presentation.field_labels()
    assert [a.number for a in changes.added] == [added.id] and changes.removed == []
    (now, before, fields), = changes.changed
    assert fields == ["title"] and (before.title.text, now.title.text) == ("Avant", "Après")
    assert set(labels) >= set(DIFFED_FIELDS)
