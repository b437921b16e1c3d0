"""Flask extensions, created unbound and attached by the application factory."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
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
migrate = Migrate()
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
