"""Detection in the window: the Task box picks it, and the Boxes view shows a detector's boxes while it trains."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.training.box_matching import BoxMatch, match_boxes
from app.training.boxes import true_boxes
from app.training.worker import validation_sample

from ..engine.graphs import det_graph
from .test_segmentation_window import choose_task, open_segmentation_studio
from .test_training import RUN_TIMEOUT_MS, Studio, tiny_graph


def open_detection_studio(qtbot, tmp_path) -> Studio:
    """A window on a small detector (32×32 input, 3 classes + 4 box channels at stride 4), 2 epochs of det-shapes."""
    return open_segmentation_studio(qtbot, tmp_path, graph=det_graph(size=32, channels=7), task="detection",
                                    dataset="det-shapes:64")


def test_the_task_box_picks_detection_its_dataset_and_the_boxes_view_in_one_undoable_edit(qtbot, tmp_path):
    studio = open_segmentation_studio(qtbot, tmp_path, graph=tiny_graph(), task="classification", dataset="digits")
    ui, document = studio.ui, studio.document
    panel, boxes, masks = ui.panel, ui.dock("boxesDock"), ui.dock("masksDock")
    assert not boxes.isVisible() and not boxes.toggleViewAction().isEnabled()

    choose_task(panel, "Detection")
    assert (document.project.task, document.project.training.dataset) == ("detection", "det-shapes")
    assert document.undo_stack.undoText() == "Set task to detection"
    offered = [panel.dataset.combo.itemData(i) for i in range(panel.dataset.combo.count())]
    assert offered[0] == "det-shapes" and panel.dataset.combo.currentData() == "det-shapes"
    qtbot.waitUntil(boxes.isVisible)
    assert boxes.toggleViewAction().isEnabled() and not masks.isVisible()
    # A classifier's 10 scores are no head maps: the Output card says what a detector needs.
    qtbot.waitUntil(lambda: any("detection" in issue.message for issue in document.analysis.errors))

    # The Down key walked through Segmentation: one undo step goes back to it, and its Masks view.
    document.undo_stack.undo()
    assert document.project.task == "segmentation"
    qtbot.waitUntil(lambda: masks.isVisible() and not boxes.isVisible())
    document.undo_stack.undo()
    assert document.project.task == "classification"
    qtbot.waitUntil(lambda: not masks.isVisible())
    assert not boxes.toggleViewAction().isEnabled()
    ui.jobs.wait(10_000)


def test_the_boxes_appear_live_and_each_validated_epoch_states_the_map(qtbot, tmp_path):
    studio = open_detection_studio(qtbot, tmp_path)
    ui = studio.ui
    with qtbot.waitSignal(ui.training_ended, timeout=RUN_TIMEOUT_MS):
        assert ui.start_training(), ui.panel.message_label.text()
    headline = ui.panel.status_label.text()
    assert "validation mAP@0.5 " in headline and "mAP@[.5:.95]" in headline, headline
    view = ui.boxes
    assert view.frames_shown >= 1, "no live boxes arrived during the run"
    assert view.map_epoch == 2  # the figures follow each validated epoch
    assert view.map_text.text().startswith("Epoch 2: mAP@0.5 ") and "mAP@[.5:.95]" in view.map_text.text()
    heights = view.bar_heights()
    assert len(heights) == 3 and all(0.0 <= value <= 1.0 for value in heights)

    # The true boxes are the probe image's (the first validation image's), dashed beside the predictions.
    data = ui.trained.data
    expected = true_boxes(validation_sample(data, 0)[1].numpy())
    np.testing.assert_array_equal(view._true.boxes, expected.boxes)
    assert view.class_names == ["circle", "square", "triangle"]
    for picture in view.pictures.values():
        assert picture.pixmap() is not None and not picture.pixmap().isNull()
    # The pictures follow their room: in a low window they shrink rather than lose their top and bottom
    # (where the labels of boxes at an edge are).
    for size in ((1200, 800), (900, 520)):
        studio.window.resize(*size)
        qtbot.waitUntil(lambda: all(_fits(picture) for picture in view.pictures.values()))
    assert studio.ui.curves.titles() == ("Loss (heat-map focal + box)", "Centre recall")

    # The threshold slider, by keys: at 1.00 no box is left; at 0 every box the network sent is drawn.
    view.threshold.setFocus()
    QTest.keyClick(view.threshold, Qt.Key.Key_End)
    assert len(view.visible_boxes()) == 0
    assert view.status.text().startswith("Probe image, score ≥ 1.00: 0 of ")
    QTest.keyClick(view.threshold, Qt.Key.Key_Home)
    shown = view.visible_boxes()
    assert len(shown) == len(view._predicted) > 0  # an untrained detector proposes boxes everywhere
    assert np.all(np.diff(shown.scores) <= 0)  # best first
    ui.jobs.wait(10_000)


def test_box_matching_counts_found_boxes_and_false_alarms():
    true = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], np.float32)
    predicted = np.array([[1, 0, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60]], np.float32)
    # The first is found; the second overlaps its true box but names another class; the third is nothing.
    match = match_boxes(predicted, np.array([0, 2, 1]), true, np.array([0, 1]))
    assert match == BoxMatch(found=1, true=2, false_alarms=2)
    assert match.f1 == 2 / (2 + 1 + 2)
    assert match.summary() == "1 of 2 true boxes found, 2 false alarms"
    assert match_boxes(predicted[:0], np.array([], int), true[:0], np.array([], int)).f1 == 1.0


def _fits(picture) -> bool:
    shown = picture.pixmap().deviceIndependentSize()
    return shown.width() <= picture.width() and shown.height() <= picture.height()


def test_the_worker_decodes_the_probe_boxes_at_most_once_per_interval_and_hands_each_over_once():
    """Pulled, not pushed: the training loop fills one slot between batches no more often than the interval,
    and the window takes the newest (the live boxes never queue up behind a busy window)."""
    import torch

    from engine.compiler import compile_graph
    from engine.training import probe_boxes

    from app.training.worker import _SignallingMailbox

    model = compile_graph(det_graph(size=32, channels=7))
    image = torch.rand(3, 32, 32)
    wake_ups = []
    mailbox = _SignallingMailbox(lambda: wake_ups.append(1), interval=3600)
    mailbox.watch_output(image, probe_boxes)
    model.train()
    assert mailbox.serve(model, lambda: image) is False  # no feature-map node is watched: only the boxes
    assert mailbox.serve(model, lambda: image) is False
    assert len(wake_ups) == 1  # the second batch came before the interval was over: nothing decoded
    found = mailbox.take_output()
    expected = probe_boxes(model, image)
    assert set(found) == {"boxes", "scores", "labels", "heat"} and found["boxes"].shape[1] == 4
    assert found["heat"].shape == (3, 8, 8) and 0 <= found["heat"].min() <= found["heat"].max() <= 1
    for key in found:
        np.testing.assert_array_equal(found[key], expected[key])
    assert model.training  # the probe ran in eval mode and put the mode back
    assert mailbox.take_output() is None  # taken once
