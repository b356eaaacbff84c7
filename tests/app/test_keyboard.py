"""The whole window by keyboard (issue 24, items 4–6): menus, shortcuts and moving the focus.

Every test presses real keys (QTest.keyClick on the focused widget or the window).
"""
from __future__ import annotations

import re
from collections import Counter

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication, QDockWidget, QMenu, QTabBar, QWidget

# What a user looks up in the menus must show its keys there (issue 24, item 6).
EXPECTED_SHORTCUTS = {
    "Train": "F5", "Pause": "F6", "Stop": "Shift+F5",
    "Export Trained Network…": "Ctrl+E", "Open Checkpoint…": "Ctrl+Shift+K",
    "Learn Convolution": "Shift+F1", "Add Block…": "Shift+A",
    "Canvas": "Alt+1", "Blocks": "Alt+2", "Inspector": "Alt+3", "Training": "Alt+4",
}


def plain(text: str) -> str:
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&")


def access_key(text: str) -> str | None:
    match = re.search(r"(?<!&)&([^&])", text)
    return match.group(1).lower() if match else None


def all_menus(window) -> list[tuple[str, QMenu]]:
    """Every menu of the menu bar, submenus included, filled as when opened."""
    found, todo = [], [("", action.menu()) for action in window.menuBar().actions() if action.menu()]
    while todo:
        path, menu = todo.pop()
        menu.aboutToShow.emit()  # the menus filled on opening (recent files, panels)
        path = f"{path} ▸ {plain(menu.title())}" if path else plain(menu.title())
        found.append((path, menu))
        todo.extend((path, action.menu()) for action in menu.actions() if action.menu())
    return found


def test_access_keys_are_unique_within_each_menu_and_the_menu_bar(shared_window):
    window = shared_window
    bar_keys = Counter(access_key(action.text()) for action in window.menuBar().actions())
    clashes = {"menu bar": [key for key, count in bar_keys.items() if key and count > 1]}
    for path, menu in all_menus(window):
        keys = Counter(access_key(action.text()) for action in menu.actions() if not action.isSeparator())
        clashes[path] = [key for key, count in keys.items() if key and count > 1]
    assert clashes == {path: [] for path in clashes}


def test_the_menus_show_the_expected_shortcuts(shared_window):
    window = shared_window
    shown = {plain(action.text()): action.shortcut().toString()
             for _path, menu in all_menus(window) for action in menu.actions()}
    assert {text: shown.get(text) for text in EXPECTED_SHORTCUTS} == EXPECTED_SHORTCUTS


def test_no_two_actions_share_a_key(shared_window):
    window = shared_window
    """Two actions on one key make Qt run neither ("ambiguous shortcut")."""
    keys = Counter()
    for action in set(window.findChildren(QAction)):
        for sequence in action.shortcuts():
            keys[sequence.toString()] += 1
    assert [key for key, count in keys.items() if count > 1] == []


def test_train_pause_and_stop_are_in_the_training_menu(shared_window):
    window = shared_window
    (training,) = [menu for path, menu in all_menus(window) if path == "Training"]
    assert [plain(action.text()) for action in training.actions()][:3] == ["Train", "Pause", "Stop"]


def focused():
    return QApplication.focusWidget()


