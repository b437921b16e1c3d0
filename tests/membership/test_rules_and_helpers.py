"""The membership rules asked directly, with Actors for different people, and the helpers
the views and templates use (labels, computed values, filter forms, lookups)."""

from __future__ import annotations

import pytest

from tadamon.core.actor import Actor
from tadamon.core.permissions import can
from tadamon.extensions import db
from tadamon.membership import services
from tadamon.membership.labels import labels
from tadamon.membership.models import MembershipState, OrganisationMember, OrganisationRole
from tadamon.membership.permissions import (
    can_decide,
    can_hand_over,
    can_reinstate,
    can_remove_person,
    can_suspend,
)


@pytest.fixture
def team(create_user, complete_application, steering):
    """An approved organisation: two representatives and a member; an outsider; the steering group."""
    representative, colleague, member, outsider = (create_user() for _ in range(4))
    organisation = complete_application(representative, approved=True)
    for user, role in ((colleague, OrganisationRole.REPRESENTATIVE), (member, OrganisationRole.MEMBER)):
        db.session.add(OrganisationMember(organisation_id=organisation.id, user_id=user.id, role=role))
    db.session.commit()
    rows = {row.user_id: row for row in services.people_of(organisation)}
    return {"organisation": organisation, "representative": representative, "colleague": colleague,
            "member": member, "outsider": outsider, "steering": steering, "rows": rows}


def actor(user, organisation=None):
    return Actor(user, organisation)


@pytest.mark.parametrize("predicate", [can_hand_over, can_remove_person])
def test_a_representative_hands_over_to_and_removes_others_only(team, predicate):
    rows, organisation = team["rows"], team["organisation"]
    me = actor(team["representative"], organisation)
    assert predicate(me, rows[team["member"].id])
    assert predicate(me, rows[team["colleague"].id])
    assert not predicate(me, rows[team["representative"].id]), "never oneself"


@pytest.mark.parametrize("predicate", [can_hand_over, can_remove_person])
@pytest.mark.parametrize("who", ["member", "outsider", "steering"])
def test_others_neither_hand_over_nor_remove(team, predicate, who):
    person = team["rows"][team["member"].id] if who != "member" else team["rows"][team["colleague"].id]
    assert not predicate(actor(team[who], team["organisation"]), person)


def test_no_hand_over_once_the_organisation_has_left(team):
    organisation = team["organisation"]
    services.leave_network(team["representative"], organisation)
    db.session.commit()
    assert not can_hand_over(actor(team["representative"]), team["rows"][team["member"].id])
    assert not can_remove_person(actor(team["representative"]), team["rows"][team["member"].id])


def test_templates_ask_the_same_rules_by_name(team):
    person = team["rows"][team["member"].id]
    assert can("membership.hand_over", person, user=team["representative"])
    assert can("membership.remove_person", person, user=team["representative"])
    assert not can("membership.remove_person", person, user=team["member"])


def test_the_steering_group_decides_suspends_and_reinstates_by_state(team, create_user, complete_application):
    steering, organisation = actor(team["steering"]), team["organisation"]
    submitted = complete_application(create_user(), name_ar="جمعية أخرى")
    assert can_decide(steering, submitted) and not can_decide(steering, organisation)
    assert can_suspend(steering, organisation) and not can_reinstate(steering, organisation)
    services.suspend_membership(team["steering"], organisation, "Statuts expirés")
    db.session.commit()
    assert can_reinstate(steering, organisation) and not can_suspend(steering, organisation)
    representative = actor(team["representative"], organisation)
    assert not (can_decide(representative, submitted) or can_suspend(representative, organisation)
                or can_reinstate(representative, organisation))


def test_computed_values_for_the_application_page(team):
    organisation = team["organisation"]
    assert organisation.is_public and organisation.message_to_show == ""
    services.suspend_membership(team["steering"], organisation, "Statuts expirés")
    db.session.commit()
    assert not organisation.is_public
    assert organisation.membership_state is MembershipState.SUSPENDED
    assert organisation.message_to_show == "Statuts expirés"


def test_hand_over_to_makes_the_target_the_representative(team):
    organisation, member_row = team["organisation"], team["rows"][team["member"].id]
    services.hand_over_to(team["representative"], member_row)
    db.session.commit()
    assert member_row.role is OrganisationRole.REPRESENTATIVE
    assert services.membership_of(team["representative"], organisation).role is OrganisationRole.MEMBER
    with pytest.raises(services.MembershipError):
        services.hand_over_to(team["outsider"], member_row)


def test_lookups_by_person_and_by_organisation(team):
    organisation = team["organisation"]
    by_organisation = services.memberships_by_organisation(team["member"])
    assert list(by_organisation) == [organisation.id]
    assert by_organisation[organisation.id].role is OrganisationRole.MEMBER
    assert services.memberships_by_organisation(team["outsider"]) == {}
    assert {user.id for user in services.users_of(organisation)} == {
        team["representative"].id, team["colleague"].id, team["member"].id}


def test_published_charter_finds_published_versions_only(charter, steering):
    assert services.published_charter(charter.version).id == charter.id
    draft = services.start_charter_draft(steering)
    db.session.commit()
    assert services.published_charter(draft.version) is None


def test_labels_name_every_state_and_role(app):
    given = labels()
    assert set(given["state_labels"]) == set(MembershipState)
    assert set(given["role_labels"]) == set(OrganisationRole)
    assert "CAS" in given["regions"]


def test_filter_forms_give_their_criteria_or_nothing(app):
    from flask import request

    from tadamon.membership import forms

    with app.test_request_context("/organisations?q=amal&region=CAS&field=3"):
        criteria = forms.DirectoryFilterForm(request.args)
        assert criteria.criteria() == {"search": "amal", "region": "CAS", "field_id": 3, "legal_form": ""}
    with app.test_request_context("/steering/applications?since=2026-01-02&state=submitted"):
        review = forms.ReviewFilterForm(request.args).criteria()
        assert review["state"] == "submitted" and review["since"].day == 2 and review["until"] is None
    with app.test_request_context("/steering/applications?since=1800-01-01"):
        assert forms.ReviewFilterForm(request.args).criteria() == {}
