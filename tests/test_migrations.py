"""Migrations build exactly the models' schema, and every one goes down and up again."""

from __future__ import annotations

import os
import secrets

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from tadamon.extensions import db
from tests import support


@pytest.fixture
def fresh_app(tmp_path):
    postgres = os.environ.get("TEST_DATABASE_URL")
    if postgres:
        with support.postgres_schema(postgres, f"tadamon_migrations_{secrets.token_hex(4)}") as url:
            app = support.make_test_app(url)
            yield app
            with app.app_context():
                db.engine.dispose()
    else:
        app = support.make_test_app(f"sqlite:///{tmp_path / 'migrations.sqlite3'}")
        yield app
        with app.app_context():
            db.engine.dispose()


def _differences(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(context, db.metadata)


def test_models_equal_upgrade_head(fresh_app):
    with fresh_app.app_context():
        upgrade()
        assert _differences(fresh_app) == []


def test_every_migration_goes_down_and_up_with_data(fresh_app):
    with fresh_app.app_context():
        upgrade()
        db.session.execute(
            text(
                "INSERT INTO users (email, display_name, password_hash, preferred_language, "
                "timezone, created_at, is_enabled) VALUES ('m@example.org', 'M', 'x', 'ar', "
                "'Africa/Casablanca', CURRENT_TIMESTAMP, true)"
            )
        )
        db.session.commit()
        downgrade(revision="base")
        assert "users" not in inspect(db.engine).get_table_names()
        upgrade()
        assert _differences(fresh_app) == []


def test_audit_log_refuses_update_and_delete_in_the_database(fresh_app):
    with fresh_app.app_context():
        upgrade()
        db.session.execute(
            text(
                "INSERT INTO audit_entries (occurred_at, actor_label, action, object_type, "
                "object_label) VALUES (CURRENT_TIMESTAMP, 'a', 'x.y', 'user', '')"
            )
        )
        db.session.commit()
        for statement in ("UPDATE audit_entries SET action = 'forged'", "DELETE FROM audit_entries"):
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert db.session.execute(text("SELECT action FROM audit_entries")).scalar() == "x.y"
