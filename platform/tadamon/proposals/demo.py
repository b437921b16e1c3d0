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

# The proposals of each consultation (keyed by its French question), each answering it; the
# first two of a merged pair say the same thing. (language, title, body)
TEXTS: dict[str, list[tuple[str, str, str]]] = {
    "Comment renforcer les coopératives féminines de la région ?": [
        ("ar", "صندوق جهوي لدعم التعاونيات النسائية",
         "نقترح إحداث **صندوق جهوي** يمول مشاريع التعاونيات النسائية في العالم القروي، مع مواكبة تقنية لمدة "
         "ثلاث سنوات."),
        ("fr", "Fonds de garantie pour les coopératives de femmes",
         "Un *fonds de garantie* pour faciliter l'accès au crédit des coopératives féminines rurales."),
        ("en", "Management training for cooperative leaders",
         "A twelve-month course in **bookkeeping**, pricing and marketing for the women who run cooperatives."),
        ("ar", "منصة رقمية لبيع منتجات التعاونيات",
         "منصة بسيطة تعمل على الهاتف لعرض منتجات التعاونيات النسائية وبيعها. Paiement à la livraison possible."),
        ("fr", "Un label régional « fait par une coopérative de femmes »",
         "Créer un label régional qui garantit l'origine et la qualité des produits des coopératives féminines."),
        ("ar", "دور حضانة قريبة من التعاونيات",
         "فتح دور حضانة جماعية قرب مقرات التعاونيات حتى تتمكن الأمهات من العمل."),
    ],
    "Comment ouvrir les marchés publics aux coopératives ?": [
        ("fr", "Un guichet unique pour répondre aux appels d'offres",
         "Créer dans chaque province un *guichet unique* qui accompagne les coopératives et les associations "
         "dans leurs réponses aux appels d'offres."),
        ("ar", "حصة من الصفقات الجماعية للتعاونيات",
         "تخصيص **نسبة من الصفقات العمومية للجماعات** للتعاونيات والمقاولات الاجتماعية المحلية."),
        ("en", "Tender documents in plain Arabic",
         "Publish every communal tender with a short summary in plain Arabic and in Amazigh, with a hotline."),
        ("ar", "سوق تضامني شهري في كل إقليم",
         "تنظيم سوق شهري تعرض فيه التعاونيات منتجاتها على الإدارات والمقاولات."),
        ("fr", "Payer les coopératives sous trente jours",
         "Obtenir des communes qu'elles paient les coopératives fournisseuses sous trente jours."),
    ],
    "Quels services d'accompagnement social les associations doivent-elles mutualiser ?": [
        ("fr", "Un pool d'assistantes sociales partagé",
         "Trois assistantes sociales salariées par le réseau et mises à disposition des petites associations."),
        ("ar", "خط هاتفي مشترك للإرشاد الاجتماعي", "خط هاتفي مجاني تديره الجمعيات بالتناوب لتوجيه الأسر."),
        ("en", "A shared case-management tool", "One simple, private tool to follow the families each association helps."),
    ],
    "Quelles priorités pour la protection sociale des travailleurs informels ?": [
        ("ar", "قوافل للتسجيل في التأمين الإجباري عن المرض",
         "قوافل تجوب الأسواق الأسبوعية لمساعدة العاملين غير المصرح بهم على **التسجيل في التأمين الإجباري**."),
        ("fr", "Une permanence juridique mobile pour les travailleurs informels",
         "Des juristes bénévoles tiennent une permanence dans les souks pour expliquer les droits sociaux."),
        ("en", "Micro-insurance for artisans",
         "A group insurance scheme negotiated by the network for artisans and street vendors."),
        ("ar", "حماية العاملات في البيوت",
         "حملات تحسيسية ومواكبة قانونية للعاملات في البيوت لتطبيق القانون 19.12."),
    ],
    "Comment associer les organisations rurales à la planification territoriale ?": [
        ("fr", "Des conseils consultatifs de douar",
         "Chaque douar désigne un conseil consultatif qui donne son avis sur le *plan d'action communal*."),
        ("ar", "مقاعد استشارية للشباب في المجالس الجماعية",
         "تخصيص مقاعد استشارية للشباب داخل المجالس الجماعية عبر الجمعيات المحلية."),
        ("en", "Open budget sessions streamed online",
         "Stream communal budget sessions and collect questions from associations by SMS."),
        ("ar", "تكوين الجمعيات القروية في إعداد برامج عمل الجماعات",
         "دورات تكوينية لفائدة الجمعيات القروية حول **برنامج عمل الجماعة** ومراحل إعداده."),
    ],
    "Quels services de proximité manquent le plus aux communes rurales ?": [
        ("ar", "النقل المدرسي في الدواوير البعيدة",
         "توفير النقل المدرسي للفتيات في الدواوير البعيدة عبر شراكات مع الجمعيات."),
        ("fr", "Des maisons de santé mobiles",
         "Des unités médicales mobiles qui passent chaque semaine dans les communes sans centre de santé."),
        ("en", "Community internet points",
         "Internet points run by associations in rural communes, with help for online administrative procedures."),
    ],
    "Comment ouvrir l'emploi aux jeunes des provinces ?": [
        ("ar", "تكوين الشباب في المهن الرقمية",
         "برنامج تكوين في **المهن الرقمية** لشباب الأقاليم بشراكة مع المقاولات."),
        ("fr", "Un incubateur associatif dans chaque province",
         "Un incubateur porté par les associations pour accompagner les jeunes qui créent leur activité."),
        ("en", "Apprenticeships with cooperatives",
         "Six-month paid apprenticeships for young people in the network's cooperatives."),
    ],
}
# Comments for the deliberation, one per stance, in the three languages.
COMMENTS = [
    ("for", "فكرة ممتازة، نحن مستعدون للمساهمة."),
    ("neutral", "Il faudrait préciser le budget et le calendrier."),
    ("against", "We think the provinces should lead this, not the network."),
    ("for", "Nous l'avons essayé à petite échelle : cela marche."),
    ("neutral", "ما هي الجهات المعنية أولا؟"),
]


