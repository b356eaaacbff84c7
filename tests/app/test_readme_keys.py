"""The README's keyboard table is the menus' own (issue 24): it cannot drift from the app.

The table between the ``keyboard-shortcuts`` markers in README.md must be
exactly what ``shortcut_table`` makes from the real main window's menus: every
menu item with a key, its menu path and the key the menu shows. When a key changes, this
test fails and prints the table to paste.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QKeySequence

from .test_keyboard import all_menus, plain

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- keyboard-shortcuts -->", "<!-- /keyboard-shortcuts -->"
MENU_ORDER = ["File", "Edit", "Model", "Training", "View", "Help"]


def shortcut_table(window) -> str:
    rows = []
    menus = sorted(all_menus(window), key=lambda found: (
        MENU_ORDER.index(found[0].split(" ▸ ")[0]) if found[0].split(" ▸ ")[0] in MENU_ORDER else 99, found[0]))
    for path, menu in menus:
        for action in menu.actions():
            # The key the menu shows (the first; a platform may add others, such as a keyboard's Undo key).
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.PortableText)
            if keys and not action.menu():
                rows.append(f"| {keys} | {path} ▸ {plain(action.text())} |")
    return "\n".join(["| Keys | Menu item |", "| --- | --- |", *rows])


def readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text, f"README.md lost its {START} markers"
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def test_the_readme_lists_every_menu_shortcut_as_the_menus_show_it(window):
    table = shortcut_table(window)
    assert readme_table() == table, f"Paste this between the markers in README.md:\n{table}"
