"""Settings read from the environment, with safe defaults for development."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

# The checkout's root: migrations/ and translations/ live there, beside platform/.
PROJECT_ROOT = Path(__file__).resolve().parents[2]

# A key that only development may use; production refuses to start with it.
DEVELOPMENT_SECRET_KEY = "tadamon-development-key-not-secret"  # noqa: S105


class ConfigurationError(RuntimeError):
    """The environment does not describe a safe configuration."""


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _integer(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}.") from None


def rate_limit_storage(environ: Mapping[str, str]) -> str:
    """Where rate-limit counters live: RATELIMIT_STORAGE_URI, else REDIS_URL, else memory."""
    return environ.get("RATELIMIT_STORAGE_URI") or environ.get("REDIS_URL") or "memory://"


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{instance_path / 'tadamon.sqlite3'}"
    # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3 spelt out.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Builds the settings: environment first, then the caller's overrides (tests)."""
    overrides = dict(overrides or {})
    env = overrides.pop("ENV", None) or os.environ.get("TADAMON_ENV", "development")
    testing = bool(overrides.get("TESTING", env == "testing"))
    production = env == "production"
    redis_url = os.environ.get("REDIS_URL") or None

    config: dict[str, Any] = {
        "ENV": env,
        "TESTING": testing,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        # The compiled-statement cache: entries, each an ORM statement's compiled form (~30 KB,
        # up to 2 MB for a statement joining many eager relationships), kept per worker. The main
        # pages in three languages use about 80, the load test's mix about 65; SQLAlchemy's
        # default of 500 let a long-lived worker grow to tens of MB more (issue 18).
        # No `pool_pre_ping`: core.db pings a PostgreSQL connection only after it sat idle.
        "SQLALCHEMY_ENGINE_OPTIONS": {"query_cache_size": _integer("TADAMON_QUERY_CACHE_SIZE", 250)},
        "REDIS_URL": redis_url,
        # Sessions: signed cookie holding a server-side session id (see core.sessions).
        "SESSION_COOKIE_NAME": "tadamon_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", production),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
        "REMEMBER_COOKIE_HTTPONLY": True,
        # Above every upload limit (documents 10 MB), so oversize files get a message by the
        # field with the rest of the form kept; larger bodies get the 413 page.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 32 * 1024 * 1024)),
        # Forms: a CSRF token lives as long as the session, so long texts are rarely hit.
        "WTF_CSRF_TIME_LIMIT": None if not production else 8 * 3600,
        "WTF_CSRF_SSL_STRICT": production,
        # i18n
        "LANGUAGES": ("ar", "fr", "en"),
        "BABEL_DEFAULT_LOCALE": "ar",
        "BABEL_DEFAULT_TIMEZONE": "Africa/Casablanca",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        # Email
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", True),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "Tadamon <no-reply@tadamon.local>"),
        # Attempts of an email before it is marked failed (core.mail: retries back off to 12 h).
        "MAIL_MAX_ATTEMPTS": _integer("MAIL_MAX_ATTEMPTS", 8),
        # The RQ queue of emails when REDIS_URL is set (`make worker` listens to it too).
        "MAIL_QUEUE": os.environ.get("TADAMON_MAIL_QUEUE") or "tadamon-mail",
        # Every message also lands in the outbox table outside production.
        "MAIL_OUTBOX": _flag("MAIL_OUTBOX", not production),
        # The outbox page shows live links: off unless asked for (`make demo` asks), admins only.
        "SHOW_OUTBOX_PAGE": _flag("SHOW_OUTBOX_PAGE", False) and not production,
        # How many reverse proxies stand in front and append to X-Forwarded-For/-Proto: the
        # client's address (rate limits, sessions) is read that many hops back (ProxyFix).
        # 0 trusts no header, so a client cannot choose the address it is throttled under.
        "TRUSTED_PROXIES": _integer("TRUSTED_PROXIES", 0),
        # nginx compresses the application's responses (deploy/nginx/tadamon.conf: gzip on,
        # gzip_proxied any): the application then compresses none itself, and a worker's CPU goes
        # to pages instead (brotli in Python cost ~0.5 ms of a logged-in page's ~7). Off without
        # such a proxy (`make demo`): Flask-Compress compresses, as before.
        "PROXY_COMPRESSES": _flag("TADAMON_PROXY_COMPRESSES", False),
        # Where the page cache's keys start in Redis: two installations may share one server.
        "PAGE_CACHE_KEY_PREFIX": os.environ.get("TADAMON_PAGE_CACHE_KEY_PREFIX") or "tadamon:",
        # The bytes of pages a process keeps itself (the copies of Redis's pages, or the whole
        # cache without Redis), least recently used out first: a worker's memory stays bounded.
        "PAGE_CACHE_LOCAL_BYTES": _integer("TADAMON_PAGE_CACHE_LOCAL_BYTES", 4 * 1024 * 1024),
        # Processes serving requests. In-memory rate limits are per process, so production
        # refuses more than one without Redis; gunicorn.conf.py sets it from gunicorn's count.
        "WORKERS": _integer("TADAMON_WORKERS", 1),
        # HTTP Strict Transport Security, in production: a year by default; 0 sends none.
        # Preload (hstspreload.org) is a promise about every subdomain: opt-in only.
        "HSTS_MAX_AGE": _integer("HSTS_MAX_AGE", 31_536_000 if production else 0),
        "HSTS_INCLUDE_SUBDOMAINS": _flag("HSTS_INCLUDE_SUBDOMAINS", False),
        "HSTS_PRELOAD": _flag("HSTS_PRELOAD", False),
        # Rate limits: memory by default, Redis when configured so workers share counts.
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": rate_limit_storage(os.environ),
        "RATELIMIT_HEADERS_ENABLED": True,
        # A moving window counts exactly the last period: no double burst at a window's edge.
        "RATELIMIT_STRATEGY": "moving-window",
        # Failed log-ins. Per address, across accounts: one machine guessing many accounts.
        # Per account *at one address* (the "pair"), with a lock that grows with the failures:
        # the attacker's pair is slowed, while the owner elsewhere never is (OWASP ASVS V6).
        "RATELIMIT_LOGIN_ADDRESS": "30 per minute;300 per day",
        "RATELIMIT_LOGIN_ACCOUNT": "5 per minute;10 per 10 minutes;20 per hour;50 per day",
        # Wrong second-factor codes per account, whatever the address: only someone who knows
        # the password reaches this step, and a new password starts a new count.
        "RATELIMIT_TWO_FACTOR_ACCOUNT": "10 per 10 minutes;30 per day",
        # Emails sent per address and per account.
        "RATELIMIT_REGISTER": "10 per hour",
        "RATELIMIT_EMAIL": "5 per 10 minutes",
        # Invitations are emails to addresses someone typed: not a relay for anyone's mail.
        "RATELIMIT_INVITATIONS": "30 per hour;100 per day",
        # Passwords: argon2id; tests lower the cost (the default costs ~200 ms a hash here).
        "ARGON2_TIME_COST": 3,
        "ARGON2_MEMORY_COST": 64 * 1024,
        "ARGON2_PARALLELISM": 2,
        # Requests run the periodic work (phase moves, digests) at most this often per process;
        # `flask tick` from cron runs it regardless.
        "TICK_EVERY_SECONDS": int(os.environ.get("TICK_EVERY_SECONDS", "30")),
        # Off where `flask scheduler` runs (deploy/tadamon.env.example): the scheduler is then the
        # only process doing the periodic work, and requests never pay for it.
        "TICK_ON_REQUEST": _flag("TADAMON_TICK_ON_REQUEST", True),
        # This process's name among the instances behind the proxy (deploy/systemd: web-8001),
        # sent as X-Served-By so an operator (and the topology test) sees which one answered.
        # Empty: no header (a lone server has nothing to tell apart).
        "INSTANCE_NAME": os.environ.get("TADAMON_INSTANCE_NAME", "").strip(),
        # New comments are announced to a proposal's organisations in one message per this delay.
        "COMMENT_DIGEST_MINUTES": int(os.environ.get("COMMENT_DIGEST_MINUTES", "15")),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # The licence of the open data at /open-data: CC-BY-4.0 (attribution) or ODbL-1.0
        # (attribution and share-alike for the databases made from them).
        "OPEN_DATA_LICENSE": os.environ.get("OPEN_DATA_LICENSE", "CC-BY-4.0"),
        "MIGRATIONS_DIRECTORY": str(PROJECT_ROOT / "migrations"),
        # Where uploads and exports are kept (tadamon.core.storage): "local", a folder of this
        # machine, or "database", the shared database (the choice for several instances).
        "STORAGE_BACKEND": os.environ.get("TADAMON_STORAGE_BACKEND") or "local",
        # The local backend's folder: uploads/<kind>/… and personal-data/… below it.
        "STORAGE_ROOT": os.environ.get("TADAMON_STORAGE_ROOT") or str(instance_path),
        # The database backend sends larger files in pieces of this size (memory per download).
        "STORAGE_CHUNK_BYTES": 1024 * 1024,
        # The local backend keeps exported plans ("exports/…" keys) here, where they always were.
        "EXPORT_FOLDER": os.environ.get("TADAMON_EXPORT_FOLDER") or str(instance_path / "exports"),
        # The RQ queue for exports when REDIS_URL is set (`make worker` listens to it).
        "EXPORT_QUEUE": os.environ.get("TADAMON_EXPORT_QUEUE") or "tadamon-exports",
        # Without REDIS_URL, exports render in a thread of the web process (the request
        # returns at once); off, they render in the request (the tests' rolled-back session).
        "EXPORT_IN_BACKGROUND": os.environ.get("TADAMON_EXPORT_IN_BACKGROUND", "1") != "0",
        # How long a personal-data file (privacy) may be downloaded before the scheduler deletes it.
        "PERSONAL_DATA_EXPORT_DAYS": int(os.environ.get("TADAMON_PERSONAL_DATA_EXPORT_DAYS", "7")),
        # Processes a long PDF is laid out in (tadamon.core.pdf); 1 renders it in one piece.
        "PDF_WORKERS": int(os.environ.get("TADAMON_PDF_WORKERS") or 0) or None,
        # Logs (core.logs): one JSON object per line in production, readable text elsewhere.
        "LOG_FORMAT": (os.environ.get("LOG_FORMAT") or ("json" if production else "text")).strip().lower(),
        "LOG_LEVEL": (os.environ.get("LOG_LEVEL") or "INFO").strip().upper(),
        # Tests leave the root logger to pytest's capture; the application configures it otherwise.
        "LOG_CONFIGURE": _flag("LOG_CONFIGURE", not testing),
        # One `tadamon.access` line per request (method, endpoint, status, duration, request id).
        "ACCESS_LOG": _flag("ACCESS_LOG", True),
        # /metrics (core.metrics): who may read it. Addresses as the application sees them
        # (TRUSTED_PROXIES), comma-separated networks; or a bearer token, for a remote Prometheus.
        "METRICS_ALLOWED_NETWORKS": os.environ.get("METRICS_ALLOWED_NETWORKS", "127.0.0.0/8,::1/128"),
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
    }
    config.update(overrides)
    if production and config["SECRET_KEY"] in ("", DEVELOPMENT_SECRET_KEY):
        raise ConfigurationError(
            "TADAMON_ENV=production needs a real SECRET_KEY in the environment."
        )
    if production and len(config["SECRET_KEY"]) < 32:
        raise ConfigurationError("SECRET_KEY must be at least 32 characters in production.")
    if production:
        check_shared_limits(config["RATELIMIT_STORAGE_URI"], config["WORKERS"])
    if config["HSTS_PRELOAD"] and config["HSTS_MAX_AGE"] < 31_536_000:
        raise ConfigurationError("HSTS_PRELOAD needs HSTS_MAX_AGE of at least 31536000 (a year).")
    if config["LOG_FORMAT"] not in ("json", "text"):
        raise ConfigurationError(f"LOG_FORMAT is json or text, not {config['LOG_FORMAT']!r}.")
    if config["LOG_LEVEL"] not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigurationError(f"LOG_LEVEL is DEBUG, INFO, WARNING, ERROR or CRITICAL, not {config['LOG_LEVEL']!r}.")
    config["METRICS_ALLOWED_NETWORKS"] = _networks(config["METRICS_ALLOWED_NETWORKS"])
    if production and config["METRICS_TOKEN"] and len(config["METRICS_TOKEN"]) < 32:
        raise ConfigurationError("METRICS_TOKEN must be at least 32 characters in production.")
    if config["STORAGE_BACKEND"] not in ("local", "database"):
        raise ConfigurationError("TADAMON_STORAGE_BACKEND is either local or database.")
    if config["TRUSTED_PROXIES"] < 0:
        raise ConfigurationError("TRUSTED_PROXIES is a number of proxies: 0 or more.")
    return config


