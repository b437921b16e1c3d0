"""Attaches extensions, hooks, blueprints and commands to an application."""

from __future__ import annotations

import sqlite3
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from tadamon.extensions import babel, csrf, db, limiter, login_manager, migrate


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite: enforce foreign keys, let readers and a writer work together, wait on locks."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        # Let SQLAlchemy, not the driver, issue BEGIN: savepoints then work as documented.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock at the start: a deferred transaction that later
    # writes gets SQLITE_BUSY at once (no waiting) when another writer is active, which
    # would turn parallel requests into errors. WAL keeps readers of other connections free.
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _escape_lazy_strings() -> None:
    """Flask-Babel's LazyString declares itself safe HTML (`__html__` returns the raw text),
    so a lazy message interpolated with user input would reach the page unescaped.
    Our messages never carry markup: treat them as the plain text they are."""
    from flask_babel.speaklater import LazyString
    from markupsafe import escape

    LazyString.__html__ = lambda self: escape(str(self))  # type: ignore[method-assign]


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` that never passes a number the database cannot hold (a 404, not a 500)."""

    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = 2_147_483_647, signed: bool = False) -> None:  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def configure(app: Flask) -> None:
    from tadamon.core import uploads

    _escape_lazy_strings()
    uploads.install()
    app.url_map.converters["int"] = BoundedIntegerConverter
    from tadamon.core import auth, errors, security
    from tadamon.core.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=app.config["MIGRATIONS_DIRECTORY"],
        compare_type=True,
        render_as_batch=True,  # SQLite alters tables by copying them
    )
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    _configure_login_messages()
    _configure_templates(app)
    _register_modules(app)
    # CSRF is checked after the log-in and two-factor gates, so a POST from an expired
    # session is kept and sent to log in, and a form re-shown after a CSRF failure never
    # bypasses a gate (see core.errors.handle_csrf_error).
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(_protect_from_csrf)

    from tadamon import cli

    cli.init_app(app)


def _protect_from_csrf() -> None:
    from flask import current_app

    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect(apply_exemptions=True)


def _configure_login_messages() -> None:
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")  # type: ignore[assignment]
    login_manager.login_message_category = "info"
    login_manager.localize_callback = str


def _configure_templates(app: Flask) -> None:
    from flask_babel import get_locale

    from tadamon.core import templating

    app.jinja_env.globals.update(get_locale=get_locale, **templating.globals_())
    app.jinja_env.filters.update(templating.filters())
    app.jinja_env.add_extension("jinja2.ext.do")
    app.context_processor(templating.context)


def _register_modules(app: Flask) -> None:
    from tadamon import accounts, action_plan, admin, membership, proposals, voting, workshops
    from tadamon.core import views as core_views

    app.register_blueprint(core_views.bp)
    if app.config["SHOW_OUTBOX_PAGE"]:
        app.register_blueprint(core_views.dev_bp)
    accounts.init_app(app)
    admin.init_app(app)
    membership.init_app(app)
    workshops.init_app(app)
    proposals.init_app(app)
    voting.init_app(app)
    action_plan.init_app(app)
