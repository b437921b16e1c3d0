"""Tadamon: participatory consultation for networks of civil-society organisations."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The application factory: settings from the environment, overridden by `config`."""
    from tadamon.core.lazy_modules import defer_unused_modules

    # Before the libraries load: what they import for features the platform never uses waits
    # for a use (issue 18).
    defer_unused_modules()
    from tadamon.config import PROJECT_ROOT, load_config

    app = Flask(
        __name__,
        template_folder="core/templates",
        static_folder="core/static",
        # The checkout's instance/ (database, uploads), not one beside the package.
        instance_path=os.environ.get("TADAMON_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
    )
    instance_path = Path(app.instance_path)
    app.config.update(load_config(instance_path, config))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        instance_path.mkdir(parents=True, exist_ok=True)

    from tadamon import wiring

    wiring.configure(app)
    return app
