"""The window's shell: it fits the screen, keeps its place, and puts the main actions in sight
(the toolbar and the start page)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QRect, Qt
from PySide6.QtTest import QTest

from app.presets_menu import presets_folder
from app.training.panel import IDLE, RUNNING

REPO_ROOT = Path(__file__).resolve().parents[2]
LEFT = Qt.MouseButton.LeftButton
RUN_TIMEOUT_MS = 60_000

# Opens the real window on a screen of the given size and reports where everything landed.
WINDOW_ON_A_SMALL_SCREEN = r"""
import json, sys, tempfile
from pathlib import Path
from PySide6.QtCore import QPoint, QSettings, QStandardPaths
from PySide6.QtWidgets import QApplication
QStandardPaths.setTestModeEnabled(True)
app = QApplication([])
from app.main_window import MainWindow
scratch = Path(tempfile.mkdtemp())
window = MainWindow(settings=QSettings(str(scratch / "s.ini"), QSettings.Format.IniFormat),
                    recovery_dir=scratch / "r", runs_root=scratch / "runs", library_dir=scratch / "blocks")
window.show()
window.start(str(Path("presets") / "lenet5.cnn.json"))
for _ in range(20):
    app.processEvents()
train = window.toolbar.widgetForAction(window.toolbar.train_action)
corner = train.mapToGlobal(QPoint(train.width(), train.height()))
def rect(r):
    return [r.x(), r.y(), r.width(), r.height()]
print(json.dumps({"window": rect(window.frameGeometry()), "screen": rect(window.screen().availableGeometry()),
                  "canvas": [window.canvas.width(), window.canvas.height()],
                  "train_corner": [corner.x(), corner.y()], "train_visible": train.isVisible(),
                  "docks": {d.objectName(): [d.width(), d.height()] for d in window.findChildren(
                      type(window.palette_dock)) if d.isVisible() and not d.visibleRegion().isEmpty()}}))
