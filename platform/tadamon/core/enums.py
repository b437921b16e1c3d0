"""Enums whose members carry their own translatable label, like Django's `TextChoices`.

    class WorkshopStatus(LabelledEnum):
        PLANNED = "planned", _l("Planned")

A member is its plain string value (`WorkshopStatus.PLANNED == "planned"`), so columns
typed through `core.db.string_enum` store the value as before; `.label` is a lazy string,
translated when it is rendered, and `labels()` is the value-to-label table templates index.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self


class LabelledEnum(StrEnum):
    label: Any  # a lazy string (flask_babel ships no types)

    # `Status("planned")` after the class is built looks a member up by its value: Enum
    # never calls this `__new__` then, which is why `label` may be left out of the signature.
    def __new__(cls, value: str, label: Any = None) -> Self:
        if label is None:
            raise TypeError(f"{cls.__name__} member {value!r} is declared without a label")
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def labels(cls) -> dict[Self, Any]:
        """Each member's label, in declaration order (a member is also its value as a key)."""
        return {member: member.label for member in cls}
