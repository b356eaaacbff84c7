"""The Runs panel through real Qt events: list, sort, overlay, compare, rename, tag, trash, open, refresh."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QStandardPaths, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QSplitter, QTableView

from app.experiments.run_curves import RunCurvesView, size_hints
from app.training.lazy_view import LazyView

from engine import Project, save_project
from engine.config import TrainingConfig
from engine.experiments.folders import STATUS_FILE
from engine.experiments.listing import COLUMN_KEYS
from tests.engine.experiments.run_helpers import tiny_project, train_recorded
from tests.engine.training.conftest import tiny_graph

from .conftest import click_button


@pytest.fixture
def two_runs(tmp_path):
    """Two real runs in the window's runs folder: the second with a wider conv1 and a higher learning rate."""
    first = train_recorded(tmp_path / "runs", epochs=1, lr=0.01)
    project = tiny_project(epochs=2, lr=0.03)
    conv = next(node for node in project.graph.nodes.values() if node.name == "conv1")
    project.graph.set_param(conv.id, "out_channels", 8)
    second = train_recorded(tmp_path / "runs", project)
    return first, second


def runs_panel(window, qtbot):
    dock = window.findChild(type(window.issues_dock), "runsDock")
    dock.show()
    dock.raise_()
    panel = window.runs_panel
    click(panel, "refresh")
    return panel


def click(panel, name: str) -> None:
    QTest.mouseClick(panel.buttons[name], Qt.MouseButton.LeftButton)


def answer_input(qtbot, text: str) -> None:
    """Types ``text`` into the open input dialog and presses Enter, as a person would."""
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QInputDialog))
    dialog = QApplication.activeModalWidget()
    line = dialog.findChild(QLineEdit)
    line.selectAll()
    QTest.keyClicks(line, text)
    QTest.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_the_table_lists_both_runs_and_sorts_by_a_clicked_column(window, qtbot, two_runs):
    first, second = two_runs
    panel = runs_panel(window, qtbot)
    assert panel.model.rowCount() == 2
    header = panel.table.horizontalHeader()
    column = COLUMN_KEYS.index("epochs")
    orders = []
    for _ in range(2):  # one click sorts one way, the next the other
        QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                         pos=QPoint(header.sectionViewportPosition(column) + 5, 5))
        orders.append([panel.proxy.index(row, column).data() for row in range(2)])
    order_one, order_two = orders
    assert sorted([order_one, order_two]) == [["1/1", "2/2"], ["2/2", "1/1"]]


def test_selecting_runs_with_the_keyboard_overlays_their_curves(window, qtbot, two_runs):
    panel = runs_panel(window, qtbot)
    panel.table.setFocus()
    QTest.keyClick(panel.table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)  # to the first run
    QTest.keyClick(panel.table, Qt.Key.Key_Space)  # selects it
    assert len(panel.selected_rows()) == 1 and panel.curves.curve_count() == 2  # loss and metric
    QTest.keyClick(panel.table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert len(panel.selected_rows()) == 2 and panel.curves.curve_count() == 4
    assert panel.buttons["compare"].isEnabled() and not panel.buttons["open"].isEnabled()


def test_compare_lists_the_changed_width_and_learning_rate(window, qtbot, two_runs):
    panel = runs_panel(window, qtbot)
    panel.select_folders(list(two_runs))
    click(panel, "compare")
    dialog = panel.dialog
    assert dialog.objectName() == "compareRunsDialog" and dialog.isVisible()
    text = dialog.text.toPlainText()
    assert "Parameter conv1.out_channels: 4 → 8" in text and "Training setting lr: 0.01 → 0.03" in text
    click_button(dialog, "close")
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_rename_and_tags_are_kept_in_run_json_and_the_folder_keeps_its_name(window, qtbot, two_runs):
    first, _ = two_runs
    panel = runs_panel(window, qtbot)
    panel.select_folders([first])
    click(panel, "rename")
    answer_input(qtbot, "baseline")
    click(panel, "tag")
    answer_input(qtbot, "lenet, small")
    status = json.loads((first / STATUS_FILE).read_text())
    assert status["name"] == "baseline" and status["tags"] == ["lenet", "small"] and first.is_dir()
    assert [row.name for row in panel.selected_rows()] == ["baseline"]  # still selected after the refresh


@pytest.fixture
def test_trash():
    """Qt's test-mode data folder holds the trash; what the test moves there is removed afterwards."""
    trash = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)) / "Trash"
    before = set((trash / "files").iterdir()) if (trash / "files").is_dir() else set()
    yield trash
    for path in set((trash / "files").iterdir()) - before if (trash / "files").is_dir() else ():
        shutil.rmtree(path, ignore_errors=True)
        (trash / "info" / f"{path.name}.trashinfo").unlink(missing_ok=True)


