"""Open data at /open-data: a researcher without an account downloads a consultation and a plan
version, reads the dictionary in French and recounts the vote with `flask tally`; the archives
hold nothing private, follow Popolo and Frictionless, are deterministic and carry the licence."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from sqlalchemy import select

from tadamon.accounts.models import User
from tadamon.extensions import db
from tadamon.membership.models import Organisation
from tadamon.opendata import services as opendata
from tadamon.voting import services as voting

PREFIX = "tadamon-open-data/"


def _files(response) -> dict[str, bytes]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.testzip() is None
        return {name.removeprefix(PREFIX): archive.read(name) for name in archive.namelist()}


def _rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_a_researcher_recounts_the_vote_and_reads_the_plan_in_french(app, published_plan, results, tmp_path):
    consultation, _ids = results
    researcher = app.test_client()  # no account
    page = researcher.get("/open-data", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'lang="fr"' in html.split(">", 2)[1]  # the page is in French (its texts once the catalog is filled)
    for key in ("organisations", f"consultation-{consultation.id}", "plan-1"):
        assert f"/open-data/{key}.zip" in html

    vote_files = _files(researcher.get(f"/open-data/consultation-{consultation.id}.zip"))
    assert {"candidates.csv", "receipts.csv", "ballots.json", "results.json", "popolo.json", "datapackage.json",
            "DICTIONARY.ar.md", "DICTIONARY.fr.md", "DICTIONARY.en.md", "LICENSE.txt"} <= set(vote_files)
    dictionary = vote_files["DICTIONARY.fr.md"].decode("utf-8")
    assert "candidates.csv" in dictionary and "`rank`" in dictionary and "tally" in dictionary

    # The command the dictionary gives, on the file the archive holds.
    ballots = tmp_path / "ballots.json"
    ballots.write_bytes(vote_files["ballots.json"])
    outcome = app.test_cli_runner().invoke(args=["tally", str(ballots)])
    assert outcome.exit_code == 0, outcome.output
    recounted = json.loads(outcome.output.strip())
    published = json.loads(vote_files["results.json"])
    assert published == voting.results_of(voting.round_of(consultation))
    assert recounted["winners"] == published["winners"] and recounted["ranking"] == published["ranking"]
    assert recounted["details"] == published["details"]
    ranked = {row["candidate"]: row for row in _rows(vote_files["candidates.csv"])}
    assert {key for key, row in ranked.items() if row["winner"] == "true"} == set(published["winners"])
    assert all(ranked[key]["rank"] == "1" for key in published["ranking"][0])
    receipts = _rows(vote_files["receipts.csv"])
    assert [r["receipt"] for r in receipts] == [e.entry_hash for e in voting.receipts(voting.round_of(consultation))]

    plan_files = _files(researcher.get("/open-data/plan-1.zip"))
    actions = _rows(plan_files["actions.csv"])
    assert len(actions) == 2 and actions[0]["title_fr"] == "Fonds solidaire pour les coopératives féminines"
    assert actions[0]["lead_organisation"].startswith("organisation-")
    updates = _rows(plan_files["updates.csv"])
    assert updates[0]["text"] == "Premier *atelier* tenu avec 40 coopératives." and updates[0]["progress"] == "15"
    assert json.loads(plan_files["plan.json"])["format"] == "tadamon.plan/2"
    package = json.loads(plan_files["datapackage.json"])
    tables = {r["path"]: r for r in package["resources"] if r.get("format") == "csv"}
    for name, resource in tables.items():
        header = next(csv.reader(io.StringIO(plan_files[name].decode("utf-8-sig"))))
        assert header == [f["name"] for f in resource["schema"]["fields"]]
        for field in resource["schema"]["fields"]:
            assert field["type"] in {"string", "integer", "number", "boolean", "date", "year"}
            assert set(field["descriptions"]) == {"ar", "fr", "en"} and all(field["descriptions"].values())
    assert "actions.csv" in plan_files["DICTIONARY.fr.md"].decode("utf-8")


def test_unknown_or_unpublished_datasets_are_not_found(app, results):
    client = app.test_client()
    for key in ("plan-1", "consultation-999999", "nothing", "plan-x", "consultation-99999999999"):
        assert client.get(f"/open-data/{key}.zip").status_code == 404, key


POPOLO_REQUIRED = {
    "organizations": {"id", "name"},
    "memberships": {"id", "organization_id", "member"},
    "motions": {"id", "organization_id", "text", "result"},
    "vote_events": {"id", "motion_id", "start_date", "result", "counts"},
}


def _check_popolo(document: dict) -> None:
    for kind, entries in document.items():
        assert kind in POPOLO_REQUIRED, kind
        ids = [entry["id"] for entry in entries]
        assert len(ids) == len(set(ids)), f"{kind}: ids are unique"
        for entry in entries:
            assert POPOLO_REQUIRED[kind] <= set(entry), (kind, entry)
            for count in entry.get("counts", []):
                assert set(count) == {"option", "value"} and isinstance(count["value"], int)
            for vote in entry.get("votes", []):
                assert {"voter_id", "option"} <= set(vote)
    organisations = {entry["id"] for entry in document.get("organizations", [])}
    for entry in document.get("memberships", []):
        assert entry["organization_id"] in organisations and entry["member"]["id"] in organisations
    motions = {entry["id"] for entry in document.get("motions", [])}
    for entry in document.get("vote_events", []):
        assert entry["motion_id"] in motions


def test_popolo_documents_have_every_required_key(app, results, members):
    consultation, _ids = results
    client = app.test_client()
    organisations = json.loads(_files(client.get("/open-data/organisations.zip"))["popolo.json"])
    _check_popolo(organisations)
    assert len(organisations["memberships"]) == len(members)
    vote = json.loads(_files(client.get(f"/open-data/consultation-{consultation.id}.zip"))["popolo.json"])
    _check_popolo(vote)
    published = voting.results_of(voting.round_of(consultation))
    by_motion = {event["motion_id"]: event for event in vote["vote_events"]}
    for key, approvals in published["details"]["approvals"].items():
        event = by_motion[f"consultation-{consultation.id}-{key}"]
        assert event["counts"] == [{"option": "yes", "value": approvals}]
        assert event["result"] == ("pass" if key in published["winners"] else "fail")
        assert len(event["votes"]) == len(members)  # public ballots: the results page shows them


def test_no_email_or_private_field_is_in_any_archive(app, published_plan, results, members):
    consultation, _ids = results
    for _person, organisation in members:
        organisation.contact_email = f"contact-{organisation.id}@private.example"
        organisation.contact_phone = "+212 600 000 111"
        organisation.address = "12 rue secrète, Rabat"
        organisation.registration_number = "RC-SECRET-42"
    db.session.commit()
    client = app.test_client()
    private = set(db.session.scalars(select(User.email)))
    for organisation in db.session.scalars(select(Organisation)):
        private |= {organisation.contact_email, organisation.contact_phone, organisation.address,
                    organisation.registration_number}
    people = {name for user in db.session.scalars(select(User))
              for name in (getattr(user, "name", ""), getattr(user, "display_name", "")) if name}
    private = {value for value in private | people if value}
    assert len(private) > 6
    for key in ("organisations", f"consultation-{consultation.id}", "plan-1"):
        text = "\n".join(data.decode("utf-8") for data in _files(client.get(f"/open-data/{key}.zip")).values())
        assert "@" not in text.replace("@type", "").replace(", - or @", "").replace(", - ou @", "").replace(
            "أو @", ""), key
        found = [value for value in private if value in text]
        assert found == [], (key, found)


def test_archives_are_deterministic_and_revalidate(app, published_plan, results):
    client = app.test_client()
    first = client.get("/open-data/plan-1.zip")
    # Built again from scratch (nothing kept in storage), the bytes are the same.
    stored = opendata.archive(opendata.find("plan-1"))
    assert opendata.zip_files(opendata.all_files(opendata.find("plan-1"))) == first.data == stored.data
    with zipfile.ZipFile(io.BytesIO(first.data)) as archive:
        assert {info.date_time for info in archive.infolist()} == {opendata.ENTRY_TIME}
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    again = client.get("/open-data/plan-1.zip", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    # The data change: a new ETag, a new archive.
    organisations = client.get("/open-data/organisations.zip")
    organisation = db.session.scalars(select(Organisation)).first()
    organisation.acronym = "NEW"
    db.session.commit()
    changed = client.get("/open-data/organisations.zip", headers={"If-None-Match": organisations.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != organisations.headers["ETag"]


@pytest.mark.parametrize(("setting", "expected"), [("CC-BY-4.0", "creativecommons.org/licenses/by/4.0"),
                                                   ("ODbL-1.0", "opendatacommons.org/licenses/odbl")])
def test_the_licence_follows_the_setting(app, members, monkeypatch, setting, expected):
    monkeypatch.setitem(app.config, "OPEN_DATA_LICENSE", setting)
    client = app.test_client()
    files = _files(client.get("/open-data/organisations.zip"))
    assert expected in files["LICENSE.txt"].decode("utf-8")
    assert json.loads(files["datapackage.json"])["licenses"][0]["name"] == setting
    assert expected in client.get("/open-data", headers={"Accept-Language": "ar"}).get_data(as_text=True)


def test_an_unknown_licence_is_refused(app, monkeypatch):
    monkeypatch.setitem(app.config, "OPEN_DATA_LICENSE", "WTFPL")
    with app.test_request_context(), pytest.raises(opendata.UnknownLicense):
        opendata.license_id()


def test_the_footer_and_the_api_docs_link_to_open_data(app, client):
    assert 'href="/open-data"' in client.get("/open-data").get_data(as_text=True)
    assert 'href="/open-data"' in client.get("/api/docs").get_data(as_text=True)
