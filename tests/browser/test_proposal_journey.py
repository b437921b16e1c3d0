"""A proposal's whole life in a real browser, in Arabic (RTL) and in French (LTR):

organisation A writes a long proposal with markup in it (a too-short title first: the error
sits by the field, the text is kept, a draft exists) and publishes it; B publishes a
near-duplicate and co-signs A's; C co-signs B's; the facilitator opens the deliberation;
C comments against A's proposal and B answers; B proposes an amendment that only A may
decide, A accepts it (a new version, B a co-author, the first version still readable); the
facilitator merges B's proposal into A's (B's address redirects, the reason is shown, C's
co-signature moves over).

Pages are found by their addresses, ids, names and values, never by their words: the
catalogues may not be translated yet, and the checks must hold either way. The accounts,
the charter, the theme, the member organisations, the workshop and its consultations are
seeded straight into the live server's database; everything else goes through the browser.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from tadamon.accounts.models import RoleAssignment, User
from tadamon.accounts.passwords import hash_password
from tadamon.core.db import utcnow
from tadamon.extensions import db
from tadamon.membership import services as membership
from tadamon.proposals.models import Proposal
from tadamon.workshops import services as workshops
from tadamon.workshops.models import Consultation, Phase, Theme

PASSWORD = "نخلة-واحة-تضامن-2026"
SMALL_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SCRIPT = "<script>alert(1)</script>"

LOGIN = "/account/login"
TWO_FACTOR = "/account/login/two-factor"
LOGOUT_BUTTON = 'form[action="/account/logout"] button'


# --- the texts -------------------------------------------------------------------------------

ARABIC_PARAGRAPHS = [
    "نقترح إنشاء صندوق تضامني جهوي لدعم التعاونيات النسائية في العالم القروي، يموّل من "
    "مساهمات الجمعيات الأعضاء ومن شركاء محليين، ويقدم قروضا صغيرة بدون فوائد للتعاونيات "
    "التي تبدأ نشاطها أو تريد توسيعه، مع مواكبة تقنية في التسيير والمحاسبة والتسويق.",
    "تعاني التعاونيات النسائية في المناطق الجبلية من صعوبة الوصول إلى التمويل البنكي، "
    "لأن الأبناك تطلب ضمانات لا تملكها النساء في الغالب، كما أن المسافة بين الدواوير "
    "ومراكز المدن تجعل كل خطوة إدارية مكلفة من حيث الوقت والمال.",
    "يشتغل الصندوق بلجنة مختلطة تضم ممثلات عن التعاونيات وممثلين عن الجمعيات الأعضاء، "
    "تجتمع كل ثلاثة أشهر لدراسة الطلبات وفق معايير واضحة ومنشورة: الأثر الاجتماعي، "
    "عدد النساء المستفيدات، استدامة النشاط، واحترام البيئة في طرق الإنتاج.",
    "نقترح أيضا تنظيم دورات تكوينية منتظمة في التسويق الرقمي والتغليف وسلامة المنتوجات "
    "الغذائية، لأن كثيرا من التعاونيات تنتج سلعا جيدة ولا تجد طريقها إلى الأسواق، "
    "وتضطر إلى البيع للوسطاء بأثمنة منخفضة لا تغطي تكاليف الإنتاج.",
    "يمكن للشبكة أن تضع رهن إشارة التعاونيات فضاء مشتركا للعرض في المعارض الجهوية "
    "والوطنية، وأن تساعدها في الحصول على شهادات الجودة والعلامات المميزة للمنشأ، "
    "وهو ما يرفع من قيمة المنتوج ويحسن دخل النساء وأسرهن.",
    "نتوقع أن يستفيد من الصندوق في سنته الأولى ما لا يقل عن ثلاثين تعاونية، وأن يتم "
    "استرجاع القروض تدريجيا لتمويل تعاونيات جديدة، بحيث يصبح الصندوق مستداما ولا يعتمد "
    "على الهبات وحدها، مع تقرير سنوي علني يعرض الحسابات والنتائج.",
    "ندعو الجمعيات الأعضاء إلى التوقيع المشترك على هذا المقترح، وإلى اقتراح تعديلات "
    "تحسن طريقة التسيير أو معايير الاختيار، حتى يكون الصندوق ثمرة عمل جماعي يعكس "
    "قيم التضامن والشفافية التي يقوم عليها ميثاق شبكتنا.",
]

FRENCH_PARAGRAPHS = [
    "Nous proposons de créer un fonds solidaire régional pour soutenir les coopératives de "
    "femmes en milieu rural, financé par les cotisations des associations membres et par des "
    "partenaires locaux, qui accorde des prêts sans intérêt aux coopératives qui démarrent ou "
    "qui veulent grandir, avec un accompagnement en gestion, en comptabilité et en vente.",
    "Les coopératives de femmes des zones de montagne peinent à obtenir un crédit bancaire : "
    "les banques demandent des garanties que les femmes n'ont souvent pas, et la distance "
    "entre les douars et les villes rend chaque démarche coûteuse en temps et en argent.",
    "Le fonds serait géré par un comité mixte de représentantes des coopératives et de "
    "représentants des associations membres, réuni tous les trois mois pour examiner les "
    "demandes selon des critères clairs et publiés : l'effet social, le nombre de femmes "
    "concernées, la durée de l'activité et le respect de l'environnement.",
    "Nous proposons aussi des formations régulières à la vente en ligne, à l'emballage et à "
    "la sécurité des produits alimentaires, car beaucoup de coopératives produisent bien "
    "mais ne trouvent pas de marché et vendent à des intermédiaires à des prix trop bas.",
    "Le réseau pourrait offrir aux coopératives un espace commun dans les salons régionaux "
    "et nationaux, et les aider à obtenir des labels de qualité et des indications "
    "d'origine, ce qui valorise les produits et améliore le revenu des familles.",
    "Nous attendons qu'au moins trente coopératives en profitent la première année, et que "
    "les prêts remboursés financent peu à peu de nouvelles coopératives, pour que le fonds "
    "dure sans dépendre des seuls dons, avec un rapport annuel public des comptes.",
    "Nous invitons les associations membres à cosigner cette proposition et à proposer des "
    "amendements sur la gestion ou les critères de choix, pour que le fonds soit le fruit "
    "d'un travail commun fidèle aux valeurs de solidarité et de transparence de la charte.",
]


@dataclass(frozen=True)
class Texts:
    """Everything one journey types, in its language."""

    language: str
    title_a: str
    short_title: str
    title_b: str
    body_a: str
    body_b: str
    beneficiaries: str
    impact: str
    comment: str
    reply: str
    amended_title: str
    amended_extra: str
    justification: str
    merge_reason: str


def _long_text(paragraphs: list[str], *, twice: bool = True) -> str:
    """A few hundred words: the paragraphs, then again in another order."""
    text = paragraphs + (paragraphs[::-1] if twice else [])
    return "\n\n".join(text)


ARABIC = Texts(
    language="ar",
    title_a=f"صندوق تضامني للتعاونيات النسائية {SCRIPT}",
    short_title="صند",
    title_b="صندوق جهوي للتضامن مع التعاونيات النسائية القروية",
    body_a=f"{_long_text(ARABIC_PARAGRAPHS)}\n\nملاحظة تقنية: {SCRIPT}",
    # The same wording, the paragraphs in another order and one left out: a near-duplicate.
    body_b=_long_text(ARABIC_PARAGRAPHS[1:] + ARABIC_PARAGRAPHS[:1], twice=False),
    beneficiaries="النساء في التعاونيات القروية وأسرهن",
    impact="ثلاثون تعاونية في السنة الأولى",
    comment="نعترض: القروض بدون فوائد صعبة الاسترجاع، والأفضل البدء بمنح صغيرة.",
    reply="نقترح الجمع بين المنح والقروض حسب حجم كل تعاونية.",
    amended_title="صندوق تضامني جهوي للتعاونيات النسائية والشبابية",
    amended_extra="ويشمل الصندوق كذلك التعاونيات الشبابية في نفس الجهة.",
    justification="توسيع الفئة المستفيدة دون تغيير طريقة التسيير.",
    merge_reason="مقترحان متقاربان جدا حول نفس الصندوق، يدمجان للنقاش والتصويت معا.",
)

FRENCH = Texts(
    language="fr",
    title_a=f"Un fonds solidaire pour les coopératives de femmes {SCRIPT}",
    short_title="Fon",
    title_b="Fonds régional de solidarité avec les coopératives rurales de femmes",
    body_a=f"{_long_text(FRENCH_PARAGRAPHS)}\n\nNote technique : {SCRIPT}",
    body_b=_long_text(FRENCH_PARAGRAPHS[1:] + FRENCH_PARAGRAPHS[:1], twice=False),
    beneficiaries="Les femmes des coopératives rurales et leurs familles",
    impact="Trente coopératives la première année",
    comment="Contre : des prêts sans intérêt seront difficiles à récupérer ; commençons par des aides.",
    reply="Nous proposons de combiner aides et prêts selon la taille de chaque coopérative.",
    amended_title="Un fonds solidaire régional pour les coopératives de femmes et de jeunes",
    amended_extra="Le fonds s'ouvre aussi aux coopératives de jeunes de la même région.",
    justification="Élargir le public sans changer la gestion du fonds.",
    merge_reason="Deux propositions presque identiques sur le même fonds : discutées et votées ensemble.",
)


# --- seeding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    email: str
    name: str
    totp_secret: str | None = None


@dataclass(frozen=True)
class Member:
    account: Account
    organisation_id: int
    organisation_name: str


@dataclass(frozen=True)
class Journey:
    """What one language's journey starts from: its own facilitator (a TOTP code is accepted
    once, and both journeys may log in within the same 30 seconds), its own organisations
    (whose representatives read that language) and its own consultation."""

    facilitator: Account
    members: tuple[Member, Member, Member]
    theme_id: int
    consultation_id: int


def _new_user(email: str, name: str, language: str, *, role: str | None = None) -> tuple[User, Account]:
    now = utcnow()
    user = User(
        email=email,
        display_name=name,
        password_hash=hash_password(PASSWORD),
        preferred_language=language,
        email_verified_at=now,
        privacy_consent_at=now,
        password_changed_at=now,
    )
    secret = None
    if role is not None:
        secret = pyotp.random_base32()
        user.totp_secret = secret
        user.totp_enabled_at = now
        user.role_assignments.append(RoleAssignment(role=role))
    db.session.add(user)
    db.session.flush()
    return user, Account(email=email, name=name, totp_secret=secret)


ORGANISATION_NAMES = {
    "ar": ("name_ar", ("جمعية الأمل", "جمعية الأطلس", "تعاونية الواحة")),
    "fr": ("name_fr", ("Association Espoir", "Association Atlas", "Coopérative Oasis")),
}


def _seed_journey(steering_user: User, theme: Theme, tag: str, language: str) -> Journey:
    facilitator_user, facilitator = _new_user(
        f"facilitator-{language}-{tag}@example.org",
        "نادية المنشطة" if language == "ar" else "Nadia Animatrice",
        language,
        role="facilitator",
    )
    name_field, names = ORGANISATION_NAMES[language]
    members = []
    for index, name in enumerate(names, start=1):
        rep_user, rep = _new_user(
            f"rep{index}-{language}-{tag}@example.org", f"ممثل {index}", language
        )
        organisation = membership.start_application(rep_user)
        org_name = f"{name} {tag}"
        membership.update_application(
            organisation,
            membership.ApplicationData(
                **{name_field: org_name},
                region="RSK",
                province="Rabat",
                description_fr="x",
                contact_email="c@example.org",
            ),
        )
        membership.attach_statutes(
            organisation, FileStorage(io.BytesIO(SMALL_PDF), "s.pdf"), rep_user
        )
        membership.submit_application(organisation, rep_user, adheres=True)
        membership.decide_application(steering_user, organisation, "approve", "")
        members.append(
            Member(account=rep, organisation_id=organisation.id, organisation_name=org_name)
        )

    starts = utcnow() + timedelta(days=20)
    workshop = workshops.create_workshop(
        facilitator_user,
        workshops.WorkshopData(
            title_fr=f"Atelier propositions {tag}",
            title_ar=f"ورشة المقترحات {tag}",
            theme_id=theme.id,
            venue="Salle",
            starts_at=starts,
            ends_at=starts + timedelta(hours=4),
            capacity=10,
        ),
    )
    consultation = workshops.save_consultation(
        facilitator_user,
        None,
        workshop,
        workshops.ConsultationData(
            question_ar="ما أولوياتنا للسنة القادمة؟",
            question_fr="Quelles priorités pour l'année prochaine ?",
            max_approvals=3,
        ),
    )
    workshops.move_phase(facilitator_user, consultation, Phase.PROPOSALS_OPEN)
    return Journey(
        facilitator=facilitator,
        members=tuple(members),  # type: ignore[arg-type]
        theme_id=theme.id,
        consultation_id=consultation.id,
    )


@pytest.fixture(scope="module")
def seed(live_server: Any) -> Iterator[dict[str, Journey]]:
    """A steering member, a published charter, a theme, and for each language a facilitator,
    three approved member organisations with their representatives, a workshop and a
    consultation open for proposals. Unique per run: the live server is shared by the session."""
    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        try:
            steering_user, _ = _new_user(
                f"steering-{tag}@example.org", "عضو اللجنة", "ar", role="steering"
            )
            if membership.current_charter() is None:
                draft = membership.start_charter_draft(steering_user)
                draft.title_fr = "Charte du réseau"
                draft.title_ar = "ميثاق الشبكة"
                membership.save_principle(
                    draft, None, {"title_fr": "Solidarité", "title_ar": "التضامن"}
                )
                membership.publish_charter(steering_user, draft)

            theme = Theme(
                name_ar=f"الاقتصاد التضامني {tag}",
                name_fr=f"Économie solidaire {tag}",
                name_en=f"Solidarity economy {tag}",
            )
            db.session.add(theme)
            db.session.flush()
            journeys = {
                language: _seed_journey(steering_user, theme, tag, language)
                for language in ("ar", "fr")
            }
            db.session.commit()
        finally:
            db.session.remove()
    yield journeys


# --- reading the live database ---------------------------------------------------------------


def _read(live_server: Any, work: Any) -> Any:
    with live_server.app.app_context():
        try:
            return work()
        finally:
            db.session.remove()


def proposals_of(live_server: Any, consultation_id: int, organisation_id: int) -> list[dict[str, Any]]:
    """Every proposal (drafts too) of an organisation in a consultation, oldest first."""

    def work() -> list[dict[str, Any]]:
        rows = db.session.scalars(
            select(Proposal)
            .where(
                Proposal.consultation_id == consultation_id,
                Proposal.organisation_id == organisation_id,
            )
            .order_by(Proposal.id)
        )
        return [
            {
                "id": p.id,
                "state": p.state,
                "title": p.title,
                # Browsers send a textarea's line breaks as CRLF (HTML's form encoding).
                "body": (p.body or "").replace("\r\n", "\n"),
                "version": p.version,
                "merged_into_id": p.merged_into_id,
            }
            for p in rows
        ]

    return _read(live_server, work)


def consultation_phase(live_server: Any, consultation_id: int) -> str:
    return _read(live_server, lambda: db.session.get(Consultation, consultation_id).phase)


# --- browser helpers -------------------------------------------------------------------------


def submit(page: Any, selector: str) -> Any:
    """Clicks a submit button and waits for the page the server answers with; its response."""
    with page.expect_navigation(wait_until="load") as navigation:
        page.locator(selector).click()
    return navigation.value


def log_in(page: Any, account: Account) -> None:
    page.goto(LOGIN)
    page.locator("#email").fill(account.email)
    page.locator("#password").fill(PASSWORD)
    submit(page, f'form[action="{LOGIN}"] button[type="submit"]')
    if account.totp_secret:
        expect(page).to_have_url(re.compile(f"{re.escape(TWO_FACTOR)}$"))
        page.locator("#code").fill(pyotp.TOTP(account.totp_secret).now())
        submit(page, f'form[action="{TWO_FACTOR}"] button[type="submit"]')
    expect(page.locator(".flash-error")).to_have_count(0)
    expect(page.locator(LOGOUT_BUTTON)).to_be_attached()


def assert_direction(page: Any, language: str) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")


def assert_field_error(page: Any, field_id: str) -> None:
    """Marked invalid, its message in the same .field block, announced with it, summarised."""
    field = page.locator(f"#{field_id}")
    expect(field).to_have_attribute("aria-invalid", "true")
    error = page.locator(f".field:has(#{field_id}) .error#{field_id}-error")
    expect(error).to_have_count(1)
    expect(error).to_be_visible()
    assert error.inner_text().strip(), f"the error message of #{field_id} is empty"
    described_by = (field.get_attribute("aria-describedby") or "").split()
    assert f"{field_id}-error" in described_by, f"#{field_id} aria-describedby={described_by}"
    expect(page.locator(f'.error-summary a[href="#{field_id}"]')).to_have_count(1)


def assert_no_script_injected(page: Any) -> None:
    """The markup typed in the title and text is shown as text, never run."""
    expect(page.locator("script", has_text="alert(1)")).to_have_count(0)
    assert SCRIPT in page.locator("main").inner_text()


def proposal_id_from(page: Any) -> int:
    match = re.search(r"/proposals/(\d+)(?:#.*)?$", page.url)
    assert match, f"not on a proposal's page: {page.url}"
    return int(match.group(1))


def cosignature_list(page: Any) -> Any:
    return page.locator("main ul.region-counts > li")


# --- the steps -------------------------------------------------------------------------------


def open_writing_form(page: Any, consultation_id: int, language: str) -> str:
    index = f"/consultations/{consultation_id}/proposals"
    new = f"{index}/new"
    page.goto(index)
    assert_direction(page, language)
    page.locator(f'main a[href="{new}"]').click()
    page.wait_for_url(f"**{new}")
    assert_direction(page, language)
    expect(page.locator(f'form[action="{new}"]')).to_be_visible()
    return new


def fill_proposal(page: Any, journey: Journey, texts: Texts, *, title: str, body: str) -> None:
    page.locator("#title").fill(title)
    page.locator("#body").fill(body)
    page.locator("#language").select_option(texts.language)
    page.locator("#theme_id").select_option(str(journey.theme_id))
    page.locator('input[name="territory_scope"][value="region"]').check()
    page.locator("#territory_region").select_option("RSK")
    page.locator("#beneficiaries").fill(texts.beneficiaries)
    page.locator("#expected_impact").fill(texts.impact)


def write_proposal_with_error_first(
    page: Any, axe: Any, live_server: Any, journey: Journey, texts: Texts
) -> int:
    """A's proposal: published with a three-letter title first, then properly."""
    member = journey.members[0]
    new = open_writing_form(page, journey.consultation_id, texts.language)
    form = f'form[action="{new}"]'
    fill_proposal(page, journey, texts, title=texts.short_title, body=texts.body_a)
    page.locator("#attachment").set_input_files(
        {"name": "budget.pdf", "mimeType": "application/pdf", "buffer": SMALL_PDF}
    )
    assert submit(page, f'{form} button[name="action"][value="publish"]').status in (200, 400)

    # The error by the title; everything typed is still there.
    assert_field_error(page, "title")
    expect(page.locator("#title")).to_have_value(texts.short_title)
    expect(page.locator("#body")).to_have_value(texts.body_a)
    expect(page.locator("#language")).to_have_value(texts.language)
    expect(page.locator("#theme_id")).to_have_value(str(journey.theme_id))
    expect(page.locator('input[name="territory_scope"][value="region"]')).to_be_checked()
    expect(page.locator("#territory_region")).to_have_value("RSK")
    expect(page.locator("#beneficiaries")).to_have_value(texts.beneficiaries)
    assert_direction(page, texts.language)
    # The text is kept on the server too: a draft, with the attachment.
    drafts = proposals_of(live_server, journey.consultation_id, member.organisation_id)
    assert [(d["state"], d["title"], d["body"]) for d in drafts] == [
        ("draft", texts.short_title, texts.body_a)
    ], drafts
    axe(page, f"writing a proposal, title too short ({texts.language})")

    # Published, properly titled.
    page.locator("#title").fill(texts.title_a)
    submit(page, 'main form button[name="action"][value="publish"]')
    expect(page.locator(".error-summary")).to_have_count(0)
    proposal_id = proposal_id_from(page)
    expect(page.locator(".flash-success")).to_be_visible()
    rows = proposals_of(live_server, journey.consultation_id, member.organisation_id)
    assert [(r["id"], r["state"], r["title"], r["version"]) for r in rows] == [
        (drafts[0]["id"], "published", texts.title_a, 1)
    ], f"the draft should be the proposal published, with no other left behind: {rows}"
    return proposal_id


