"""What the organisations behind a proposal are told when something happens to it: an amendment
waits for their answer or was answered, a co-signature arrived, the facilitators evaluated, merged
or split it; and what moderation tells the reporter, the author and the moderators.

The person who acted is never told of their own act (they saw it on the page)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.accounts.queries import holders_of
from tadamon.core.notifications import label, notify, register_kind, register_labels
from tadamon.core.permissions import Role
from tadamon.core.urls import external_url
from tadamon.extensions import db
from tadamon.membership.queries import people_of
from tadamon.proposals.models import (
    EVALUATION_LABELS,
    Amendment,
    CoAuthor,
    Comment,
    Proposal,
    Report,
)

register_labels("proposals.evaluation", EVALUATION_LABELS)
MODERATION_LABELS = {"hide": _l("hidden"), "keep": _l("kept")}
register_labels("proposals.moderation", MODERATION_LABELS)

register_kind(
    "proposals.amendment_proposed", category="proposals",
    subject=_l("An amendment to “%(title)s” waits for your answer"),
    # Translators: the proposal's organisation decides on amendments other organisations send.
    text=_l("%(organisation)s proposes an amendment to your proposal “%(title)s”. Your organisation accepts it "
            "(it becomes the proposal's text) or rejects it, on the proposal's page."))
register_kind(
    "proposals.amendment_accepted", category="proposals",
    subject=_l("Amendment accepted: “%(title)s”"),
    text=_l("%(organisation)s accepted the amendment %(amender)s proposed to “%(title)s”: it is now the "
            "proposal's text, and %(amender)s is credited as co-author."))
register_kind(
    "proposals.amendment_rejected", category="proposals",
    subject=_l("Amendment rejected: “%(title)s”"),
    text=_l("%(organisation)s rejected the amendment %(amender)s proposed to “%(title)s”."))
register_kind(
    "proposals.cosigned", category="proposals",
    subject=_l("New co-signature on “%(title)s”"),
    text=_l("%(organisation)s co-signs your proposal “%(title)s”."))
register_kind(
    "proposals.evaluated", category="proposals",
    subject=_l("Your proposal is evaluated: “%(title)s”"),
    text=_l("The facilitators evaluated your proposal “%(title)s”: %(evaluation)s."))
register_kind(
    "proposals.evaluated_with_answer", category="proposals",
    subject=_l("Your proposal is evaluated: “%(title)s”"),
    text=_l("The facilitators evaluated your proposal “%(title)s”: %(evaluation)s. Their answer: %(answer)s"))
register_kind(
    "proposals.merged", category="proposals",
    subject=_l("Your proposal is merged: “%(source)s”"),
    text=_l("The facilitators merged your proposal “%(source)s” into “%(title)s”, which keeps your organisation "
            "as co-author and your co-signatures and comments. Their reason: %(reason)s"))
register_kind(
    "proposals.merged_into_yours", category="proposals",
    subject=_l("Proposals merged into “%(title)s”"),
    text=_l("The facilitators merged “%(source)s” into your proposal “%(title)s”; its organisation is now a "
            "co-author. Their reason: %(reason)s"))
register_kind(
    "proposals.split", category="proposals",
    subject=_l("Your proposal is split: “%(title)s”"),
    text=_l("The facilitators split your proposal “%(title)s” into %(count)s proposals that carry it on, with "
            "your organisation, co-authors and co-signatures. Their reason: %(reason)s"))
register_kind(
    "proposals.report_received", category="moderation",
    subject=_l("A report waits for the moderators: “%(title)s”"),
    text=_l("Someone reported content on the proposal “%(title)s”. Open the moderation queue to hide it or keep "
            "it, with a reason."))
register_kind(
    "proposals.report_handled", category="moderation",
    subject=_l("Your report is handled: “%(title)s”"),
    # Translators: %(decision)s is "hidden" or "kept".
    text=_l("The moderators looked at what you reported on “%(title)s”: it is %(decision)s. Their reason: "
            "%(reason)s"))
register_kind(
    "proposals.content_moderated", category="moderation",
    subject=_l("The moderators looked at your content: “%(title)s”"),
    # Translators: %(decision)s is "hidden" or "kept".
    text=_l("Someone reported your organisation's content on “%(title)s”. The moderators looked at it: it is "
            "%(decision)s. Their reason: %(reason)s"))


def _organisations_behind(proposal: Proposal) -> list[int]:
    """The proposal's organisation and its co-authors (a merge or an accepted amendment)."""
    coauthors = db.session.scalars(select(CoAuthor.organisation_id).where(CoAuthor.proposal_id == proposal.id))
    return [proposal.organisation_id, *coauthors]


