"""The Data view driven through real Qt events: the grid and its filters, the balance chart and its
remedies (undoable), what the network receives, statistics (progress, Cancel, use as normalisation), problems
and exclusions; on real folders the tests write."""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.data.sample_grid import SampleGrid
from app.training.settings_command import set_training_setting
from engine.data.sample_index import TRAIN, array_samples

from ..engine.data.data_folders import imbalanced_folder, problem_folder

LOAD_TIMEOUT_MS = 120_000


def open_data_view(qtbot, window, dataset: str):
    """Sets the project's dataset, then opens the Data view with the training panel's button."""
    assert set_training_setting(window.document, "dataset", dataset) or \
        window.document.project.training.dataset == dataset
    panel = window.training_ui.panel
    QTest.mouseClick(panel.data_view_button, Qt.MouseButton.LeftButton)
    view = window.data_view.view
    qtbot.waitUntil(lambda: view.samples is not None and not view._loading, timeout=LOAD_TIMEOUT_MS)
    assert window.data_view.dock.isVisible()
    return view


def choose(combo, text: str) -> None:
    """Picks ``text`` in a combo box with the keyboard."""
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Home)
    while combo.currentText() != text:
        before = combo.currentIndex()
        QTest.keyClick(combo, Qt.Key.Key_Down)
        assert combo.currentIndex() != before, f"no item {text!r}"


def test_the_grid_filters_and_the_chart_warns_and_weighting_is_one_undoable_edit(qtbot, window, tmp_path):
    root = imbalanced_folder(tmp_path / "pets", {"cats": 60, "dogs": 4}, channels=1)
    view = open_data_view(qtbot, window, str(root))
    assert view.grid.model().rowCount() == 64
    train, val = view.balance.heights()
    assert [t + v for t, v in zip(train, val)] == [60, 4]
    assert view.balance.warning.isVisibleTo(view) and "dogs" in view.balance.warning.text()

    choose(view.class_filter, "dogs")
    assert view.grid.model().rowCount() == 4
    choose(view.split_filter, "Validation")
    assert view.grid.model().rowCount() == int(val[1])
    tips = [view.grid.model().index(r, 0).data(Qt.ItemDataRole.ToolTipRole) for r in range(view.grid.model().rowCount())]
    assert all(tip.startswith("dogs/") and tip.endswith("dogs, val") for tip in tips)

    view.tabs.setCurrentWidget(view.balance)
    QTest.mouseClick(view.balance.buttons["weight"], Qt.MouseButton.LeftButton)
    assert window.document.project.training.balance == "weight"
    assert window.document.undo_stack.undoText() == "Set training class balance to weight"
    assert view.balance.buttons["weight"].isChecked()
    QTest.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.project.training.balance == "none"
    assert view.balance.buttons["none"].isChecked() and not view.balance.buttons["weight"].isChecked()
    QTest.mouseClick(view.balance.buttons["resample"], Qt.MouseButton.LeftButton)
    assert window.document.project.training.balance == "resample"


def test_a_60000_image_grid_scrolls_to_its_end_without_decoding_them_all(qtbot):
    images = torch.randint(0, 256, (60_000, 1, 28, 28), dtype=torch.uint8)
    labels = torch.arange(60_000) % 10
    samples = array_samples("mnist-like", [str(i) for i in range(10)], "label", images[:50_000], images[50_000:],
                            labels[:50_000], labels[50_000:])
    grid = SampleGrid()
    qtbot.addWidget(grid)
    grid.resize(600, 400)
    grid.show()
    qtbot.waitExposed(grid)
    grid.set_samples(samples)
    qtbot.waitUntil(lambda: grid.verticalScrollBar().maximum() > 0)  # laid out (60,000 rows of 54 px / row)
    qtbot.waitUntil(lambda: grid.grid_model.decoded > 0)  # the first screen painted
    first_screen = grid.grid_model.decoded
    grid.setFocus()
    QTest.keyClick(grid, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: grid.currentIndex().row() == 59_999)
    qtbot.waitUntil(lambda: grid.grid_model.decoded > first_screen)  # the last screen painted
    assert grid.grid_model.decoded < 2 * first_screen + 100  # only what was shown, never the 60,000
    last = grid.visualRect(grid.model().index(59_999, 0))
    assert grid.viewport().rect().intersects(last)
    painted = grid.viewport().grab().toImage()
    assert not painted.isNull()