def test_move_to_trash_removes_the_run_and_a_failure_says_so(window, qtbot, two_runs, test_trash):
    first, second = two_runs
    panel = runs_panel(window, qtbot)
    panel.select_folders([first])
    click(panel, "delete")
    assert not first.exists() and (test_trash / "files" / first.name).is_dir() and panel.model.rowCount() == 1
    assert "Moved 1 run(s) to the trash" in panel.message.text()
    panel.select_folders([second])
    shutil.rmtree(second)  # gone behind the panel's back: the trash cannot take it
    click(panel, "delete")
    box = panel.dialog
    assert box.objectName() == "runsProblemDialog" and "could not be moved" in box.text()
    assert str(second) in box.text()
    box.close()


def test_open_network_opens_the_snapshot_as_a_new_document(window, qtbot, two_runs):
    _, second = two_runs
    panel = runs_panel(window, qtbot)
    panel.select_folders([second])
    window.document.undo_stack.setClean()
    click(panel, "open")
    conv = next(node for node in window.document.graph.nodes.values() if node.name == "conv1")
    assert conv.params["out_channels"] == 8 and window.document.path is None  # saving asks where


def test_a_run_in_the_window_appears_in_the_table_when_it_ends(window, qtbot, tmp_path):
    project = Project(tiny_graph(classes=10), "tiny", training=TrainingConfig(dataset="digits", epochs=1,
                                                                               batch_size=128))
    window.document.undo_stack.setClean()
    assert window.open_path(save_project(project, tmp_path / "tiny.cnn.json"), ask=False)
    panel = runs_panel(window, qtbot)
    assert panel.model.rowCount() == 0
    ui = window.training_ui
    qtbot.waitUntil(lambda: ui.panel.dataset_info is not None, timeout=60_000)
    with qtbot.waitSignal(ui.training_ended, timeout=120_000):
        assert ui.start_training(), ui.panel.message_label.text()
    assert [(row.network, row.status, row.epochs) for row in panel.model.rows] == [("tiny", "finished", 1)]


def train_in_window(window, qtbot) -> None:
    ui = window.training_ui
    qtbot.waitUntil(ui.panel.train_button.isEnabled, timeout=120_000)  # PyTorch ready, dataset read
    with qtbot.waitSignal(ui.training_ended, timeout=120_000):
        window.toolbar.train_action.trigger()  # Training ▸ Train (F5)
        assert ui.is_training(), ui.panel.message_label.text()


def tiny_saved_project(folder: Path) -> Path:
    project = Project(tiny_graph(classes=10), "tiny", training=TrainingConfig(dataset="digits", epochs=1,
                                                                               batch_size=128))
    folder.mkdir(parents=True, exist_ok=True)
    return save_project(project, folder / "tiny.cnn.json")


def test_a_saved_projects_runs_go_to_runs_beside_it_and_the_panel_lists_that_folder(window, qtbot, tmp_path):
    window.document.undo_stack.setClean()
    assert window.open_path(tiny_saved_project(tmp_path / "project"), ask=False)
    panel = runs_panel(window, qtbot)
    assert panel.runs_root == tmp_path / "project" / "runs"
    assert "project/runs" in panel.folder_label.text() and "beside the project" in panel.folder_label.text()
    train_in_window(window, qtbot)
    folders = [row.folder for row in panel.model.rows]
    assert len(folders) == 1 and folders[0].parent == tmp_path / "project" / "runs"
    assert (folders[0] / "run.json").is_file()
    assert not (tmp_path / "runs").exists()  # the window's fallback folder is for unsaved projects only
    assert "not saved" not in window.training_ui.panel.run_label.text()


def test_an_unsaved_projects_run_goes_to_the_per_user_folder_and_says_so(window, qtbot, tmp_path):
    project = Project(tiny_graph(classes=10), "tiny", training=TrainingConfig(dataset="digits", epochs=1,
                                                                               batch_size=128))
    window.document.undo_stack.setClean()
    window.document.new_project(project)
    assert window.document.path is None
    panel = runs_panel(window, qtbot)
    assert panel.runs_root == tmp_path / "runs"  # the window's per-user folder (a temp folder in tests)
    assert "not saved" in panel.folder_label.text()
    train_in_window(window, qtbot)
    assert "not saved" in window.training_ui.panel.run_label.text()
    assert [row.folder.parent for row in panel.model.rows] == [tmp_path / "runs"]