def check_published_proposal(page: Any, axe: Any, proposal_id: int, texts: Texts) -> None:
    assert_direction(page, texts.language)
    expect(page.locator("main article h1")).to_have_text(texts.title_a)
    expect(page.locator("main article h1")).to_have_attribute("lang", texts.language)
    assert_no_script_injected(page)
    prose = page.locator("main article .prose")
    expect(prose.locator("p")).to_have_count(texts.body_a.count("\n\n") + 1)
    assert SCRIPT in prose.inner_text()
    expect(
        page.locator(f'main article a[href^="/proposals/{proposal_id}/attachments/"]')
    ).to_have_count(1)
    axe(page, f"a published proposal ({texts.language})")


def write_near_duplicate(page: Any, live_server: Any, journey: Journey, texts: Texts, a_id: int) -> int:
    member = journey.members[1]
    new = open_writing_form(page, journey.consultation_id, texts.language)
    fill_proposal(page, journey, texts, title=texts.title_b, body=texts.body_b)
    submit(page, f'form[action="{new}"] button[name="action"][value="publish"]')
    expect(page.locator(".error-summary")).to_have_count(0)
    proposal_id = proposal_id_from(page)
    assert proposal_id != a_id
    expect(page.locator("main article h1")).to_have_text(texts.title_b)
    # The near-duplicate is noticed: A's proposal is listed as similar.
    expect(page.locator(f'main a[href="/proposals/{a_id}"]')).to_have_count(1)
    rows = proposals_of(live_server, journey.consultation_id, member.organisation_id)
    assert [(r["id"], r["state"]) for r in rows] == [(proposal_id, "published")], rows
    return proposal_id


