"""The pieces the consolidation added to proposals: the proposal page's presentation, the
writing page's one use-case (`keep_writing`), typed states and the template labels."""

from __future__ import annotations

import io

from sqlalchemy import select, text
from werkzeug.datastructures import FileStorage

from tadamon.core.actor import Actor
from tadamon.extensions import db
from tadamon.proposals import presentation, services
from tadamon.proposals.models import Attachment, Evaluation, Proposal, ProposalState
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Phase

TEXT = "Un fonds régional pour les coopératives de femmes, avec un accompagnement de trois ans."


def _published(consultation, organisation, person, title="Un fonds régional"):
    data = services.ProposalData(title=title, body=TEXT)
    proposal = services.save_draft(consultation, organisation, person, data)
    services.publish(proposal, person, data)
    db.session.commit()
    return proposal


def test_keep_writing_keeps_the_draft_when_the_attachment_is_refused(members, consultation):
    person, organisation = members[0]
    data = services.ProposalData(title="Brouillon", body="court")
    upload = FileStorage(io.BytesIO(b"MZ\x90\x00 executable"), "photo.png")
    kept = services.keep_writing(consultation, organisation, person, data, None, upload)
    db.session.commit()
    assert kept.refused_attachment is not None and kept.refused_attachment.field == "attachment"
    assert kept.proposal.is_draft and kept.proposal.body == "court"
    assert db.session.scalar(select(Attachment)) is None
    png = FileStorage(io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), "photo.png")
    again = services.keep_writing(consultation, organisation, person, data, kept.proposal, png)
    assert again.refused_attachment is None and again.proposal.id == kept.proposal.id
    assert db.session.scalar(select(Attachment)).file_type == "png"


def test_states_are_enum_members_stored_as_before(members, consultation):
    person, organisation = members[0]
    proposal = _published(consultation, organisation, person)
    assert proposal.state is ProposalState.PUBLISHED and proposal.is_published and not proposal.is_draft
    assert db.session.execute(text("SELECT state FROM proposals WHERE id = :id"), {"id": proposal.id}).scalar() \
        == "published"
    services.evaluate(person, proposal, "accepted", "")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).evaluation is Evaluation.ACCEPTED


def test_the_page_offers_what_each_person_may_do(members, consultation, facilitator):
    (author, own), (other, another) = members[0], members[1]
    proposal = _published(consultation, own, author)
    workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
    services.cosign(proposal, another, other)
    db.session.commit()
    mine = presentation.proposal_page(Actor(author, own), proposal)
    theirs = presentation.proposal_page(Actor(other, another), proposal)
    curator = presentation.proposal_page(Actor(facilitator), proposal)
    assert mine.authors == [own.local_name] and len(mine.cosignatures) == 1
    assert mine.may_withdraw and not mine.may_cosign and not mine.may_amend and not mine.may_curate
    assert theirs.has_cosigned and theirs.may_cosign and theirs.may_comment and theirs.may_amend
    assert not theirs.may_edit and not theirs.may_merge_or_split and theirs.may_report
    assert curator.may_curate and curator.may_merge_or_split and curator.may_moderate
    assert not mine.has_lineage and not mine.shows_versions


def test_hidden_comments_and_reply_targets(members, consultation, facilitator):
    (author, own), (other, another) = members[0], members[1]
    proposal = _published(consultation, own, author)
    workshops.move_phase(facilitator, consultation, Phase.DELIBERATION)
    first = services.add_comment(proposal, another, other, "Bonne idée.", "for")
    reply = services.add_comment(proposal, own, author, "Merci.", "neutral", first)
    deep = services.add_comment(proposal, another, other, "De rien.", "neutral", reply)
    services.hide_comment(facilitator, first, "Hors sujet")
    db.session.commit()
    visitor = presentation.proposal_page(Actor(None), proposal)
    curator = presentation.proposal_page(Actor(facilitator), proposal)
    assert not visitor.shows_comment(first) and visitor.shows_comment(reply)
    assert curator.shows_comment(first) and curator.may_hide(reply) and not curator.may_hide(first)
    assert [c.id for c in visitor.reply_targets] == [reply.id]  # not hidden, not already at depth 2
    assert deep.id not in [c.id for c in visitor.reply_targets]
    assert not visitor.may_report


def test_labels_cover_the_templates(app):
    labels = presentation.labels()
    assert {"state_labels", "amendment_labels", "render_markdown", "phase_labels"} <= set(labels)
    assert set(labels["state_labels"]) == set(ProposalState)
