"""Attaches extensions, hooks, blueprints and commands to an application."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from tadamon.extensions import babel, csrf, db, limiter, login_manager, migrate


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` that never passes a number the database cannot hold (a 404, not a 500)."""

    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = 2_147_483_647, signed: bool = False) -> None:  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def configure(app: Flask) -> None:
    from tadamon.core import auth, delivery, errors, security, uploads
    from tadamon.core.i18n import escape_lazy_strings, select_locale, select_timezone
    from tadamon.core.times import use_bundled_zones
    from tadamon.core.use_case import rollback_on_error

    escape_lazy_strings()
    use_bundled_zones()
    trust_proxies(app)
    uploads.install()
    app.url_map.converters["int"] = BoundedIntegerConverter

    # First: its compression must run after every other after_request hook (see the module).
    delivery.init_app(app)
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
    app.teardown_request(rollback_on_error)
    _register_modules(app)
    app.before_request(_run_schedule)
    # After the tick (which may move a phase, and so change pages) and the log-in gates.
    from tadamon.core import page_cache

    page_cache.init_app(app)
    # CSRF is checked after the log-in and two-factor gates, so a POST from an expired
    # session is kept and sent to log in, and a form re-shown after a CSRF failure never
    # bypasses a gate (see core.errors.handle_csrf_error).
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.before_request(_protect_from_csrf)

    from tadamon import cli

    cli.init_app(app)


def trust_proxies(app: Flask) -> None:
    """Reads the client's address and scheme from the TRUSTED_PROXIES nearest proxies.

    Each proxy appends the address it received from to X-Forwarded-For; only the last
    TRUSTED_PROXIES entries were written by proxies we run, anything before them by the client.
    """
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def _protect_from_csrf() -> None:
    from flask import current_app

    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect(apply_exemptions=True)


def _configure_login_messages() -> None:
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.localize_callback = str


def _configure_templates(app: Flask) -> None:
    from flask_babel import get_locale

    from tadamon.core import templating

    app.jinja_env.globals.update(get_locale=get_locale, **templating.globals_())
    app.jinja_env.filters.update(templating.filters())
    app.jinja_env.add_extension("jinja2.ext.do")
    app.context_processor(templating.context)


# The feature modules, in the order they build on each other (and seed the demo).
FEATURES = ("accounts", "admin", "membership", "workshops", "proposals", "voting", "action_plan", "api")


def modules() -> list[Any]:
    """Every feature module's declaration (`<feature>.module()`), in `FEATURES` order."""
    from importlib import import_module

    return [import_module(f"tadamon.{name}").module() for name in FEATURES]


def _register_modules(app: Flask) -> None:
    from tadamon.core import views as core_views
    from tadamon.core.modules import register_modules

    app.register_blueprint(core_views.bp)
    if app.config["SHOW_OUTBOX_PAGE"]:
        app.register_blueprint(core_views.dev_bp)
    register_modules(app, modules())
    # Core's own periodic work, after the features' (whose notifications it sends): the due
    # digests, then every queued email (the fallback, or the only sender, without Redis).
    from tadamon.core.digests import send_digests
    from tadamon.core.hooks import HOOKS
    from tadamon.core.mail import send_queued_mail

    HOOKS.add("periodic", send_digests, send_queued_mail)


def _run_schedule() -> None:
    """Periodic work from ordinary requests (see core.hooks.tick_on_request)."""
    from datetime import timedelta

    from flask import current_app, request

    from tadamon.core.db import utcnow
    from tadamon.core.hooks import tick_on_request

    if request.endpoint and not request.endpoint.endswith("static"):
        tick_on_request(utcnow(), timedelta(seconds=current_app.config["TICK_EVERY_SECONDS"]))
