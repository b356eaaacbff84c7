"""What one update of the training curves costs the GUI thread: the redraw and its repaint.

A 15-epoch run of 40 batches an epoch is fed as training does (5 batch points per redraw, a validation
point per epoch) into the Curves view at a dock's size (1280×280), and each update's redraw plus the
repaint Qt schedules for it (the event loop's) are timed (median, ms) in the GUI thread's CPU time: what
the update takes from the GUI thread, whatever else the machine runs (wall-clock medians of the same code
varied 5-fold between rounds at a load of 11 on 2 cores, the bare plots' hardly). The baseline is what
pyqtgraph itself costs for the same points: two bare plots (one curve each, fixed ranges) given the same
data and repainted. Target: the view's update within 1.5× of the bare plots. Runs offscreen when there is
no display.
"""
from __future__ import annotations

import os
import statistics
import time

from PySide6.QtCore import QEvent

EPOCHS, BATCHES, PER_UPDATE = 15, 40, 5
TARGET_RATIO = 1.5
ROUNDS = 3


def _points():
    """(epoch position, loss, accuracy) per batch, and the epoch ends."""
    import numpy as np

    rng = np.random.default_rng(0)
    for epoch in range(EPOCHS):
        for batch in range(BATCHES):
            x = epoch + (batch + 1) / BATCHES
            yield x, float(2.3 * np.exp(-x / 4) + rng.normal(0, 0.05)), float(min(1.0, 0.1 + x / 16))


def time_curves_view(application) -> list[float]:
    from PySide6.QtTest import QTest

    from app.training.curves import CurvesView

    view = CurvesView()
    view.resize(1280, 280)
    view.show()
    QTest.qWaitForWindowExposed(view)
    view.begin_run("bench", epochs=EPOCHS)
    timings = []
    for index, (x, loss, accuracy) in enumerate(_points(), start=1):
        view.add_train_point(x, loss, accuracy)
        if index % BATCHES == 0:
            view.add_validation_point(x, loss * 1.1, accuracy * 0.95)
        if index % PER_UPDATE == 0:
            view._dirty = True
            start = time.thread_time()
            view.redraw()
            application.processEvents()  # the repaint Qt schedules for what changed, as in the event loop
            timings.append(time.thread_time() - start)
    view.redraw_throttle.flush()
    view.close()
    view.deleteLater()
    application.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return timings


def time_bare_plots(application) -> list[float]:
    import pyqtgraph as pg
    from PySide6.QtTest import QTest

    widget = pg.GraphicsLayoutWidget()
    widget.resize(1280, 280)
    plots = [widget.addPlot(row=0, col=column) for column in range(2)]
    curves = [plot.plot() for plot in plots]
    plots[0].setRange(xRange=(0, EPOCHS), yRange=(0, 5), padding=0.02)
    plots[1].setRange(xRange=(0, EPOCHS), yRange=(0, 100), padding=0.02)
    for plot in plots:
        plot.disableAutoRange()
    widget.show()
    QTest.qWaitForWindowExposed(widget)
    xs, losses, accuracies, timings = [], [], [], []
    for index, (x, loss, accuracy) in enumerate(_points(), start=1):
        xs.append(x)
        losses.append(loss)
        accuracies.append(100 * accuracy)
        if index % PER_UPDATE == 0:
            start = time.thread_time()
            curves[0].setData(xs, losses)
            curves[1].setData(xs, accuracies)
            application.processEvents()
            timings.append(time.thread_time() - start)
    widget.close()
    widget.deleteLater()
    application.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return timings


def main() -> int:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    application = QApplication.instance() or QApplication([])
    # Alternating, best of three each: a busy machine slows one round, not one side.
    view_ms = bare_ms = float("inf")
    for _ in range(ROUNDS):
        bare_ms = min(bare_ms, statistics.median(time_bare_plots(application)) * 1e3)
        view_ms = min(view_ms, statistics.median(time_curves_view(application)) * 1e3)
    ratio = view_ms / bare_ms
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"curves update (redraw + repaint), {EPOCHS} epochs × {BATCHES} batches, {PER_UPDATE} points an update, "
          f"load average {load:.1f}")
    print(f"  Curves view   {view_ms:7.2f} ms")
    print(f"  bare plots    {bare_ms:7.2f} ms")
    print(f"  ratio {ratio:5.2f} of ≤ {TARGET_RATIO}  {'MET' if ratio <= TARGET_RATIO else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
