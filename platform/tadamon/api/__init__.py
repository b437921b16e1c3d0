"""The REST API (`/api/v1`) and the personal access tokens that write through it."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tadamon.core.modules import Module


def module() -> Module:
    from tadamon.api import permissions
    from tadamon.api.views import bp

    return Module(name="api", blueprint=bp, permissions=permissions, setup=setup)


def setup(app: Flask) -> None:
    """Builds the OpenAPI document from the v1 blueprint (flask-smorest), without the
    library's application-wide error handler or its CDN-hosted documentation pages."""
    from flask_smorest import Api

    from tadamon.api import v1
    from tadamon.api.problems import PROBLEM_TYPE, ProblemSchema

    class TadamonApi(Api):
        ERROR_SCHEMA = ProblemSchema

        def _register_error_handlers(self) -> None:
            # The API's blueprints answer problem+json themselves; the pages keep theirs.
            pass

        def _register_responses(self) -> None:
            # Error responses are documented as problem+json; successes stay application/json.
            self.DEFAULT_RESPONSE_CONTENT_TYPE = PROBLEM_TYPE
            try:
                super()._register_responses()
            finally:
                del self.DEFAULT_RESPONSE_CONTENT_TYPE  # back to the class's application/json

    app.config.setdefault("API_TITLE", "Tadamon")
    app.config.setdefault("API_VERSION", "1.0.0")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    # Requests under these paths neither read nor set the session cookie (core.delivery).
    app.config.setdefault("SESSIONLESS_PATH_PREFIXES", ("/api/v1/",))
    spec_kwargs: dict[str, Any] = {"components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer",
                       "description": "A personal access token from the account page"}}}}
    api = TadamonApi(app, spec_kwargs=spec_kwargs)
    api.register_blueprint(v1.blp)
    for code in (404, 405):
        app.register_error_handler(code, _problem_under_api_paths)


def _problem_under_api_paths(error: Any) -> Any:
    """An address under /api/v1/ that no route matches is answered as a problem too (no
    blueprint handles a request no route matched); elsewhere, the error page."""
    from flask import request

    from tadamon.api.problems import handle_http_exception
    from tadamon.core import errors

    if request.path.startswith("/api/v1/"):
        return handle_http_exception(error)
    return errors.handle_http_exception(error)
