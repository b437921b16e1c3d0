"""The site menu: on a phone the navigation sits in a <details> disclosure in the header."""

from __future__ import annotations

from typing import Any

MENU = "header details.site-menu"


def open_menu(page: Any) -> None:
    """Opens the header's menu (a tap on its summary), unless it is open already."""
    menu = page.locator(MENU)
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
