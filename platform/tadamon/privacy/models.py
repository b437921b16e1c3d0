"""Data requests (Law 09-08 / GDPR): a person's or an organisation's data on request, an
account's deletion, an organisation's erasure; the register administrators answer from."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tadamon.accounts.models import User
from tadamon.core.db import string_enum, utcnow
from tadamon.core.enums import LabelledEnum
from tadamon.extensions import Model
from tadamon.membership.models import Organisation

# The law gives the data controller 30 days to answer a request.
ANSWER_WITHIN = timedelta(days=30)


class RequestKind(LabelledEnum):
    EXPORT = "export", _l("My data")
    ORGANISATION_EXPORT = "organisation_export", _l("Organisation's data")
    ACCOUNT_DELETION = "account_deletion", _l("Account deletion")
    ORGANISATION_ERASURE = "organisation_erasure", _l("Organisation's erasure")


class RequestState(LabelledEnum):
    PENDING = "pending", _l("Waiting")
    RUNNING = "running", _l("Being prepared")
    READY = "ready", _l("Ready to download")
    FAILED = "failed", _l("Failed")
    DONE = "done", _l("Done")
    REFUSED = "refused", _l("Refused")
    EXPIRED = "expired", _l("Expired")


KIND_LABELS = RequestKind.labels()
STATE_LABELS = RequestState.labels()
EXPORT_KINDS = frozenset({RequestKind.EXPORT, RequestKind.ORGANISATION_EXPORT})
# A request is answered once its file is ready (or was), done, or refused.
OPEN_STATES = frozenset({RequestState.PENDING, RequestState.RUNNING, RequestState.FAILED})

_KINDS = ", ".join(f"'{kind.value}'" for kind in RequestKind)
_STATES = ", ".join(f"'{state.value}'" for state in RequestState)


class DataRequest(Model):
    """One request about personal data, from its asking to its answer."""

    __tablename__ = "data_requests"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_KINDS})", name="known_kind"),
        CheckConstraint(f"state IN ({_STATES})", name="known_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[RequestKind] = mapped_column(string_enum(RequestKind, 30), index=True)
    state: Mapped[RequestState] = mapped_column(string_enum(RequestState, 20), default=RequestState.PENDING,
                                                index=True)
    # Who asked (for an account's deletion: the erased account, kept as "former member").
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"),
                                                        index=True)
    # The file's name in storage (personal-data/<token>.zip): random, never a guessable id.
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="ar")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    due_at: Mapped[datetime] = mapped_column()
    processed_at: Mapped[datetime | None] = mapped_column()
    processed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Until when the file may be downloaded; the scheduler deletes it after.
    expires_at: Mapped[datetime | None] = mapped_column()
    # The administrators' answer (a refusal's reason).
    note: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    processed_by: Mapped[User | None] = relationship(foreign_keys=[processed_by_id])

    @property
    def request_kind(self) -> RequestKind:
        return RequestKind(self.kind)

    @property
    def request_state(self) -> RequestState:
        return RequestState(self.state)

    @property
    def file_key(self) -> str | None:
        return f"personal-data/{self.token}.zip" if self.token else None

    @property
    def is_open(self) -> bool:
        return self.request_state in OPEN_STATES

    @property
    def is_ready(self) -> bool:
        return self.request_state is RequestState.READY and self.expires_at is not None and self.expires_at > utcnow()

    def is_overdue(self, now: datetime | None = None) -> bool:
        return self.is_open and self.due_at < (now or utcnow())

    @property
    def file_name(self) -> str:
        subject = f"organisation-{self.organisation_id}" if self.organisation_id else "my-data"
        return f"tadamon-{subject}-{self.created_at:%Y-%m-%d}.zip"