def cosign(page: Any, proposal_id: int, member: Member, texts: Texts) -> None:
    page.goto(f"/proposals/{proposal_id}")
    assert_direction(page, texts.language)
    form = f'form[action="/proposals/{proposal_id}/cosign"]'
    expect(page.locator(f'{form} input[name="withdraw"]')).to_have_count(0)
    submit(page, f'{form} button[type="submit"]')
    expect(page).to_have_url(re.compile(f"/proposals/{proposal_id}$"))
    expect(page.locator(".flash-success")).to_be_visible()
    # Now the button withdraws the co-signature, and the organisation is listed.
    expect(page.locator(f'{form} input[name="withdraw"]')).to_have_count(1)
    expect(cosignature_list(page).filter(has_text=member.organisation_name)).to_have_count(1)


def open_deliberation(page: Any, live_server: Any, consultation_id: int, texts: Texts) -> None:
    path = f"/consultations/{consultation_id}"
    move_form = f'form[action="{path}/move"]'
    page.goto(path)
    assert_direction(page, texts.language)
    # The move is a link to a page saying what it does; the button is there.
    page.locator(f'main a[href="{path}/move?phase=deliberation"]').click()
    page.wait_for_url(f"**{path}/move?phase=deliberation")
    expect(page.locator(f'{move_form} input[name="phase"]')).to_have_value("deliberation")
    submit(page, f'{move_form} button[type="submit"]')
    expect(page).to_have_url(re.compile(f"{re.escape(path)}$"))
    expect(page.locator(".flash-success")).to_be_visible()
    assert consultation_phase(live_server, consultation_id) == "deliberation"


