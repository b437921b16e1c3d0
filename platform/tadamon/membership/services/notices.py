"""The notifications membership sends: registered once, at import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tadamon.core.notifications import register_kind

register_kind(
    "membership.submitted",
    subject=_l("New membership application: %(organisation)s"),
    text=_l("%(organisation)s has submitted its application to join the network. It waits for the steering group's review."),
)
register_kind(
    "membership.approved",
    subject=_l("%(organisation)s is now a member of the network"),
    text=_l("The steering group approved the application of %(organisation)s. Welcome to the network!"),
)
register_kind(
    "membership.rejected",
    subject=_l("Application of %(organisation)s declined"),
    text=_l("The steering group declined the application of %(organisation)s. Reason: %(message)s"),
)
register_kind(
    "membership.changes_requested",
    subject=_l("Changes requested on the application of %(organisation)s"),
    text=_l("The steering group asks for changes to the application of %(organisation)s: %(message)s"),
)
register_kind(
    "membership.suspended",
    subject=_l("Membership of %(organisation)s suspended"),
    text=_l("The steering group suspended the membership of %(organisation)s. Reason: %(message)s"),
)
register_kind(
    "membership.reinstated",
    subject=_l("Membership of %(organisation)s restored"),
    text=_l("The steering group restored the membership of %(organisation)s."),
)
register_kind(
    "membership.left",
    subject=_l("%(organisation)s left the network"),
    text=_l("%(organisation)s has left the network."),
)
register_kind(
    "membership.charter_published",
    subject=_l("A new version of the charter is published"),
    text=_l("Version %(version)s of the network's charter is published. %(organisation)s must adhere to it to take part in new consultations."),
)
