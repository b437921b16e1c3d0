"""Demo workshops: the five thematic workshops of the process, across regions and in every
state, with consultations in different phases, registrations, attendance and minutes."""

from __future__ import annotations

from collections.abc import Sequence
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
    ("الاقتصاد الاجتماعي والتضامني", "Économie sociale et solidaire", "Social and solidarity economy"),
    ("الحماية الاجتماعية", "Protection sociale", "Social protection"),
    ("التنمية الترابية", "Développement territorial", "Territorial development"),
    ("الشباب والتشغيل", "Jeunesse et emploi", "Youth and employment"),
    ("البيئة والمناخ", "Environnement et climat", "Environment and climate"),
]
# (days from today, region or None for national, format, status, consultation phases)
PLAN = [
    (-60, "FME", "in_person", w.WorkshopStatus.CLOSED, [w.Phase.RESULTS_PUBLISHED, w.Phase.CLOSED]),
    (-20, "MSA", "hybrid", w.WorkshopStatus.CLOSED, [w.Phase.VOTING]),
    (-1, None, "online", w.WorkshopStatus.IN_PROGRESS, [w.Phase.DELIBERATION, w.Phase.PROPOSALS_OPEN]),
    (14, "SMA", "in_person", w.WorkshopStatus.REGISTRATION_OPEN, [w.Phase.PROPOSALS_OPEN]),
    (45, "ORI", "in_person", w.WorkshopStatus.PLANNED, [w.Phase.DRAFT]),
]
QUESTIONS = [
    ("كيف نقوي التعاونيات النسائية في الجهة؟", "Comment renforcer les coopératives féminines de la région ?",
     "How can we strengthen women's cooperatives in the region?"),
    ("ما هي أولويات الحماية الاجتماعية للعاملين في القطاع غير المهيكل؟",
     "Quelles priorités pour la protection sociale des travailleurs informels ?",
     "What priorities for the social protection of informal workers?"),
    ("كيف نشرك المنظمات القروية في التخطيط الترابي؟",
     "Comment associer les organisations rurales à la planification territoriale ?",
     "How can rural organisations take part in territorial planning?"),
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
    now = utcnow()
    facilitator = db.session.scalar(select(User).where(User.email == "facilitator@demo.tadamon.ma"))
    themes = [w.Theme(name_ar=a, name_fr=f, name_en=e,
                      description_fr="Atelier thématique du processus pour une solidarité innovante.")
              for a, f, e in THEMES]
    db.session.add_all(themes)
    db.session.flush()
    organisations = db.session.scalars(
        select(Organisation).where(Organisation.state == MembershipState.APPROVED).order_by(Organisation.id)
    ).all()
    for index, (days, region, fmt, status, phases) in enumerate(PLAN):
        theme = themes[index]
        start = (now + timedelta(days=days)).replace(hour=8, minute=30, second=0, microsecond=0)
        workshop = w.Workshop(
            title_ar=f"ورشة {theme.name_ar}", title_fr=f"Atelier {theme.name_fr}", title_en=f"Workshop: {theme.name_en}",
            description_ar="ورشة تشاورية تجمع المنظمات الأعضاء حول موضوع الورشة.",
            description_fr="Atelier de consultation réunissant les organisations membres autour du thème.",
            description_en="A consultation workshop bringing member organisations together on the theme.",
            theme_id=theme.id, is_national=region is None, format=fmt, status=status,
            venue="" if fmt == "online" else "Maison des associations",
            address="" if fmt == "online" else "Centre-ville",
            online_link="https://visio.example.org/tadamon-" + str(index + 1) if fmt != "in_person" else "",
            starts_at=start, ends_at=start + timedelta(hours=8), capacity=12,
            created_by_id=facilitator.id if facilitator else None,
        )
        if region:
            workshop.region_rows = [w.WorkshopRegion(region=region)]
        workshop.facilitators = [facilitator] if facilitator else []
        db.session.add(workshop)
        db.session.flush()
        _registrations(workshop, organisations, index, status)
        if status is w.WorkshopStatus.CLOSED:
            stored = uploads.store(MINUTES_PDF, folder="workshops", kind="pdf")
            db.session.add(w.WorkshopDocument(
                workshop_id=workshop.id, kind="minutes", title="Compte rendu", stored_name=stored.stored_name,
                file_type="pdf", original_filename="compte-rendu.pdf", size_bytes=stored.size_bytes,
                sha256=stored.sha256, uploaded_by_id=facilitator.id if facilitator else None))
        for number, phase in enumerate(phases):
            question = QUESTIONS[(index + number) % len(QUESTIONS)]
            consultation = w.Consultation(
                workshop_id=workshop.id, question_ar=question[0], question_fr=question[1], question_en=question[2],
                description_fr="Les organisations proposent, débattent puis votent.",
                participation=w.Participation.REGISTERED if number == 0 else w.Participation.ALL_MEMBERS,
                phase=phase, voting_method=("approval", "majority_judgment", "schulze")[number % 3],
                max_approvals=3, created_by_id=facilitator.id if facilitator else None,
            )
            db.session.add(consultation)
            db.session.flush()
            _moves(consultation, phase, start, facilitator)
    db.session.flush()


def _registrations(workshop: w.Workshop, organisations: Sequence[Organisation], index: int, status: w.WorkshopStatus) -> None:
    if status is w.WorkshopStatus.PLANNED:
        return
    chosen = organisations[index * 3: index * 3 + 14]
    for position, organisation in enumerate(chosen):
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
