"""A node's input or output port: a small socket on the card's edge.

Ports are children of their ``NodeItem``. An input port that takes many
edges (Add, Concat) is drawn as a pill with one anchor per edge, in
connection order, so the order of a Concat's inputs can be seen.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from . import style

ANCHOR_SPACING = 12.0

# Drag states, set while the user draws an edge.
IDLE, CANDIDATE, REFUSED, HOVER_OK, HOVER_REFUSED = "idle", "candidate", "refused", "hover-ok", "hover-refused"


class PortItem(QGraphicsItem):
    def __init__(self, node_item, name: str, is_input: bool, variadic: bool = False) -> None:
        super().__init__(node_item)
        self.node_item = node_item
        self.name = name
        self.is_input = is_input
        self.variadic = variadic
        self.vertical = False  # TB flow: anchors spread sideways instead of up and down
        self.edge_count = 0
        self.drag_state = IDLE
        self.setAcceptHoverEvents(False)
        self.setZValue(1)

    @property
    def node_id(self) -> str:
        return self.node_item.node_id

    def set_layout(self, pos: QPointF, vertical: bool) -> None:
        self.prepareGeometryChange()
        self.vertical = vertical
        self.setPos(pos)

    def set_edge_count(self, count: int) -> None:
        if count != self.edge_count:
            self.prepareGeometryChange()
            self.edge_count = count

    def set_drag_state(self, state: str) -> None:
        if state != self.drag_state:
            self.drag_state = state
            self.update()

    def _spread(self) -> float:
        """Half the length of the pill along the card edge."""
        if not self.variadic or self.edge_count < 2:
            return 0.0
        body = (style.CARD_W if self.vertical else style.CARD_H - style.HEADER_H) - 4 * style.PORT_RADIUS
        return min(ANCHOR_SPACING * (self.edge_count - 1), body) / 2

    def anchor(self, index: int = 0) -> QPointF:
        """Scene position where edge number ``index`` (in connection order) meets this port."""
        spread = self._spread()
        offset = 0.0
        if spread and self.edge_count > 1:
            offset = -spread + 2 * spread * index / (self.edge_count - 1)
        local = QPointF(offset, 0.0) if self.vertical else QPointF(0.0, offset)
        return self.mapToScene(local)

    def _pill(self, grow: float = 0.0) -> QRectF:
        radius = style.PORT_RADIUS + grow
        spread = self._spread()
        if self.vertical:
            return QRectF(-spread - radius, -radius, 2 * (spread + radius), 2 * radius)
        return QRectF(-radius, -spread - radius, 2 * radius, 2 * (spread + radius))

    def boundingRect(self) -> QRectF:
        return self._pill(style.PORT_HIT_RADIUS - style.PORT_RADIUS + 2)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        rect = self._pill(style.PORT_HIT_RADIUS - style.PORT_RADIUS)
        path.addRoundedRect(rect, style.PORT_HIT_RADIUS, style.PORT_HIT_RADIUS)
        return path

    def paint(self, painter, option, widget=None) -> None:
        colours = self.node_item.colours()
        state = self.drag_state
        fill = colours.card
        ring = colours.edge
        if self.edge_count:
            fill = colours.edge
        if state in (CANDIDATE, HOVER_OK):
            halo = QColor(style.VALID_TARGET)
            halo.setAlpha(110 if state == HOVER_OK else 60)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(halo)
            grow = 6.0 if state == HOVER_OK else 4.0
            painter.drawRoundedRect(self._pill(grow), style.PORT_RADIUS + grow, style.PORT_RADIUS + grow)
            ring, fill = style.VALID_TARGET, (style.VALID_TARGET if state == HOVER_OK else colours.card)
        elif state == REFUSED:
            ring = QColor(style.ERROR)
            ring.setAlpha(150)
        elif state == HOVER_REFUSED:
            halo = QColor(style.ERROR)
            halo.setAlpha(90)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(halo)
            painter.drawRoundedRect(self._pill(6.0), style.PORT_RADIUS + 6, style.PORT_RADIUS + 6)
            ring = fill = style.ERROR
        painter.setPen(QPen(ring, 1.6))
        painter.setBrush(QBrush(fill))
        painter.drawRoundedRect(self._pill(), style.PORT_RADIUS, style.PORT_RADIUS)
