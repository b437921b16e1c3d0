"""The workshop page offers "Register my organisation" only when the registration would be
accepted, and says why not before any form: a region-only workshop names its regions."""

from __future__ import annotations

from tadamon.extensions import db
from tadamon.workshops.models import WorkshopRegion


def test_a_region_only_workshop_names_its_regions_before_any_form(client, login, members, open_workshop):
    workshop = open_workshop()
    representative, organisation = members[1]
    other_region = "SMA" if organisation.region != "SMA" else "GON"
    workshop.is_national = False
    workshop.region_rows = [WorkshopRegion(region=other_region)]
    representative.preferred_language = "en"  # the account's language wins over Accept-Language
    db.session.commit()
    login(client, representative)
    page = client.get(f"/workshops/{workshop.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'href="/workshops/{workshop.id}/register"' not in page
    assert "This workshop is open only to organisations of" in page
    assert ("Souss-Massa" if other_region == "SMA" else "Guelmim-Oued Noun") in page
    # The form itself is refused before it is filled.
    assert client.get(f"/workshops/{workshop.id}/register").status_code == 403


def test_the_register_button_is_offered_when_registration_would_work(client, login, members, open_workshop):
    workshop = open_workshop()
    representative, _organisation = members[0]
    login(client, representative)
    page = client.get(f"/workshops/{workshop.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'href="/workshops/{workshop.id}/register"' in page
