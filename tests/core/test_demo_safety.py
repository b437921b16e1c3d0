"""`flask demo` never empties a database it did not fill (issue 13, item 7)."""

from __future__ import annotations

from sqlalchemy import func, select

from tadamon.accounts.models import User
from tadamon.extensions import db


def _exists(email: str) -> bool:
    return db.session.scalar(select(User.id).where(User.email == email)) is not None


def test_demo_refuses_to_empty_a_database_holding_real_data(app, create_user):
    create_user(email="real@network.ma")
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1
    assert "nothing was changed" in result.output and "--reset" in result.output
    assert _exists("real@network.ma") and not _exists("admin@demo.tadamon.ma")


def test_demo_reset_on_real_data_needs_a_confirmation(app, create_user):
    create_user(email="real@network.ma")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["demo", "--reset"], input="n\n")
    assert refused.exit_code == 1 and "Empty every table" in refused.output
    assert _exists("real@network.ma") and not _exists("admin@demo.tadamon.ma")
    confirmed = runner.invoke(args=["demo", "--reset", "--yes"])
    assert confirmed.exit_code == 0, confirmed.output
    assert not _exists("real@network.ma") and _exists("admin@demo.tadamon.ma")


def test_demo_rebuilds_its_own_database_and_fills_an_empty_one(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0  # empty: no account yet
    people = db.session.scalar(select(func.count()).select_from(User))
    again = runner.invoke(args=["demo"])  # the demo's own database: emptied and seeded again
    assert again.exit_code == 0, again.output
    assert db.session.scalar(select(func.count()).select_from(User)) == people  # replaced, not doubled
