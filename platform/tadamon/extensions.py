"""Flask extensions, created unbound and attached by the application factory."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from flask import Flask, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from tadamon.core.db import Base

db = SQLAlchemy(model_class=Base)

# The base every model subclasses. Flask-SQLAlchemy builds `db.Model` at run time, which a
# type checker cannot follow; to it, models derive from the typed declarative base itself.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
login_manager = LoginManager()
babel = Babel()
csrf = CSRFProtect()


def remote_address() -> str:
    """The client's address as rate limits count it.

    `request.remote_addr` is the peer, or the client a trusted proxy names when
    TRUSTED_PROXIES is set (wiring applies Werkzeug's ProxyFix). An IPv6 client counts by its
    /64: one subscriber usually holds a whole /64 and could otherwise rotate through it.
    """
    address = request.remote_addr or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


limiter = Limiter(key_func=remote_address)


def migrations(app: Flask) -> Any:
    """Flask-Migrate on `app`, set up on first use: importing it imports Alembic (~0.2 s and
    ~10 MB at every start of every web worker and command), and only `flask db …`, the tests
    and the benchmarks run migrations. `flask db` reaches here through wiring's lazy group."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        Migrate(app, db, directory=app.config["MIGRATIONS_DIRECTORY"], compare_type=True,
                render_as_batch=True)  # SQLite alters tables by copying them
    return app.extensions["migrate"]