def _networks(value: Any) -> tuple[Any, ...]:
    """METRICS_ALLOWED_NETWORKS as ip_network objects (a string from the environment, or a
    list a test passes); an empty value allows no address (the bearer token only)."""
    if not isinstance(value, str):
        value = ",".join(str(network) for network in value)
    try:
        return parse_networks(value)
    except ValueError as error:
        raise ConfigurationError(f"METRICS_ALLOWED_NETWORKS: {error}") from None


def parse_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """"127.0.0.0/8, ::1" → networks; raises ValueError naming a malformed entry. Here, not in
    core.metrics, so that reading the settings does not import prometheus_client (every command
    reads them; only a web worker's requests and /metrics need the library)."""
    networks = []
    for part in text.replace(";", ",").split(","):
        if part.strip():
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
    return tuple(networks)


def check_production_workers(environ: Mapping[str, str], workers: int) -> None:
    """check_shared_limits for a server about to start `workers` processes (gunicorn.conf.py)."""
    if environ.get("TADAMON_ENV") == "production":
        check_shared_limits(rate_limit_storage(environ), workers)


def check_shared_limits(storage_uri: str, workers: int) -> None:
    """Refuses per-process rate-limit counters when several processes serve requests.

    Each worker would count on its own: `gunicorn -w 4` lets four times the configured
    failed log-ins through (and a restart forgets them). Called by load_config in production
    and by gunicorn.conf.py once gunicorn knows its worker count.
    """
    if workers > 1 and storage_uri.startswith("memory://"):
        raise ConfigurationError(
            f"TADAMON_WORKERS={workers} with in-memory rate limits: each worker would count "
            "failed log-ins on its own. Set REDIS_URL (or RATELIMIT_STORAGE_URI) to a shared "
            "Redis, or run one worker (TADAMON_WORKERS=1)."
        )