def _others(people: Iterable[User], actor: User | None) -> list[User]:
    return [person for person in people if actor is None or person.id != actor.id]


def _link(proposal: Proposal, anchor: str = "") -> str:
    return external_url("proposals.show", proposal_id=proposal.id) + anchor


def amendment_proposed(actor: User, amendment: Amendment, proposal: Proposal) -> None:
    notify(_others(people_of([proposal.organisation_id]), actor), "proposals.amendment_proposed",
           link=_link(proposal, "#amendments"), title=proposal.title,
           organisation=amendment.organisation.display_name)


def amendment_decided(actor: User, amendment: Amendment, proposal: Proposal, accepted: bool) -> None:
    """Both sides hear: the amendment's organisation, and the proposal's people who did not decide."""
    notify(_others(people_of([amendment.organisation_id, proposal.organisation_id]), actor),
           "proposals.amendment_accepted" if accepted else "proposals.amendment_rejected",
           link=_link(proposal, "#amendments"), title=proposal.title,
           organisation=proposal.organisation.display_name, amender=amendment.organisation.display_name)


def cosigned(actor: User, proposal: Proposal, organisation_name: str) -> None:
    notify(_others(people_of([proposal.organisation_id]), actor), "proposals.cosigned", link=_link(proposal),
           title=proposal.title, organisation=organisation_name)


def evaluated(actor: User, proposal: Proposal) -> None:
    params: dict[str, Any] = {"title": proposal.title, "evaluation": label("proposals.evaluation", proposal.evaluation)}
    if proposal.evaluation_answer:
        notify(_others(people_of(_organisations_behind(proposal)), actor), "proposals.evaluated_with_answer",
               link=_link(proposal), answer=proposal.evaluation_answer, **params)
    else:
        notify(_others(people_of(_organisations_behind(proposal)), actor), "proposals.evaluated",
               link=_link(proposal), **params)


def merged(actor: User, target: Proposal, sources: list[Proposal], source_organisations: dict[int, list[int]],
           reason: str) -> None:
    """`source_organisations`: each source's organisations (its own and co-authors) before the
    merge moved them onto the target."""
    for source in sources:
        notify(_others(people_of(source_organisations.get(source.id, [source.organisation_id])), actor),
               "proposals.merged", link=_link(target), source=source.title, title=target.title, reason=reason)
        notify(_others(people_of([target.organisation_id]), actor), "proposals.merged_into_yours",
               link=_link(target), source=source.title, title=target.title, reason=reason)


def split(actor: User, proposal: Proposal, parts: int, reason: str) -> None:
    notify(_others(people_of(_organisations_behind(proposal)), actor), "proposals.split", link=_link(proposal),
           title=proposal.title, count=parts, reason=reason)


def moderators_of(proposal: Proposal) -> list[User]:
    """Who handles reports on a proposal: its workshop's facilitators, or the steering group for
    a national consultation (they manage it)."""
    workshop = proposal.consultation.workshop
    if workshop is not None and workshop.facilitators:
        return [person for person in workshop.facilitators if person.is_enabled]
    return holders_of(Role.STEERING)


def report_received(proposal: Proposal, reporter: User) -> None:
    notify(_others(moderators_of(proposal), reporter), "proposals.report_received",
           link=external_url("proposals.moderation"), title=proposal.title)


def report_handled(actor: User, reports: list[Report], proposal: Proposal, author_ids: list[int],
                   decision: str, reason: str) -> None:
    """Tells every reporter of the content, and the people of the organisation that wrote it."""
    params: dict[str, Any] = {"title": proposal.title, "decision": label("proposals.moderation", decision), "reason": reason}
    reporters = db.session.scalars(select(User).where(
        User.id.in_([r.reporter_id for r in reports if r.reporter_id is not None]), User.is_enabled.is_(True)))
    notify(_others(reporters, actor), "proposals.report_handled", link=_link(proposal), **params)
    notify(_others(people_of(author_ids), actor), "proposals.content_moderated", link=_link(proposal), **params)


def author_organisations(report: Report, proposal: Proposal) -> list[int]:
    """The organisations whose content a report is about."""
    if report.target_type == "comment":
        comment = db.session.get(Comment, report.target_id)
        return [comment.organisation_id] if comment is not None else []
    return _organisations_behind(proposal)
