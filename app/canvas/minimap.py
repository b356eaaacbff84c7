"""The overview in the canvas's corner: the whole network small, the visible part outlined.

Large networks (ResNet-50, VGG-16) do not fit a readable zoom; the minimap
shows where the view is and moves it: press or drag in it and the main view
centres on that point. It hides itself while the whole network is already in
view, and View ▸ Show Minimap turns it off altogether.

The network is drawn into a cached picture, as coloured rectangles and
lines (again ~¼ s after it changes, and only while shown), so panning the main view redraws a picture and a
rectangle, never the network's cards.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from .style import accent

if TYPE_CHECKING:
    from .view import CanvasView

SIZE = (220, 150)  # at most
MIN_SIDE = 60
MARGIN = 12  # from the view's edges
PADDING = 6  # around the network inside the minimap
REDRAW_DELAY_MS = 250


class Minimap(QWidget):
    def __init__(self, view: CanvasView) -> None:
        super().__init__(view)
        self.setObjectName("minimap")
        self.setFixedSize(*SIZE)
        # Opaque: repainting it while the view pans then never repaints the cards beneath.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        self.toggle_action = QAction("Show &Minimap", self)
        self.toggle_action.setCheckable(True)
        self.toggle_action.setChecked(True)
        self.toggle_action.setStatusTip("An overview of large networks in the canvas's corner")
        self.toggle_action.toggled.connect(self.update_visibility)
        self._picture = QPixmap()
        self._source = QRectF()  # the scene rectangle the picture shows
        self._stale = True
        self._network: QRectF | None = None
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(REDRAW_DELAY_MS)
        self._redraw.timeout.connect(self._scene_changed)
        view.scene().changed.connect(self._redraw.start)
        for bar in (view.horizontalScrollBar(), view.verticalScrollBar()):
            bar.valueChanged.connect(self._view_moved)
            bar.rangeChanged.connect(self._view_moved)
        self.hide()

    @property
    def view(self) -> CanvasView:
        # The parent, not a stored reference: a Python reference would keep a deleted view's wrapper alive.
        return self.parentWidget()

    # --- what it shows -------------------------------------------------------------------------

    def network_rect(self) -> QRectF:
        """The network's extent, measured again only when the scene changes (measuring walks every item)."""
        if self._network is None:
            self._network = self.view.scene().itemsBoundingRect()
        return self._network

    def visible_rect(self) -> QRectF:
        """The part of the scene the main view shows."""
        return self.view.mapToScene(self.view.viewport().rect()).boundingRect()

    def wanted(self) -> bool:
        """On, and some of the network is out of view."""
        network = self.network_rect()
        return (self.toggle_action.isChecked() and not network.isEmpty()
                and not self.visible_rect().contains(network))

    def update_visibility(self, *_args) -> None:
        wanted = self.wanted()
        if wanted:
            self.place()
            if self._stale:
                self._render()
            if not self.isVisible():
                self.raise_()  # above the view's viewport, a sibling
        self.setVisible(wanted)
        self.update()

    def place(self) -> None:
        """Bottom right of the view (called when the view resizes)."""
        area = self.view.viewport().geometry()
        self.move(area.right() - self.width() - MARGIN + 1, area.bottom() - self.height() - MARGIN + 1)

    def _scene_changed(self) -> None:
        self._stale, self._network = True, None
        self.update_visibility()  # draws the picture again only if shown

    def _render(self) -> None:
        """Draws the network into the cached picture."""
        self._stale = False
        self._source = self.network_rect().adjusted(-40, -40, 40, 40)
        self._fit_to(self._source)
        ratio = self.devicePixelRatioF()
        picture = QPixmap(round(self.width() * ratio), round(self.height() * ratio))
        picture.setDevicePixelRatio(ratio)
        picture.fill(Qt.GlobalColor.transparent)
        painter = QPainter(picture)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        scale, offset = self._scale_and_offset()
        painter.translate(offset)
        painter.scale(scale, scale)
        self._draw_overview(painter)
        painter.end()
        self._picture = picture

    def _draw_overview(self, painter: QPainter) -> None:
        """Cards as rectangles in their category's colour and edges as straight lines, each kind in one
        batched call: at this size the cards' text, ports and curves are under a pixel, and asking every
        item to paint itself (scene.render) took ~0.15 s for 1,000 nodes, a stutter after each edit."""
        scene = self.view.canvas_scene
        colours = scene.canvas_style.colours
        lines = []
        for item in scene.edge_items.values():
            path = item.path()
            if not path.isEmpty():
                lines.append(QLineF(path.elementAt(0).x, path.elementAt(0).y, path.currentPosition().x(),
                                    path.currentPosition().y()))
        painter.setPen(QPen(colours.edge, 0))  # cosmetic: one pixel whatever the scale
        painter.drawLines(lines)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRects([frame.mapRectToScene(frame.boundingRect()) for frame in scene.frame_items.values()])
        painter.setPen(Qt.PenStyle.NoPen)
        by_colour: dict[str, tuple[QColor, list[QRectF]]] = {}
        for item in scene.cards():
            colour = accent(item.category)
            by_colour.setdefault(colour.name(), (colour, []))[1].append(item.card_rect().translated(item.pos()))
        for colour, rects in by_colour.values():
            painter.setBrush(colour)
            painter.drawRects(rects)

    def _fit_to(self, source: QRectF) -> None:
        """Takes the network's proportions, within ``SIZE``, so no half of it is empty."""
        most_width, most_height = SIZE
        aspect = source.height() / source.width()
        width = most_width if most_width * aspect <= most_height else max(MIN_SIDE, round(most_height / aspect))
        self.setFixedSize(width, min(most_height, max(MIN_SIDE, round(width * aspect))))
        self.place()

    def _target(self) -> QRectF:
        return QRectF(self.rect()).adjusted(PADDING, PADDING, -PADDING, -PADDING)

    def _scale_and_offset(self) -> tuple[float, QPointF]:
        """How ``render`` placed the source in the target (kept aspect, centred)."""
        target, source = self._target(), self._source
        scale = min(target.width() / source.width(), target.height() / source.height())
        offset = QPointF(target.center().x() - source.center().x() * scale,
                         target.center().y() - source.center().y() * scale)
        return scale, offset

    def to_minimap(self, rect: QRectF) -> QRectF:
        scale, offset = self._scale_and_offset()
        return QRectF(rect.x() * scale + offset.x(), rect.y() * scale + offset.y(),
                      rect.width() * scale, rect.height() * scale)

    def to_scene(self, point: QPointF) -> QPointF:
        scale, offset = self._scale_and_offset()
        return QPointF((point.x() - offset.x()) / scale, (point.y() - offset.y()) / scale)

    def _view_moved(self, *_args) -> None:
        if self.toggle_action.isChecked():
            self.update_visibility()

    # --- painting and the mouse ---------------------------------------------------------------

    def paintEvent(self, event) -> None:
        if self._source.isEmpty():
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        border = QColor(palette.text().color())
        border.setAlpha(90)  # visible on light and dark canvases
        painter.setPen(QPen(border, 1))
        painter.setBrush(QColor(self.view.canvas_scene.canvas_style.colours.canvas))  # the canvas's own colour
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.drawPixmap(0, 0, self._picture)
        highlight = QColor(palette.highlight().color())
        painter.setPen(QPen(highlight, 1.5))
        highlight.setAlpha(40)
        painter.setBrush(highlight)
        painter.setClipRect(self.rect().adjusted(1, 1, -1, -1))
        painter.drawRect(self.to_minimap(self.visible_rect()))

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._pan_to(event.position())
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._pan_to(event.position())
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        event.accept()

    def _pan_to(self, point: QPointF) -> None:
        if not self._source.isEmpty():
            self.view.centerOn(self.to_scene(point))
