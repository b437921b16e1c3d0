"""The architecture's rules, checked on the source so they cannot drift back.

- core imports no feature module (features build on core, never the reverse);
- permission rules and services never import a views module;
- no module imports another module's private (`_name`) names;
- workshops do not import voting (voting builds on workshops; workshops reach the voting
  methods through `core.hooks.voting_methods`);
- models subclass the typed base (`tadamon.extensions.Model`), so no model needs a
  `# type: ignore[name-defined]`;
- views never commit by hand: they go through `core.use_case.run_use_case`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "platform" / "tadamon"
FEATURES = ("accounts", "admin", "membership", "workshops", "proposals", "voting", "action_plan", "opendata", "privacy")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield module_name(path), ast.parse(path.read_text(encoding="utf-8"), str(path))


def imports(tree: ast.Module) -> Iterator[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import, nested ones included."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [alias.name for alias in node.names], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno


SOURCES = list(sources())


def violations(rule) -> list[str]:
    found = []
    for name, tree in SOURCES:
        for imported, names, line in imports(tree):
            problem = rule(name, imported, names)
            if problem:
                found.append(f"{name}:{line}: {problem}")
    return found


def test_the_source_is_found():
    names = {name for name, _ in SOURCES}
    assert {"tadamon.core.permissions", "tadamon.voting.services"} <= names or any(
        n.startswith("tadamon.voting.services") for n in names)
    assert len(SOURCES) > 50


def test_core_imports_no_feature_module():
    def rule(name: str, imported: str, names: list[str]) -> str | None:
        if name.startswith("tadamon.core") and imported.split(".")[:2] in (["tadamon", f] for f in FEATURES):
            return f"core imports {imported}"
        if name.startswith("tadamon.core") and imported == "tadamon" and set(names) & set(FEATURES):
            return f"core imports {sorted(set(names) & set(FEATURES))}"
        return None

    assert violations(rule) == []


def test_rules_and_services_never_import_views():
    def rule(name: str, imported: str, names: list[str]) -> str | None:
        layer = name.split(".")
        if not any(part.startswith(("permissions", "services", "models", "queries")) for part in layer[2:]):
            return None
        if imported.endswith(".views") or "views" in names:
            return f"imports the view layer ({imported})"
        return None

    assert violations(rule) == []


def test_no_private_name_crosses_a_module():
    def rule(name: str, imported: str, names: list[str]) -> str | None:
        if not imported.startswith("tadamon"):
            return None
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        return f"takes private {private} from {imported}" if private else None

    found = violations(rule)
    # `module._name` attribute reads on an imported module count too.
    for name, tree in SOURCES:
        aliases = {alias.asname or alias.name.split(".")[-1]
                   for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tadamon")
                   for alias in node.names}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr.startswith("_") and not node.attr.startswith("__")
                    and node.value.id not in {"self", "cls", "db"}):
                found.append(f"{name}:{node.lineno}: reads {node.value.id}.{node.attr}")
    assert found == []


def test_workshops_do_not_import_voting():
    def rule(name: str, imported: str, names: list[str]) -> str | None:
        if name.startswith("tadamon.workshops") and imported.startswith("tadamon.voting"):
            return f"imports {imported}"
        return None

    assert violations(rule) == []


@pytest.mark.parametrize("feature", FEATURES)
def test_a_feature_declares_itself_in_one_place(feature):
    from importlib import import_module

    from tadamon.core.modules import Module

    declaration = import_module(f"tadamon.{feature}").module()
    assert isinstance(declaration, Module)
    assert declaration.name == feature
    assert declaration.permissions is not None, "its rules are registered by the declaration"


def test_models_subclass_the_typed_base():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "db.Model" in line and line.lstrip().startswith("class "):
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}")
    assert offenders == []


def test_views_never_commit_by_hand():
    offenders = []
    for path in PACKAGE.rglob("views.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"commit", "rollback"}):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []
