"""The demo's action plan: built from the demo votes through the same services as the pages.
Version 1 is published; the working draft has moved on since (a new action, progress, a
pending offer), and some winning proposals are left on the board for a visitor to use."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.action_plan import services
from tadamon.core.db import utcnow
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.workshops.models import Phase

if TYPE_CHECKING:
    from tadamon.demo import DemoContext

# Each action's title in the three languages, keyed by the title of the proposal it comes
# from (proposals/demo.py), so an action always says what its proposals say.
TITLES = {
    "صندوق جهوي لدعم التعاونيات النسائية": (
        "صندوق تضامني لدعم التعاونيات النسائية", "Fonds solidaire pour les coopératives de femmes",
        "Solidarity fund for women's cooperatives"),
    "Management training for cooperative leaders": (
        "تكوين مسيرات التعاونيات في التدبير", "Former les dirigeantes de coopératives à la gestion",
        "Management training for cooperative leaders"),
    "منصة رقمية لبيع منتجات التعاونيات": (
        "منصة رقمية لبيع منتجات التعاونيات", "Une plateforme de vente pour les coopératives",
        "An online shop for cooperatives' products"),
    "Un label régional « fait par une coopérative de femmes »": (
        "علامة جهوية لمنتجات التعاونيات النسائية", "Un label régional des coopératives de femmes", ""),
    "دور حضانة قريبة من التعاونيات": ("دور حضانة قريبة من التعاونيات", "", ""),
    "Un guichet unique pour répondre aux appels d'offres": (
        "شباك وحيد لمواكبة التعاونيات في الصفقات العمومية", "Un guichet unique pour les appels d'offres",
        "A one-stop desk for public tenders"),
    "حصة من الصفقات الجماعية للتعاونيات": (
        "حصة من الصفقات الجماعية للتعاونيات", "Une part des marchés communaux pour les coopératives", ""),
    "Tender documents in plain Arabic": ("", "", "Tender documents in plain Arabic"),
    "سوق تضامني شهري في كل إقليم": ("سوق تضامني شهري في كل إقليم", "Un marché solidaire mensuel dans chaque province",
                                    "A monthly solidarity market in every province"),
    "Payer les coopératives sous trente jours": ("أداء مستحقات التعاونيات في أجل ثلاثين يوما",
                                                 "Payer les coopératives sous trente jours", ""),
}
REGION_SETS = [["CAS", "RSK"], ["SMA", "DTA", "MSA"], [], ["DTA"], ["FME", "ORI"]]


def steering_account() -> User:
    return db.session.scalars(select(User).where(User.email == "steering@demo.tadamon.ma")).one()


def _representative(organisation: Organisation) -> User | None:
    from tadamon.voting.demo import representative_of

    return representative_of(organisation.id)


def _organisations(limit: int) -> list[Organisation]:
    from tadamon.membership.models import MembershipState

    return list(db.session.scalars(select(Organisation).where(Organisation.state == MembershipState.APPROVED)
                                   .order_by(Organisation.id).limit(limit)))


def demo_action(steering: User, proposal_ids: list[int], number: int) -> Any:
    proposals = services.candidate_proposals(proposal_ids)
    data = services.draft_from_proposals(proposals)
    # An accepted amendment may have lengthened the proposal's title: the start names it.
    titles = next((value for key, value in TITLES.items() if proposals[0].title.startswith(key)), None)
    if titles is not None:  # else the proposal's own title, in its language (draft_from_proposals)
        data.title_ar, data.title_fr, data.title_en = titles
    regions = REGION_SETS[number % len(REGION_SETS)]
    data.territory_scope, data.regions = ("regions", regions) if regions else ("national", [])
    data.provinces = ""
    today = utcnow().date()
    data.starts_on = today - timedelta(days=60 - 20 * number)
    data.ends_on = data.starts_on + timedelta(days=365 + 90 * number)
    data.budget_estimate = Decimal(150000 * (number + 1)) if number % 3 != 2 else None
    data.funding_sources = data.funding_sources or "Cotisations des membres ; partenaires publics"
    data.objectives = data.objectives or "Toucher 1 000 personnes\nImpliquer 12 associations"
    data.milestones = [services.MilestoneData("Lancement et comité de suivi", data.starts_on + timedelta(days=30),
                                              done=number == 0),
                       services.MilestoneData("Bilan à mi-parcours", data.starts_on + timedelta(days=180))]
    data.indicators = [services.IndicatorData("Bénéficiaires", "personnes", Decimal(0), Decimal(1000 * (number + 1))),
                       services.IndicatorData("Associations impliquées", "associations", Decimal(2), Decimal(12))]
    return services.create_action(steering, proposals, data)


def seed(demo: DemoContext) -> None:
    """Version 1 published from the demo votes, and a working draft that moved on since."""
    steering = steering_account()
    # Actions cite only votes whose results are published (a closed vote waits for the
    # facilitators to publish it, and its results page is not open yet).
    board = [group for group in services.candidate_board()
             if group.consultation.current_phase is Phase.RESULTS_PUBLISHED]
    if steering is None or not board:
        return
    today = utcnow().date()
    organisations = _organisations(8)
    actions = []
    # The newest consultation: its two first proposals merged into one action, the third an action
# of its own, the fourth added after version 1, the last set aside.
    first = board[0].candidates
    if len(first) >= 2:
        actions.append(demo_action(steering, [first[0].proposal.id, first[1].proposal.id], 0))
    if len(first) >= 3:
        actions.append(demo_action(steering, [first[2].proposal.id], 1))
    if len(first) >= 5:
        services.set_aside(steering, first[-1].proposal,
                           "Relève d'abord des communes et de l'État ; le réseau la portera en plaidoyer, à revoir en 2028.")
    # One action from the leading proposal of each other consultation but the last, which
    # stays on the board for a visitor to turn into actions.
    for group in board[1:-1]:
        if group.candidates:
            actions.append(demo_action(steering, [group.candidates[0].proposal.id], len(actions)))
    # Lead and partners, confirmed; progress from the leads.
    for number, action in enumerate(actions):
        lead = organisations[number % len(organisations)]
        partner = organisations[(number + 3) % len(organisations)]
        for organisation, role in ((lead, "lead"), (partner, "partner")):
            person = _representative(organisation)
            if person is None:
                continue
            commitment = services.volunteer(person, organisation, action, role,
                                            "Nous avons une équipe sur place et dix ans d'expérience.")
            services.decide_commitment(steering, commitment, True, "Merci pour votre engagement.")
        person = _representative(lead)
        if person is not None and number < 2:
            values = {action.indicators[0].id: Decimal(120 * (number + 1))}
            services.post_update(person, lead, action, services.UpdateData(
                happened_on=today - timedelta(days=20), progress=10 + 10 * number, indicator_values=values,
                text="انطلقت الأنشطة الأولى مع الشركاء المحليين.\n\nLes premières activités ont démarré."))
    if actions:
        services.publish_version(steering, services.submit_for_review(steering, "Première version du plan."))
    db.session.flush()
    # The working draft moves on after version 1: an action started, a new offer, a new action.
    if actions:
        lead = organisations[0]
        person = _representative(lead)
        if person is not None:
            services.post_update(person, lead, actions[0], services.UpdateData(
                happened_on=today - timedelta(days=3), progress=35,
                text="Vingt coopératives ont reçu un premier financement.\n\nعشرون تعاونية تلقت تمويلا أوليا."))
        offering = organisations[-1]
        person = _representative(offering)
        if person is not None and len(actions) > 1:
            services.volunteer(person, offering, actions[1], "partner", "Nous pouvons accueillir des formations.")
    if len(first) >= 5:
        demo_action(steering, [first[3].proposal.id], len(actions))
    db.session.flush()