def press(key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key press where the user's keys go: the focused widget (or the active window)."""
    QTest.keyClick(focused() or QApplication.activeWindow(), key, modifier)


def active(window, qtbot):
    window.activateWindow()
    qtbot.waitActive(window)
    return window


def test_go_to_keys_move_the_focus_to_each_panel_in_front(window, qtbot):
    active(window, qtbot)
    alt = Qt.KeyboardModifier.AltModifier
    press(Qt.Key.Key_4, alt)  # the training panel is behind the inspector: it comes to the front
    training = window.training_ui.dock("trainingDock")
    assert training.isAncestorOf(focused()) and focused().isVisible()
    press(Qt.Key.Key_2, alt)
    assert focused() is window.palette_panel.tree
    press(Qt.Key.Key_3, alt)
    assert window.inspector_dock.isAncestorOf(focused()) and focused().isVisible()
    press(Qt.Key.Key_1, alt)
    assert focused() is window.canvas


def test_escape_in_the_inspector_returns_to_the_canvas(window, qtbot):
    active(window, qtbot)
    window.canvas.select_nodes(["conv1"])
    press(Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    assert window.inspector_dock.isAncestorOf(focused())
    press(Qt.Key.Key_Escape)
    assert focused() is window.canvas


def test_tab_leaves_the_canvas_and_shift_a_opens_quick_add(window, qtbot):
    active(window, qtbot)
    press(Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    press(Qt.Key.Key_Tab)
    assert focused() is not window.canvas
    assert window.canvas.quick_add_popup is None or not window.canvas.quick_add_popup.isVisible()
    press(Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert focused() is window.canvas
    press(Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
    assert window.canvas.quick_add_popup is not None and window.canvas.quick_add_popup.isVisible()
    press(Qt.Key.Key_Escape)


def test_focus_shows_on_the_canvas_lists_fields_and_buttons_in_both_themes(window, qtbot):
    """Each widget looks different focused: an accent frame (the stylesheet's, the canvas's own)."""
    active(window, qtbot)
    alt = Qt.KeyboardModifier.AltModifier
    training = window.training_ui.panel
    # Train is disabled (out of the Tab order) until PyTorch is ready; the window paints before it loads.
    qtbot.waitUntil(training.train_button.isEnabled, timeout=120_000)
    for mode in ("light", "dark"):
        window.theme.set_mode(mode)
        accent = window.theme.colour("accent")
        press(Qt.Key.Key_1, alt)
        canvas = window.canvas.viewport().grab().toImage()
        assert canvas.pixelColor(1, canvas.height() // 2) == accent
        cases = [(Qt.Key.Key_2, window.palette_panel.tree), (Qt.Key.Key_4, training.train_button)]
        for key, widget in cases:
            before = widget.grab().toImage()
            press(key, alt)
            if widget is training.train_button:  # Tab from the panel's first field to the Train button
                for _ in range(150):  # the panel's fields grow with each task's settings
                    if focused() is widget:
                        break
                    press(Qt.Key.Key_Tab)
            assert focused() is widget
            assert widget.grab().toImage() != before, f"{type(widget).__name__} looks the same focused ({mode})"
        away = window.canvas.viewport().grab().toImage()
        assert away.pixelColor(1, away.height() // 2) != accent


def tab_traps(root) -> list[str]:
    """The visible widgets Tab does not leave (a table moving between its cells, an editor keeping it)."""
    traps = []
    for widget in root.findChildren(QWidget):
        if not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisible() and widget.isEnabled()
                and widget.focusProxy() is None):
            continue
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        if focused() is not widget:
            continue
        press(Qt.Key.Key_Tab)
        if focused() is widget:
            traps.append(f"{type(widget).__name__}({widget.objectName()}) in {type(widget.parentWidget()).__name__}")
    return traps


def test_tab_leaves_every_widget_of_every_panel(window, qtbot):
    active(window, qtbot)
    traps = []
    for dock in window.findChildren(QDockWidget):
        dock.show()
        dock.raise_()
        traps += tab_traps(dock)
    traps += tab_traps(window.central_stack)
    assert traps == []


def test_no_table_or_list_keeps_tab_for_its_cells(window):
    """Tab moves between the cells of a table by default: with data in it, Tab would never leave."""
    from app.explainer import show_convolution_explainer

    roots = [window, window.model_menu.show_analyzer(), show_convolution_explainer(window)]
    keeping = [f"{type(view).__name__} in {type(view.parentWidget()).__name__}"
               for root in roots for view in root.findChildren(QAbstractItemView) if view.tabKeyNavigation()]
    for root in roots[1:]:
        root.close()
    assert keeping == []


def front_tabs(window) -> set[str]:
    """The titles of the docks in front of their tab groups (what the tab bars show as current)."""
    bars = [bar for bar in window.findChildren(QTabBar) if bar.parentWidget() is window and bar.count()]
    return {bar.tabText(bar.currentIndex()) for bar in bars}


def test_tab_never_rests_on_a_panel_behind_another(window, qtbot):
    """Issue 24, item 1: Tab walked into the Training panel behind the Inspector, unseen."""
    active(window, qtbot)
    press(Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    unseen, reached_training = [], False
    for _ in range(120):
        press(Qt.Key.Key_Tab)
        QApplication.processEvents()
        widget = focused()
        dock = next((d for d in window.findChildren(QDockWidget) if d.isAncestorOf(widget)), None)
        if dock is None or not window.tabifiedDockWidgets(dock):
            continue
        reached_training |= dock is window.training_ui.dock("trainingDock")
        if dock.windowTitle() not in front_tabs(window):
            unseen.append(f"{type(widget).__name__} in {dock.windowTitle()}")
    assert reached_training and unseen == []
