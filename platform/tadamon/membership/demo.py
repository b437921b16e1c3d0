"""Demo membership: the charter, fields of action, founding and ordinary members in all twelve
regions, pending and rejected applications, and people in each organisation role.
All organisations and people are fictional."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from tadamon.accounts.demo import DEMO_PASSWORD, DemoAccount
from tadamon.accounts.models import User
from tadamon.core.db import utcnow
from tadamon.core.text import normalize_for_search
from tadamon.extensions import db
from tadamon.membership import models as m
from tadamon.membership.regions import REGIONS

if TYPE_CHECKING:
    from tadamon.demo import DemoContext

PRINCIPLES = [
    ("التضامن", "Solidarité", "Solidarity",
     "نعمل معًا ونتقاسم الموارد والمعارف لخدمة الفئات الأكثر هشاشة.",
     "Nous agissons ensemble et partageons ressources et savoirs au service des plus vulnérables.",
     "We act together and share resources and knowledge for the most vulnerable."),
    ("الاستقلالية", "Autonomie", "Independence",
     "تحتفظ كل منظمة باستقلالية قرارها ومشروعها.",
     "Chaque organisation garde l'autonomie de ses décisions et de son projet.",
     "Each organisation keeps the independence of its decisions and its project."),
    ("الشفافية", "Transparence", "Transparency",
     "نوضح قراراتنا ومواردنا ونخضع للمساءلة أمام الشبكة.",
     "Nous rendons compte de nos décisions et de nos ressources devant le réseau.",
     "We account for our decisions and resources to the network."),
    ("الإنصاف الترابي", "Équité territoriale", "Territorial equity",
     "نعطي صوتًا متساويًا لمنظمات كل الجهات، الحضرية والقروية.",
     "Nous donnons une voix égale aux organisations de toutes les régions, urbaines et rurales.",
     "We give an equal voice to organisations from every region, urban and rural."),
    ("الابتكار الاجتماعي", "Innovation sociale", "Social innovation",
     "نجرب حلولًا جديدة ونتقاسم ما ننجح فيه وما نخفق فيه.",
     "Nous expérimentons des solutions nouvelles et partageons réussites et échecs.",
     "We try new solutions and share what works and what does not."),
]

FIELDS = [
    ("التعليم", "Éducation", "Education"),
    ("الصحة", "Santé", "Health"),
    ("التشغيل والإدماج", "Emploi et insertion", "Employment and inclusion"),
    ("البيئة", "Environnement", "Environment"),
    ("حقوق النساء", "Droits des femmes", "Women's rights"),
    ("الطفولة والشباب", "Enfance et jeunesse", "Children and youth"),
    ("الإعاقة", "Handicap", "Disability"),
    ("الاقتصاد الاجتماعي والتضامني", "Économie sociale et solidaire", "Social and solidarity economy"),
]

# Fictional names built from parts: "<kind> <theme> <place>".
KINDS = [("جمعية", "Association"), ("مؤسسة", "Fondation"), ("تعاونية", "Coopérative"),
         ("شبكة", "Réseau"), ("جمعية", "Association")]
THEMES = [("الأمل", "Espoir"), ("النخيل", "Palmiers"), ("الواحة", "Oasis"), ("التنمية", "Développement"),
          ("الأطلس", "Atlas"), ("البحر", "Mer"), ("الغد", "Demain"), ("الزيتون", "Oliviers"),
          ("النور", "Lumière"), ("التضامن", "Solidarité")]
LEGAL_FORMS = [m.LegalForm.ASSOCIATION, m.LegalForm.FOUNDATION, m.LegalForm.COOPERATIVE,
               m.LegalForm.NETWORK, m.LegalForm.ASSOCIATION]
PROVINCES = {"TTA": "Tétouan", "ORI": "Oujda", "FME": "Fès", "RSK": "Salé", "BMK": "Khénifra",
             "CAS": "Settat", "MSA": "Safi", "DTA": "Errachidia", "SMA": "Tiznit", "GON": "Guelmim",
             "LSH": "Laâyoune", "DOE": "Dakhla"}


FEATURED_EMAIL = "member@demo.tadamon.ma"


def featured_organisation() -> m.Organisation | None:
    """The organisation the README's featured account represents: the demo keeps an open vote
    it has not voted in yet and an open workshop it may register for, so both journeys work."""
    return db.session.scalar(select(m.Organisation).join(m.OrganisationMember,
                                                         m.OrganisationMember.organisation_id == m.Organisation.id)
                             .join(User, User.id == m.OrganisationMember.user_id)
                             .where(User.email == FEATURED_EMAIL, m.OrganisationMember.role == "representative")
                             .limit(1))


def _charter(now: Any) -> m.Charter:
    charter = m.Charter(
        version=1, published_at=now,
        title_ar="ميثاق شبكة التضامن المبتكر", title_fr="Charte du réseau pour une solidarité innovante",
        title_en="Charter of the network for an innovative solidarity",
        preamble_ar="نحن، منظمات المجتمع المدني المغربي، نلتزم بالعمل المشترك من أجل تضامن مبتكر.",
        preamble_fr="Nous, organisations de la société civile marocaine, nous engageons à agir ensemble pour une solidarité innovante.",
        preamble_en="We, Moroccan civil-society organisations, commit to act together for an innovative solidarity.",
    )
    for position, (t_ar, t_fr, t_en, e_ar, e_fr, e_en) in enumerate(PRINCIPLES, 1):
        charter.principles.append(m.CharterPrinciple(
            position=position, title_ar=t_ar, title_fr=t_fr, title_en=t_en,
            explanation_ar=e_ar, explanation_fr=e_fr, explanation_en=e_en))
    db.session.add(charter)
    return charter


def _organisation(index: int, state: m.MembershipState, *, founding: bool, now: Any,
                  fields: list[m.FieldOfAction]) -> m.Organisation:
    kind = KINDS[index % len(KINDS)]
    theme = THEMES[(index // len(KINDS)) % len(THEMES)]
    region = REGIONS[index % len(REGIONS)]
    suffix = f" {index // 50 + 1}" if index >= 50 else ""
    name_ar = f"{kind[0]} {theme[0]} {region.ar.split(' - ')[0]}{suffix}"
    name_fr = f"{kind[1]} {theme[1]} {region.fr.split('-')[0]}{suffix}"
    organisation = m.Organisation(
        name_ar=name_ar, name_fr=name_fr, acronym="", legal_form=LEGAL_FORMS[index % 5].value,
        registration_number=f"RC-{10000 + index}", year_founded=1985 + index % 38,
        region=region.code, province=PROVINCES[region.code],
        description_ar="منظمة تعمل من أجل التضامن والتنمية المحلية في جهتها.",
        description_fr="Organisation engagée pour la solidarité et le développement local dans sa région.",
        members_count=20 + index * 3 % 400, volunteers_count=5 + index % 60, staff_count=index % 12,
        contact_email=f"contact{index}@org.demo.tadamon.ma", state=state.value,
        is_founding_member=founding, submitted_at=now,
        approved_at=now if state is m.MembershipState.APPROVED else None,
    )
    organisation.search_name = normalize_for_search(f"{name_ar} {name_fr}")
    organisation.fields = [fields[index % len(fields)], fields[(index * 3 + 1) % len(fields)]]
    return organisation


def seed(demo: DemoContext) -> None:
    """The charter, 48 × scale members and applications in every state, with their people."""
    scale, password_hash = demo.scale, demo.password_hash

    now = utcnow()
    charter = _charter(now)
    fields = [m.FieldOfAction(name_ar=a, name_fr=f, name_en=e) for a, f, e in FIELDS]
    db.session.add_all(fields)
    db.session.flush()

    members = 48 * scale
    organisations = []
    for index in range(members):
        organisation = _organisation(index, m.MembershipState.APPROVED, founding=index < 8, now=now, fields=fields)
        organisations.append(organisation)
    extra = [(m.MembershipState.SUBMITTED, 3), (m.MembershipState.CHANGES_REQUESTED, 1),
             (m.MembershipState.REJECTED, 2), (m.MembershipState.DRAFT, 1)]
    index = members
    for state, count in extra:
        for _ in range(count):
            organisation = _organisation(index, state, founding=False, now=now, fields=fields)
            if state is m.MembershipState.REJECTED:
                organisation.decision_message = "Les statuts transmis ne correspondent pas à l'organisation."
            if state is m.MembershipState.CHANGES_REQUESTED:
                organisation.decision_message = "يرجى إضافة وصف أدق لأنشطة المنظمة."
            organisations.append(organisation)
            index += 1
    db.session.add_all(organisations)
    db.session.flush()
    for chunk_start in range(0, len(organisations), 500):
        for organisation in organisations[chunk_start:chunk_start + 500]:
            db.session.add(m.MembershipEvent(organisation_id=organisation.id, from_state=None,
                                             to_state=organisation.state, occurred_at=now))
            if organisation.state in (m.MembershipState.APPROVED, m.MembershipState.SUBMITTED):
                db.session.add(m.CharterAdherence(organisation_id=organisation.id, charter_id=charter.id))
        db.session.flush()

    # People in each organisation role: the demo members represent the first organisations,
    # the ordinary demo people are their colleagues.
    people = {u.email: u for u in db.session.scalars(select(User))}
    accounts = demo.accounts
    rep = people[FEATURED_EMAIL]
    colleague = people["member.en@demo.tadamon.ma"]
    db.session.add(m.OrganisationMember(organisation_id=organisations[0].id, user_id=rep.id, role="representative"))
    db.session.add(m.OrganisationMember(organisation_id=organisations[0].id, user_id=colleague.id, role="member"))
    db.session.add(m.OrganisationMember(organisation_id=organisations[1].id, user_id=colleague.id, role="representative"))
    ordinary = [u for email, u in sorted(people.items()) if email.startswith("person")]
    for organisation, person in zip(organisations[2:], itertools.cycle(ordinary) if ordinary else [], strict=False):
        db.session.add(m.OrganisationMember(organisation_id=organisation.id, user_id=person.id, role="representative"))
        if organisation is organisations[-1]:
            break
    pending = organisations[members]
    applicant = User(email="applicant@demo.tadamon.ma", display_name="Samir Ouazzani", password_hash=password_hash,
                     preferred_language="fr", email_verified_at=now, privacy_consent_at=now, password_changed_at=now)
    db.session.add(applicant)
    db.session.flush()
    db.session.add(m.OrganisationMember(organisation_id=pending.id, user_id=applicant.id, role="representative"))
    accounts.append(DemoAccount("applicant", applicant.email, DEMO_PASSWORD, None))
    db.session.flush()
