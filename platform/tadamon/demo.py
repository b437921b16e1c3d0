"""The demo: trilingual, fictional data, seeded module by module.

Each feature module keeps its demo data beside it (`<module>/demo.py`) and declares it as its
`seed`; this file only empties the database and runs the seeds in the modules' order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from tadamon.accounts.demo import DEMO_PASSWORD, DemoAccount
from tadamon.accounts.passwords import hash_password
from tadamon.core import audit
from tadamon.extensions import db

__all__ = ["DEMO_PASSWORD", "DemoAccount", "DemoContext", "build", "holds_only_demo_data"]

# What `build` writes in the audit log: the log outlives every reset, so a database the demo
# has filled once keeps saying so.
DEMO_MARKER = "demo.seeded"


@dataclass
class DemoContext:
    """What the seeds share: the volume, the one password hash, the accounts to print."""

    scale: int
    password_hash: str
    accounts: list[DemoAccount] = field(default_factory=list)


# The audit log is append-only (its triggers refuse deletes) and kept.
KEPT_TABLES = frozenset({"audit_entries", "alembic_version"})


def _reset() -> None:
    """Empties every table, children first, derived from the models' metadata.

    The audit log is append-only (its triggers refuse deletes) and kept: `make demo` starts
    from a new database. Published plan versions refuse ORM deletes; a bulk delete is the reset.
    """
    for table in reversed(db.metadata.sorted_tables):
        if table.name in KEPT_TABLES:
            continue
        db.session.execute(delete(table))


def holds_only_demo_data() -> bool:
    """True when emptying this database loses nothing: the demo filled it before, or it has no
    account yet (a fresh `db upgrade`). Anything else may be a real network's data."""
    from tadamon.accounts.models import User

    if db.session.scalar(select(audit.AuditEntry.id).where(audit.AuditEntry.action == DEMO_MARKER).limit(1)):
        return True
    return db.session.scalar(select(User.id).limit(1)) is None


def build(*, scale: int = 1, reset: bool = True,
          progress: Callable[[str], None] | None = None) -> list[DemoAccount]:
    """Seeds every module's demo data; `scale` above 1 adds scale × 200 organisations, 1,000
    proposals, 10,000 comments, 2,000 ballots and 20 plan actions in all (demo_volume, for load
    tests). `progress` hears the name of each module before its seed runs, then each bulk kind
    with its count and seconds."""
    from tadamon.wiring import modules

    if reset:
        _reset()
    # The modules' seeds tell the demo's story once; the volume of a larger scale is added in
    # bulk afterwards (demo_volume: the services one row at a time would take hours).
    demo = DemoContext(scale=1, password_hash=hash_password(DEMO_PASSWORD))
    for module in modules():
        if module.seed is not None:
            if progress is not None:
                progress(module.name)
            module.seed(demo)
            db.session.flush()
    if scale > 1:
        from tadamon import demo_volume

        demo_volume.grow(scale, demo.password_hash, progress)
    audit.record(DEMO_MARKER, "platform", None, object_label=f"scale={scale}")
    db.session.flush()
    return demo.accounts
