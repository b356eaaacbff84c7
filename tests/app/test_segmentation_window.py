"""Segmentation in the window: the task chooser, and the live mask while a U-Net-like network trains."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMainWindow, QWidget

from app.document import Document
from app.training import install_training_ui
from app.training.masks import colour_mask, overlay
from engine.config import TrainingConfig
from engine.project import Project

from ..engine.graphs import seg_graph
from .test_training import RUN_TIMEOUT_MS, Studio, tiny_graph


def open_segmentation_studio(qtbot, tmp_path, graph=None, task="segmentation", dataset="seg-shapes:96") -> Studio:
    window = QMainWindow()
    window.setCentralWidget(QWidget())
    config = TrainingConfig(dataset=dataset, epochs=2, batch_size=16, lr=0.01)
    project = Project(graph if graph is not None else seg_graph(size=16, classes=4), "seg", training=config,
                      task=task)
    document = Document(project, parent=window)
    ui = install_training_ui(window, document, None, runs_root=tmp_path / "runs")
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitUntil(lambda: ui.panel.dataset_info is not None, timeout=60_000)  # first look-up waits for torch
    return Studio(window, document, ui)


def choose_task(panel, title: str) -> None:
    """Picks ``title`` in the Task box with the keyboard, as a user would."""
    combo = panel.task_combo
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Home)
    while combo.currentText() != title:
        before = combo.currentIndex()
        QTest.keyClick(combo, Qt.Key.Key_Down)
        assert combo.currentIndex() != before, f"no task called {title!r}"


def test_the_task_box_switches_dataset_analysis_and_views_in_one_undoable_edit(qtbot, tmp_path):
    studio = open_segmentation_studio(qtbot, tmp_path, graph=tiny_graph(), task="classification", dataset="digits")
    ui, document = studio.ui, studio.document
    panel, masks = ui.panel, ui.dock("masksDock")
    assert panel.task_combo.currentText() == "Classification" and not masks.isVisible()
    assert [panel.dataset.combo.itemData(i) for i in range(panel.dataset.combo.count())][:2] == ["digits", "shapes"]

    choose_task(panel, "Segmentation")
    assert document.project.task == "segmentation"
    assert document.project.training.dataset == "seg-shapes"  # digits has no masks: the task's own set
    assert document.undo_stack.undoText() == "Set task to segmentation"
    offered = [panel.dataset.combo.itemData(i) for i in range(panel.dataset.combo.count())]
    assert offered == ["seg-shapes", "voc", "pets", "folder"]
    qtbot.waitUntil(masks.isVisible)
    # The classifier ends in 10 scores, not a mask: the analysis says so on the Output card.
    qtbot.waitUntil(lambda: any(issue.node_id == "output" or "mask" in issue.message
                                for issue in document.analysis.errors))
    assert any("mask" in issue.message for issue in document.analysis.errors)

    document.undo_stack.undo()
    assert (document.project.task, document.project.training.dataset) == ("classification", "digits")
    assert panel.task_combo.currentText() == "Classification"
    qtbot.waitUntil(lambda: not masks.isVisible())
    qtbot.waitUntil(lambda: not document.analysis.errors)


def test_the_predicted_mask_updates_live_and_the_iou_bars_fill_each_epoch(qtbot, tmp_path):
    studio = open_segmentation_studio(qtbot, tmp_path)
    ui = studio.ui
    with qtbot.waitSignal(ui.training_ended, timeout=RUN_TIMEOUT_MS):
        assert ui.start_training()
    assert "validation mean IoU" in ui.panel.status_label.text(), ui.panel.status_label.text()
    assert ui.masks.frames_shown >= 1, "no live mask arrived during the run"
    predicted = ui.masks.predicted_mask()
    assert predicted.shape == (16, 16) and predicted.dtype == np.uint8
    assert ui.masks.iou_epoch == 2  # the bars follow each validated epoch
    heights = ui.masks.bar_heights()
    assert len(heights) == 4 and all(0.0 <= value <= 1.0 for value in heights)
    assert "mean IoU" in ui.masks.iou_text.text()
    true = ui.masks.picture_array("true")
    assert true is not None and true.shape == (16, 16, 3)
    assert ui.masks.pictures["predicted"].pixmap() is not None and not ui.masks.pictures["predicted"].pixmap().isNull()
    # The opacity slider blends: at 100 % the predicted picture is the mask's colours alone.
    ui.masks.opacity.setFocus()
    QTest.keyClick(ui.masks.opacity, Qt.Key.Key_End)
    assert np.array_equal(ui.masks.picture_array("predicted"), colour_mask(predicted))


def test_overlay_keeps_unlabelled_pixels_as_the_image():
    image = np.full((2, 2), 100, dtype=np.uint8)
    mask = np.array([[0, 1], [255, 1]])
    blended = overlay(image, mask, 1.0, ignore=255)
    assert blended[1, 0].tolist() == [100, 100, 100]
    assert blended[0, 1].tolist() == colour_mask(np.array([1]))[0].tolist()
