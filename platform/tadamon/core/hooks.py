"""The one hook registry: where a feature adds to another's work without importing it.

Modules fill it through their declaration (`core.modules.Module`); nothing else appends, but for
core's own periodic work (digests, the mail queue), which the wiring adds after the modules'.

- `profile_sections`: `(organisation) -> (template, context) | None`, rendered in order on an
  organisation's public profile.
- `on_leave`: `(organisation, actor)` run when an organisation leaves the network.
- `periodic`: `() -> int` (how many things it did), run by `flask tick` and, at most every
  30 seconds per process, by ordinary requests: phase moves, grouped notifications, purges.
- `dashboard_counters`: `(consultation_ids) -> {consultation_id: {"label": count}}` for the
  facilitators' dashboard.
- `on_phase_change`: `(actor, consultation, from_phase, to_phase)` inside a phase move's
  transaction; raising a DomainError refuses the move.
- `organisations_of`: `(user) -> [organisation]`, the organisations a person acts for (the
  membership module's answer, used by the page header's switcher).
- `voting_methods`: `() -> {id: method}`, the voting methods a consultation may choose (the
  voting module's registry). Each method has `id`, `label`, `explanation`, `settings` (the
  consultation's setting names it uses) and `validate_settings(settings)`, which raises a
  DomainError naming the field. Workshops store the choice without importing voting.
- `on_language_chosen`: `(user, language)` when a logged-in person switches language (the
  accounts module remembers it on the account); the caller commits.
- `consultation_notices`: `(actor, consultation) -> [sentence]`, what a consultation's page says
  up front about what the reader's organisation can or cannot do there (the voting module: why
  it cannot vote), so the page never offers an action it would refuse.
- `home_sections`: `(actor) -> [HomeSection]`, the home page's blocks (open consultations,
  workshops, results, the plan; what needs the person's attention). Each provider answers in a
  fixed number of queries, whatever the data's size.
- `stored_files`: `() -> [(label, key)]`, every row that names a stored file (statutes,
  attachments, workshop documents, finished exports), for `flask storage check`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

ProfileSection = Callable[[Any], tuple[str, dict[str, Any]] | None]
OnLeave = Callable[[Any, Any], None]
PeriodicTask = Callable[[], int]
DashboardCounter = Callable[[list[int]], dict[int, dict[str, int]]]
OnPhaseChange = Callable[[Any, Any, Any, Any], None]
OrganisationsOf = Callable[[Any], list[Any]]
VotingMethods = Callable[[], dict[str, Any]]
OnLanguageChosen = Callable[[Any, str], None]
ConsultationNotices = Callable[[Any, Any], list[Any]]
HomeSections = Callable[[Any], list[Any]]
StoredFiles = Callable[[], Iterable[tuple[str, str]]]


@dataclass
class HomeItem:
    """One line of a home-page block: a link and what to know about it (a deadline, a status)."""

    title: Any
    url: str
    detail: Any = ""
    lang: str | None = None


@dataclass
class HomeSection:
    """A block of the home page. `attention` blocks (things the person should do) come first;
    `order` sorts the blocks of each kind."""

    key: str
    heading: Any
    items: list[HomeItem]
    attention: bool = False
    order: int = 50
    more_url: str = ""
    more_label: Any = ""
    empty: Any = ""
    summary: Any = ""


@dataclass
class Hooks:
    profile_sections: list[ProfileSection] = field(default_factory=list)
    on_leave: list[OnLeave] = field(default_factory=list)
    periodic: list[PeriodicTask] = field(default_factory=list)
    dashboard_counters: list[DashboardCounter] = field(default_factory=list)
    on_phase_change: list[OnPhaseChange] = field(default_factory=list)
    organisations_of: list[OrganisationsOf] = field(default_factory=list)
    voting_methods: list[VotingMethods] = field(default_factory=list)
    on_language_chosen: list[OnLanguageChosen] = field(default_factory=list)
    consultation_notices: list[ConsultationNotices] = field(default_factory=list)
    home_sections: list[HomeSections] = field(default_factory=list)
    stored_files: list[StoredFiles] = field(default_factory=list)

    def add(self, kind: str, *callables: Any) -> None:
        """Registers each callable once (a second application adds nothing twice)."""
        registered: list[Any] = getattr(self, kind)
        for hook in callables:
            if hook not in registered:
                registered.append(hook)


HOOKS = Hooks()


def profile_sections(organisation: Any) -> list[tuple[str, dict[str, Any]]]:
    rendered = (section(organisation) for section in HOOKS.profile_sections)
    return [section for section in rendered if section is not None]


def run_on_leave(organisation: Any, actor: Any) -> None:
    for hook in HOOKS.on_leave:
        hook(organisation, actor)


def dashboard_counters(consultation_ids: list[int]) -> dict[int, dict[str, int]]:
    merged: dict[int, dict[str, int]] = {}
    for counter in HOOKS.dashboard_counters:
        for consultation_id, values in counter(consultation_ids).items():
            merged.setdefault(consultation_id, {}).update(values)
    return merged


def run_on_phase_change(actor: Any, consultation: Any, from_phase: Any, to_phase: Any) -> None:
    for hook in HOOKS.on_phase_change:
        hook(actor, consultation, from_phase, to_phase)


def organisations_of(user: Any) -> list[Any]:
    return [organisation for provider in HOOKS.organisations_of for organisation in provider(user)]


def voting_methods() -> dict[str, Any]:
    """Every voting method a consultation may choose, by id, in the order they were declared."""
    return {key: method for provider in HOOKS.voting_methods for key, method in provider().items()}


def run_on_language_chosen(user: Any, language: str) -> None:
    for hook in HOOKS.on_language_chosen:
        hook(user, language)


def consultation_notices(actor: Any, consultation: Any) -> list[Any]:
    return [notice for provider in HOOKS.consultation_notices for notice in provider(actor, consultation)]


def stored_files() -> Iterable[tuple[str, str]]:
    for provider in HOOKS.stored_files:
        yield from provider()


def home_sections(actor: Any) -> list[HomeSection]:
    """Every module's home-page blocks: what needs the person first, then the network's life."""
    sections = [section for provider in HOOKS.home_sections for section in provider(actor)]
    return sorted(sections, key=lambda section: (not section.attention, section.order))


# --- periodic work: one loop for `flask tick` and for requests ------------------------------

_last_tick: dict[str, datetime] = {}


def run_periodic() -> dict[str, int]:
    """Runs every periodic task, each in its own transaction; returns what each did.

    This is infrastructure, not a service: it owns the transactions it runs, so one task's
    failure (rolled back by the caller's teardown) never undoes another's committed work.
    """
    from tadamon.core.db import begun_as, writing
    from tadamon.extensions import db

    done: dict[str, int] = {}
    with writing():
        # During a GET the request's transaction began deferred (SQLite: no lock); the tasks
        # write, so they run in transactions of their own that begin IMMEDIATE, and the last
        # one ends before the request reads on (deferred again).
        if begun_as() == "deferred":
            db.session.commit()
        for task in HOOKS.periodic:
            count = task()
            if count:  # committing nothing would still expire every loaded object
                db.session.commit()
            done[f"{task.__module__}.{task.__name__}"] = count
        if begun_as() == "write in a read request":
            db.session.commit()  # releases the write lock before the page is rendered
    return done


def tick_on_request(now: datetime, every: timedelta) -> bool:
    """The request-time scheduler: runs the periodic work at most once per `every` in each
    process (the `TICK_EVERY_SECONDS` setting, 30 by default), so a site without cron still
    moves its phases. True when it ran."""
    last = _last_tick.get("at")
    if last is not None and now - last < every:
        return False
    _last_tick["at"] = now
    run_periodic()
    return True


def forget_last_tick() -> None:
    """Lets the next request run the periodic work at once (tests, after moving the clock)."""
    _last_tick.clear()
    _last_check.clear()


_last_check: dict[str, datetime] = {}


def time_to_check(name: str, every: timedelta, now: datetime) -> bool:
    """For a periodic task that need not look every tick (reminders are owed hours ahead, so a
    few minutes late is on time): True at most once per `every` in each process. `flask tick`
    starts a fresh process, so cron always checks."""
    last = _last_check.get(name)
    if last is not None and now - last < every:
        return False
    _last_check[name] = now
    return True
