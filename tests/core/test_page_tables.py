"""Every table of a page carries the `table` class: start-aligned cells in either direction and
a horizontal scroll of its own on a narrow screen, instead of widening the whole page (a bare
table centres its headers and pushes the layout sideways, worst in right-to-left pages)."""

import re
from pathlib import Path

import tadamon

TEMPLATES = Path(tadamon.__file__).parent


def test_every_page_table_has_the_table_class():
    bare = []
    for template in sorted(TEMPLATES.rglob("templates/**/*.html")):
        if template.name.endswith("_pdf.html"):  # print layouts, styled by their own sheet
            continue
        for match in re.finditer(r"<table\b[^>]*>", template.read_text(encoding="utf-8")):
            if not re.search(r'class="[^"]*(\btable\b|\{\{)', match.group(0)):
                bare.append(f"{template.relative_to(TEMPLATES)}: {match.group(0)}")
    assert bare == []
