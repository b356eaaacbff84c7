"""The new-edge gesture: drag from a port (or pick up an edge's input end) to a port.

While it runs, every port it could end on glows green and every port it may
not end on shows red, with ``graph.connection_problem``'s reason; the view
shows that reason at the cursor. Releasing asks the document to connect,
reconnect or disconnect; the gesture itself never touches the graph.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from engine.graph import Edge

from . import style
from .edge_item import curve
from .port_item import CANDIDATE, HOVER_OK, HOVER_REFUSED, IDLE, REFUSED, PortItem


class EdgeDrag:
    """One drag. ``fixed`` is the port it starts from: an output (drawing forwards), an
    input (drawing backwards), or the output of ``detached``, an edge whose input end
    was picked up (releasing on nothing removes that edge)."""

    def __init__(self, scene, fixed: PortItem, detached: Edge | None = None) -> None:
        self.scene = scene
        self.document = scene.document
        self.fixed = fixed
        self.detached = detached
        self.target: PortItem | None = None
        self.problem: str | None = None
        # Judge targets as if the picked-up edge were already gone.
        self.graph = self.document.graph
        if detached is not None:
            self.graph = self.graph.copy()
            self.graph.disconnect(detached)
        self._hidden = scene.edge_items.get(detached) if detached else None
        if self._hidden is not None:
            self._hidden.setVisible(False)
        self.problems = {port: self._problem(port) for port in scene.ports(inputs=not fixed.is_input)}
        for port, problem in self.problems.items():
            port.set_drag_state(CANDIDATE if problem is None else REFUSED)
        self.wire = QGraphicsPathItem()
        self.wire.setZValue(100)
        scene.addItem(self.wire)

    def _ends(self, port: PortItem) -> tuple[str, str, str]:
        """(source node, target node, target port) of an edge ending on ``port``."""
        if self.fixed.is_input:
            return port.node_id, self.fixed.node_id, self.fixed.name
        return self.fixed.node_id, port.node_id, port.name

    def _problem(self, port: PortItem) -> str | None:
        src, dst, dst_port = self._ends(port)
        return self.graph.connection_problem(src, dst, dst_port)

    def describe(self, port: PortItem) -> str:
        src, dst, _ = self._ends(port)
        graph = self.document.graph
        return f"{graph.nodes[src].name} → {graph.nodes[dst].name}"

    def move(self, pos: QPointF, reach: float) -> None:
        """Follows the pointer at scene position ``pos``; ``reach`` is the snapping distance."""
        target = self.scene.port_near(pos, inputs=not self.fixed.is_input, reach=reach)
        if target is not None and target not in self.problems:
            target = None
        if target is not self.target:
            if self.target is not None:
                self.target.set_drag_state(CANDIDATE if self.problems[self.target] is None else REFUSED)
            self.target = target
            self.problem = self.problems[target] if target is not None else None
            if target is not None:
                target.set_drag_state(HOVER_OK if self.problem is None else HOVER_REFUSED)
        start, end = self.fixed.anchor(), self.target.anchor() if self.target else pos
        if self.fixed.is_input:
            start, end = end, start
        self.wire.setPath(curve(start, end, self.fixed.vertical))
        refused = self.target is not None and self.problem is not None
        colour = QColor(style.ERROR if refused else self.scene.canvas_style.colours.selection)
        pen = QPen(colour, 2.2, Qt.PenStyle.DashLine if refused or self.target is None else Qt.PenStyle.SolidLine)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self.wire.setPen(pen)

    def refusal(self) -> str | None:
        """Why the port under the pointer is refused, as a sentence for the status bar."""
        if self.target is None or self.problem is None:
            return None
        return f"Cannot connect {self.describe(self.target)}: {self.problem}"

    def finish(self) -> None:
        """Applies the gesture through the document, then cleans up."""
        target, problem, detached = self.target, self.problem, self.detached
        self.cancel()
        if target is None:
            if detached is not None:
                self.document.disconnect([detached])
            return
        if problem is not None:
            self.document.show_status(f"Cannot connect {self.describe(target)}: {problem}")
            return
        src, dst, dst_port = self._ends(target)
        if detached is not None:
            self.document.reconnect(detached, dst, dst_port)
        else:
            self.document.connect(src, dst, dst_port)

    def cancel(self) -> None:
        for port in self.problems:
            port.set_drag_state(IDLE)
        if self._hidden is not None and self._hidden.scene() is not None:
            self._hidden.setVisible(True)
        if self.wire.scene() is not None:
            self.scene.removeItem(self.wire)
