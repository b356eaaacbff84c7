"""At 2× (QT_SCALE_FACTOR=2 on a 2560×1440 screen, 1280×720 logical pixels) every window and dialog fits
the available screen, pictures are made at the device pixel ratio, and feature maps show one square per unit.

The scale factor is read when QApplication is made, so ``scale_probe.py`` runs in a fresh process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QImage
from PySide6.QtWidgets import QAbstractButton, QDockWidget

from app.training.curves import CurvesView
from app.training.feature_maps import ChannelGrid
from app.training.gallery import framed_thumbnail
from app.training.pictures import fitted_pixmap, to_qimage
from app.training.plot_style import ReadableValueAxis, next_round_step

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("scale_probe.py")


@pytest.fixture(scope="module")
def at_2x(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("at-2x")
    config = folder / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 2560, "height": 1440,
                                               "logicalDpiX": 96, "logicalDpiY": 96}]}))
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={config}", QT_SCALE_FACTOR="2",
               HOME=str(folder), XDG_CONFIG_HOME=str(folder / "config"), XDG_CACHE_HOME=str(folder / "cache"),
               XDG_DATA_HOME=str(folder / "data"))
    result = subprocess.run([sys.executable, str(PROBE)], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_at_2x_the_screen_is_a_1280x720_laptop(at_2x):
    assert at_2x["ratio"] == 2.0 and at_2x["screen"] == [0, 0, 1280, 720]


def test_at_2x_every_window_and_dialog_fits_the_available_screen(at_2x):
    screen = QRect(*at_2x["screen"])
    top_levels = at_2x["top-levels"]
    assert None not in top_levels.values(), top_levels  # every dialog opened
    assert {"Learn Convolution", "Export", "Import torchvision", "Group into block", "Pretrained weights",
            "Block guide", "Network analyzer", "Save block"} <= set(top_levels)
    outside = {name: seen for name, seen in top_levels.items() if not screen.contains(QRect(*seen["frame"]))}
    assert outside == {}  # Learn Convolution was 1240×820, its Back/Play/Close below the screen's edge
    too_big = {name: seen["minimum"] for name, seen in top_levels.items()
               if seen["minimum"][0] > screen.width() or seen["minimum"][1] > screen.height()}
    assert too_big == {}


def test_at_2x_pictures_are_made_at_the_device_pixel_ratio(at_2x):
    assert at_2x["pictures"] == {"start page": 2.0, "gallery": 2.0, "grad-cam": 2.0}


def test_at_2x_a_feature_map_shows_one_flat_square_per_unit(at_2x):
    drawn = at_2x["feature map"]
    assert drawn["square"][0] >= 40 and drawn["square"][1] >= 40, drawn  # big enough to tell smoothing apart
    assert drawn["colours_per_square"] == [1] * 16, drawn  # interpolated, a square holds a gradient


# --- in this process (1×) --------------------------------------------------------------------------


def test_a_small_image_grows_in_crisp_squares_at_the_ratio_asked(qapp):
    image = to_qimage(np.array([[0, 255], [255, 0]], dtype=np.uint8))
    pixmap = fitted_pixmap(image, QSize(10, 10), 2.0)
    assert pixmap.devicePixelRatio() == 2.0 and pixmap.size() == QSize(20, 20)
    pixels = pixmap.toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    quarter = {pixels.pixelColor(x, y).value() for x in range(10) for y in range(10)}
    assert quarter == {0}  # the top-left unit is one black square, no blend towards its white neighbours


def test_a_gallery_thumbnail_keeps_its_logical_size_at_any_ratio(qapp):
    image = np.zeros((8, 8), dtype=np.uint8)
    for ratio in (1.0, 1.5, 2.0):
        pixmap = framed_thumbnail(image, QColor("red"), 64, ratio)
        assert pixmap.deviceIndependentSize().toSize() == QSize(64, 64)
        assert pixmap.devicePixelRatio() == ratio


# --- item 11: what was cut short or tiny at 2× (logical sizes: the same at 1×) -----------------------


def settle(qtbot) -> None:
    qtbot.wait(50)


def test_panel_float_and_close_buttons_are_24px_targets(window):
    sizes = {}
    for dock in window.findChildren(QDockWidget):
        if dock.isVisible() and not dock.visibleRegion().isEmpty():
            for name in ("qt_dockwidget_floatbutton", "qt_dockwidget_closebutton"):
                button = dock.findChild(QAbstractButton, name)
                sizes[(dock.objectName(), name)] = (button.width(), button.height())
    assert sizes and all(width >= 24 and height >= 24 for width, height in sizes.values()), sizes  # were 18×10


def test_a_short_confusion_panel_scrolls_down_without_cutting_the_tables_columns(make_window, qtbot):
    window = make_window(size=(1280, 720))
    ui = window.training_ui
    ui.dock("confusionDock").raise_()
    matrix = np.arange(100).reshape(10, 10) % 37
    ui.confusion.show_confusion(matrix, [f"class {index}" for index in range(10)], "epoch 1")
    settle(qtbot)
    table = ui.confusion.table
    scroll = ui.dock("confusionDock").widget()
    assert not scroll.horizontalScrollBar().isVisible()  # a vertical scroll bar took the right edge
    assert table.horizontalHeader().length() <= table.viewport().width()  # "Accuracy" was cut


def test_the_confusion_matrix_names_every_class_only_where_labels_fit(make_window, qtbot):
    window = make_window(size=(1280, 720))
    ui = window.training_ui
    ui.dock("confusionDock").raise_()
    ui.confusion.show_confusion(np.eye(10, dtype=int) * 5, [str(index) for index in range(10)])
    settle(qtbot)
    left = ui.confusion.plot.getAxis("left")
    metrics = ui.confusion.graphics.fontMetrics()
    cell = ui.confusion.plot.vb.height() / 10
    named = len(left._tickLevels[0])
    assert named * metrics.height() <= 10 * cell + metrics.height()  # labels do not run into each other
    ui.confusion.graphics.resize(900, 900)
    settle(qtbot)
    assert len(left._tickLevels[0]) == 10  # with room, every class is named


def test_the_palette_is_never_narrower_than_its_block_names(window, qtbot):
    window.resizeDocks([window.palette_dock], [40], Qt.Orientation.Horizontal)
    settle(qtbot)
    tree = window.palette_panel.tree
    assert tree.viewport().width() >= tree.sizeHintForColumn(0)  # "AdaptiveAvgPool2d" was cut short


def test_the_colour_bar_caption_shows_only_where_it_fits_beside_the_bar(qtbot):
    grid = ChannelGrid()
    qtbot.addWidget(grid)
    grid.resize(500, 90)
    grid.show()
    settle(qtbot)
    assert not grid.colour_bar.axis.label.isVisible()  # it ran past the bar's ends, cut off
    assert grid.colour_bar.toolTip() == grid.scale_label
    grid.resize(500, 500)
    settle(qtbot)
    assert grid.colour_bar.axis.label.isVisible()


def test_beside_the_start_page_the_inspector_fits_its_panel(make_window, qtbot):
    window = make_window(size=(1280, 720), start_page=True)
    assert window.start_page_shown
    settle(qtbot)
    inspector = window.inspector
    assert inspector.widget().width() <= inspector.viewport().width()  # the Name field and status were cut


def test_a_short_value_axis_keeps_its_labels_a_line_apart(qapp):
    axis = ReadableValueAxis("left")
    line = QFontMetricsF(axis.font()).height()
    for size in (30, 42, 60, 120, 400):
        major = axis.tickSpacing(0.0, 1.0, size)[0][0]
        assert major * size >= line, size  # px between labels: pyqtgraph put 0.2 apart (8 px) on 42 px
    assert axis.tickSpacing(0.0, 1.0, 400) == pg.AxisItem("left").tickSpacing(0.0, 1.0, 400)  # with room, pyqtgraph's
    assert next_round_step(0.2) == 0.5 and next_round_step(0.5) == 1.0 and next_round_step(1.0) == 2.0


def test_the_curves_use_readable_value_axes_and_titles_at_the_body_size(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    for plot in view.plots.values():
        assert isinstance(plot.plot.getAxis("left"), ReadableValueAxis)
        assert plot.plot.titleLabel.opts["size"] == f"{view.font().pointSizeF():g}pt"


def test_the_dock_tab_titles_are_never_elided_at_1280x720(make_window, qtbot):
    """Nine panels share the bottom tab group: at 1280x720 Qt elided them to "Proble…", "Clini…", "Filt…".
    Every title is shown in full, and the tab bar scrolls instead."""
    from PySide6.QtWidgets import QTabBar

    window = make_window(size=(1280, 720))
    qtbot.waitUntil(lambda: any(bar.count() >= 6 for bar in window.findChildren(QTabBar)))
    bars = [bar for bar in window.findChildren(QTabBar) if bar.parentWidget() is window and bar.count()]
    crowded = max(bars, key=QTabBar.count)
    metrics = crowded.fontMetrics()
    assert crowded.elideMode() == Qt.TextElideMode.ElideNone and crowded.usesScrollButtons()
    for index in range(crowded.count()):
        title = crowded.tabText(index)
        assert crowded.tabRect(index).width() > metrics.horizontalAdvance(title), title
