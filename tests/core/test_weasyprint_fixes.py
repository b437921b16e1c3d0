"""WeasyPrint's right-to-left lines laid out once (tadamon.core.weasyprint_fixes), with the same
pages as WeasyPrint's own line layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from weasyprint import HTML
from weasyprint.formatting_structure import boxes
from weasyprint.layout import inline

from tadamon.core import pdf
from tadamon.core.weasyprint_fixes import fix_rtl_lines

ARABIC = "تخصيص نسبة من الصفقات العمومية للتعاونيات النسائية في كل جهة من جهات البلاد. "
FRENCH = "Réserver une part des marchés publics aux coopératives féminines. "


def _document(direction: str, floats: bool = True, page: str = "A6") -> str:
    """Paragraphs that wrap, inline boxes (bold, a Latin span, a link), floats on either side
    (the plan's contents put each page number in a float) and a block beside a float, over pages
    (A6) or on one long page."""
    text = ARABIC if direction == "rtl" else FRENCH
    entries = "".join(f'<li><a href="#s{number}">{text[:30]} {number}</a></li>' for number in range(40))
    paragraphs = "".join(
        f'<p id="s{number}">{text * 3}<b>{text}</b> <span lang="fr" dir="ltr">{FRENCH}</span> {text * 2}'
        f'<a href="https://example.org/{number}">example.org/{number}</a></p>'
        f'<div class="aside">{number}</div><p>{text * 4}</p>' for number in range(12))
    float = "float" if floats else "--no-float"  # an unknown property: ignored
    return (f'<!doctype html><html lang="ar" dir="{direction}"><head><meta charset="utf-8"><style>'
            f'@page {{ size: {page}; margin: 10mm; }}'
            'body { font: 9pt "Noto Naskh Arabic", "Noto Sans", sans-serif; } li a { display: block; }'
            f'li a::after {{ content: "7"; {float}: left; padding-inline-start: 2mm; }}'
            f'.aside {{ {float}: right; width: 20mm; height: 12mm; border: 1pt solid; }}'
            f'</style></head><body><ul>{entries}</ul>{paragraphs}</body></html>')


def _boxes(html: str) -> list[tuple[Any, ...]]:
    """Every box of every page: its kind, place, size and text."""
    found: list[tuple[Any, ...]] = []

    def walk(box: Any) -> None:
        found.append((type(box).__name__, box.position_x, box.position_y, box.width, box.height,
                      getattr(box, "text", None)))
        for child in getattr(box, "children", ()):
            walk(child)

    for page in HTML(string=html, base_url=str(Path(__file__).parent)).render().pages:
        walk(page._page_box)
    return found


def _lines_laid_out(monkeypatch: pytest.MonkeyPatch, html: str) -> tuple[int, int]:
    """How many times a line was laid out, and how many lines the pages have (on one page: a line
    that goes to the next page is laid out again there)."""
    calls = 0
    split = inline.split_inline_box

    def counted(context: Any, box: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += isinstance(box, boxes.LineBox)
        return split(context, box, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(inline, "split_inline_box", counted)
        lines = sum(kind == "LineBox" for kind, *_ in _boxes(html))
    return calls, lines


@pytest.mark.parametrize("direction", ["rtl", "ltr"])
def test_each_line_is_laid_out_once(monkeypatch, direction):
    fix_rtl_lines()
    calls, lines = _lines_laid_out(monkeypatch, _document(direction, floats=False, page="100mm 3000mm"))
    assert lines > 100 and calls == lines


def test_weasyprint_alone_lays_each_right_to_left_line_out_twice(monkeypatch):
    """What the fix is for; when WeasyPrint has changed its check, the fix is not applied and the
    test above tells whether WeasyPrint's own layout does each line once."""
    if not fix_rtl_lines():
        pytest.skip("WeasyPrint's right-to-left line check has changed: no fix applied")
    monkeypatch.setattr(inline, "get_next_linebox", inline.get_next_linebox.tadamon_original)
    calls, lines = _lines_laid_out(monkeypatch, _document("rtl", floats=False, page="100mm 3000mm"))
    assert calls == 2 * lines


@pytest.mark.parametrize("direction", ["rtl", "ltr"])
def test_the_fixed_layout_gives_the_same_pages(monkeypatch, direction):
    if not fix_rtl_lines():
        pytest.skip("WeasyPrint's right-to-left line check has changed: no fix applied")
    html = _document(direction)
    fixed = _boxes(html)
    monkeypatch.setattr(inline, "get_next_linebox", inline.get_next_linebox.tadamon_original)
    assert fixed == _boxes(html)
    assert sum(kind == "PageBox" for kind, *_ in fixed) > 2


def test_a_render_applies_the_fix_once(monkeypatch):
    if not fix_rtl_lines():
        pytest.skip("WeasyPrint's right-to-left line check has changed: no fix applied")
    original = inline.get_next_linebox.tadamon_original
    monkeypatch.setattr(inline, "get_next_linebox", original)
    part = pdf.render_part(_document("rtl"), str(Path(__file__).parent))
    fixed = inline.get_next_linebox
    assert part.pages > 2 and fixed is not original and fixed.tadamon_original is original
    assert fix_rtl_lines() and inline.get_next_linebox is fixed
