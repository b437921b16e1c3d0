"""/open-data: the list of datasets and their ZIP downloads, for anyone (no account)."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, render_template, request, send_file

from tadamon.core.actor import current_actor
from tadamon.core.auth import public
from tadamon.core.permissions import require
from tadamon.opendata import services
from tadamon.opendata.permissions import can_view_open_data

bp = Blueprint("opendata", __name__, template_folder="templates")


@bp.route("/open-data")
@public
def index() -> Any:
    require(can_view_open_data(current_actor()))
    return render_template("opendata/index.html", datasets=services.datasets(),
                           license=services.LICENSES[services.license_id()],
                           license_id=services.license_id())


@bp.route("/open-data/<dataset>.zip")
@public
def download(dataset: str) -> Any:
    """The archive, with its content hash as ETag (a client revalidates for a 304) and the
    date its data last changed as Last-Modified."""
    require(can_view_open_data(current_actor()))
    found = services.find(dataset)
    if found is None:
        abort(404)
    made = services.archive(found)
    response = send_file(io.BytesIO(made.data), mimetype="application/zip", as_attachment=True,
                         download_name=found.file_name, etag=made.digest, last_modified=found.modified,
                         max_age=300, conditional=True)
    response.cache_control.public = True
    return response.make_conditional(request)
