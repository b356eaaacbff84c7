"""The detection run's dashboards beyond the boxes: mAP and loss-part curves, precision–recall, class heat maps."""
from __future__ import annotations

import numpy as np

from app.training.boxes import BoxView


def test_each_validated_epoch_adds_its_map_to_the_curves_and_a_new_run_starts_them_empty(qtbot):
    view = BoxView()
    qtbot.addWidget(view)
    view.show_map(0.2, 0.1, [0.1, 0.3, None], 1)
    view.show_map(0.5, 0.25, [0.4, 0.6, 0.5], 2)
    x, y = view.map_curves["map50"].getData()
    assert list(x) == [1, 2] and np.allclose(y, [0.2, 0.5])
    assert np.allclose(view.map_curves["map"].getData()[1], [0.1, 0.25])
    view.show_map(0.6, 0.3, [0.4, 0.6, 0.5], 2)  # a resumed run re-reports an epoch: replaced, not doubled
    assert list(view.map_curves["map50"].getData()[0]) == [1, 2]
    view.clear()
    assert len(view.map_curves["map"].getData()[0] or []) == 0


def test_the_loss_parts_of_each_epoch_make_four_curves_and_an_epoch_without_validation_skips_its_val_points(qtbot):
    view = BoxView()
    qtbot.addWidget(view)
    view.show_loss_parts({"epoch": 1, "train_loss_heatmap": 3.0, "train_loss_box": 1.0, "val_loss_heatmap": None})
    view.show_loss_parts({"epoch": 2, "train_loss_heatmap": 2.0, "train_loss_box": 0.5, "val_loss_heatmap": 2.5,
                          "val_loss_box": 0.8})
    assert np.allclose(view.loss_curves["train_loss_heatmap"].getData()[1], [3.0, 2.0])
    assert list(view.loss_curves["val_loss_box"].getData()[0]) == [2]
    assert [view.charts.tabText(i) for i in range(view.charts.count())][:3] == ["AP per class", "mAP", "Loss parts"]


def test_the_class_chooser_shows_that_classes_heat_map_over_the_probe_image(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from app.training.boxes import heat_overlay

    view = BoxView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    image = np.full((16, 16), 40, np.uint8)
    view.set_probe(image, np.zeros((0, 5), np.float32), ["circle", "square"])
    assert view.heat_picture() is image  # nothing predicted yet: the bare image
    heat = np.zeros((2, 4, 4), np.float32)
    heat[0, 0, 0] = 1.0  # circle: a centre in the top-left cell
    heat[1, 3, 3] = 1.0  # square: in the bottom-right one
    view.show_prediction({"boxes": np.zeros((0, 4)), "labels": np.zeros(0), "scores": np.zeros(0), "heat": heat})
    shown = view.heat_picture()
    assert not np.array_equal(shown[0, 0], shown[15, 15]) and np.array_equal(shown[15, 15], [40, 40, 40])
    view.heat_class.setFocus()
    QTest.keyClick(view.heat_class, Qt.Key.Key_Down)  # the keyboard picks the square
    assert view.heat_class.currentText() == "square"
    shown = view.heat_picture()
    np.testing.assert_array_equal(shown, heat_overlay(image, heat[1]))
    assert np.array_equal(shown[0, 0], [40, 40, 40]) and not np.array_equal(shown[12, 12], [40, 40, 40])
    assert not view.pictures["heat"].pixmap().isNull()


def test_a_detection_run_fills_the_map_and_loss_part_curves_and_the_heat_map_of_each_class(qtbot, tmp_path):
    from .test_detection_window import open_detection_studio
    from .test_training import RUN_TIMEOUT_MS

    studio = open_detection_studio(qtbot, tmp_path)
    ui = studio.ui
    with qtbot.waitSignal(ui.training_ended, timeout=RUN_TIMEOUT_MS):
        assert ui.start_training(), ui.panel.message_label.text()
    from engine.checkpoint import load_checkpoint

    view, history = ui.boxes, load_checkpoint(ui.trained.checkpoint.with_name("last.pt")).history
    assert list(view.map_curves["map50"].getData()[0]) == [1, 2]
    assert np.allclose(view.map_curves["map"].getData()[1], [entry["val_map"] for entry in history])
    for key in ("train_loss_heatmap", "train_loss_box", "val_loss_heatmap", "val_loss_box"):
        assert np.allclose(view.loss_curves[key].getData()[1], [entry[key] for entry in history]), key
    assert [view.heat_class.itemText(i) for i in range(view.heat_class.count())] == ["circle", "square", "triangle"]
    assert view._heat is not None and view._heat.shape == (3, 8, 8)
    np.testing.assert_array_equal(view.heat_picture(), heat_overlay_of(view, 0))
    # The precision–recall plot: the last validated epoch's curve of each class the evaluator scored.
    assert view.pr_epoch == 2
    drawn = [curve for curve in view.pr_curves if curve is not None]
    assert drawn and len(view.pr_curves) == 3
    for curve in drawn:
        recall, precision = curve.getData()
        assert recall[0] == 0 and recall[-1] == 1 and len(recall) == 101
        assert np.all((precision >= 0) & (precision <= 1))
    view.heat_class.setCurrentIndex(2)
    np.testing.assert_array_equal(view.heat_picture(), heat_overlay_of(view, 2))
    ui.jobs.wait(10_000)


def heat_overlay_of(view: BoxView, index: int) -> np.ndarray:
    from app.training.boxes import heat_overlay

    return heat_overlay(view._image, view._heat[index])


def test_the_precision_recall_plot_draws_each_validated_class_and_replaces_the_previous_epochs(qtbot):
    view = BoxView()
    qtbot.addWidget(view)
    view.set_probe(np.zeros((8, 8), np.uint8), np.zeros((0, 5), np.float32), ["circle", "square", "triangle"])
    view.show_precision_recall([[1.0] * 101, None, [0.5] * 51 + [0.0] * 50], 1)
    view.show_precision_recall([[1.0] * 101, [0.8] * 101, None], 2)
    assert view.pr_epoch == 2 and view.pr_curves[2] is None
    assert len(view.pr_plot.getPlotItem().listDataItems()) == 2  # epoch 1's curves are gone
    assert [item.name() for item in view.pr_plot.getPlotItem().listDataItems()] == ["circle", "square"]
    assert np.allclose(view.pr_curves[1].getData()[1], 0.8)
    view.clear()
    assert view.pr_epoch is None and not view.pr_plot.getPlotItem().listDataItems()
