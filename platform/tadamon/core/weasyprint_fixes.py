"""A fix to WeasyPrint's line layout, applied at run time until WeasyPrint has it: each
right-to-left line laid out once instead of twice.

Why: WeasyPrint lays a line out, then checks that the floats around it leave it where it
started; for a right-to-left block the check compares `position_x + line.width` with
`original_position_x + original_width`, where `original_width` is the line box's width before
the line was laid out (0 when there is no float). The two never match on a first try, so every
right-to-left line was laid out and shaped a second time, identically (same position, same
available width): a fifth to a third of the Arabic plan PDF's layout. A right-to-left line
starts at the right bound (`avoid_collisions` returns it as `position_x`), so the check that
fits it is the left-to-right one: the same starting point. The pages come out the same
(tests/core/test_weasyprint_fixes.py compares every box's place and size with and without it,
floats included).

How: the two lines of `weasyprint.layout.inline.get_next_linebox` are rewritten in its own
source, compiled in its own module; the rest of the function is the installed WeasyPrint's. When
that source no longer has them (WeasyPrint changed the check), nothing is replaced.
"""

from __future__ import annotations

import logging
import re
from typing import Any

log = logging.getLogger(__name__)

# WeasyPrint 62-70's right-to-left check, and the left-to-right one it becomes.
RTL_CHECK = re.compile(r"condition = \(position_x \+ line\.width, position_y\) == \((\s*)"
                       r"original_position_x \+ original_width, original_position_y\)")
SAME_START = r"condition = (position_x, position_y) == (\1original_position_x, original_position_y)"


def fix_rtl_lines() -> bool:
    """Replaces WeasyPrint's `get_next_linebox` by the fixed one, once per process (forked workers
    inherit it). True when the fixed function is in place."""
    import inspect

    from weasyprint.layout import inline

    current: Any = inline.get_next_linebox
    if getattr(current, "tadamon_original", None) is not None:
        return True
    try:
        lines, first = inspect.getsourcelines(current)
    except (OSError, TypeError):  # no source installed
        return False
    source, count = RTL_CHECK.subn(SAME_START, "".join(lines))
    if count != 1:
        log.debug("WeasyPrint's right-to-left line check has changed: its line layout is left as it is")
        return False
    namespace: dict[str, Any] = {}
    # Blank lines first: tracebacks show the installed file's line numbers. The source is the
    # installed WeasyPrint's own, run in its module's namespace.
    exec(compile("\n" * (first - 1) + source, inline.__file__, "exec"), inline.__dict__, namespace)  # noqa: S102
    fixed = namespace[current.__name__]
    fixed.tadamon_original = current
    inline.get_next_linebox = fixed
    return True
