"""The training dashboards, fed real data and read back through their pyqtgraph items."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.training import plot_style
from app.training.confusion import ConfusionView, per_class_rows
from app.training.curves import CurvesView, SmoothedSeries
from app.training.feature_maps import FeatureFrame, FeatureMapView, as_channel_maps
from app.training.filters import FiltersView, kernel_tiles
from app.training.gallery import CHUNK, MAX_ITEMS, GalleryView, gallery_order
from app.training.predict_view import PredictView
from app.training.throttle import Throttle


def curve_points(curve) -> tuple[list[float], list[float]]:
    x, y = curve.getData()
    return ([] if x is None else list(x)), ([] if y is None else list(y))


# --- curves -------------------------------------------------------------------------------


def test_smoothing_starts_at_the_first_value_and_follows_the_trend():
    series = SmoothedSeries(smoothing=0.8)
    for step, value in enumerate([2.0, 2.0, 1.0, 1.0, 1.0]):
        series.append(step, value)
    assert series.smooth[0] == pytest.approx(2.0)  # debiased: not pulled towards zero
    assert 1.0 < series.smooth[-1] < 2.0
    assert series.raw == [2.0, 2.0, 1.0, 1.0, 1.0]


def test_curves_show_batch_and_validation_points(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    view.begin_run("run 1", epochs=2)
    for batch in range(1, 11):
        view.add_train_point(batch / 10, loss=2.0 / batch, accuracy=batch / 10)
    view.add_validation_point(1, loss=0.5, accuracy=0.75)
    qtbot.waitUntil(lambda: len(curve_points(view.plots["loss"].smooth)[0]) == 10)
    view.redraw()
    assert curve_points(view.plots["loss"].raw)[1][0] == pytest.approx(2.0)
    assert curve_points(view.plots["accuracy"].raw)[1][-1] == pytest.approx(100.0)  # shown in %
    assert curve_points(view.plots["loss"].validation) == ([1.0], [0.5])
    assert curve_points(view.plots["accuracy"].validation)[1] == [75.0]


def test_a_burst_of_points_is_drawn_by_few_redraws_on_the_same_items(qtbot, monkeypatch):
    view = CurvesView()
    qtbot.addWidget(view)
    redraws = []
    original = view.redraw
    monkeypatch.setattr(view.redraw_throttle, "_callback", lambda: (redraws.append(1), original()))
    view.begin_run("run 1")
    smooth_item = view.plots["loss"].smooth
    for step in range(500):
        view.add_train_point(step / 100, loss=1.0)
    qtbot.waitUntil(lambda: len(curve_points(view.plots["loss"].smooth)[0]) == 500)
    assert len(redraws) <= 3  # the first point at once, the rest in one trailing redraw
    assert view.plots["loss"].smooth is smooth_item


def test_earlier_runs_stay_dimmed_behind_the_new_one_and_can_be_hidden(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    view.begin_run("run 1")
    view.add_train_point(0.5, 1.0, 0.5)
    view.begin_run("run 2")
    previous = view.plots["loss"].previous_curves
    assert len(previous) == 1 and curve_points(previous[0])[1] == [1.0]
    assert previous[0].opts["pen"].color().alpha() < 255
    view.previous_toggle.setChecked(False)
    assert not previous[0].isVisible()


def test_hovering_a_plot_reads_out_the_values_under_the_cursor(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    view.begin_run("run 1", epochs=2)
    for batch in range(1, 21):
        view.add_train_point(batch / 10, loss=1.0, accuracy=0.5)
    view.add_validation_point(1, loss=0.25, accuracy=0.9)
    view.redraw()
    plot = view.plots["loss"]
    plot.plot.vb.setRange(xRange=(0, 2), yRange=(0, 2), padding=0)
    QApplication.processEvents()
    view.graphics.scene().sigMouseMoved.emit(plot.plot.vb.mapViewToScene(QPointF(1.05, 1.0)))
    text = plot.readout.textItem.toPlainText()
    assert plot.readout.isVisible()
    assert "epoch 1.05" in text and "train loss: 1" in text and "validation loss @ epoch 1: 0.25" in text


# --- feature maps, filters ----------------------------------------------------------------------


def test_feature_maps_show_one_tile_per_channel_with_fixed_levels(qtbot):
    view = FeatureMapView()
    qtbot.addWidget(view)
    view.show_node("conv1")
    maps = np.arange(6 * 5 * 7, dtype=np.uint8).reshape(6, 5, 7)
    view.show_frame(FeatureFrame("conv1", maps, "for validation image #0"))
    assert len(view.image_items) == 6
    assert all(item.image.shape == (5, 7) for item in view.image_items)
    assert [tuple(item.levels) for item in view.image_items] == [(0, 255)] * 6
    np.testing.assert_array_equal(view.image_items[2].image, maps[2])
    assert "conv1: 6 channels of 5×7" in view.title.text()


def test_a_tile_is_coloured_exactly_as_pyqtgraph_colours_it(qtbot):
    # The tiles build their QImage from a colour table made once (not per tile and frame, as
    # pyqtgraph does); the colours must stay pyqtgraph's, pixel for pixel.
    import pyqtgraph as pg

    view = FeatureMapView()
    qtbot.addWidget(view)
    view.show_node("conv1")
    maps = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    view.show_frame(FeatureFrame("conv1", maps))
    tile = view.image_items[0]
    reference = pg.ImageItem(axisOrder="row-major", lut=view.grid._lut)
    reference.setImage(maps[0], autoLevels=False, levels=plot_style.FIXED_LEVELS)
    for item in (tile, reference):
        item.render()

    def pixels(item):
        image = item.qimage.convertToFormat(item.qimage.Format.Format_ARGB32)
        return [image.pixel(x, y) for y in range(16) for x in range(16)]

    assert tile.qimage.format() == tile.qimage.Format.Format_Indexed8  # the cheap path was taken
    assert pixels(tile) == pixels(reference)


def test_feature_map_items_are_reused_while_the_shape_stays(qtbot):
    view = FeatureMapView()
    qtbot.addWidget(view)
    view.show_node("conv1")
    view.show_frame(FeatureFrame("conv1", np.zeros((4, 6, 6), np.uint8)))
    first = list(view.image_items)
    view.show_frame(FeatureFrame("conv1", np.full((4, 6, 6), 200, np.uint8)))
    assert view.image_items == first
    assert view.image_items[0].image[0, 0] == 200


def test_a_late_frame_of_another_node_is_ignored(qtbot):
    view = FeatureMapView()
    qtbot.addWidget(view)
    view.show_node("conv2")
    view.show_frame(FeatureFrame("conv1", np.zeros((4, 6, 6), np.uint8)))
    assert view.image_items == []


def test_flat_activations_become_a_strip_of_pixels():
    maps = as_channel_maps(np.arange(40, dtype=np.uint8))
    assert maps.shape == (1, 2, 32)


def test_filters_show_each_kernel_with_levels_symmetric_about_zero(qtbot):
    view = FiltersView()
    qtbot.addWidget(view)
    weights = np.random.default_rng(0).normal(size=(6, 2, 3, 3)).astype(np.float32)
    view.show_kernels("conv1", weights)
    assert len(view.image_items) == 12
    np.testing.assert_allclose(view.image_items[3].image, weights[1, 1])  # filter 1, input channel 1
    low, high = view.image_items[0].levels
    assert low == pytest.approx(-high) and high == pytest.approx(np.abs(weights).max())


def test_wide_layers_show_their_first_filters_only():
    tiles, filters, inputs = kernel_tiles(np.zeros((256, 64, 3, 3)))
    assert (filters, inputs) == (12, 8) and tiles.shape == (96, 3, 3)


# --- confusion, gallery --------------------------------------------------------------------------


def test_confusion_matrix_shows_counts_and_per_class_accuracy(qtbot):
    view = ConfusionView()
    qtbot.addWidget(view)
    view.show()  # a hidden view only keeps the matrix until it is shown
    confusion = [[8, 2, 0], [1, 9, 0], [0, 0, 0]]
    view.show_confusion(confusion, ["cat", "dog", "bird"])
    assert view.image.image.shape == (3, 3)
    assert view.image.image[0, 0] == pytest.approx(0.8)  # share of the true class
    assert view.counts.texts()[0] == ["8", "2", ""]
    assert view.table.item(1, 0).text() == "dog" and view.table.item(1, 3).text() == "90.0 %"
    assert view.table.item(2, 3).text() == "–"  # no validation images of that class
    assert "17 of 20 images right (85.0 %)" in view.title.text()


def test_each_epochs_confusion_updates_the_same_table_cells(qtbot):
    # Making the table's items anew every epoch cost the window ~10 ms per epoch while training.
    view = ConfusionView()
    qtbot.addWidget(view)
    view.show()
    view.show_confusion([[8, 2], [6, 4]], ["cat", "dog"])
    cells = [[view.table.item(row, column) for column in range(4)] for row in range(2)]
    assert view.table.item(1, 3).foreground().color() == plot_style.ERROR_COLOUR  # 40 %: a poor class
    view.show_confusion([[9, 1], [2, 8]], ["cat", "dog"])
    assert [[view.table.item(row, column) for column in range(4)] for row in range(2)] == cells
    assert view.table.item(1, 2).text() == "8" and view.table.item(1, 3).text() == "80.0 %"
    assert view.table.item(1, 3).data(Qt.ItemDataRole.ForegroundRole) is None  # no longer poor
    assert view.table.item(1, 3).textAlignment() == int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def test_per_class_rows_count_images_and_hits():
    rows = per_class_rows(np.array([[3, 1], [0, 0]]), ["a", "b"])
    assert rows == [("a", 4, 3, 0.75), ("b", 0, 0, None)]


def test_gallery_puts_confident_mistakes_first():
    true = np.array([0, 1, 2, 3])
    predicted = np.array([0, 2, 2, 1])
    confidence = np.array([0.9, 0.6, 0.5, 0.95])
    assert list(gallery_order(true, predicted, confidence)) == [3, 1, 2, 0]


def test_a_long_gallery_is_listed_a_chunk_per_turn_in_order(qtbot):
    # 200 thumbnails at once held the window ~35 ms as a run ended; a chunk per turn lets it paint.
    rng = np.random.default_rng(0)
    count = 300
    images = rng.integers(0, 255, (count, 8, 8), dtype=np.uint8)
    true, predicted = rng.integers(0, 3, count), rng.integers(0, 3, count)
    confidence = rng.random(count)
    view = GalleryView()
    qtbot.addWidget(view)
    view.show()
    view.show_predictions(images, true, predicted, confidence, ["a", "b", "c"])
    assert view.item_count() == CHUNK  # the first chunk at once, the rest on later turns
    qtbot.waitUntil(lambda: view.item_count() == MAX_ITEMS)
    listed = [view.list.item(row).data(Qt.ItemDataRole.UserRole) for row in range(view.item_count())]
    assert listed == list(gallery_order(true, predicted, confidence)[:MAX_ITEMS])
    view.mistakes_only.setChecked(True)  # a new filling starts over, leaving nothing of the old one
    mistakes = int((true != predicted).sum())
    qtbot.waitUntil(lambda: view.item_count() == min(mistakes, MAX_ITEMS))
    qtbot.wait(50)
    assert view.item_count() == min(mistakes, MAX_ITEMS)
    assert all(view.list.item(row).text().count("true:") == 1 for row in range(view.item_count()))


def test_gallery_lists_thumbnails_with_guess_and_truth(qtbot):
    view = GalleryView()
    qtbot.addWidget(view)
    view.show()
    images = np.zeros((3, 8, 8), np.uint8)
    view.show_predictions(images, [0, 1, 1], [0, 0, 1], [0.9, 0.8, 0.7], ["zero", "one"])
    assert view.item_count() == 3
    assert view.list.item(0).text() == "zero (80%)\ntrue: one"
    view.mistakes_only.setChecked(True)
    assert view.item_count() == 1


# --- try an image ------------------------------------------------------------------------------


def drag_and_drop(widget, paths) -> tuple[bool, bool]:
    """Drags file URLs over ``widget`` and drops them, as Qt delivers a real drag; returns
    (enter accepted, drop accepted)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    args = (QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(*args)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False, False
    QApplication.sendEvent(widget, QDragMoveEvent(*args))
    drop = QDropEvent(*args)
    QApplication.sendEvent(widget, drop)
    return True, drop.isAccepted()


def test_dropping_an_image_file_on_the_predict_view_asks_for_a_prediction(qtbot, tmp_path):
    view = PredictView()
    qtbot.addWidget(view)
    view.set_available(True)
    path = tmp_path / "seven.png"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(path)
    with qtbot.waitSignal(view.image_chosen) as chosen:
        entered, dropped = drag_and_drop(view, [path])
    assert entered and dropped
    assert chosen.args == [str(path)]


def test_other_dropped_files_are_left_to_the_window(qtbot, tmp_path):
    view = PredictView()
    qtbot.addWidget(view)
    view.set_available(True)
    assert drag_and_drop(view, [tmp_path / "net.cnn.json"]) == (False, False)


# --- throttle ----------------------------------------------------------------------------------


def test_throttle_runs_at_once_then_collapses_a_burst_into_one_trailing_call(qtbot):
    calls = []
    throttle = Throttle(50, lambda: calls.append(1))
    for _ in range(10):
        throttle.request()
    assert len(calls) == 1
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=1000)
    QApplication.processEvents()
    assert len(calls) == 2


