"""Demo proposals in Arabic, French and English (some mixed), with co-signatures, comments,
a merge, and proposals a facilitator recorded in the room."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.extensions import db
from tadamon.membership.models import Organisation, OrganisationMember
from tadamon.proposals import services
from tadamon.proposals.models import Proposal, RoomOrigin
from tadamon.workshops.models import Consultation, Phase, Registration

if TYPE_CHECKING:
    from tadamon.demo import DemoContext

TEXTS = [
    ("ar", "صندوق جهوي لدعم التعاونيات النسائية",
     "نقترح إحداث **صندوق جهوي** يمول مشاريع التعاونيات النسائية في العالم القروي، مع مواكبة تقنية لمدة ثلاث سنوات."),
    ("fr", "Un guichet unique pour les associations",
     "Créer dans chaque province un *guichet unique* qui accompagne les associations dans leurs démarches administratives."),
    ("en", "A shared training programme for volunteers",
     "Build a shared training programme so that volunteers of member organisations learn project management."),
    ("ar", "منصة رقمية لتبادل الخبرات بين الجمعيات",
     "منصة بسيطة تعمل على الهاتف تتيح للجمعيات تبادل الوثائق والتجارب. Plateforme accessible en arabe et en français."),
    ("fr", "Fonds de garantie pour les coopératives de femmes",
     "Un fonds de garantie pour faciliter l'accès au crédit des coopératives féminines rurales."),
    ("ar", "إشراك الشباب في المجالس الجماعية",
     "تخصيص مقاعد استشارية للشباب داخل المجالس الجماعية عبر الجمعيات المحلية."),
]


def seed(demo: DemoContext) -> None:
    """Proposals in every open consultation; deliberation (comments, an amendment, a merge) in
    those past the proposal phase."""
    facilitator = db.session.scalar(select(User).where(User.email == "facilitator@demo.tadamon.ma"))
    consultations = db.session.scalars(select(Consultation).where(Consultation.phase.in_(
        [Phase.PROPOSALS_OPEN, Phase.DELIBERATION, Phase.VOTING, Phase.CLOSED,
         Phase.RESULTS_PUBLISHED])).order_by(Consultation.id)).all()
    for consultation in consultations:
        organisations = _registered(consultation)
        if len(organisations) < 3:
            continue
        created = _publish_texts(consultation, organisations, demo.scale, facilitator)
        _cosign(created, organisations)
        if consultation.current_phase is not Phase.PROPOSALS_OPEN and len(created) >= 2:
            _deliberate(created, organisations, facilitator)
    db.session.flush()
    from tadamon.proposals import similarity

    similarity.refresh_all()


Created = list[tuple[Proposal, Organisation, User]]


def _member_of(organisation: Organisation) -> User | None:
    """A person of the organisation, to act in its name."""
    return db.session.scalar(select(User).join(OrganisationMember, OrganisationMember.user_id == User.id)
                             .where(OrganisationMember.organisation_id == organisation.id).limit(1))


def _registered(consultation: Consultation) -> list[Organisation]:
    registered = db.session.scalars(select(Registration).where(
        Registration.workshop_id == consultation.workshop_id).order_by(Registration.id)).all()
    return [r.organisation for r in registered][:8]


def _publish_texts(consultation: Consultation, organisations: list[Organisation], scale: int,
                   facilitator: User | None) -> Created:
    created = []
    for index, (language, title, body) in enumerate(TEXTS * scale):
        organisation = organisations[index % len(organisations)]
        author = _member_of(organisation)
        if author is None:
            continue
        data = services.ProposalData(title=title, body=body, language=language,
                                     theme_id=consultation.workshop.theme_id if consultation.workshop else None)
        proposal = services.save_draft(consultation, organisation, author, data, refresh_similar=False)
        services.publish(proposal, author, data, refresh_similar=False)
        if index == len(TEXTS) - 1 and facilitator is not None and consultation.workshop is not None:
            proposal.recorded_by_id = facilitator.id  # written on paper in the room
            db.session.add(RoomOrigin(proposal_id=proposal.id, workshop_id=consultation.workshop_id,
                                      facilitator_id=facilitator.id,
                                      made_on=services.workshop_days(consultation.workshop)[0]))
        created.append((proposal, organisation, author))
    return created


def _cosign(created: Created, organisations: list[Organisation]) -> None:
    for proposal, organisation, _author in created:
        for other in organisations[:4]:
            person = _member_of(other) if other.id != organisation.id else None
            if person is not None:
                services.cosign(proposal, other, person)


def _deliberate(created: Created, organisations: list[Organisation], facilitator: User | None) -> None:
    first, _, owner = created[0]
    for commenter_org, stance, text in ((organisations[1], "for", "فكرة ممتازة، نحن مستعدون للمساهمة."),
                                        (organisations[2], "neutral", "Il faudrait préciser le budget."),
                                        (organisations[3 % len(organisations)], "against",
                                         "We think the provinces should lead this.")):
        person = _member_of(commenter_org)
        if person is not None:
            services.add_comment(first, commenter_org, person, text, stance)
    # another organisation amended the first proposal, and its organisation accepted
    amender_org = organisations[2]
    amender = _member_of(amender_org)
    if amender is not None and first.consultation.amendments_allowed:
        amendment = services.propose_amendment(
            first, amender_org, amender, title=first.title + " — واحات الجنوب",
            body=first.body + "\n\nAvec une attention particulière aux oasis du Sud.",
            justification="Les coopératives des oasis manquent le plus de financement.")
        services.decide_amendment(owner, amendment, True)
    # the two cooperative funds are the same idea: the facilitator merged them
    funds = [p for p, _, _ in created if "coopératives" in p.title or "التعاونيات" in p.title]
    if facilitator is not None and len(funds) >= 2:
        services.merge(facilitator, funds[0], funds[1:2], "Même idée : un fonds pour les coopératives de femmes.")


def count() -> int:
    return len(db.session.scalars(select(Proposal.id)).all())
