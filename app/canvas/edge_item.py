"""An edge: a bezier curve from an output port to an input port.

Curves leave and enter their ports along the flow (horizontally for LR,
vertically for TB). The clickable shape is wider than the line, so thin
edges are easy to select.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from engine.graph import Edge

HIT_WIDTH = 12.0


def curve(start: QPointF, end: QPointF, vertical: bool) -> QPainterPath:
    """An S-curve leaving ``start`` and entering ``end`` along the flow direction.

    An edge running against the flow bulges sideways, so it loops around the
    cards instead of running straight through them; one that also changes row
    (a long chain wrapped like lines of text) runs back along the gap between
    the rows, like a line break.
    """
    along = (end.y() - start.y()) if vertical else (end.x() - start.x())
    across = (end.x() - start.x()) if vertical else (end.y() - start.y())
    if along < 0 and abs(across) > 2 * WRAP_HOOK:
        return _line_break(start, end, vertical)
    pull = max(abs(along) * 0.5, 40.0)
    bulge = 0.0
    if along < 40.0:
        bulge = min(abs(along) * 0.25 + 60.0, 160.0) * (1 if across >= 0 else -1)
    if vertical:
        first, second = QPointF(bulge, pull), QPointF(bulge, -pull)
    else:
        first, second = QPointF(pull, bulge), QPointF(-pull, bulge)
    path = QPainterPath(start)
    path.cubicTo(start + first, end + second, end)
    return path


WRAP_HOOK = 40.0


def _line_break(start: QPointF, end: QPointF, vertical: bool) -> QPainterPath:
    """Out of ``start``, back along the middle of the gap between rows, into ``end``."""
    def point(along: float, across: float) -> QPointF:
        return QPointF(across, along) if vertical else QPointF(along, across)

    a0, c0 = (start.y(), start.x()) if vertical else (start.x(), start.y())
    a1, c1 = (end.y(), end.x()) if vertical else (end.x(), end.y())
    middle = (c0 + c1) / 2
    path = QPainterPath(start)
    path.cubicTo(point(a0 + WRAP_HOOK, c0), point(a0 + WRAP_HOOK, middle), point(a0, middle))
    path.lineTo(point(a1, middle))
    path.cubicTo(point(a1 - WRAP_HOOK, middle), point(a1 - WRAP_HOOK, c1), end)
    return path


class EdgeItem(QGraphicsPathItem):
    def __init__(self, edge: Edge, source, target, canvas_style, input_port=None) -> None:
        super().__init__()
        # The graph edges drawn: more than one where a collapsed block's card stands for both ends
        # (a block input feeding two of its members shows as one line).
        self.edges = [edge]
        self.source, self.target = source, target  # NodeItems (or BlockItems)
        self._input_port = input_port
        self.canvas_style = canvas_style
        self.slot = 0  # this edge's place among the edges into its input port
        self._hovered = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(-1)
        self.update_path()

    @property
    def edge(self) -> Edge:
        return self.edges[0]

    @property
    def input_port(self):
        return self._input_port if self._input_port is not None else self.target.inputs[self.edge.dst_port]

    def start_point(self) -> QPointF:
        return self.source.output.anchor()

    def end_point(self) -> QPointF:
        return self.input_port.anchor(self.slot)

    def update_path(self) -> None:
        self.setPath(curve(self.start_point(), self.end_point(), self.input_port.vertical))

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(HIT_WIDTH)
        return stroker.createStroke(self.path())

    def boundingRect(self):
        return super().boundingRect().adjusted(-HIT_WIDTH / 2, -HIT_WIDTH / 2, HIT_WIDTH / 2, HIT_WIDTH / 2)

    def hoverEnterEvent(self, event) -> None:
        self._hovered = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self._hovered = False
        self.update()

    def paint(self, painter, option, widget=None) -> None:
        colours = self.canvas_style.colours
        if self.isSelected():
            pen = QPen(colours.selection, 2.6)
        elif self.source.isSelected() or self.target.isSelected():
            pen = QPen(QColor(colours.selection).lighter(115), 2.0)
        elif self._hovered:
            pen = QPen(colours.text, 2.2)
        else:
            pen = QPen(colours.edge, 1.6)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
