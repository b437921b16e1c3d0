"""Lists the steering group keeps (themes, fields of action): items named in up to three
languages, offered or not. Saving one works the same way whatever the list."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from tadamon.core import audit
from tadamon.core.errors_domain import DomainError
from tadamon.core.i18n import TEXT_LANGUAGES
from tadamon.extensions import db


class KeptItem(Protocol):
    id: int
    name_ar: str
    name_fr: str
    is_active: bool


K = TypeVar("K", bound=KeptItem)


def save_kept_item(actor: Any, model: type[K], item: K | None, texts: dict[str, str], active: bool, *,
                   kind: str, unnamed: DomainError) -> K:
    """Creates (`item` None) or updates an item from its typed texts (a name in at least one
    language, else `unnamed` is raised) and whether it is offered; audited as `<kind>.saved`."""
    if not any(texts.get(f"name_{code}", "").strip() for code in TEXT_LANGUAGES):
        raise unnamed
    if item is None:
        item = model()
        db.session.add(item)
    for key, value in texts.items():
        setattr(item, key, value.strip())
    item.is_active = active
    db.session.flush()
    audit.record(f"{kind}.saved", kind, item.id, object_label=item.name_fr or item.name_ar,
                 after={**texts, "active": active}, actor=actor)
    return item
