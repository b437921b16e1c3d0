"""Prints the size of every view (a function decorated with `.route`): the median, and those
over 15 and over 25 lines. Line counts include the docstring, not the decorators.

    .venv/bin/python scripts/view_sizes.py [--max 25] [--list]

Exits 1 when a view is longer than --max (default: no limit).
"""

from __future__ import annotations

import argparse
import ast
import statistics
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "platform" / "tadamon"


def is_route(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute) and target.attr in {"route", "get", "post"}


def view_sizes() -> list[tuple[int, str]]:
    sizes = []
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and any(is_route(d) for d in node.decorator_list):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                where = f"{path.relative_to(SOURCE)}:{node.lineno} {node.name}"
                sizes.append((length, where))
    return sorted(sizes, reverse=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=0)
    parser.add_argument("--list", action="store_true", help="every view over 15 lines")
    args = parser.parse_args()
    sizes = view_sizes()
    lengths = [length for length, _ in sizes]
    over_15 = [item for item in sizes if item[0] > 15]
    over_25 = [item for item in sizes if item[0] > 25]
    print(f"views: {len(sizes)}; median {statistics.median(lengths)} lines; "
          f"over 15 lines: {len(over_15)}; over 25 lines: {len(over_25)}")
    for length, where in over_15 if args.list else over_25:
        print(f"  {length:3} {where}")
    if args.max and lengths and lengths[0] > args.max:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