def comment(page: Any, proposal_id: int, body: str, stance: str, parent_id: int | None = None) -> None:
    page.goto(f"/proposals/{proposal_id}")
    form = f'form[action="/proposals/{proposal_id}/comments"]'
    page.locator(f'{form} textarea[name="body"]').fill(body)
    page.locator(f'{form} input[name="stance"][value="{stance}"]').check()
    if parent_id is not None:
        page.locator(f'{form} select[name="parent_id"]').select_option(str(parent_id))
    submit(page, f'{form} button[type="submit"]')
    expect(page).to_have_url(re.compile(f"/proposals/{proposal_id}#comments$"))
    expect(page.locator(".flash-success")).to_be_visible()


def deliberate(
    pages: dict[str, Any], axe: Any, journey: Journey, texts: Texts, a_id: int
) -> None:
    _, second, third = journey.members
    comment(pages["C"], a_id, texts.comment, "against")
    comments = pages["C"].locator("main ul.comments > li.comment")
    expect(comments).to_have_count(1)
    first_comment = comments.first
    expect(first_comment).to_have_class(re.compile(r"\bdepth-0\b"))
    expect(first_comment).to_contain_text(third.organisation_name)
    expect(first_comment).to_contain_text(texts.comment)
    comment_id = int((first_comment.get_attribute("id") or "").removeprefix("comment-"))

    comment(pages["B"], a_id, texts.reply, "for", parent_id=comment_id)
    thread = pages["B"].locator("main ul.comments > li.comment")
    expect(thread).to_have_count(2)
    expect(thread.nth(0)).to_have_attribute("id", f"comment-{comment_id}")
    expect(thread.nth(1)).to_have_class(re.compile(r"\bdepth-1\b"))
    expect(thread.nth(1)).to_contain_text(second.organisation_name)
    expect(thread.nth(1)).to_contain_text(texts.reply)
    assert_direction(pages["B"], texts.language)
    axe(pages["B"], f"a proposal with comments ({texts.language})")


def amend(pages: dict[str, Any], axe: Any, journey: Journey, texts: Texts, a_id: int) -> None:
    _, second, _ = journey.members
    decide = 'form[action^="/amendments/"][action$="/decide"]'
    amended_body = f"{texts.body_a}\n\n{texts.amended_extra}"

    # B proposes it, from the form folded in a <details>.
    page = pages["B"]
    page.goto(f"/proposals/{a_id}")
    form = f'form[action="/proposals/{a_id}/amendments"]'
    page.locator(f"details:has({form}) > summary").click()
    expect(page.locator(f'{form} input[name="title"]')).to_have_value(texts.title_a)
    page.locator(f'{form} input[name="title"]').fill(texts.amended_title)
    page.locator(f'{form} textarea[name="body"]').fill(amended_body)
    page.locator(f'{form} textarea[name="justification"]').fill(texts.justification)
    submit(page, f'{form} button[type="submit"]')
    expect(page).to_have_url(re.compile(f"/proposals/{a_id}#amendments$"))
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(decide)).to_have_count(0)

    # C, a third organisation, sees it but cannot decide on it.
    pages["C"].goto(f"/proposals/{a_id}")
    expect(pages["C"].locator("main")).to_contain_text(texts.amended_title)
    expect(pages["C"].locator(decide)).to_have_count(0)
    expect(pages["C"].locator('button[name="decision"]')).to_have_count(0)

    # A accepts it.
    page = pages["A"]
    page.goto(f"/proposals/{a_id}")
    expect(page.locator(decide)).to_have_count(1)
    expect(page.locator(f'{decide} button[name="decision"][value="reject"]')).to_have_count(1)
    submit(page, f'{decide} button[name="decision"][value="accept"]')
    expect(page).to_have_url(re.compile(f"/proposals/{a_id}#amendments$"))
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(decide)).to_have_count(0)
    assert_direction(page, texts.language)
    expect(page.locator("main article h1")).to_have_text(texts.amended_title)
    # B is now a co-author, named with A just under the title.
    expect(page.locator("main article h1 + p")).to_contain_text(second.organisation_name)
    expect(page.locator("main article h1 + p")).to_contain_text(journey.members[0].organisation_name)
    expect(page.locator("main article .prose")).to_contain_text(texts.amended_extra)
    for number in (1, 2):
        expect(page.locator(f'main a[href="/proposals/{a_id}/versions/{number}"]')).to_have_count(1)

    # The first version is still readable, as it was.
    page.goto(f"/proposals/{a_id}/versions/1")
    assert_direction(page, texts.language)
    expect(page.locator("main h1")).to_have_text(texts.title_a)
    assert_no_script_injected(page)
    expect(page.locator("main")).not_to_contain_text(texts.amended_extra)
    expect(page.locator(f'main a[href="/proposals/{a_id}"]')).to_have_count(1)
    axe(page, f"the first version of a proposal ({texts.language})")


