"""Flask extensions, created unbound and attached by the application factory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
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
    """The client's address: the WSGI peer (a proxy in front must set ProxyFix)."""
    return get_remote_address() or request.remote_addr or "unknown"


limiter = Limiter(key_func=remote_address)