def test_a_chosen_runs_folder_is_kept_in_the_settings_and_listed(window, qtbot, tmp_path):
    old = train_recorded(tmp_path / "project" / "runs", epochs=1)  # a run written before the change
    window.document.undo_stack.setClean()
    assert window.open_path(tiny_saved_project(tmp_path / "project"), ask=False)
    panel = runs_panel(window, qtbot)
    assert [row.folder for row in panel.model.rows] == [old]
    chosen = tmp_path / "elsewhere"
    chosen.mkdir()
    panel.choose_folder_action.trigger()  # Folder… ▸ Choose a folder…
    qtbot.waitUntil(lambda: panel.dialog is not None and panel.dialog.isVisible())
    dialog = panel.dialog
    line = dialog.findChild(QLineEdit, "fileNameEdit")
    line.setText(str(chosen))  # (typed key by key, the path completer's pop-up takes the keys)
    QTest.keyClick(line, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert panel.runs_root == chosen
    assert window.settings.value("experiments/runsFolder") == str(chosen)
    assert panel.model.rows == [] and "chosen" in panel.folder_label.text()
    train_in_window(window, qtbot)
    assert [row.folder.parent for row in panel.model.rows] == [chosen]
    panel.beside_action.trigger()  # back beside the project: the old run is listed again, readable
    assert panel.runs_root == tmp_path / "project" / "runs"
    assert [row.folder for row in panel.model.rows] == [old] and panel.model.rows[0].status == "finished"


def test_a_preset_opened_by_its_path_keeps_its_runs_out_of_the_presets_folder(window, qtbot, tmp_path):
    preset = Path(__file__).resolve().parents[2] / "presets" / "lenet5.cnn.json"
    window.document.undo_stack.setClean()
    assert window.open_path(preset, ask=False)
    panel = runs_panel(window, qtbot)
    assert panel.runs_root == tmp_path / "runs"  # the per-user folder, not presets/runs
    assert "bundled preset" in panel.folder_label.text()


def test_the_folder_menu_opens_the_runs_folder_and_says_when_there_is_none_yet(window, qtbot, tmp_path):
    panel = runs_panel(window, qtbot)
    assert not panel.runs_root.exists()
    assert panel.open_folder_action in panel.folder_button.menu().actions()  # the keyboard's way to the folder
    panel.open_folder_action.trigger()
    assert panel.message.isVisible() and "No runs yet" in panel.message.text()


def test_the_runs_curves_are_built_when_the_tab_is_clicked_and_show_the_runs_selected_before(window, qtbot, two_runs):
    """Issue 19: the Runs tab starts behind the Problems, so its plots wait for it (a LazyView)."""
    from .test_lazy_views import click_tab

    panel = window.runs_panel
    qtbot.wait(50)  # the window's paints: none reaches the tab behind the Problems
    assert not panel.curves_host.is_built and not window.findChildren(RunCurvesView)
    panel.refresh()
    panel.select_folders(list(two_runs))  # (as a run that ends selects its folder)
    assert not panel.curves_host.is_built
    click_tab(window, "Runs")
    qtbot.waitUntil(lambda: panel.curves_host.is_built)
    assert panel.curves_host.view.curve_count() == 4 and panel.curves_host.view.isVisible()


def test_the_curves_stand_in_asks_the_splitter_for_the_room_the_curves_ask_for(qtbot):
    """Qt shares a splitter's room out once, when first shown: an empty stand-in got none of it."""
    sizes = []
    stand_in = LazyView(RunCurvesView, "runCurvesHost", size_hints=size_hints(QApplication.primaryScreen()))
    for curves in (RunCurvesView(), stand_in):
        splitter = QSplitter()
        qtbot.addWidget(splitter)
        splitter.addWidget(QTableView())
        splitter.addWidget(curves)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.resize(700, 200)
        splitter.show()
        qtbot.waitExposed(splitter)
        sizes.append(splitter.sizes())
        assert curves.minimumSizeHint() == RunCurvesView().minimumSizeHint()
    assert sizes[0] == sizes[1] and sizes[1][1] > 0
