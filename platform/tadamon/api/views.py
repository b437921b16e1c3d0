"""The API's pages for people: the OpenAPI document, its documentation page, and the account
page where members make and revoke their tokens."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tadamon.core.actor import current_actor
from tadamon.core.auth import public
from tadamon.core.forms import ConfirmForm
from tadamon.core.permissions import require
from tadamon.core.use_case import run_use_case
from tadamon.extensions import db

from . import services
from .forms import NewTokenForm
from .models import SCOPES, ApiToken
from .permissions import can_manage_tokens, can_revoke_token

bp = Blueprint("api", __name__, template_folder="templates")

METHODS = ("get", "post", "put", "patch", "delete")


def spec() -> Any:
    return current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()


@bp.route("/api/v1/openapi.json")
@public
def openapi() -> Any:
    return jsonify(spec())


@bp.route("/api/docs")
@public
def docs() -> Any:
    """A page generated from the OpenAPI document (served from here: no CDN)."""
    document = spec()
    operations = [(path, method.upper(), operation) for path, item in document["paths"].items()
                  for method, operation in item.items() if method in METHODS]
    return render_template("api/docs.html", document=document, operations=operations)


@bp.route("/account/tokens", methods=["GET", "POST"])
def tokens() -> Any:
    actor = current_actor()
    form = NewTokenForm()
    made = None
    if can_manage_tokens(actor):
        outcome = run_use_case(form, lambda: services.create_token(
            current_user, actor.organisation, form.name.data or "", form.scopes.data or []))
        made = outcome.value
    return render_template("api/tokens.html", form=form, made=made, may_create=can_manage_tokens(actor),
                           tokens=services.tokens_of(current_user), scope_labels=SCOPES,
                           organisation=actor.organisation, revoke_form=ConfirmForm(),
                           docs_url=url_for("api.docs"))


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke(token_id: int) -> Any:
    token = db.get_or_404(ApiToken, token_id)
    require(can_revoke_token(current_actor(), token))
    run_use_case(ConfirmForm(), lambda: services.revoke_token(current_user, token),
                 success=_("The token is revoked: it no longer works."))
    return redirect(url_for("api.tokens"))