def test_the_network_input_shows_the_adaptation_and_new_augmentations_on_demand(qtbot, window):
    view = open_data_view(qtbot, window, "digits")
    for key, value in (("augment_crop", True), ("augment_flip", True)):
        set_training_setting(window.document, key, value)
    view.tabs.setCurrentWidget(view.received)
    view.grid.setFocus()
    QTest.keyClick(view.grid, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: view.received.received is not None)
    received = view.received.received
    assert received.before.shape == (8, 8, 1) and received.adapted.shape == (1, 32, 32)  # LeNet-5 takes 32×32
    assert "stored 8×8, 1 channel(s) → Input 32×32" in view.received.description.text()
    first = [a.copy() for a, _ in received.augmented]
    QTest.mouseClick(view.received.new_seed, Qt.MouseButton.LeftButton)
    second = [a for a, _ in view.received.received.augmented]
    assert len(second) == 6 and any(not np.allclose(a, b) for a, b in zip(first, second))
    assert not view.received.pictures()["augmented 0"].isNull()


def test_a_segmentation_mask_is_overlaid_with_the_opacity_slider(qtbot, window):
    from app.training.settings_command import set_task

    set_task(window.document, "segmentation")
    view = open_data_view(qtbot, window, "seg-shapes:40")
    view.tabs.setCurrentWidget(view.received)
    view.grid.setFocus()
    QTest.keyClick(view.grid, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: view.received.received is not None and view.received.received.target is not None)
    assert view.received.opacity.isVisibleTo(view)
    before = view.received.pictures()["after"]
    view.received.opacity.setFocus()
    QTest.keyClick(view.received.opacity, Qt.Key.Key_Home)  # opacity 0: the bare image
    bare = view.received.pictures()["after"]
    assert before != bare


def test_statistics_stream_with_progress_equal_numpy_and_become_the_normalisation(qtbot, window, tmp_path):
    root = imbalanced_folder(tmp_path / "grey", {"a": 30, "b": 30}, channels=1, seed=4)
    set_training_setting(window.document, "dataset", str(root))
    view = open_data_view(qtbot, window, str(root))
    view.tabs.setCurrentWidget(view.stats)
    QTest.mouseClick(view.stats.compute, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.stats.result is not None, timeout=LOAD_TIMEOUT_MS)
    assert view.stats.progress.value() == view.stats.progress.maximum() > 0
    samples = view.samples
    resized = [np.asarray(Image.open(root / samples.names[i]).resize((32, 32), Image.BILINEAR), dtype=np.float64)
               for i in samples.indices(TRAIN)]
    (mean,), (std,) = view.stats.result
    assert abs(mean - np.mean(resized) / 255) < 0.01 and abs(std - np.std(resized) / 255) < 0.01
    assert view.stats.use.text() == "Use as Input normalisation"
    (input_node,) = window.document.graph.nodes_of_type("input")
    QTest.mouseClick(view.stats.use, Qt.MouseButton.LeftButton)
    assert input_node.params["normalisation"] == f"{mean:.4f} / {std:.4f}"  # the Input node's, saved with it
    assert window.document.undo_stack.undoText() == f"Set {input_node.name} normalisation to {mean:.4f} / {std:.4f}"
    assert "normalises with" in view.stats.current.text()
    QTest.keyClick(view.grid, Qt.Key.Key_Right)  # the "after" picture is normalised with the Input's values
    qtbot.waitUntil(lambda: view.received.received is not None)
    assert "(the Input's normalisation)" in view.received.description.text()
    window.document.undo_stack.undo()
    assert input_node.params["normalisation"] == ""
    assert "no normalisation of its own" in view.stats.current.text()
    assert "(an estimate of the training split's)" in view.received.description.text()  # followed the undo