def merge(
    pages: dict[str, Any], axe: Any, live_server: Any, journey: Journey, texts: Texts,
    a_id: int, b_id: int,
) -> None:
    _, second, third = journey.members
    page = pages["facilitator"]
    merge_path = f"/proposals/{a_id}/merge"
    page.goto(f"/proposals/{a_id}")
    expect(page.locator(f'main a[href="/proposals/{a_id}/split"]')).to_have_count(1)
    page.locator(f'main a[href="{merge_path}"]').click()
    page.wait_for_url(f"**{merge_path}")
    assert_direction(page, texts.language)
    form = f'form[action="{merge_path}"]'
    expect(page.locator(f'{form} input[name="sources"][value="{a_id}"]')).to_have_count(0)
    page.locator(f'{form} input[name="sources"][value="{b_id}"]').check()
    page.locator(f'{form} textarea[name="reason"]').fill(texts.merge_reason)
    axe(page, f"merging proposals ({texts.language})")
    submit(page, f'{form} button[type="submit"]')
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page).to_have_url(re.compile(f"/proposals/{a_id}$"))
    expect(page.locator(".flash-success")).to_be_visible()

    b_rows = proposals_of(live_server, journey.consultation_id, second.organisation_id)
    assert [(r["id"], r["state"], r["merged_into_id"]) for r in b_rows] == [
        (b_id, "merged", a_id)
    ], b_rows

    # B's old address leads to A's proposal, which tells why and keeps C's co-signature.
    page = pages["C"]
    page.goto(f"/proposals/{b_id}")
    assert re.search(f"/proposals/{a_id}$", page.url), page.url
    assert_direction(page, texts.language)
    expect(page.locator("main article h1")).to_have_text(texts.amended_title)
    expect(page.locator("main")).to_contain_text(texts.merge_reason)
    expect(page.locator(f'main a[href="/proposals/{b_id}/versions/1"]')).to_have_count(1)
    signatures = cosignature_list(page)
    expect(signatures).to_have_count(2)
    expect(signatures.filter(has_text=third.organisation_name)).to_have_count(1)
    expect(signatures.filter(has_text=second.organisation_name)).to_have_count(1)
    expect(page.locator("main article h1 + p")).to_contain_text(second.organisation_name)
    assert_no_script_injected(page)
    axe(page, f"a merged proposal ({texts.language})")


