"""The live curves repaint only their new points, yet show what a full repaint shows.

Each update marks only the rect of the newest points for repaint (app/training/live_items.py); the
window's other pixels stay as they were painted before. These tests read what the window really shows
(the backing store, as the screen gets it, not a fresh ``grab()``) after updates, resizes, range and
theme changes and new runs, and compare it with what a full repaint of the same view shows.
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QImage, QPalette
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from app.training.curves import CurvesView
from app.training.live_items import LivePlotDataItem, TailCurveItem


def shown(window: QWidget) -> np.ndarray:
    """The window's pixels as last painted (partial repaints included), once the layout has settled (a
    wider axis label moves the plots one event loop pass later)."""
    for _ in range(3):
        QApplication.processEvents()
    image = window.screen().grabWindow(window.winId()).toImage().convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return pixels[:, : image.width(), :3].copy()


def fully_repainted(window: QWidget, view: CurvesView) -> np.ndarray:
    view.graphics.viewport().update()
    return shown(window)


def plot_edges(window: QWidget, view: CurvesView) -> np.ndarray:
    """Pixels within a pixel of a plot area's border, where Qt rounds the plot's clip differently for a
    small repaint than for a whole one (a curve's first pixel, seen either way)."""
    mask = np.zeros((window.height(), window.width()), bool)
    for plot in view.plots.values():
        box = plot.plot.vb
        rect = view.graphics.mapFromScene(box.sceneBoundingRect()).boundingRect()
        rect.translate(view.graphics.viewport().mapTo(window, rect.topLeft()) - rect.topLeft())
        left, top, right, bottom = rect.left(), rect.top(), rect.right(), rect.bottom()
        for column in (left, right):
            mask[max(top - 2, 0):bottom + 3, max(column - 2, 0):column + 3] = True
        for row in (top, bottom):
            mask[max(row - 2, 0):row + 3, max(left - 2, 0):right + 3] = True
    return mask


def assert_shows_a_full_repaint(window: QWidget, view: CurvesView) -> None:
    before = shown(window)
    after = fully_repainted(window, view)
    differ = np.any(before != after, axis=2) & ~plot_edges(window, view)
    assert not differ.any(), f"{differ.sum()} pixels differ from a full repaint, e.g. at {np.argwhere(differ)[:3]}"


class PaintedRegions(QObject):
    """Records the area of every repaint of a widget."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.areas: list[int] = []
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            self.areas.append(sum(rect.width() * rect.height() for rect in event.region()))
        return False


@pytest.fixture
def window(qtbot):
    """A curves view inside a window, off its top-left corner (as in a dock)."""
    window = QWidget()
    layout = QVBoxLayout(window)
    layout.setContentsMargins(23, 17, 5, 5)
    view = CurvesView()
    layout.addWidget(view)
    qtbot.addWidget(window)
    window.resize(900, 330)
    window.show()
    qtbot.waitExposed(window)
    window.view = view
    return window


def feed(view: CurvesView, points: range, epochs: int = 4, batches: int = 40, loss=None) -> None:
    """Batches as training reports them, 5 a redraw, a validation point per epoch."""
    rng = np.random.default_rng(1)
    for index in points:
        x = index / batches
        value = loss(index) if loss else 2.3 * np.exp(-x / 2) + rng.normal(0, 0.05)
        view.add_train_point(x, value, min(1.0, 0.1 + x / epochs))
        if (index + 1) % batches == 0:
            view.add_validation_point(x, value * 1.1, min(1.0, x / epochs))
        if (index + 1) % 5 == 0:
            view._dirty = True
            view.redraw()
            QApplication.processEvents()


def test_an_update_repaints_the_new_points_only_and_shows_what_a_full_repaint_shows(window):
    view = window.view
    view.begin_run("run 1", epochs=4)
    feed(view, range(0, 40))
    regions = PaintedRegions(view.graphics.viewport())
    feed(view, range(40, 120))
    plot_area = view.graphics.viewport().width() * view.graphics.viewport().height()
    assert regions.areas and np.median(regions.areas) < plot_area / 20  # the tails, not the plots
    assert_shows_a_full_repaint(window, view)


def test_resizes_range_steps_theme_changes_and_new_runs_repaint_all_that_changed(window, qtbot):
    view = window.view
    view.begin_run("run 1", epochs=4)
    feed(view, range(0, 60))
    feed(view, range(60, 70), loss=lambda index: 7.0 + index / 100)  # a spike: the loss axis steps up
    assert_shows_a_full_repaint(window, view)
    window.resize(700, 420)  # a resize (stacked plots, other scales)
    feed(view, range(70, 90))
    assert_shows_a_full_repaint(window, view)
    palette = QPalette(window.palette())
    palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Text))
    palette.setColor(QPalette.ColorRole.Text, window.palette().color(QPalette.ColorRole.Base))
    window.setPalette(palette)  # a theme switch
    feed(view, range(90, 100))
    assert_shows_a_full_repaint(window, view)
    view.begin_run("run 2", epochs=2)  # the first run joins the earlier ones, x spans the new run
    feed(view, range(0, 30))
    assert_shows_a_full_repaint(window, view)
    view.plots["loss"].plot.vb.setRange(xRange=(0.2, 0.6), padding=0)  # the user zooms in
    feed(view, range(30, 40))
    assert_shows_a_full_repaint(window, view)


def test_a_diverged_loss_leaves_a_gap_and_later_points_still_show_right(window):
    view = window.view
    view.begin_run("run 1", epochs=4)
    feed(view, range(0, 50))
    feed(view, range(50, 55), loss=lambda index: float("nan"))
    feed(view, range(55, 70), loss=lambda index: 1.0 + index / 100)
    x, y = view.plots["loss"].raw.getData()
    assert np.isnan(y[52]) and len(x) == 70
    assert_shows_a_full_repaint(window, view)


def test_the_plot_menus_log_scale_still_applies_to_the_live_curves(window):
    view = window.view
    view.begin_run("run 1", epochs=4)
    feed(view, range(0, 40), loss=lambda index: 10.0 ** (-index / 20))
    plot = view.plots["loss"].plot
    plot.ctrl.logYCheck.setChecked(True)  # Plot Options ▸ Transforms ▸ Log Y, as the user ticks it
    feed(view, range(40, 60), loss=lambda index: 10.0 ** (-index / 20))
    curve = view.plots["loss"].smooth
    assert isinstance(curve, LivePlotDataItem) and isinstance(curve.curve, TailCurveItem)
    assert curve.curve.getData()[1][0] == pytest.approx(np.log10(curve.getOriginalDataset()[1][0]))
    assert_shows_a_full_repaint(window, view)


def test_the_comparison_sees_a_repaint_that_left_old_pixels(window):
    # (the check above can fail) a curve changed without marking its pixels for repaint shows stale ones
    view = window.view
    view.begin_run("run 1", epochs=4)
    feed(view, range(0, 40))
    before = shown(window)
    curve = view.plots["loss"].smooth.curve
    x, y = curve.getData()
    curve.xData, curve.yData = x, y + 0.5  # moved behind Qt's back: nothing is marked for repaint
    curve.path = None
    curve._lineSegmentsRendered = False
    assert (shown(window) == before).all()
    assert (fully_repainted(window, view) != before).any()
