"""Use-cases of the action plan, one module per part: candidates from the results, actions
made from proposals, commitments and progress, the plan as a document (snapshot), its
versions and their diff. Services flush, never commit; each privileged step goes to the
audit log and, when the public should see it, to the action's decision trail.

Callers use `from tadamon.action_plan import services` and `services.<name>`: the public
names of the parts are re-exported here.
"""

from __future__ import annotations

from tadamon.action_plan.services.actions import (
    ActionData,
    IndicatorData,
    MilestoneData,
    add_sources,
    create_action,
    draft_from_proposals,
    live_action,
    open_to,
    remove_action,
    update_action,
    working_actions,
)
from tadamon.action_plan.services.candidates import (
    Candidate,
    ConsultationCandidates,
    candidate_board,
    candidate_proposals,
    closed_rounds,
    restore_candidate,
    set_aside,
)
from tadamon.action_plan.services.commitments import (
    UpdateData,
    call_for_lead,
    commitment_of,
    decide_commitment,
    decisions_of,
    has_confirmed_lead,
    is_carried_by,
    pending_commitments,
    post_update,
    takes_volunteers,
    updates_of,
    volunteer,
)
from tadamon.action_plan.services.common import LANGUAGES, PlanError, action_label
from tadamon.action_plan.services.diff import ActionChange, PlanDiff, diff
from tadamon.action_plan.services.snapshot import (
    SNAPSHOT_FORMAT,
    PlanDocument,
    Related,
    build_snapshot,
    canonical,
    load_action,
    load_related,
    serialise_action,
    trail_of,
)
from tadamon.action_plan.services.versions import (
    current_version,
    discard_review,
    plan_summary,
    previous_published,
    publication_audience,
    publish_version,
    snapshot_of,
    submit_for_review,
    version_in_review,
    version_numbered,
    versions,
)

__all__ = [
    "LANGUAGES", "SNAPSHOT_FORMAT", "ActionChange", "ActionData", "Candidate", "ConsultationCandidates",
    "IndicatorData", "MilestoneData", "PlanDiff", "PlanDocument", "PlanError", "Related", "UpdateData",
    "action_label", "add_sources", "build_snapshot", "call_for_lead", "candidate_board", "candidate_proposals",
    "canonical", "closed_rounds", "commitment_of", "create_action", "current_version", "plan_summary", "decide_commitment",
    "decisions_of", "diff", "discard_review", "draft_from_proposals", "has_confirmed_lead", "is_carried_by",
    "live_action", "load_action", "load_related", "open_to", "pending_commitments", "post_update", "previous_published",
    "publish_version", "remove_action", "restore_candidate", "serialise_action", "set_aside", "snapshot_of",
    "publication_audience", "submit_for_review", "takes_volunteers", "trail_of", "update_action", "updates_of", "version_in_review",
    "version_numbered", "versions", "volunteer", "working_actions",
]
