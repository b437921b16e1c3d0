"""What templates can use: `can`, the language and direction, the navigation."""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from tadamon.core import bidi, hooks, layout, member_pages
from tadamon.core.actor import current_actor
from tadamon.core.forms import CSRF_EXPIRED_MESSAGE, STASH_RESTORED_MESSAGE, STASH_UNCHECKED_MESSAGE
from tadamon.core.i18n import LANGUAGE_NATIVE_NAMES, current_language, localized, text_direction
from tadamon.core.permissions import can
from tadamon.core.urls import came_from


def globals_() -> dict[str, Any]:
    return {
        "can": can,
        "came_from": came_from,
        "current_actor": current_actor,
        "localized": localized,
        "form_field_errors": form_field_errors,
        "page_url": page_url,
        "text_direction": text_direction,
        "current_language": current_language,
        "language_names": LANGUAGE_NATIVE_NAMES,
        "csrf_token": generate_csrf,
        "site_header": layout.site_header,
        "site_footer": layout.site_footer,
        "fragment_mark": member_pages.fragment_mark,
        "personal_part": member_pages.personal_part,
        "CSRF_EXPIRED_MESSAGE": CSRF_EXPIRED_MESSAGE,
        "STASH_RESTORED_MESSAGE": STASH_RESTORED_MESSAGE,
        "STASH_UNCHECKED_MESSAGE": STASH_UNCHECKED_MESSAGE,
    }


def form_field_errors(form: Any) -> list[tuple[Any, str]]:
    """(field, message) pairs for the error summary; the CSRF field has its own notice.
    Lists of sub-forms (rows of a table) name the sub-field that is wrong."""
    pairs: list[tuple[Any, str]] = []
    for field in form:
        if field.name == "csrf_token":
            continue
        if hasattr(field, "entries"):
            for entry in field.entries:
                pairs.extend(form_field_errors(entry.form) if hasattr(entry, "form") else
                             [(entry, str(message)) for message in entry.errors])
        elif hasattr(field, "form") and hasattr(field.form, "_fields"):
            pairs.extend(form_field_errors(field.form))
        else:
            pairs.extend((field, str(message)) for message in field.errors)
    return pairs


def reject_page(arguments: dict[str, Any]) -> dict[str, Any]:
    """Query arguments without `page`, to build the pager's links."""
    return {key: value for key, value in arguments.items() if key != "page"}


def page_url(number: int) -> str:
    """The current page's address with another page number, keeping its filters."""
    from flask import url_for

    arguments: dict[str, Any] = {key: value for key, value in request.args.items() if key != "page"}
    arguments.update(request.view_args or {}, page=number)
    return url_for(request.endpoint or "core.home", **arguments)


def join_list(items: Any) -> Markup:
    """Items joined the way the reader's language joins a list (Babel's format_list: Arabic
    "A وB", French "A, B et C"), each item isolated in a `<bdi>` (see core.bidi)."""
    return bidi.join_html(items)


def kilobytes(size: int) -> str:
    from flask_babel import format_decimal, gettext

    return gettext("%(size)s KB", size=format_decimal(max(1, round(size / 1024))))


def filters() -> dict[str, Any]:
    from tadamon.core import times
    from tadamon.core.markup import render_inline_markdown, render_markdown

    return {
        # Member text (descriptions, answers, records): the safe Markdown subset, never raw.
        "markdown": render_markdown, "markdown_inline": render_inline_markdown,
        "reject_page": reject_page, "join_list": join_list, "kilobytes": kilobytes,
        # Member content inside sentences (core.bidi): HTML, plain text, quotes, signed numbers.
        "bdi": bidi.bdi, "bdi_ltr": bidi.bdi_ltr, "isolate": bidi.isolate, "quoted": bidi.quoted,
        "join_text": bidi.join, "signed": bidi.signed_html,
        # The date and time filters replace Flask-Babel's: one zone database, Moroccan formats.
        **times.filters(),
    }


def context() -> dict[str, Any]:
    from flask_login import current_user

    values: dict[str, Any] = {
        # The address to come back to after switching language: the page the person is on.
        "current_path": request.full_path.rstrip("?") if request else "/",
        "unread_notifications": 0,
        "my_organisation_choices": [],
    }
    if current_user and current_user.is_authenticated:
        values["unread_notifications"] = unread_notifications()
        values["my_organisation_choices"] = hooks.organisations_of(current_user)
    return values


def unread_notifications() -> int:
    """The signed-in person's unread notifications, counted once per request: every template
    rendered (the page, and each e-mail a request sends, such as a ballot's receipts) asks."""
    from flask_login import current_user

    from tadamon.core.notifications import unread_count

    if "unread_notifications" not in g:
        g.unread_notifications = unread_count(current_user)
    return int(g.unread_notifications)
