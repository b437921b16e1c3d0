"""Demo workshops: the five thematic workshops of the process, across regions and in every
state, with consultations in different phases, registrations, attendance and minutes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.core import uploads
from tadamon.core.db import utcnow
from tadamon.extensions import db
from tadamon.membership.models import MembershipState, Organisation
from tadamon.workshops import models as w

if TYPE_CHECKING:
    from tadamon.demo import DemoContext

THEMES = [
    ("الاقتصاد الاجتماعي والتضامني", "Économie sociale et solidaire", "Social and solidarity economy",
     "تعاونيات وجمعيات تخلق الشغل وتتقاسم الثروة في الجهات.",
     "Des coopératives et des associations qui créent de l'emploi et partagent la richesse dans les régions.",
     "Cooperatives and associations that create jobs and share wealth in the regions."),
    ("الحماية الاجتماعية", "Protection sociale", "Social protection",
     "تعميم التغطية الصحية والاجتماعية، خاصة للعاملين في القطاع غير المهيكل.",
     "Étendre la couverture sanitaire et sociale, d'abord aux travailleurs de l'informel.",
     "Extending health and social cover, first to informal workers."),
    ("التنمية الترابية", "Développement territorial", "Territorial development",
     "إشراك الجمعيات المحلية في تخطيط الجماعات والخدمات القريبة من الساكنة.",
     "Associer les associations locales à la planification des communes et aux services de proximité.",
     "Involving local associations in communal planning and local services."),
    ("الشباب والتشغيل", "Jeunesse et emploi", "Youth and employment",
     "فتح آفاق الشغل والتكوين أمام شباب الأقاليم.",
     "Ouvrir l'emploi et la formation aux jeunes des provinces.",
     "Opening jobs and training to young people in the provinces."),
    ("البيئة والمناخ", "Environnement et climat", "Environment and climate",
     "الماء والتكيف مع التغير المناخي في الواحات والجبال.",
     "L'eau et l'adaptation au changement climatique dans les oasis et les montagnes.",
     "Water and adapting to climate change in oases and mountains."),
]
# (days from today, regions or None for national, format, status): one workshop per theme.
# The open workshop takes the featured member's region and another: a visitor sees both a
# registration that works and, for another region's organisation, a refusal naming the regions.
PLAN = [
    (-60, ["FME", "TTA", "ORI", "RSK"], "in_person", w.WorkshopStatus.CLOSED),
    (-20, ["MSA", "SMA", "DTA", "CAS"], "hybrid", w.WorkshopStatus.CLOSED),
    (-1, None, "online", w.WorkshopStatus.IN_PROGRESS),
    (14, ["TTA", "SMA", "GON"], "in_person", w.WorkshopStatus.REGISTRATION_OPEN),
    (45, ["ORI"], "in_person", w.WorkshopStatus.PLANNED),
]


@dataclass(frozen=True)
class DemoConsultation:
    """One consultation of the story: its workshop (index in PLAN), phase, method and texts."""

    workshop: int
    phase: w.Phase
    method: str
    participation: w.Participation
    question: tuple[str, str, str]
    description: tuple[str, str, str]
    # Days from today to the next phase move (None: moved by hand), so the home page shows a deadline.
    next_move_in: int | None = None


CONSULTATIONS = [
    DemoConsultation(
        0, w.Phase.RESULTS_PUBLISHED, "approval", w.Participation.REGISTERED,
        ("كيف نقوي التعاونيات النسائية في الجهة؟", "Comment renforcer les coopératives féminines de la région ?",
         "How can we strengthen women's cooperatives in the region?"),
        ("اقترحت المنظمات المسجلة في الورشة حلولا للتمويل والتكوين والتسويق، ثم صوتت بالموافقة.",
         "Les organisations inscrites à l'atelier ont proposé des solutions de financement, de formation et de "
         "commercialisation, puis ont voté par approbation.",
         "The organisations registered for the workshop proposed ways to fund, train and sell, then voted by "
         "approval.")),
    DemoConsultation(
        # Published too: the plan's first actions cite this vote and link to its results.
        0, w.Phase.RESULTS_PUBLISHED, "majority_judgment", w.Participation.ALL_MEMBERS,
        ("كيف نسهل ولوج التعاونيات إلى الصفقات العمومية؟", "Comment ouvrir les marchés publics aux coopératives ?",
         "How can cooperatives win public contracts?"),
        ("صوتت كل المنظمات الأعضاء بالحكم بالأغلبية، وبنت لجنة التسيير على نتائجها أولى أعمال الخطة.",
         "Toutes les organisations membres ont voté au jugement majoritaire ; le comité de pilotage en a tiré "
         "les premières actions du plan.",
         "Every member organisation voted by majority judgment; the steering group built the plan's first "
         "actions from the results.")),
    DemoConsultation(
        1, w.Phase.CLOSED, "schulze", w.Participation.REGISTERED,
        ("ما هي الخدمات الاجتماعية التي يجب أن تتقاسمها الجمعيات؟",
         "Quels services d'accompagnement social les associations doivent-elles mutualiser ?",
         "Which social support services should associations share?"),
        ("انتهى التصويت بالترتيب؛ النتائج تنتظر نشرها من طرف التيسير.",
         "Le vote par classement est clos ; les résultats attendent leur publication par l'animation.",
         "The ranked vote is closed; the results wait for the facilitators to publish them.")),
    DemoConsultation(
        1, w.Phase.VOTING, "approval", w.Participation.ALL_MEMBERS,
        ("ما هي أولويات الحماية الاجتماعية للعاملين في القطاع غير المهيكل؟",
         "Quelles priorités pour la protection sociale des travailleurs informels ?",
         "What priorities for the social protection of informal workers?"),
        ("التصويت مفتوح لكل المنظمات الأعضاء: اختاروا إلى ثلاثة مقترحات.",
         "Le vote est ouvert à toutes les organisations membres : approuvez jusqu'à trois propositions.",
         "The vote is open to every member organisation: approve up to three proposals."), next_move_in=6),
    DemoConsultation(
        2, w.Phase.DELIBERATION, "approval", w.Participation.REGISTERED,
        ("كيف نشرك المنظمات القروية في التخطيط الترابي؟",
         "Comment associer les organisations rurales à la planification territoriale ?",
         "How can rural organisations take part in territorial planning?"),
        ("المقترحات منشورة: علقوا عليها واقترحوا تعديلات قبل التصويت.",
         "Les propositions sont publiées : commentez-les et proposez des amendements avant le vote.",
         "The proposals are published: comment on them and suggest amendments before the vote."),
        next_move_in=3),
    DemoConsultation(
        2, w.Phase.PROPOSALS_OPEN, "majority_judgment", w.Participation.ALL_MEMBERS,
        ("ما هي خدمات القرب التي تنقص الجماعات القروية أكثر؟",
         "Quels services de proximité manquent le plus aux communes rurales ?",
         "Which local services do rural communes lack most?"),
        ("كل منظمة عضو يمكنها تقديم مقترح إلى غاية نهاية المرحلة.",
         "Chaque organisation membre peut déposer une proposition jusqu'à la fin de la phase.",
         "Every member organisation may submit a proposal until the phase ends."), next_move_in=10),
    DemoConsultation(
        3, w.Phase.PROPOSALS_OPEN, "approval", w.Participation.REGISTERED,
        ("كيف نفتح الشغل أمام شباب الأقاليم؟", "Comment ouvrir l'emploi aux jeunes des provinces ?",
         "How can we open jobs to young people in the provinces?"),
        ("المنظمات المسجلة في الورشة تقدم مقترحاتها قبل اللقاء.",
         "Les organisations inscrites à l'atelier déposent leurs propositions avant la rencontre.",
         "The organisations registered for the workshop submit their proposals before the meeting."),
        next_move_in=12),
    DemoConsultation(
        4, w.Phase.DRAFT, "approval", w.Participation.REGISTERED,
        ("كيف يمكن للجمعيات مواجهة الإجهاد المائي؟", "Comment les associations peuvent-elles agir face au stress hydrique ?",
         "How can associations act on water stress?"),
        ("مسودة: يحضرها الميسرون قبل فتح التسجيل.", "Brouillon : l'animation le prépare avant l'ouverture des inscriptions.",
         "Draft: the facilitators prepare it before registration opens.")),
]

MINUTES_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
               b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
               b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
               b"/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
               b"4 0 obj<</Length 60>>stream\nBT /F1 18 Tf 72 760 Td (Compte rendu de l'atelier) Tj ET\nendstream endobj\n"
               b"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
               b"trailer<</Root 1 0 R>>\n%%EOF\n")


def seed(demo: DemoContext) -> None:
    """Themes, five workshops in every state, registrations and consultations in every phase."""
    from tadamon.membership.demo import featured_organisation

    now = utcnow()
    facilitator = db.session.scalar(select(User).where(User.email == "facilitator@demo.tadamon.ma"))
    themes = [w.Theme(name_ar=a, name_fr=f, name_en=e, description_ar=da, description_fr=df, description_en=de)
              for a, f, e, da, df, de in THEMES]
    db.session.add_all(themes)
    db.session.flush()
    organisations = db.session.scalars(
        select(Organisation).where(Organisation.state == MembershipState.APPROVED).order_by(Organisation.id)
    ).all()
    featured = featured_organisation()
    workshops = []
    for index, (days, regions, fmt, status) in enumerate(PLAN):
        theme = themes[index]
        start = (now + timedelta(days=days)).replace(hour=8, minute=30, second=0, microsecond=0)
        workshop = w.Workshop(
            title_ar=f"ورشة {theme.name_ar}", title_fr=f"Atelier {theme.name_fr}", title_en=f"Workshop: {theme.name_en}",
            description_ar=f"ورشة تشاورية تجمع المنظمات الأعضاء حول **{theme.name_ar}**: {theme.description_ar}",
            description_fr=f"Atelier de consultation des organisations membres sur **{theme.name_fr}** : "
                           f"{theme.description_fr}",
            description_en=f"A consultation workshop of member organisations on **{theme.name_en}**: "
                           f"{theme.description_en}",
            theme_id=theme.id, is_national=regions is None, format=fmt, status=status,
            venue="" if fmt == "online" else "Maison des associations",
            address="" if fmt == "online" else "Centre-ville",
            online_link="https://visio.example.org/tadamon-" + str(index + 1) if fmt != "in_person" else "",
            starts_at=start, ends_at=start + timedelta(hours=8), capacity=12,
            created_by_id=facilitator.id if facilitator else None,
        )
        if regions:
            workshop.region_rows = [w.WorkshopRegion(region=region) for region in regions]
        workshop.facilitators = [facilitator] if facilitator else []
        db.session.add(workshop)
        db.session.flush()
        in_scope = [o for o in organisations if regions is None or o.region in regions]
        if status is w.WorkshopStatus.REGISTRATION_OPEN and featured is not None:
            in_scope = [o for o in in_scope if o.id != featured.id]  # left for the visitor to register
        _registrations(workshop, in_scope, status)
        if status is w.WorkshopStatus.CLOSED:
            stored = uploads.store(MINUTES_PDF, folder="workshops", kind="pdf")
            db.session.add(w.WorkshopDocument(
                workshop_id=workshop.id, kind="minutes", title="Compte rendu", stored_name=stored.stored_name,
                file_type="pdf", original_filename="compte-rendu.pdf", size_bytes=stored.size_bytes,
                sha256=stored.sha256, uploaded_by_id=facilitator.id if facilitator else None))
        workshops.append((workshop, start))
    for item in CONSULTATIONS:
        workshop, start = workshops[item.workshop]
        consultation = w.Consultation(
            workshop_id=workshop.id, question_ar=item.question[0], question_fr=item.question[1],
            question_en=item.question[2], description_ar=item.description[0], description_fr=item.description[1],
            description_en=item.description[2], participation=item.participation, phase=item.phase,
            voting_method=item.method, max_approvals=3, created_by_id=facilitator.id if facilitator else None,
        )
        db.session.add(consultation)
        db.session.flush()
        _moves(consultation, item.phase, start, facilitator)
        if item.next_move_in is not None:
            _schedule(consultation, now + timedelta(days=item.next_move_in))
    db.session.flush()


def _schedule(consultation: w.Consultation, moment: Any) -> None:
    """The next phase move on the schedule (the tick makes it), so pages show a deadline."""
    following = w.PHASE_ORDER[w.PHASE_ORDER.index(consultation.current_phase) + 1]
    moment = moment.replace(hour=18, minute=0, second=0, microsecond=0)
    setattr(consultation, f"{following.value}_at", moment)
    consultation.next_move_at = moment


def _registrations(workshop: w.Workshop, organisations: Sequence[Organisation], status: w.WorkshopStatus) -> None:
    if status is w.WorkshopStatus.PLANNED:
        return
    for position, organisation in enumerate(organisations[:14]):
        if position < 10:
            state = w.RegistrationStatus.ACCEPTED if status is not w.WorkshopStatus.REGISTRATION_OPEN or position < 6 \
                else w.RegistrationStatus.PENDING
        elif position < 12:
            state = w.RegistrationStatus.PENDING
        else:
            state = w.RegistrationStatus.WAITLISTED
        registration = w.Registration(workshop_id=workshop.id, organisation_id=organisation.id,
                                      status=state, attendees="Amina El Idrissi\nYoussef Tazi")
        if status is w.WorkshopStatus.CLOSED and state is w.RegistrationStatus.ACCEPTED:
            registration.attended = position % 5 != 4
            registration.attendees_present = 2 if registration.attended else 0
        db.session.add(registration)


def _moves(consultation: w.Consultation, phase: w.Phase, start: Any, facilitator: Any) -> None:
    order = w.PHASE_ORDER
    for step in range(order.index(phase)):
        db.session.add(w.PhaseMove(consultation_id=consultation.id, from_phase=order[step],
                                   to_phase=order[step + 1], moved_at=start + timedelta(hours=step),
                                   moved_by_id=facilitator.id if facilitator else None))