def test_statistics_can_be_cancelled(qtbot, window):
    view = open_data_view(qtbot, window, "shapes:5000")
    QTest.mouseClick(view.stats.compute, Qt.MouseButton.LeftButton)
    QTest.mouseClick(view.stats.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.stats.compute.isEnabled(), timeout=LOAD_TIMEOUT_MS)
    assert view.stats.result is None and view.stats.text.text() == "Cancelled: nothing computed."


def test_problems_are_listed_and_a_duplicate_is_excluded_and_included_again(qtbot, window, tmp_path):
    root = problem_folder(tmp_path / "p")
    view = open_data_view(qtbot, window, str(root))
    view.tabs.setCurrentWidget(view.problems)
    QTest.mouseClick(view.problems.scan, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.problems.table.rowCount() > 0, timeout=LOAD_TIMEOUT_MS)
    kinds = {view.problems.table.item(r, 0).text() for r in range(view.problems.table.rowCount())}
    assert {"unreadable", "odd size"} <= kinds and kinds & {"duplicate", "leak"}
    listed = len(view.samples)
    row = view.problems.row_of("dogs/huge.png", "odd size")
    view.problems.table.selectRow(row)
    QTest.mouseClick(view.problems.exclude, Qt.MouseButton.LeftButton)
    assert window.document.project.training.excluded_files == ["dogs/huge.png"]
    assert window.document.undo_stack.undoText() == "Exclude 1 file(s) from training"
    assert view.problems.row_of("dogs/huge.png", "excluded") >= 0
    assert "exclude" not in window.training_ui.panel.settings.editors  # the Problems tab is its editor
    qtbot.waitUntil(lambda: view.samples is not None and len(view.samples) == listed - 1 and not view._loading,
                    timeout=LOAD_TIMEOUT_MS)
    assert (root / "dogs" / "huge.png").exists()
    view.problems.table.selectRow(view.problems.row_of("dogs/huge.png", "excluded"))
    QTest.mouseClick(view.problems.include, Qt.MouseButton.LeftButton)
    assert window.document.project.training.excluded_files == []
    window.document.undo_stack.undo()
    assert window.document.project.training.excluded_files == ["dogs/huge.png"]
    qtbot.waitUntil(lambda: not view._loading and len(view.samples) == listed - 1, timeout=LOAD_TIMEOUT_MS)


def test_after_training_the_hardest_validation_samples_are_listed_and_exported(qtbot, window, tmp_path):
    import csv

    from .test_training import RUN_TIMEOUT_MS

    view = open_data_view(qtbot, window, "digits")
    for key, value in (("epochs", 1), ("batch_size", 128)):
        set_training_setting(window.document, key, value)
    view.tabs.setCurrentWidget(view.hardest)
    with qtbot.waitSignal(window.training_ui.training_ended, timeout=RUN_TIMEOUT_MS):
        assert window.training_ui.start_training(), window.training_ui.panel.message_label.text()
    QTest.mouseClick(view.hardest.find, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(view.hardest.rows), timeout=LOAD_TIMEOUT_MS)
    rows = view.hardest.rows
    assert len(rows) == int((view.samples.split == 1).sum()) and rows[0].loss >= rows[-1].loss
    assert view.hardest.table.item(0, 0).text() == view.samples.names[view.samples.indices(1)[rows[0].index]]
    assert view.hardest.export.isEnabled()
    assert view.export_hardest(str(tmp_path / "hardest.csv"))
    with open(tmp_path / "hardest.csv", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert len(written) == len(rows) and written[0]["loss"] == f"{rows[0].loss:.4f}"
    table = view.hardest.table  # a row picks its sample: Network input shows it
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=table.visualItemRect(table.item(1, 0)).center())
    assert view.current == int(view.samples.indices(1)[view.hardest.rows[1].index])


