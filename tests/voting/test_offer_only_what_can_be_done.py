"""The consultation page offers "Vote" only to an organisation that may vote, and says up front
why another cannot (not on the roll, since when)."""

from __future__ import annotations


def test_the_consultation_page_says_why_an_organisation_cannot_vote(open_vote, members, client, login, create_user,
                                                                    complete_application):
    consultation, _keys = open_vote("approval")
    ballot = f"/consultations/{consultation.id}/vote"
    person, _organisation = members[0]
    login(client, person)
    page = client.get(f"/consultations/{consultation.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'href="{ballot}"' in page and "not on the list" not in page

    latecomer = create_user(email="late@example.org", language="en")
    complete_application(latecomer, name_ar="جمعية متأخرة", approved=True)  # approved after voting opened
    login(client, latecomer)
    page = client.get(f"/consultations/{consultation.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'href="{ballot}"' not in page
    assert "not on the list of organisations that may vote, frozen when voting opened on" in page