def test_views_behind_a_tab_draw_only_when_their_tab_comes_to_the_front(make_window, qtbot):
    # Qt keeps a dock behind another tab "visible" (it only moves it off the window), so the confusion
    # matrix, the gallery and the filters redrew for hidden tabs at every update of a run.
    from app.training.on_screen import behind_a_tab

    ui = make_window().training_ui
    for name in ("curvesDock", "featureMapsDock"):
        ui.dock(name).raise_()
    qtbot.waitUntil(lambda: behind_a_tab(ui.confusion) and behind_a_tab(ui.filters) and behind_a_tab(ui.gallery))
    ui.confusion.show_confusion([[8, 2], [1, 9]], ["cat", "dog"])
    ui.filters.show_kernels("conv1", np.ones((6, 2, 3, 3), np.float32))
    ui.gallery.show_predictions(np.zeros((3, 8, 8), np.uint8), [0, 1, 1], [0, 1, 0], [0.9, 0.8, 0.7], ["a", "b"])
    assert ui.confusion.counts.texts() == [] and ui.filters.image_items == [] and ui.gallery.item_count() == 0
    ui.dock("confusionDock").raise_()
    ui.dock("filtersDock").raise_()
    qtbot.waitUntil(lambda: ui.confusion.counts.texts() == [["8", "2"], ["1", "9"]])
    qtbot.waitUntil(lambda: len(ui.filters.image_items) == 12)
    ui.dock("galleryDock").raise_()
    qtbot.waitUntil(lambda: ui.gallery.item_count() == 3)
