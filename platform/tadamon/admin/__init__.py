"""Administration: users and their roles, and the audit log."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from tadamon.admin.views import bp

    app.register_blueprint(bp)
