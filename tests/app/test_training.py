"""Training in the app: real runs of the engine trainer on a worker thread, watched through the UI.

The network is tiny (8×8 digits, one 4-channel convolution) so a real epoch
takes well under a second. Every test must leave no training thread running:
the autouse fixture stops any run that is left and fails the test.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QPushButton, QWidget

from app.document import Document
from app.training import TrainingUi, install_training_ui
from app.training.export_dialog import ExportDialog
from app.training.panel import IDLE
from app.training.settings_command import set_training_setting
from engine.checkpoint import load_checkpoint
from engine.config import TrainingConfig
from engine.data import load_dataset
from engine.graph import Graph
from engine.project import Project

RUN_TIMEOUT_MS = 60_000


def tiny_graph(classes: int = 10, channels: int = 1) -> Graph:
    graph = Graph()
    chain = [
        graph.add_node("input", {"channels": channels, "height": 8, "width": 8}, ui={"x": 0, "y": 0}),
        graph.add_node("conv2d", {"out_channels": 4, "kernel_size": 3}, ui={"x": 200, "y": 0}),
        graph.add_node("activation", ui={"x": 400, "y": 0}),
        graph.add_node("flatten", ui={"x": 600, "y": 0}),
        graph.add_node("dense", {"out_features": classes}, ui={"x": 800, "y": 0}),
        graph.add_node("output", ui={"x": 1000, "y": 0}),
    ]
    for source, target in zip(chain, chain[1:]):
        graph.connect(source.id, target.id)
    return graph


def wait_for_progress(qtbot, ui: TrainingUi) -> None:
    """Until the first progress report has reached the GUI (the curves have a point)."""
    qtbot.waitUntil(lambda: ui.curves.run is not None and len(ui.curves.run.train["loss"].x) > 0,
                    timeout=RUN_TIMEOUT_MS)


@dataclass
class Studio:
    window: QMainWindow
    document: Document
    ui: TrainingUi

    def configure(self, **settings) -> None:
        for key, value in settings.items():
            assert set_training_setting(self.document, key, value) or getattr(
                self.document.project.training, key) == value

    def train(self, qtbot) -> None:
        """Starts a run and waits for its thread to end."""
        with qtbot.waitSignal(self.ui.training_ended, timeout=RUN_TIMEOUT_MS):
            assert self.ui.start_training(), self.ui.panel.message_label.text()


def open_studio(qtbot, tmp_path, graph, name: str) -> Studio:
    """A main window with the training UI on ``graph`` (one epoch of digits), its dataset looked up."""
    window = QMainWindow()
    window.setCentralWidget(QWidget())
    config = TrainingConfig(dataset="digits", epochs=1, batch_size=64)
    document = Document(Project(graph, name, training=config), parent=window)
    ui = install_training_ui(window, document, None, runs_root=tmp_path / "runs")
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitUntil(lambda: ui.panel.dataset_info is not None, timeout=60_000)  # first look-up waits for torch
    return Studio(window, document, ui)


@pytest.fixture
def studio(qtbot, tmp_path) -> Studio:
    return open_studio(qtbot, tmp_path, tiny_graph(), "tiny")  # (answers still queued when it goes are dropped)


def test_a_short_run_reports_progress_and_finishes(studio, qtbot, tmp_path):
    ui, document = studio.ui, studio.document
    progress = []
    with qtbot.waitSignal(ui.training_ended, timeout=RUN_TIMEOUT_MS):
        assert ui.start_training()
        assert document.read_only  # the canvas is frozen while the snapshot trains
        assert "read-only" in ui.status_label.text()
        ui.run.worker.progress.connect(progress.append)  # direct: counts reports as they are sent
    assert not document.read_only and ui.panel.state == IDLE
    assert progress and progress[-1]["batch"] == progress[-1]["batches_per_epoch"]
    assert {"loss", "accuracy", "images_per_second", "eta_seconds"} <= set(progress[-1])
    run = ui.curves.run
    assert len(run.train["loss"].x) >= 1 and run.val_x == [1]
    assert 0.0 <= run.val["accuracy"][0] <= 100.0
    assert ui.confusion.confusion is not None and ui.confusion.confusion.sum() == len(ui.trained.data.val)
    ui.dock("galleryDock").raise_()  # its tab comes to the front: thumbnails are made when shown
    qtbot.waitUntil(lambda: ui.gallery.item_count() > 0)
    assert "Finished after 1 epoch(s)" in ui.panel.status_label.text()
    best = ui.trained.checkpoint
    assert best is not None and best.parent.parent == tmp_path / "runs" and best.is_file()
    # The UI says where the checkpoint went: its run folder and name, the whole path in the tooltip.
    assert f"{best.parent.name}/{best.name}" in ui.panel.run_label.text() and ui.panel.run_label.toolTip() == str(best)


def test_feature_maps_of_the_selected_conv_node_update_during_training(studio, qtbot):
    ui = studio.ui
    ui.show_node("conv1")
    studio.configure(epochs=3, batch_size=16)
    with qtbot.waitSignal(ui.training_ended, timeout=RUN_TIMEOUT_MS):
        assert ui.start_training()
        qtbot.waitUntil(lambda: len(ui.feature_maps.image_items) == 4, timeout=RUN_TIMEOUT_MS)
        assert ui.feature_maps.image_items[0].image.shape == (6, 6)  # 8×8 input, 3×3 kernel
        assert ui.feature_maps.image_items[0].image.dtype == np.uint8
        ui.dock("filtersDock").raise_()  # behind the feature maps' tab, the kernels wait until it is shown
        qtbot.waitUntil(lambda: len(ui.filters.image_items) == 4, timeout=RUN_TIMEOUT_MS)
        assert ui.filters.image_items[0].image.shape == (3, 3)
        ui.stop()
    assert "conv1: 4 channels of 6×6" in ui.feature_maps.title.text()


def test_selecting_a_node_after_training_shows_its_maps_for_the_chosen_image(studio, qtbot):
    ui = studio.ui
    studio.train(qtbot)
    ui.show_node("act1")
    qtbot.waitUntil(lambda: len(ui.feature_maps.image_items) == 4)
    ui.feature_maps.index_box.setValue(5)
    qtbot.waitUntil(lambda: "validation image #5" in ui.feature_maps.title.text())


def test_the_feature_maps_can_be_computed_for_an_image_file(studio, qtbot, tmp_path):
    ui = studio.ui
    studio.train(qtbot)
    ui.show_node("conv1")
    image = tmp_path / "mine.png"
    Image.fromarray(np.tile(np.arange(0, 256, 16, dtype=np.uint8), (16, 1))).save(image)
    ui.feature_maps.probe_file_chosen.emit(str(image))  # what "Load image…" emits
    qtbot.waitUntil(lambda: "for mine.png" in ui.feature_maps.title.text())
    assert ui.feature_maps.image_items[0].image.shape == (6, 6)


def test_a_dataset_that_cannot_be_loaded_is_explained_and_nothing_is_left_running(studio, qtbot, tmp_path):
    studio.configure(dataset="mnist", data_root=str(tmp_path / "no-data-here"))
    qtbot.waitUntil(lambda: studio.ui.panel.dataset_info is not None and studio.ui.panel.dataset_info.name == "mnist")
    studio.train(qtbot)
    message = studio.ui.panel.message_label.text()
    assert "MNIST" in message and "no-data-here" in message
    assert not studio.document.read_only


def test_an_image_folder_shows_its_classes_before_training(studio, qtbot, tmp_path):
    for name in ("cats", "dogs"):
        (tmp_path / "pets" / name).mkdir(parents=True)
        for index in range(3):
            Image.fromarray(np.full((8, 8), 40 * index, np.uint8)).save(tmp_path / "pets" / name / f"{index}.png")
    studio.configure(dataset=str(tmp_path / "pets"))
    qtbot.waitUntil(lambda: "2 classes: cats (3), dogs (3)" in studio.ui.panel.dataset.info_label.text())
    assert "6 grey images" in studio.ui.panel.dataset.info_label.text()
    assert "The Output gives 10 scores but dataset" in studio.ui.panel.fit_label.text()
    assert not studio.ui.panel.train_button.isEnabled()


def test_the_download_button_is_offered_for_torchvision_sets_only(studio, qtbot, tmp_path):
    chooser = studio.ui.panel.dataset
    for name in ("mnist", "fashion-mnist", "cifar10"):
        studio.configure(dataset=name)
        assert chooser.download_button.isVisibleTo(chooser) and chooser.download_button.isEnabled()
    for name in ("digits", "shapes"):
        studio.configure(dataset=name)
        assert not chooser.download_button.isVisibleTo(chooser)


def test_a_download_reports_its_outcome_and_the_panel_stays_usable(studio, qtbot, tmp_path):
    # Here (and in CI) torchvision's mirrors are unreachable, so this exercises the failure message;
    # on a machine with internet the same click downloads MNIST and says so.
    chooser = studio.ui.panel.dataset
    studio.configure(dataset="mnist", data_root=str(tmp_path / "data"))
    qtbot.mouseClick(chooser.download_button, Qt.MouseButton.LeftButton)
    assert not chooser.download_button.isEnabled() and chooser.download_button.text() == "Downloading…"
    qtbot.waitUntil(lambda: not chooser.downloading, timeout=60_000)
    message = chooser.download_label.text()
    assert message.lower().startswith(("could not download mnist", "downloaded mnist"))
    assert str(tmp_path / "data") in message
    assert chooser.download_label.isVisibleTo(chooser)
    assert chooser.download_button.isEnabled() and chooser.download_button.text() == "Download"
    studio.configure(dataset="digits")
    qtbot.waitUntil(lambda: "10 classes: 0 (178)" in chooser.info_label.text())
    assert not chooser.download_label.isVisibleTo(chooser)


def test_stop_ends_a_run_mid_epoch(studio, qtbot):
    # How soon: make bench (bench_budgets times stop to the run's end); here, that it stops mid-epoch.
    ui = studio.ui
    studio.configure(epochs=50, batch_size=8)
    with qtbot.waitSignal(ui.training_ended, timeout=RUN_TIMEOUT_MS):
        assert ui.start_training()
        wait_for_progress(qtbot, ui)
        thread = ui.run.thread
        ui.stop()
        assert ui.panel.stop_button.isEnabled() is False
    assert thread.isFinished()
    assert "Stopped after 0 epoch(s)" in ui.panel.status_label.text()


def stop_before_the_first_epoch(studio: Studio, qtbot) -> None:
    """Train and Stop clicked in the panel, the Stop before any epoch ends."""
    ui = studio.ui
    studio.configure(epochs=50, batch_size=8)
    qtbot.waitUntil(ui.panel.train_button.isEnabled, timeout=RUN_TIMEOUT_MS)  # PyTorch prepared, dataset read
    with qtbot.waitSignal(ui.training_ended, timeout=RUN_TIMEOUT_MS):
        qtbot.mouseClick(ui.panel.train_button, Qt.MouseButton.LeftButton)
        wait_for_progress(qtbot, ui)
        qtbot.mouseClick(ui.panel.stop_button, Qt.MouseButton.LeftButton)
    assert "Stopped after 0 epoch(s)" in ui.panel.status_label.text()


def test_a_run_stopped_before_its_first_epoch_keeps_the_model_trained_before(studio, qtbot):
    ui = studio.ui
    studio.train(qtbot)
    before = ui.trained
    assert before is not None and before.checkpoint is not None
    stop_before_the_first_epoch(studio, qtbot)
    assert ui.trained is before  # still what Try an Image, the feature maps and Export use
    assert ui.export_action.isEnabled() and ui.predict_view.choose_button.isEnabled()
    assert "stays in use" in ui.panel.message_label.text()
    assert ui.panel.run_label.toolTip() == str(before.checkpoint)  # the link shows the run folder's name


def test_a_first_run_stopped_before_its_first_epoch_has_nothing_to_export(studio, qtbot):
    ui = studio.ui
    stop_before_the_first_epoch(studio, qtbot)
    assert ui.trained is not None and ui.trained.checkpoint is None  # its feature maps can still be looked at
    assert not ui.export_action.isEnabled()
    assert ui.panel.message_label.text() == "No epoch finished, so no checkpoint was written."


def test_stop_and_wait_ends_the_thread_while_training(studio, qtbot):
    ui = studio.ui
    studio.configure(epochs=50, batch_size=8)
    assert ui.start_training()
    wait_for_progress(qtbot, ui)
    thread = ui.run.thread
    assert ui.is_training()
    assert ui.stop_and_wait(5_000)
    assert thread.isFinished() and not ui.is_training()
    qtbot.waitUntil(lambda: ui.run is None)  # the queued end of the run still reaches the UI


def test_pause_holds_the_run_until_resumed(studio, qtbot):
    ui = studio.ui
    studio.configure(batch_size=16)
    with qtbot.waitSignal(ui.training_ended, timeout=RUN_TIMEOUT_MS):
        assert ui.start_training()
        wait_for_progress(qtbot, ui)
        ui.pause()
        assert ui.run.paused and ui.panel.pause_button.text() == "Resume"
        ui.resume()
        assert not ui.run.paused and ui.panel.pause_button.text() == "Pause"
    assert "Finished after 1 epoch(s)" in ui.panel.status_label.text()


def test_a_diverging_run_shows_the_error_and_the_app_can_train_again(studio, qtbot):
    ui = studio.ui
    studio.configure(optimizer="sgd", lr=10.0, momentum=0.9)
    studio.train(qtbot)
    assert "diverged" in ui.panel.message_label.text() and "learning rate" in ui.panel.message_label.text()
    assert not studio.document.read_only and ui.panel.train_button.isEnabled()
    studio.configure(optimizer="adam", lr=0.01)
    studio.train(qtbot)
    assert "Finished after 1 epoch(s)" in ui.panel.status_label.text()


def test_an_invalid_network_is_refused_with_its_first_problem(studio):
    output = studio.document.graph.nodes_of_type("output")[0]
    studio.document.remove_nodes([output.id])
    assert not studio.ui.start_training()
    assert "no Output" in studio.ui.panel.message_label.text()
    assert studio.ui.run is None


def test_the_fit_check_explains_a_mismatch_and_adapt_fixes_it_in_one_undo_step(studio, qtbot):
    ui, document = studio.ui, studio.document
    studio.configure(dataset="shapes")
    qtbot.waitUntil(lambda: ui.panel.dataset_info is not None and ui.panel.dataset_info.name == "shapes")
    assert "The Output gives 10 scores but dataset 'shapes' has 5 classes" in ui.panel.fit_label.text()
    assert not ui.panel.adapt_button.isHidden()
    steps = document.undo_stack.count()
    ui.panel.adapt_button.click()
    assert document.graph.node("fc1").params["out_features"] == 5
    assert document.graph.node("input1").params["channels"] == 3
    assert document.undo_stack.count() == steps + 1
    assert document.undo_stack.undoText() == "Adapt network to 'shapes'"
    assert "fits 'shapes'" in ui.panel.fit_label.text()
    document.undo_stack.undo()
    assert document.graph.node("fc1").params["out_features"] == 10


def test_changing_a_setting_is_an_undoable_edit_that_marks_the_project_dirty(studio):
    document, form = studio.document, studio.ui.panel.settings
    assert not document.is_dirty
    form.editors["epochs"].spin.setValue(7)
    assert document.project.training.epochs == 7 and document.is_dirty
    assert document.undo_stack.undoText() == "Set training epochs to 7"
    document.undo_stack.undo()
    assert document.project.training.epochs == 1
    assert form.editors["epochs"].value() == 1  # the form follows undo


def test_the_device_label_says_what_trains(studio):
    assert "CPU" in studio.ui.panel.device_label.text() or "CUDA" in studio.ui.panel.device_label.text()


def test_a_checkpoint_reopens_the_trained_network_to_predict_and_export(studio, qtbot, tmp_path):
    ui, document = studio.ui, studio.document
    studio.train(qtbot)
    checkpoint = ui.trained.checkpoint
    document.new_project()
    assert ui.trained is None
    assert ui.open_checkpoint(checkpoint)
    assert set(document.graph.nodes) == {"input1", "conv1", "act1", "flatten1", "fc1", "output1"}
    assert ui.trained is not None and ui.export_action.isEnabled()
    assert ui.curves.run.val_x == [1]  # the checkpoint's history
    data = load_dataset("digits", (1, 8, 8))
    image = tmp_path / "digit.png"
    pixels = data.val.images[0, 0]
    Image.fromarray(((pixels - pixels.min()) / (pixels.max() - pixels.min()) * 255).byte().numpy()).save(image)
    ui.predict_file(str(image))
    qtbot.waitUntil(lambda: ui.predict_view.class_labels[4].text() != "")
    probabilities = [bar.value() for bar in ui.predict_view.bars]
    assert probabilities == sorted(probabilities, reverse=True) and sum(probabilities) <= 1001
    assert len(ui.predict_view.grid.image_items) == 4  # feature maps of conv1 for that image

    dialog = ui.show_export_dialog()
    assert isinstance(dialog, ExportDialog)
    dialog.select_format("torchscript")
    target = tmp_path / "exported.torchscript.pt"
    dialog.path_edit.setText(str(target))
    dialog.export()
    qtbot.waitUntil(lambda: dialog.written == [target], timeout=RUN_TIMEOUT_MS)
    assert target.is_file() and str(target) in dialog.result_label.text()
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []  # no staging left
    dialog.close()


def export_dialog_clicking_export(studio, qtbot, tmp_path, format_name: str, target: Path) -> ExportDialog:
    dialog = studio.ui.show_export_dialog()
    dialog.select_format(format_name)
    dialog.path_edit.setText(str(target))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    return dialog


@pytest.mark.parametrize("format_name", ["onnx", "python"])
def test_an_export_shows_its_progress_and_cancel_leaves_no_file(studio, qtbot, tmp_path, format_name):
    studio.train(qtbot)
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / f"net.{'onnx' if format_name == 'onnx' else 'py'}"
    target.write_text("the user's older file")
    dialog = export_dialog_clicking_export(studio, qtbot, tmp_path, format_name, target)
    progress = dialog.progress
    assert progress is not None and progress.isVisible() and progress.labelText().startswith("Exporting")
    qtbot.mouseClick(progress.findChild(QPushButton), Qt.MouseButton.LeftButton)  # its Cancel button
    assert dialog.result_label.text() == "Export cancelled: nothing was written."
    assert dialog.export_button.isEnabled()
    assert studio.ui.jobs.wait(RUN_TIMEOUT_MS)  # the job itself runs to its end…
    qtbot.wait(50)
    assert dialog.written == []  # …and its result is thrown away
    assert [path.name for path in folder.iterdir()] == [target.name]
    assert target.read_text() == "the user's older file"
    dialog.close()


def test_closing_the_export_dialog_while_it_exports_leaves_no_file(studio, qtbot, tmp_path):
    studio.train(qtbot)
    target = tmp_path / "exports" / "net.onnx"
    dialog = export_dialog_clicking_export(studio, qtbot, tmp_path, "onnx", target)
    dialog.close()  # deleted on close, while its export runs
    assert studio.ui.jobs.wait(RUN_TIMEOUT_MS)
    qtbot.wait(50)
    assert not target.parent.exists()  # not even the folder it made for the file


def drop_file(widget: QWidget, path: Path) -> None:
    """Drops a file on ``widget`` as a file manager would."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    args = (QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(*args)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDropEvent(*args))