def test_open_data_makes_a_folder_the_dataset_in_one_undoable_edit(qtbot, window, tmp_path):
    root = imbalanced_folder(tmp_path / "pets", {"cats": 8, "dogs": 8}, channels=1)
    assert window.data_view.open_action in window.menuBar().actions()[0].menu().actions()
    assert window.data_view.choose_folder(str(root))  # what File ▸ Open Data… does with the chosen folder
    assert window.document.project.training.dataset == str(root)
    assert window.data_view.dock.isVisible()
    qtbot.waitUntil(lambda: window.data_view.view.samples is not None and not window.data_view.view._loading,
                    timeout=LOAD_TIMEOUT_MS)
    assert len(window.data_view.view.samples) == 16
    window.document.undo_stack.undo()
    assert window.document.project.training.dataset == "digits"


def test_closing_the_window_cancels_a_running_scan(qtbot, window):
    view = open_data_view(qtbot, window, "shapes:5000")
    QTest.mouseClick(view.problems.scan, Qt.MouseButton.LeftButton)
    window.document.undo_stack.setClean()
    window.close()
    # The scan stops at its next batch instead of reading on through 5,000 images, and its answer is
    # dropped with the window (BackgroundJobs.close): nothing is left running behind the closed window.
    assert view.scan_job.cancel_requested
    assert view.jobs.wait(LOAD_TIMEOUT_MS) and view.jobs.closed


def test_detection_boxes_are_drawn_on_the_sample_and_its_augmented_versions(qtbot, window):
    from app.training.settings_command import set_task

    set_task(window.document, "detection")
    view = open_data_view(qtbot, window, "det-shapes:40")
    set_training_setting(window.document, "augment_flip", True)
    view.grid.setFocus()
    QTest.keyClick(view.grid, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: view.received.received is not None and view.received.received.target is not None)
    received = view.received.received
    assert len(received.target) and len(received.augmented) == 6
    pictures = view.received.pictures()
    # Drawn on a picture at least 192 px wide (thin lines), in the class's colour.
    assert pictures["after"].width() >= 192 and not view.received.opacity.isVisibleTo(view)
    flipped = [i for i, (image, _) in enumerate(received.augmented) if not np.allclose(image, received.adapted)]
    assert flipped
    moved = received.augmented[flipped[0]][1]
    assert not np.allclose(moved[:, 1:], received.target[received.target[:, 0] >= 0][:, 1:])


def test_dicom_samples_are_shown_through_the_projects_window_named_and_follow_its_change(qtbot, window, tmp_path):
    """The grid and the Network input tab show what training reads: the Input's window, not the file's."""
    from engine.data.image_folder import decode_image
    from engine.data.windowing import Window

    from ..engine.medical.medical_writers import dicom_class_folder

    root = dicom_class_folder(tmp_path / "ct", per_class=3)
    (node,) = window.document.graph.nodes_of_type("input")
    assert window.document.set_param(node.id, "window", "lung")
    view = open_data_view(qtbot, window, str(root))
    assert "lung window (centre -600, width 1500), as the network receives them" in view.source.text()
    first = view.samples.paths[0]
    lung = (decode_image(first, Window("lung")).numpy() * 255 + 0.5).astype(np.uint8)
    assert np.array_equal(view.samples.image(0)[..., 0], lung[0])
    assert not np.array_equal(lung, (decode_image(first).numpy() * 255 + 0.5).astype(np.uint8))  # the file's own

    assert window.document.set_param(node.id, "window", "bone")  # the view lists again, through the new window
    qtbot.waitUntil(lambda: "bone window" in view.source.text() and not view._loading, timeout=LOAD_TIMEOUT_MS)
    bone = (decode_image(first, Window("bone")).numpy() * 255 + 0.5).astype(np.uint8)
    assert np.array_equal(view.samples.image(0)[..., 0], bone[0])
