"""Privacy (Law 09-08 / GDPR): a person's or an organisation's data on request, account
deletion that keeps the record intact, organisation erasure, the administrators' register."""

from __future__ import annotations

from tadamon.core.modules import Module


def module() -> Module:
    from tadamon.privacy import permissions
    from tadamon.privacy.services import purge_expired_personal_data
    from tadamon.privacy.views import bp

    return Module(name="privacy", blueprint=bp, permissions=permissions, periodic=[purge_expired_personal_data])
