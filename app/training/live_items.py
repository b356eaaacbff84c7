"""A live curve that repaints only its newest points.

A training curve only ever grows at its end (a smoothed value never changes once drawn), yet pyqtgraph
repaints a curve's whole bounding rect on every ``setData``: with two curves per plot, stroking their
600 points again was ~80 % of each update of the Curves view. When a ``TailCurveItem`` is given its old
points with new ones appended, only the rect from the former last point to the new end is marked for
repaint; Qt repaints that rect from the scene (background, grid, the cached pictures, the curves clipped
to it) and the rest of the window keeps its pixels, and the curve strokes only the points that can reach
that rect. Anything else (a new run, a resize, a range or theme change) repaints the whole curve.
``LivePlotDataItem`` is a ``PlotDataItem`` drawn by one, so the plot's own menu (log scale, downsampling,
clipping to the view …) works on it as on any curve.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPainter, QPainterPath, QPolygonF

#: Device pixels added around a repainted tail, beyond the pen's reach (caps, joins, rounding).
MARGIN_PX = 2.0
#: Style arguments a PlotDataItem repeats on every setData: the tail alone is repainted while they stay.
_STYLE_KEYS = {"pen", "shadowPen", "fillLevel", "fillOutline", "brush", "antialias", "connect", "stepMode",
               "skipFiniteCheck"}


class TailCurveItem(pg.PlotCurveItem):
    """A ``PlotCurveItem`` whose appended points repaint only the curve's new tail.

    Its bounding rect is its view's visible rect (it may paint anywhere there), so growing data does not
    change its geometry, which would make Qt repaint all of it. A repaint strokes only the points near
    the region being repainted: Qt clips the rest anyway, but stroking a 2 px line costs per segment,
    seen or not."""

    #: How a repaint of part of the curve strokes it: None (all of it, as pyqtgraph does), or (2 px
    #: segments?, the pen's reach in px) for a plain curve whose x never decreases and whose points
    #: are all finite, so the points near a region are found by bisection and drawn as one polyline.
    _plain: tuple[bool, float] | None = None

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        if self._boundingRect is None:
            rect = self.viewRect()
            self._boundingRect = QRectF() if rect is None else QRectF(rect)
        return self._boundingRect

    def viewTransformChanged(self) -> None:  # noqa: N802 - pyqtgraph's name
        self._cachedView = self._to_device = None  # (PlotCurveItem's override keeps the first view rect)
        super().viewTransformChanged()

    _to_device = None  # this curve's coordinates to the view's pixels, and back (until the view changes)

    def updateData(self, *args, **kargs) -> None:  # noqa: N802 - pyqtgraph's name
        start = self._appended_from(args, kargs)
        if start is None:
            super().updateData(*args, **kargs)
            self._plain = self._plain_from(0)
            return
        self.xData, self.yData = x, y = np.asarray(kargs["x"], dtype=float), np.asarray(kargs["y"], dtype=float)
        if self._plain is not None and not _sorted_and_finite(x[start:], y[start:]):
            self._plain = None
        self.invalidateBounds()
        self.path = self.fillPath = self._fillPathList = self._mouseShape = None
        self._lineSegmentsRendered = False
        self.informViewBoundsChanged()
        tail = self._tail_rect(start)
        if tail is not None:
            self.update(tail)
        self.sigPlotChanged.emit(self)

    def setPen(self, *args, **kargs) -> None:  # noqa: N802 - pyqtgraph's name
        super().setPen(*args, **kargs)
        self._plain = self._plain_from(0)

    def setShadowPen(self, *args, **kargs) -> None:  # noqa: N802 - pyqtgraph's name
        super().setShadowPen(*args, **kargs)
        self._plain = self._plain_from(0)

    def setFillLevel(self, level) -> None:  # noqa: N802 - pyqtgraph's name
        super().setFillLevel(level)
        self._plain = self._plain_from(0)

    def setCompositionMode(self, mode) -> None:  # noqa: N802 - pyqtgraph's name
        super().setCompositionMode(mode)
        self._plain = self._plain_from(0)

    def _plain_from(self, start: int) -> tuple[bool, float] | None:
        """``_plain`` for the data, given that the points before ``start`` were plain."""
        x, y, opts, pen = self.xData, self.yData, self.opts, self.opts["pen"]
        if x is None or len(x) == 0 or pen is None or opts["shadowPen"] is not None \
                or opts["fillLevel"] is not None or opts["stepMode"] or opts["compositionMode"] is not None \
                or not isinstance(opts["connect"], str) or opts["connect"] not in ("all", "finite") \
                or not _sorted_and_finite(x[start:], y[start:]):
            return None
        return self._shouldUseDrawLineSegments(pen), self.pixelPadding() + MARGIN_PX

    def _appended_from(self, args: tuple, kargs: dict) -> int | None:
        """The index of the former last point when ``setData(x=..., y=...)`` only appends points to the
        shown ones, else None (the whole curve is repainted)."""
        old_x, old_y = self.xData, self.yData
        if args or not {"x", "y"} <= set(kargs) <= {"x", "y", *_STYLE_KEYS} or old_x is None or len(old_x) == 0:
            return None
        if any(not _same(kargs[key], self.opts.get(key)) for key in _STYLE_KEYS & set(kargs)):
            return None
        x, y = np.asarray(kargs["x"]), np.asarray(kargs["y"])
        known = len(old_x)
        if x.ndim != 1 or x.shape != y.shape or len(x) < known:
            return None
        if self._plain is not None:  # (no NaN to compare)
            if not ((x[:known] == old_x).all() and (y[:known] == old_y).all()):
                return None
        elif not (np.array_equal(x[:known], old_x, equal_nan=True)
                  and np.array_equal(y[:known], old_y, equal_nan=True)):
            return None
        return known - 1  # the former end's cap becomes a join: it is repainted too

    def _tail_rect(self, start: int) -> QRectF | None:
        """The points from ``start`` on, grown by the pen's reach, in the curve's coordinates (None: no
        finite point, so nothing new is drawn)."""
        x, y = self.xData[start:], self.yData[start:]
        if self._plain is None:
            finite = np.isfinite(x) & np.isfinite(y)
            if not finite.any():
                return None
            x, y = x[finite], y[finite]
        if self._to_device is None:
            to_device = self.deviceTransform_()
            if to_device is None:
                return QRectF()  # (not shown yet: all of it)
            to_item, invertible = to_device.inverted()
            if not invertible:
                return QRectF()
            self._to_device = to_device, to_item
        to_device, to_item = self._to_device
        reach = self._plain[1] if self._plain is not None else self.pixelPadding() + MARGIN_PX
        left, right = (float(x[0]), float(x[-1])) if self._plain is not None else (float(x.min()), float(x.max()))
        low = float(y.min())
        tail = to_device.mapRect(QRectF(left, low, right - left, float(y.max()) - low))
        return to_item.mapRect(tail.adjusted(-reach, -reach, reach, reach))

    def paint(self, p: QPainter, opt, widget) -> None:
        shown = self._points_to_paint(p)
        if shown is None:
            super().paint(p, opt, widget)
            return
        # The primitives PlotCurveItem.paint draws for these points, built directly (for a few points,
        # pyqtgraph's array conversions cost more than the drawing).
        p.setRenderHint(QPainter.RenderHint.Antialiasing, bool(self.opts["antialias"]))
        p.setPen(self.opts["pen"])
        points = list(map(QPointF, self.xData[shown].tolist(), self.yData[shown].tolist()))
        if self._plain[0]:
            p.drawLines([point for pair in zip(points, points[1:]) for point in pair])
        elif len(points) > 1:
            path = QPainterPath()
            path.addPolygon(QPolygonF(points))
            p.drawPath(path)

    def _points_to_paint(self, p: QPainter) -> slice | None:
        """The points whose strokes can reach the region being repainted (Qt's clip, in device pixels),
        or None where the whole curve is to be painted as pyqtgraph paints it."""
        if self._plain is None or self._exportOpts is not False or pg.getConfigOption("useOpenGL"):
            return None
        engine = p.paintEngine()
        clip = engine.systemClip() if engine is not None else None
        if clip is None or clip.isEmpty():
            return None  # (no region known: all of it)
        to_device = p.deviceTransform()
        if to_device.isRotating():  # (x maps to x alone below)
            return None
        # The region's rects on this curve's view, their span in x grown by the pen's reach.
        clip = clip.intersected(to_device.mapRect(self.boundingRect()).toAlignedRect()).boundingRect()
        reach, scale, offset = self._plain[1], to_device.m11(), to_device.dx()
        ends = sorted(((clip.left() - reach - offset) / scale, (clip.right() + 1 + reach - offset) / scale))
        x = self.xData
        low = max(int(x.searchsorted(ends[0], "left")) - 1, 0)  # one point either side: the segments
        high = min(int(x.searchsorted(ends[1], "right")) + 1, len(x))  # crossing the span's edges
        return slice(low, high)


def _sorted_and_finite(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether ``x`` never decreases and no value is NaN or infinite (a sum of any is not finite)."""
    return bool(np.isfinite(x.sum() + y.sum()) and (x[1:] >= x[:-1]).all())


def _same(given, current) -> bool:
    if given is current:
        return True
    if isinstance(given, np.ndarray) or isinstance(current, np.ndarray):  # (a connect array)
        return False
    return bool(given == current)


class BoundedScatterPlotItem(pg.ScatterPlotItem):
    """A ``ScatterPlotItem`` that keeps its bounding rect until pyqtgraph renews its bounds.

    pyqtgraph computes a scatter's rect afresh at every call, and Qt asks several times per repaint of
    anything under it: the validation symbols' rect was ~40 % of repainting a curve's new tail. pyqtgraph
    replaces its ``bounds`` list whenever the points, their sizes or the view transform change."""

    _rect_for: list | None = None

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        if self._rect_for is not self.bounds:
            self._rect = super().boundingRect()  # (fills the bounds list in place)
            self._rect_for = self.bounds
        return self._rect


class LivePlotDataItem(pg.PlotDataItem):
    """A ``PlotDataItem`` drawn by a ``TailCurveItem`` and a ``BoundedScatterPlotItem``, so the plot's own
    menu (log scale, downsampling, clipping to the view …) works on it as on any curve.

    pyqtgraph builds its curve and scatter itself: they are replaced before any data is given."""

    def __init__(self, **style) -> None:
        super().__init__(**style)
        for built in (self.curve, self.scatter):
            built.setParentItem(None)
        self.curve, self.scatter = TailCurveItem(), BoundedScatterPlotItem()
        for item in (self.curve, self.scatter):
            item.setParentItem(self)
        self.curve.sigClicked.connect(self.sigClicked)
        self.scatter.sigClicked.connect(self.scatterClicked)
        self.scatter.sigHovered.connect(self.sigPointsHovered)
        self.updateItems(styleUpdate=True)
