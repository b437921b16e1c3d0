"""Proposal use-cases, one module per part: writing (drafts, publishing, versions, attachments),
support (co-signatures), deliberation (comments, moderation, amendments), curation (evaluation,
merges, splits) and the lists.

Callers import from here (`from tadamon.proposals import services`). Services check the rules,
change the models and flush; the view's use-case runner commits.
"""

from tadamon.proposals.services.common import BODY_MIN, TITLE_MAX, TITLE_MIN, ProposalError
from tadamon.proposals.services.curation import (
    coauthors,
    evaluate,
    lineage_of,
    lineage_sides,
    merge,
    split,
    timeline,
)
from tadamon.proposals.services.deliberation import (
    add_comment,
    amendments_of,
    comment_thread,
    decide_amendment,
    hide_comment,
    notify_new_comments,
    propose_amendment,
)
from tadamon.proposals.services.lists import (
    SORTS,
    dashboard_counts,
    drafts_of,
    evaluation_neighbours,
    list_query,
    next_to_evaluate,
)
from tadamon.proposals.services.moderation import (
    DECISIONS,
    OpenCase,
    handle_report,
    hide_proposal,
    open_cases,
    open_report_counts,
    report,
)
from tadamon.proposals.services.reading import load_for_page
from tadamon.proposals.services.room import (
    PaperProposal,
    consultations_for_room,
    day_of_note,
    organisations_for_room,
    origins_in_lineage,
    paper_record,
    proposal_of_record,
    record_from_room,
    room_origin,
    workshop_days,
)
from tadamon.proposals.services.support import (
    cosign,
    cosignatures,
    has_cosigned,
    withdraw_cosignature,
)
from tadamon.proposals.services.writing import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENTS_PER_PROPOSAL,
    Kept,
    ProposalData,
    attach,
    attachment_key,
    attachments_of,
    keep_writing,
    publish,
    remove_attachment,
    save_draft,
    versions,
    withdraw,
)

__all__ = [
    "DECISIONS", "OpenCase", "handle_report", "hide_proposal", "open_cases", "open_report_counts",
    "ATTACHMENTS_PER_PROPOSAL", "ATTACHMENT_MAX_BYTES", "BODY_MIN", "SORTS", "TITLE_MAX", "TITLE_MIN",
    "Kept", "PaperProposal", "ProposalData", "ProposalError", "add_comment", "amendments_of", "attach",
    "attachment_key", "attachments_of", "coauthors", "comment_thread",
    "consultations_for_room", "day_of_note", "organisations_for_room", "origins_in_lineage", "paper_record",
    "proposal_of_record", "record_from_room", "room_origin", "workshop_days", "cosign", "cosignatures",
    "dashboard_counts", "decide_amendment", "drafts_of", "evaluate", "evaluation_neighbours", "has_cosigned",
    "hide_comment", "keep_writing", "lineage_of", "lineage_sides", "list_query", "load_for_page", "merge", "next_to_evaluate",
    "notify_new_comments", "propose_amendment", "publish", "remove_attachment", "report", "save_draft",
    "split", "timeline", "versions", "withdraw", "withdraw_cosignature",
]