window.close()
"""


def window_on_screen(tmp_path: Path, width: int, height: int) -> dict:
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": width,
                                               "height": height, "logicalDpiX": 96, "logicalDpiY": 96}]}))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}", PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run([sys.executable, "-c", WINDOW_ON_A_SMALL_SCREEN], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_on_a_1280x720_laptop_the_window_fits_with_train_in_sight_and_a_roomy_canvas(tmp_path):
    seen = window_on_screen(tmp_path, 1280, 720)
    assert QRect(*seen["screen"]).contains(QRect(*seen["window"])), seen
    assert seen["train_visible"] and QRect(*seen["screen"]).contains(*seen["train_corner"]), seen
    width, height = seen["canvas"]
    assert width >= 600 and height >= 400, seen  # was 334 px tall on a 1366×768 laptop
    for name, (dock_width, dock_height) in seen["docks"].items():
        assert dock_width >= 150 and dock_height >= 100, (name, seen)


def test_the_first_window_fits_the_available_screen(make_window):
    window = make_window(size=None)
    available = window.screen().availableGeometry()
    assert available.contains(window.geometry())
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 - 16 and hint.height() <= 720 - 48  # every panel can shrink to a laptop


def test_the_window_comes_back_where_it_was_left_with_its_docks(make_window):
    first = make_window(size=None)
    first.setGeometry(QRect(40, 60, 720, 560))
    first.inspector_dock.hide()
    assert first.close()
    second = make_window(size=None)
    assert second.geometry() == QRect(40, 60, 720, 560)
    assert not second.inspector_dock.isVisible()
    assert second.toolbar.isVisible()


def test_a_saved_place_that_does_not_fit_this_screen_is_not_used(make_window):
    first = make_window(size=None)
    first.setGeometry(QRect(0, 0, 2400, 1500))  # saved on a big monitor
    assert first.close()
    second = make_window(size=None)
    assert second.screen().availableGeometry().contains(second.geometry())


# --- the toolbar ----------------------------------------------------------------------------------------


def click_tool(window, action) -> None:
    button = window.toolbar.widgetForAction(action)
    assert button is not None and button.isVisible() and button.isEnabled(), action.text()
    QTest.mouseClick(button, LEFT)


def test_every_toolbar_action_has_an_icon_and_a_tooltip_naming_its_shortcut(window):
    actions = [action for action in window.toolbar.actions() if not action.isSeparator()]
    assert [a.toolTip().split(" (")[0] for a in actions][:4] == [
        "Open a preset network", "Undo", "Redo", "Tidy Layout"]
    for action in actions:
        assert not action.icon().isNull(), action.text()
        keys = action.shortcut().toString()
        assert keys and f"({keys})" in action.toolTip(), (action.text(), action.toolTip())


def test_undo_redo_and_tidy_work_from_toolbar_clicks(qtbot, window):
    toolbar, document = window.toolbar, window.document
    document.set_param("conv1", "out_channels", 8)
    click_tool(window, window.undo_action)
    assert document.graph.nodes["conv1"].params["out_channels"] == 6
    click_tool(window, window.redo_action)
    assert document.graph.nodes["conv1"].params["out_channels"] == 8
    document.move_nodes({"conv1": (900.0, 900.0)})
    click_tool(window, window.tidy_lr_action)
    assert document.graph.nodes["conv1"].ui["y"] != 900.0
    assert toolbar.widgetForAction(window.tidy_lr_action).toolTip() == "Tidy Layout (Ctrl+L)"


def test_train_and_stop_work_from_toolbar_clicks(qtbot, window):
    panel, toolbar = window.training_ui.panel, window.toolbar
    qtbot.waitUntil(lambda: toolbar.train_action.isEnabled(), timeout=RUN_TIMEOUT_MS)  # the dataset is read
    assert not toolbar.stop_action.isEnabled()
    click_tool(window, toolbar.train_action)
    qtbot.waitUntil(lambda: panel.state == RUNNING, timeout=RUN_TIMEOUT_MS)
    assert not toolbar.train_action.isEnabled() and toolbar.pause_action.isEnabled()
    with qtbot.waitSignal(window.training_ui.training_ended, timeout=RUN_TIMEOUT_MS):
        click_tool(window, toolbar.stop_action)
    qtbot.waitUntil(lambda: panel.state == IDLE and toolbar.train_action.isEnabled(), timeout=RUN_TIMEOUT_MS)


# --- the start page ----------------------------------------------------------------------------------------


def test_the_start_page_opens_a_preset_with_a_click_on_its_picture(qtbot, make_window):
    window = make_window(start_page=True)
    page = window.start_page
    # Nothing is open yet, so nothing is wrong: no error greets the user.
    assert window.issues_dock.windowTitle() == "Problems" and window.validity_status.text() == "Valid"
    assert window.inspector.page.validity_label.text().startswith("Nothing open yet")
    assert not window.toolbar.train_action.isEnabled()  # nothing to train before a network is chosen
    assert set(page.preset_buttons) == {p.name.split(".")[0] for p in presets_folder().glob("*.cnn.json")}
    qtbot.waitUntil(page.thumbnails_ready)
    icon = page.preset_buttons["resnet8"].icon()
    assert not icon.isNull() and icon.pixmap(page.preset_buttons["resnet8"].iconSize()).toImage().pixelColor(
        5, 5).alpha() == 255  # a drawn picture, not the transparent placeholder
    assert "Build LeNet-5 yourself" in [label.text() for label in page.findChildren(type(page.steps))]
    QTest.mouseClick(page.preset_buttons["resnet8"], LEFT)
    assert window.document.project.name == "ResNet-8"
    assert not window.start_page_shown and window.canvas.isVisible()
    assert window.inspector.page.validity_label.text() == "Ready to train"


def test_the_toolbar_brings_the_start_page_back_with_a_way_back_to_the_network(qtbot, window):
    click_tool(window, window.open_preset_action)
    assert window.start_page_shown
    back = window.start_page.back_button
    assert back.isVisible()
    QTest.mouseClick(back, LEFT)
    assert not window.start_page_shown and window.document.project.name == "LeNet-5"


def test_the_start_page_lists_recent_files_and_opens_one_with_a_click(qtbot, make_window, tmp_path):
    first = make_window()
    path = tmp_path / "mine.cnn.json"
    assert first._save_to(path)
    window = make_window(start_page=True)
    buttons = [b for b in window.start_page.findChildren(type(window.start_page.blank_button), "startRecent")
               if b.isVisible()]
    assert [b.text() for b in buttons] == ["mine.cnn.json"]
    QTest.mouseClick(buttons[0], LEFT)
    assert window.document.path == path and not window.start_page_shown


def test_the_start_page_never_scrolls_sideways_on_a_narrow_canvas(qtbot, make_window):
    window = make_window(start_page=True)
    page = window.start_page
    for width in (520, 700, 1100):
        page.resize(width, 500)
        qtbot.waitUntil(lambda: page.widget().width() <= page.viewport().width())
        assert page.widget().minimumSizeHint().width() <= page.viewport().width()


def test_the_presets_shortcut_named_in_the_tooltip_opens_the_start_page(qtbot, window):
    assert "(Ctrl+Shift+O)" in window.open_preset_action.toolTip()
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.start_page_shown
    QTest.mouseClick(window.start_page.preset_buttons["tinycnn"], LEFT)
    assert window.document.project.name == "Tiny CNN" and not window.start_page_shown


def test_a_docked_panel_fills_its_dock_and_scrolls_only_below_its_minimum(qtbot):
    from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

    from app.shell.docks import scrolling
    from app.training.feature_maps import FeatureMapView

    panel = FeatureMapView()  # a word-wrapped title above a plot grid: the case that used to scroll
    area = scrolling(panel)
    qtbot.addWidget(area)
    area.resize(380, 300)
    area.show()
    qtbot.waitUntil(lambda: panel.size() == area.viewport().size())
    assert not area.verticalScrollBar().isVisible() and not area.horizontalScrollBar().isVisible()
    area.resize(380, 120)  # below the panel's minimum: now it scrolls, and nothing is squeezed
    qtbot.waitUntil(lambda: area.verticalScrollBar().isVisible())
    assert panel.height() >= panel.minimumSizeHint().height()
    plain = QWidget()
    QVBoxLayout(plain).addWidget(QLabel("a plain form"))
    assert scrolling(area) is area and scrolling(plain) is not plain  # a scroll area is not wrapped twice


def test_opening_a_file_at_start_up_lists_no_presets_until_the_start_page_shows(qtbot, make_window):
    # Listing the presets loads and analyses every one of them (ResNet-152 among them): 0.3-0.4 s of CPU in a
    # start-up that opens a file and never shows the start page.
    from app.presets_menu import preset_infos

    preset_infos.cache_clear()
    window = make_window(start=False)
    window.show()
    window.start(str(presets_folder() / "lenet5.cnn.json"))
    qtbot.waitExposed(window)
    assert not window.start_page_shown and window.document.project.name.startswith("LeNet")
    assert preset_infos.cache_info().currsize == 0 and window.start_page.preset_buttons == {}
    window.show_start_page()
    qtbot.waitUntil(window.start_page.thumbnails_ready)
    assert "lenet5" in window.start_page.preset_buttons


def test_a_dock_holds_its_scroll_area_from_the_start_so_the_view_is_restyled_once(qtbot):
    # Under the application's style sheet every move of a built view (or of a widget holding it) to a new
    # parent restyles all of it; the scroll area used to be built on its own and then moved into the dock.
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QScrollArea, QVBoxLayout, QWidget

    from app.shell.docks import add_dock

    class Moves(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.moved: list[QObject] = []

        def eventFilter(self, watched, event):  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.ParentChange and isinstance(watched, (QScrollArea, Holder)):
                self.moved.append(watched)
            return False

    class Holder(QWidget):
        pass

    window = QMainWindow()
    qtbot.addWidget(window)
    view = Holder()
    QVBoxLayout(view).addWidget(QLabel("a view"))
    moves = Moves()
    QApplication.instance().installEventFilter(moves)
    try:
        dock = add_dock(window, "View", "viewDock", view, Qt.DockWidgetArea.BottomDockWidgetArea)
    finally:
        QApplication.instance().removeEventFilter(moves)
    area = dock.widget()
    assert area.parent() is dock and view.parent() is area.viewport()
    assert moves.moved == [view]  # the view moved once; its scroll area never did