def seed(demo: DemoContext) -> None:
    """Each open consultation's own proposals; deliberation (comments with stances, amendments, a
    merge, a report for the moderators) in those past the proposal phase; a draft and an
    amendment waiting for the featured member's organisation."""
    from tadamon.membership.demo import featured_organisation

    facilitator = db.session.scalar(select(User).where(User.email == "facilitator@demo.tadamon.ma"))
    featured = featured_organisation()
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
        if consultation.current_phase is Phase.DELIBERATION:
            _waiting_for_answers(created, organisations, featured)
        if consultation.current_phase is Phase.PROPOSALS_OPEN and consultation.participation == "all_members":
            _featured_draft(consultation, featured)
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
    texts = TEXTS.get(consultation.question_fr, [])
    created = []
    for index, (language, title, body) in enumerate(texts * scale):
        organisation = organisations[index % len(organisations)]
        author = _member_of(organisation)
        if author is None:
            continue
        round_number = index // len(texts)
        data = services.ProposalData(title=f"{title} ({round_number + 1})" if round_number else title, body=body,
                                     language=language,
                                     theme_id=consultation.workshop.theme_id if consultation.workshop else None)
        proposal = services.save_draft(consultation, organisation, author, data, refresh_similar=False)
        services.publish(proposal, author, data, refresh_similar=False)
        if index == len(texts) - 1 and facilitator is not None and consultation.workshop is not None:
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
    # Comments with stances on every proposal but the last, from other organisations.
    for number, (proposal, author_org, _owner) in enumerate(created[:-1]):
        for step in range(1 + number % 3):
            stance, text = COMMENTS[(number + step) % len(COMMENTS)]
            commenter_org = organisations[(number + step + 1) % len(organisations)]
            person = _member_of(commenter_org) if commenter_org.id != author_org.id else None
            if person is not None:
                services.add_comment(proposal, commenter_org, person, text, stance)
    first, _, owner = created[0]
    # another organisation amended the first proposal, and its organisation accepted
    amender_org = organisations[2]
    amender = _member_of(amender_org)
    if amender is not None and first.consultation.amendments_allowed:
        if first.consultation.question_fr in MERGED:
            title, addition, why = (first.title + " — واحات الجنوب", "Avec une attention particulière aux oasis du Sud.",
                                    "Les coopératives des oasis manquent le plus de financement.")
        else:
            title, addition, why = (first.title, "Avec un bilan public chaque année, présenté aux membres.",
                                    "Pour que le réseau puisse suivre ce qui est fait.")
        amendment = services.propose_amendment(first, amender_org, amender, title=title,
                                               body=first.body + "\n\n" + addition, justification=why)
        services.decide_amendment(owner, amendment, True)
    # the first two proposals of the cooperatives' consultation are the same idea: merged
    if facilitator is not None and first.consultation.question_fr in MERGED and len(created) >= 2:
        services.merge(facilitator, first, [created[1][0]], "Même idée : un fonds pour les coopératives de femmes.")


# The consultation whose two first proposals (two funds for women's cooperatives) were merged.
MERGED = {"Comment renforcer les coopératives féminines de la région ?"}


def _waiting_for_answers(created: Created, organisations: list[Organisation], featured: Organisation | None) -> None:
    """What a visitor finds to do: an amendment waiting for the featured organisation's answer,
    and a comment reported to the moderators."""
    own = [(p, o, u) for p, o, u in created if featured is not None and o.id == featured.id]
    others = [o for o in organisations if featured is None or o.id != featured.id]
    if own and others:
        proposal = own[0][0]
        person = _member_of(others[-1])
        if person is not None and proposal.consultation.amendments_allowed:
            services.propose_amendment(
                proposal, others[-1], person, title=proposal.title + " — avec les jeunes",
                body=proposal.body + "\n\nY associer les associations de jeunes du douar.",
                justification="Les jeunes sont absents des conseils aujourd'hui.")
    target, _, _ = created[-1]
    commenter = others[0] if others else organisations[0]
    person = _member_of(commenter)
    if person is not None:
        comment = services.add_comment(target, commenter, person, "Cette proposition est une perte de temps !!!",
                                       "against")
        reporter = _member_of(others[1] if len(others) > 1 else commenter)
        if reporter is not None:
            services.report("comment", comment.id, target, reporter, "Ton agressif envers les autres membres.")


def _featured_draft(consultation: Consultation, featured: Organisation | None) -> None:
    """A draft the featured member's organisation started and has not published yet."""
    person = _member_of(featured) if featured is not None else None
    if person is None or featured is None:
        return
    data = services.ProposalData(title="Une antenne de l'état civil dans chaque commune rurale",
                                 body="Des permanences mensuelles de l'état civil pour éviter des trajets de "
                                      "plusieurs heures.", language="fr",
                                 theme_id=consultation.workshop.theme_id if consultation.workshop else None)
    services.save_draft(consultation, featured, person, data, refresh_similar=False)


def count() -> int:
    return len(db.session.scalars(select(Proposal.id)).all())
