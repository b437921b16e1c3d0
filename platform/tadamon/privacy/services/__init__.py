"""Privacy use-cases: data requests and their files (`requests`, built by `export`), erasure
(`erasure`). Callers import this package, which re-exports each part's public names."""

from __future__ import annotations

from tadamon.privacy.services.erasure import (
    erase_account,
    erase_organisation,
    organisations_left_without_representative,
)
from tadamon.privacy.services.requests import (
    PrivacyError,
    export_lifetime,
    prepare_export,
    process_request,
    purge_expired_personal_data,
    record_download,
    refuse_request,
    register_counts,
    register_query,
    request_export,
    request_organisation_erasure,
    requests_of,
    start,
)

__all__ = [
    "PrivacyError", "erase_account", "erase_organisation", "export_lifetime", "organisations_left_without_representative",
    "prepare_export", "process_request", "purge_expired_personal_data", "record_download", "refuse_request",
    "register_counts", "register_query", "request_export", "request_organisation_erasure", "requests_of", "start",
]