# --- the journey -----------------------------------------------------------------------------


def proposal_journey(
    texts: Texts, locale: str, journey: Journey, new_page: Any, axe: Any, live_server: Any
) -> None:
    first, second, third = journey.members
    dialogs: list[str] = []
    pages: dict[str, Any] = {}
    for key, account in (
        ("A", first.account),
        ("B", second.account),
        ("C", third.account),
        ("facilitator", journey.facilitator),
    ):
        page = new_page(locale)
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        log_in(page, account)
        assert_direction(page, texts.language)
        pages[key] = page

    # 1. A writes a long proposal with markup in it: a too-short title first.
    a_id = write_proposal_with_error_first(pages["A"], axe, live_server, journey, texts)
    check_published_proposal(pages["A"], axe, a_id, texts)

    # 2. B writes a near-duplicate and co-signs A's; C co-signs B's.
    b_id = write_near_duplicate(pages["B"], live_server, journey, texts, a_id)
    cosign(pages["B"], a_id, second, texts)
    cosign(pages["C"], b_id, third, texts)

    # 3. The deliberation: C is against A's proposal, B answers C.
    open_deliberation(pages["facilitator"], live_server, journey.consultation_id, texts)
    deliberate(pages, axe, journey, texts, a_id)

    # 4. B's amendment, decided by A alone.
    amend(pages, axe, journey, texts, a_id)

    # 5. The facilitator merges B's proposal into A's.
    merge(pages, axe, live_server, journey, texts, a_id, b_id)

    assert dialogs == [], f"a script ran in the page: {dialogs}"


def test_arabic_proposal_journey(new_page, axe, live_server, seed) -> None:
    proposal_journey(ARABIC, "ar", seed["ar"], new_page, axe, live_server)


def test_french_proposal_journey(new_page, axe, live_server, seed) -> None:
    proposal_journey(FRENCH, "fr-FR", seed["fr"], new_page, axe, live_server)
