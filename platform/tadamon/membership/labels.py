"""The labels membership templates use: the module's one context processor (`Module.labels`)."""

from __future__ import annotations

from typing import Any

from tadamon.membership.models import LEGAL_FORM_LABELS, ORGANISATION_ROLE_LABELS, STATE_LABELS
from tadamon.membership.regions import REGIONS_BY_CODE


def labels() -> dict[str, Any]:
    return {
        "state_labels": STATE_LABELS,
        "legal_form_labels": LEGAL_FORM_LABELS,
        "role_labels": ORGANISATION_ROLE_LABELS,
        "regions": REGIONS_BY_CODE,
    }
