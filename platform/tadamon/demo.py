"""The demo: trilingual, fictional data, seeded module by module.

Each feature module keeps its demo data beside it (`<module>/demo.py`) and declares it as its
`seed`; this file only empties the database and runs the seeds in the modules' order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete

from tadamon.accounts.demo import DEMO_PASSWORD, DemoAccount
from tadamon.accounts.passwords import hash_password
from tadamon.core import audit
from tadamon.extensions import db

__all__ = ["DEMO_PASSWORD", "DemoAccount", "DemoContext", "build"]


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


def build(*, scale: int = 1, reset: bool = True) -> list[DemoAccount]:
    """Seeds every module's demo data; `scale` multiplies the volume (benchmarks)."""
    from tadamon.wiring import modules

    if reset:
        _reset()
    demo = DemoContext(scale=scale, password_hash=hash_password(DEMO_PASSWORD))
    for module in modules():
        if module.seed is not None:
            module.seed(demo)
            db.session.flush()
    audit.record("demo.seeded", "platform", None, object_label=f"scale={scale}")
    db.session.flush()
    return demo.accounts
