"""The main window: what it shows on first launch and how its pieces work together."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget, QLabel

from app.main_window import MainWindow
from app.palette import BlockPalette
from app.presets_menu import presets_folder
from engine.project import EXTENSION

from .canvas_helpers import drop

REPO_ROOT = Path(__file__).resolve().parents[2]
LEFT = Qt.MouseButton.LeftButton


def status_text(window: MainWindow) -> str:
    return " · ".join(label.text() for label in window.statusBar().findChildren(QLabel) if label.isVisible())


def double_click(widget, point) -> None:
    """Press, release, then the double-click press and release, as a mouse sends them."""
    QTest.mouseClick(widget, LEFT, Qt.KeyboardModifier.NoModifier, point)
    QTest.mouseDClick(widget, LEFT, Qt.KeyboardModifier.NoModifier, point)


def wait_for_analysis(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.document.analysis_changed, timeout=2000):
        pass


def test_first_launch_shows_lenet5_with_every_panel(window):
    assert window.document.project.name == "LeNet-5"
    assert window.document.project.training.dataset == "digits"
    assert window.document.path is None  # a preset opens as a copy: Save asks for a file
    assert window.canvas.isVisible() and not window.start_page_shown
    assert len(window.canvas.canvas_scene.node_items) == len(window.document.graph.nodes) == 14
    for dock in (window.palette_dock, window.inspector_dock, window.issues_dock):
        assert dock.isVisible()
    assert "61,706 parameters" in status_text(window)
    assert "Valid" in status_text(window)
    assert window.windowTitle() == "LeNet-5[*] — ConvCanvas"
    assert not window.isWindowModified()


def test_the_network_opens_readable_from_its_input(qtbot, window):
    # LeNet-5 is a long chain: it opens at a readable zoom, its beginning in view.
    view = window.canvas
    qtbot.waitUntil(lambda: view.zoom >= 0.75)
    input_card = view.canvas_scene.node_items["input"].sceneBoundingRect()
    assert view.viewport().rect().contains(view.mapFromScene(input_card).boundingRect())


def test_a_launch_with_nothing_to_open_shows_the_start_page_not_an_unfinished_network(make_window):
    window = make_window(start_page=True)
    assert window.start_page_shown and window.start_page.isVisible()
    assert not window.canvas.isVisible()
    assert not window.start_page.back_button.isVisible()  # nothing behind it to go back to
    QTest.mouseClick(window.start_page.blank_button, LEFT)
    assert not window.start_page_shown and window.canvas.isVisible()
    assert window.document.project.name == "Untitled"
    assert {node.type for node in window.document.graph.nodes.values()} == {"input", "output"}


def test_title_marks_unsaved_changes(qtbot, window):
    window.document.set_param("conv1", "out_channels", 8)
    assert window.isWindowModified()
    window.undo_action.trigger()
    assert not window.isWindowModified()


def test_palette_double_click_adds_a_connected_block_after_the_selection(qtbot, window):
    window.canvas.select_nodes(["pool2"])
    before = set(window.document.graph.nodes)
    palette: BlockPalette = window.palette_panel
    item = palette.item_for("batchnorm2d")
    point = palette.tree.visualItemRect(item).center()
    double_click(palette.tree.viewport(), point)
    (added,) = set(window.document.graph.nodes) - before
    assert window.document.graph.nodes[added].type == "batchnorm2d"
    assert [e.src for e in window.document.graph.incoming(added)] == ["pool2"]
    assert window.canvas.selected_node_ids() == [added]
    assert window.undo_action.text() == "&Undo Add BatchNorm2d"
    window.undo_action.trigger()
    assert set(window.document.graph.nodes) == before


def test_a_block_dragged_from_the_palette_drops_onto_the_canvas(qtbot, window):
    item = window.palette_panel.item_for("dropout")
    mime = window.palette_panel.tree.mimeData([item])
    assert bytes(mime.data("application/x-convcanvas-block").data()) == b"dropout"
    before = set(window.document.graph.nodes)
    entered, dropped = drop(window.canvas, mime, window.canvas.viewport().rect().center())
    assert entered and dropped
    (added,) = set(window.document.graph.nodes) - before
    assert window.document.graph.nodes[added].type == "dropout"


def test_delete_removes_selected_blocks_only_while_the_canvas_has_the_focus(qtbot, window):
    window.canvas.select_nodes(["tanh1"])
    window.palette_panel.tree.setFocus()
    QTest.keyClick(window.palette_panel.tree, Qt.Key.Key_Delete)
    assert "tanh1" in window.document.graph.nodes
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_Delete)
    assert "tanh1" not in window.document.graph.nodes
    assert window.undo_action.text() == "&Undo Delete tanh1"


def test_problems_list_issues_and_clicking_one_selects_its_node(qtbot, window):
    loose = window.document.add_node("dense", (0, 400))
    wait_for_analysis(qtbot, window)
    assert "1 error" in status_text(window)
    assert window.issues_dock.windowTitle() == "Problems (1)"
    tree = window.issues.tree
    item = tree.topLevelItem(0)
    name = window.document.graph.nodes[loose].name
    assert item.text(0) == f"{name}: Dense needs an input but has 0."
    assert "Drag from another block's output port" in item.child(0).text(0)  # the hint, below
    window.canvas.select_nodes([])
    QTest.mouseClick(tree.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, tree.visualItemRect(item).center())
    assert window.canvas.selected_node_ids() == [loose]
    assert window.inspector.page.node_id == loose


def test_editing_the_kernel_size_in_the_inspector_changes_the_network_and_undo_restores_it(qtbot, window):
    window.canvas.select_nodes(["conv1"])
    editor = window.inspector.page.editors["kernel_size"]
    spin = editor.height_spin
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, "3")
    with qtbot.waitSignal(window.document.analysis_changed, timeout=2000):
        QTest.keyClick(spin, Qt.Key.Key_Return)
    assert window.document.graph.nodes["conv1"].params["kernel_size"] == 3
    assert window.document.undo_stack.count() == 1
    assert "61,610 parameters" in status_text(window)  # conv1 has 6·9+6 weights instead of 6·25+6
    assert window.inspector.page.shape_label.text() == "6×30×30"
    with qtbot.waitSignal(window.document.analysis_changed, timeout=2000):
        window.undo_action.trigger()
    assert window.document.graph.nodes["conv1"].params["kernel_size"] == 5
    assert (spin.value(), editor.width_spin.value()) == (5, 5)
    assert "61,706 parameters" in status_text(window)


def test_renaming_to_an_invalid_name_is_refused_with_a_message(qtbot, window):
    window.canvas.select_nodes(["conv1"])
    page = window.inspector.page
    page.name_edit.setFocus()
    page.name_edit.selectAll()
    QTest.keyClicks(page.name_edit, "2nd conv")
    QTest.keyClick(page.name_edit, Qt.Key.Key_Return)
    assert window.document.graph.nodes["conv1"].name == "conv1"
    assert page.name_edit.text() == "conv1"
    assert page.name_problem.isVisible()
    assert "not a valid node name" in page.name_problem.text()
    assert window.document.undo_stack.count() == 0


def test_save_as_writes_a_file_that_loads_back_equal(qtbot, window, dialogs, tmp_path):
    target = tmp_path / "my-lenet"
    window.document.set_param("fc1", "out_features", 100)

    def choose_file(dialog):
        dialog.selectFile(str(target))
        dialog.accept()

    dialogs.expect(choose_file)
    assert window.save_as()
    saved = target.with_name("my-lenet" + EXTENSION)
    assert window.document.path == saved
    assert not window.isWindowModified()
    from engine.project import dumps_project, load_project
    assert dumps_project(load_project(saved)) == dumps_project(window.document.project)
    assert window.recent.paths()[0] == saved.resolve()


def test_opening_a_broken_file_shows_the_engine_message_and_keeps_the_network(qtbot, window, dialogs, tmp_path):
    from engine.project import ProjectError, dumps_project, load_project
    broken = tmp_path / "broken.cnn.json"
    broken.write_text('{"format": "convcanvas.project", "version": 99}', encoding="utf-8")
    try:
        load_project(broken)
    except ProjectError as error:
        expected = str(error)
    before = dumps_project(window.document.project)
    assert not window.open_path(broken)
    assert [(d.name, d.text) for d in dialogs.seen] == [("errorDialog", expected)]
    assert "newer ConvCanvas" in expected
    assert dumps_project(window.document.project) == before
    assert window.windowTitle() == "LeNet-5[*] — ConvCanvas"


def test_closing_with_unsaved_changes_asks_first(qtbot, window, dialogs):
    window.document.set_param("conv1", "out_channels", 8)
    dialogs.click("cancel")
    assert not window.close()
    assert window.isVisible()
    dialogs.click("discard")
    assert window.close()
    assert not window.isVisible()
    assert [d.name for d in dialogs.seen] == ["saveChangesDialog", "saveChangesDialog"]
    assert "LeNet-5" in dialogs.seen[0].text


def test_autosaved_work_is_offered_back_after_a_crash(qtbot, make_window, dialogs):
    crashed = make_window()
    crashed.document.set_param("conv1", "out_channels", 12)
    qtbot.waitUntil(crashed.recovery.exists, timeout=3000)
    crashed.recovery.release()  # the process died: its lock is gone, its autosave stays

    dialogs.click("restore")
    restored = make_window()
    assert [d.name for d in dialogs.seen] == ["restoreDialog"]
    assert "LeNet-5" in dialogs.seen[0].text
    assert restored.document.graph.nodes["conv1"].params["out_channels"] == 12
    assert restored.isWindowModified()  # restored work is still unsaved
    assert not crashed.recovery.path.exists()  # offered once, then gone


def test_a_clean_save_removes_the_autosave(qtbot, window, tmp_path):
    window.document.set_param("conv1", "out_channels", 12)
    qtbot.waitUntil(window.recovery.exists, timeout=3000)
    window.document.save(tmp_path / "saved.cnn.json")
    assert not window.recovery.exists()


def test_dropping_a_project_file_on_the_window_opens_it(qtbot, window):
    path = presets_folder() / "tinycnn.cnn.json"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    # Dropped on the canvas, which leaves file URLs to the window.
    entered, dropped = drop(window.canvas, mime, window.canvas.viewport().rect().center())
    assert entered and dropped
    qtbot.waitUntil(lambda: window.document.project.name == "Tiny CNN")
    assert window.document.path == path


def test_recent_files_are_remembered_across_windows(qtbot, make_window):
    path = presets_folder() / "resnet8.cnn.json"
    first = make_window()
    assert first.open_path(path)
    second = make_window(start=False)
    second.recent_menu.aboutToShow.emit()
    actions = [a for a in second.recent_menu.actions() if a.text() == path.name]
    assert len(actions) == 1
    actions[0].trigger()
    assert second.document.path == path


def test_presets_menu_lists_every_preset_with_its_size_and_description(window):
    window.presets_menu.aboutToShow.emit()
    actions = window.presets_menu.actions()
    assert len(actions) == len(list(presets_folder().glob("*" + EXTENSION)))
    lenet = next(a for a in actions if a.text().startswith("LeNet-5\t"))
    assert lenet.text() == "LeNet-5\t61.7 K params"
    assert "61,706 parameters" in lenet.toolTip() and "LeCun" in lenet.toolTip()
    resnet = next(a for a in actions if a.text().startswith("ResNet-18\t"))
    resnet.trigger()
    assert window.document.project.name == "ResNet-18"
    assert window.document.path is None


def test_theme_choice_changes_the_palette_and_is_remembered(qtbot, window, app_settings, qapp):
    window.theme_actions["dark"].trigger()
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 80
    assert app_settings.value("view/theme") == "dark"
    window.theme_actions["light"].trigger()
    assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 200
    assert window.theme_actions["light"].isChecked()


def test_panel_layout_is_restored_in_the_next_window(qtbot, make_window):
    first = make_window()
    first.inspector_dock.hide()
    first.removeDockWidget(first.issues_dock)
    first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, first.issues_dock)
    first.issues_dock.show()
    assert first.close()
    second = make_window()
    assert not second.inspector_dock.isVisible()
    assert second.dockWidgetArea(second.issues_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    names = {dock.objectName() for dock in second.findChildren(QDockWidget)}
    assert {"paletteDock", "inspectorDock", "issuesDock", "trainingDock"} <= names


def test_without_a_display_the_app_prints_a_hint_instead_of_aborting():
    env = {key: value for key, value in os.environ.items()
           if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from app.main import run_app; sys.exit(run_app([]))"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "no display found" in result.stderr
    assert "QT_QPA_PLATFORM=offscreen" in result.stderr and "xvfb-run" in result.stderr
    assert "Aborted" not in result.stderr



def test_missing_x11_libraries_are_named_before_qt_aborts():
    from app.main import missing_x11_packages

    def only_cursor_missing(name):
        return None if name == "xcb-cursor" else f"lib{name}.so"

    def present(name):
        return f"lib{name}.so"

    x11 = {"DISPLAY": ":0"}
    assert missing_x11_packages(x11, "linux", only_cursor_missing) == ["libxcb-cursor0"]
    assert missing_x11_packages(x11, "linux", present) == []
    assert missing_x11_packages({**x11, "QT_QPA_PLATFORM": "offscreen"}, "linux", only_cursor_missing) == []
    assert missing_x11_packages({**x11, "WAYLAND_DISPLAY": "wayland-0"}, "linux", only_cursor_missing) == []
    assert missing_x11_packages({**x11, "WAYLAND_DISPLAY": "w", "QT_QPA_PLATFORM": "xcb"}, "linux",
                                only_cursor_missing) == ["libxcb-cursor0"]
    assert missing_x11_packages(x11, "darwin", only_cursor_missing) == []


def test_training_dashboards_follow_a_live_theme_switch(window, qapp):
    ui = window.training_ui
    plots = {
        "curves": ui.curves.graphics, "feature maps": ui.feature_maps.grid, "confusion": ui.confusion.graphics,
    }
    axis = ui.curves.plots["loss"].plot.getAxis("left")
    lightness = {}
    for scheme in ("light", "dark"):
        window.theme_actions[scheme].trigger()
        lightness[scheme] = {name: view.backgroundBrush().color().lightness() for name, view in plots.items()}
        lightness[scheme]["axis text"] = axis.textPen().color().lightness()
    for name in plots:
        assert lightness["light"][name] > 200 and lightness["dark"][name] < 80, name
    assert lightness["light"]["axis text"] < 80 < 200 < lightness["dark"]["axis text"]
