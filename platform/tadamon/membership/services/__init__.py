"""Membership use-cases: the charter, applications and decisions, people and invitations.

Services check the rules, change the models and flush; the view commits. State changes
are compare-and-set updates, so two steering members deciding at once leave one outcome.
Each raises MembershipError (a DomainError) with a message for the person.

One module per part (charter, fields, applications, statutes, people, memberships,
directory); callers import this package, which re-exports each part's public names.
"""

from __future__ import annotations

from tadamon.membership.models import OrganisationMember
from tadamon.membership.services import notices  # noqa: F401 - registers the notification kinds
from tadamon.membership.services.applications import (
    DECISIONS,
    ApplicationData,
    decide_application,
    leave_network,
    missing_for_submission,
    reinstate_membership,
    rename_organisation,
    set_founding_member,
    start_application,
    submit_application,
    suspend_membership,
    update_application,
)
from tadamon.membership.services.charter import (
    adhere_to_current_charter,
    adherences,
    adheres_to_current_charter,
    current_charter,
    current_charter_adherence,
    draft_charter,
    load_with_adherence,
    move_principle,
    publish_charter,
    published_charter,
    published_charters,
    remember_adherence,
    remove_principle,
    save_principle,
    start_charter_draft,
    update_charter_text,
    with_adherence,
)
from tadamon.membership.services.directory import (
    directory_query,
    members_per_region,
    review_queue_query,
)
from tadamon.membership.services.errors import IncompleteApplication, MembershipError
from tadamon.membership.services.fields import active_fields, all_fields, save_field
from tadamon.membership.services.memberships import (
    forget_cached_memberships,
    membership_of,
    memberships_by_organisation,
    organisations_of,
    users_of,
)
from tadamon.membership.services.people import (
    INVITATION_LIFETIME,
    accept_invitation,
    change_role,
    find_invitation,
    hand_over_representation,
    hand_over_to,
    invite,
    pending_invitations,
    people_of,
    remove_person,
    revoke_invitation,
)
from tadamon.membership.services.statutes import (
    STATUTES_MAX_BYTES,
    attach_statutes,
    looks_like_pdf,
    statutes_key,
)

__all__ = [
    "rename_organisation",
    "DECISIONS", "INVITATION_LIFETIME", "STATUTES_MAX_BYTES", "ApplicationData", "IncompleteApplication",
    "MembershipError", "OrganisationMember", "accept_invitation", "active_fields", "adhere_to_current_charter",
    "adherences", "adheres_to_current_charter", "all_fields", "attach_statutes", "change_role",
    "current_charter", "current_charter_adherence", "decide_application", "directory_query", "draft_charter", "find_invitation",
    "load_with_adherence",
    "forget_cached_memberships", "hand_over_representation", "hand_over_to", "invite", "leave_network", "looks_like_pdf",
    "members_per_region", "membership_of", "memberships_by_organisation", "missing_for_submission",
    "move_principle", "organisations_of", "pending_invitations", "people_of", "publish_charter",
    "published_charter", "published_charters", "reinstate_membership", "remember_adherence", "remove_person", "remove_principle",
    "review_queue_query", "revoke_invitation", "save_field", "save_principle", "set_founding_member",
    "start_application", "start_charter_draft", "statutes_key", "submit_application", "suspend_membership",
    "update_application", "update_charter_text", "users_of", "with_adherence",
]