def test_try_an_image_says_when_an_image_is_unlike_the_training_images(studio, qtbot, tmp_path):
    ui = studio.ui
    studio.train(qtbot)
    view = ui.predict_view
    digit, noise = tmp_path / "digit.png", tmp_path / "noise.png"
    pixels = ui.trained.data.val.images[0, 0]
    Image.fromarray(((pixels - pixels.min()) / (pixels.max() - pixels.min()) * 255).byte().numpy()).save(digit)
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(noise)
    for path, unlike in ((noise, True), (digit, False), (noise, True)):
        drop_file(view, path)
        qtbot.waitUntil(lambda path=path: view.hint.text().startswith(f"{path.name}: most likely"))
        assert view.unfamiliar_note.isVisibleTo(view) is unlike, path.name
    assert "does not look like your training images" in view.unfamiliar_note.text()


def test_a_broken_checkpoint_is_refused_with_a_message(studio, tmp_path):
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    assert not studio.ui.open_checkpoint(broken)
    assert "broken.pt" in studio.ui.panel.message_label.text()


def test_training_continues_from_an_opened_checkpoint(studio, qtbot):
    ui = studio.ui
    studio.train(qtbot)
    assert ui.open_checkpoint(ui.trained.checkpoint)
    ui.panel.resume_box.setChecked(True)
    studio.configure(epochs=2)
    studio.train(qtbot)
    assert "Finished after 2 epoch(s)" in ui.panel.status_label.text()
    assert load_checkpoint(ui.trained.checkpoint).epoch == 2


def test_closing_the_main_window_while_training_asks_then_stops_the_thread(make_window, dialogs, qtbot):
    window = make_window()
    ui = window.training_ui
    qtbot.waitUntil(lambda: ui.panel.dataset_info is not None)
    studio = Studio(window, window.document, ui)
    studio.configure(epochs=50)
    assert ui.start_training(), ui.panel.message_label.text()
    wait_for_progress(qtbot, ui)
    thread = ui.run.thread
    dialogs.expect(lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    window.document.undo_stack.setClean()
    assert window.close()
    assert thread.isFinished()
    assert dialogs.seen and dialogs.seen[0].title == "Training is running"


def test_checkpoints_go_to_the_runs_folder_named_after_the_project(studio, qtbot, tmp_path):
    studio.train(qtbot)
    folders = list((tmp_path / "runs").iterdir())
    assert len(folders) == 1 and folders[0].name.endswith("-tiny")
    assert {path.name for path in folders[0].iterdir()} >= {"best.pt", "last.pt"}
    assert isinstance(studio.ui.trained.checkpoint, Path)
