"""The layout's fixed parts (site header and footer), rendered once per audience and spliced.

Every page repeats the same header: some twenty URLs, thirty translated strings and five
permission checks, about a fifth of a logged-in page's CPU. What it shows depends only on the
language, whether someone is signed in, the answers of the permission layer for the menu's
actions (`MENU_ACTIONS`, asked of `core.permissions.can` on every request, never inferred from
roles here) and whether there are unread notifications. It is rendered once per such key and
process, with slots in place of the request's own values (the CSRF token, the page's address,
the unread count), which are escaped and filled in for each request. Nothing of a person or an
organisation is ever part of a stored header: names, choices and counts come from the request.
The header holds no database content, so no content change can make a stored one stale; it is
kept per application (its URL map and configuration) and cleared by `forget_layout`.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app, request
from flask_babel import get_locale
from markupsafe import Markup, escape

# The menu entries the permission layer decides, in the header's order.
MENU_ACTIONS = ("plan.compose", "workshops.dashboard", "membership.review", "admin.manage_users",
                "admin.view_audit_log")

# Slots: control characters never appear in rendered HTML (Jinja writes text; markupsafe never
# produces them), so a slot can never collide with a translation or a URL.
_SLOT = "\x00{}\x00"
_SLOTS = ("token", "path", "unread")
_SLOT_PATTERN = re.compile("\x00(" + "|".join(_SLOTS) + ")\x00")
_SLOT_MARKS = {slot: Markup(_SLOT.format(slot)) for slot in _SLOTS}  # noqa: S704 - our constants

Parts = tuple[str, ...]  # literal, slot name, literal, slot name, ..., literal


def _store(app: Flask) -> dict[tuple[Any, ...], Parts]:
    return app.extensions.setdefault("tadamon_layout", {})


def forget_layout(app: Flask) -> None:
    """Drops the stored parts (a test that changes templates, translations or routes)."""
    _store(app).clear()


def _render(name: str, **values: Any) -> Parts:
    template = current_app.jinja_env.get_template(name)
    html = template.render(**values)
    if "\x00" in _SLOT_PATTERN.sub("", html):
        raise ValueError(f"{name}: a NUL outside the slots")  # would be read as a slot when spliced
    return tuple(_SLOT_PATTERN.split(html))


def _splice(parts: Parts, values: dict[str, str]) -> Markup:
    # parts alternate: literal (even indexes) and slot name (odd indexes).
    # The literals are a template's escaped output; the values are escaped by the caller.
    return Markup("".join(part if index % 2 == 0 else values[part]  # noqa: S704 - escaped (see above)
                          for index, part in enumerate(parts)))


def _parts(name: str, key: tuple[Any, ...], **values: Any) -> Parts:
    store = _store(current_app._get_current_object())  # type: ignore[attr-defined]
    full_key = (name, str(get_locale()), request.script_root, *key)
    parts = store.get(full_key)
    if parts is None:
        parts = store[full_key] = _render(name, **values)
    return parts


def site_header() -> Markup:
    """The header of the page being rendered (see the module's docstring)."""
    from flask_login import current_user
    from flask_wtf.csrf import generate_csrf

    from tadamon.core.actor import current_actor
    from tadamon.core.i18n import current_language
    from tadamon.core.permissions import predicate_of
    from tadamon.core.templating import unread_notifications

    signed_in = bool(current_user and current_user.is_authenticated)
    # The rules themselves, not `can`: the menu is not part of a member page's stored content
    # (core.member_pages), so its answers are not reported as that content's audience.
    actor = current_actor()
    allowed = {action: bool(predicate_of(action)(actor, None)) for action in MENU_ACTIONS}
    unread = unread_notifications() if signed_in else 0
    key = (signed_in, tuple(allowed.values()), bool(unread))
    parts = _parts("_site_header.html", key, signed_in=signed_in, allowed=allowed, has_unread=bool(unread),
                   language=current_language(), **_SLOT_MARKS)
    values = {
        # A visitor's header asks for no token: it would start a session and make their page personal.
        "token": str(escape(generate_csrf())) if signed_in else "",
        "path": str(escape(request.full_path.rstrip("?"))),
        "unread": str(escape(current_app.jinja_env.filters["numberformat"](unread))) if unread else "",
    }
    return _splice(parts, values)


def site_footer() -> Markup:
    """The footer: the same for everyone reading in a language."""
    return _splice(_parts("_site_footer.html", ()), {})
