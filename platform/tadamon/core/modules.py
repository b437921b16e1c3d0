"""A feature module's declaration, and the one loop that registers them all.

Each feature package's `__init__.py` has `module() -> Module`, listing in one place what the
module adds to the application (Decidim's component manifest, in Python): its blueprint, its
permission rules, its hooks into other modules, its CLI commands, its demo seed and the labels
its templates use. `register_modules` is the only code that wires them; the order of
`tadamon.MODULES` is the order of registration and of the demo seeds (a seed may use what an
earlier one created).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import click
from flask import Blueprint, Flask

from tadamon.core.hooks import (
    HOOKS,
    ConsultationNotices,
    DashboardCounter,
    HomeSections,
    OnLanguageChosen,
    OnLeave,
    OnPhaseChange,
    OrganisationsOf,
    PeriodicTask,
    ProfileSection,
    StoredFiles,
    VotingMethods,
)

Seed = Callable[[Any], None]


@dataclass(frozen=True)
class Module:
    name: str
    blueprint: Blueprint
    # The module's `permissions.py`: importing it registers its `@rule`s.
    permissions: ModuleType | None = None
    # Labels (state names, choices) its templates use: one context processor on its blueprint.
    labels: Callable[[], dict[str, Any]] | None = None
    commands: Sequence[click.Command] = ()
    periodic: Sequence[PeriodicTask] = ()
    profile_sections: Sequence[ProfileSection] = ()
    on_leave: Sequence[OnLeave] = ()
    dashboard_counters: Sequence[DashboardCounter] = ()
    on_phase_change: Sequence[OnPhaseChange] = ()
    organisations_of: Sequence[OrganisationsOf] = ()
    voting_methods: Sequence[VotingMethods] = ()
    on_language_chosen: Sequence[OnLanguageChosen] = ()
    consultation_notices: Sequence[ConsultationNotices] = ()
    home_sections: Sequence[HomeSections] = ()
    # `() -> [(label, key)]`: the module's rows that name a stored file (core.storage).
    stored_files: Sequence[StoredFiles] = ()
    # `seed(demo)`: the module's demo data (`<module>/demo.py`), given the shared demo context.
    seed: Seed | None = None
    # Anything else the module needs on the application (a user loader, a request gate).
    setup: Callable[[Flask], None] | None = None


def seed_from(module_name: str) -> Seed:
    """The `seed` of `module_name`, imported when the demo is built: the seeds and what they
    import are not loaded at every start of a web worker or command."""

    def seed(demo: Any) -> None:
        from importlib import import_module

        import_module(module_name).seed(demo)

    return seed


def register_modules(app: Flask, modules: Sequence[Module]) -> None:
    for module in modules:
        app.register_blueprint(module.blueprint)
        if module.labels is not None:
            # On the application, keyed by the blueprint: the blueprint object outlives one app.
            app.template_context_processors.setdefault(module.blueprint.name, []).append(module.labels)
        for command in module.commands:
            app.cli.add_command(command)
        HOOKS.add("periodic", *module.periodic)
        HOOKS.add("profile_sections", *module.profile_sections)
        HOOKS.add("on_leave", *module.on_leave)
        HOOKS.add("dashboard_counters", *module.dashboard_counters)
        HOOKS.add("on_phase_change", *module.on_phase_change)
        HOOKS.add("organisations_of", *module.organisations_of)
        HOOKS.add("voting_methods", *module.voting_methods)
        HOOKS.add("on_language_chosen", *module.on_language_chosen)
        HOOKS.add("consultation_notices", *module.consultation_notices)
        HOOKS.add("home_sections", *module.home_sections)
        HOOKS.add("stored_files", *module.stored_files)
        if module.setup is not None:
            module.setup(app)
