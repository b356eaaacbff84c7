"""The new-edge gesture: drag from a port (or pick up an edge's input end) to a port.

While it runs, every port it could end on glows green and every port it may
not end on shows red, with ``graph.connection_problem``'s reason; the view
shows that reason at the cursor. Releasing asks the document to connect,
reconnect or disconnect; the gesture itself never touches the graph.

A collapsed block's ports stand for its members: its output is its output
member's, and an edge dropped on one of its inputs feeds every member port
that input stands for (judged, and made, for all of them at once).
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsPathItem

from engine.graph import Edge

from . import style
from .block_item import BlockItem
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

    def _ends(self, port: PortItem) -> tuple[PortItem, PortItem]:
        """(output port, input port) of an edge ending on ``port``."""
        return (port, self.fixed) if self.fixed.is_input else (self.fixed, port)

    def _source(self, output: PortItem) -> str | None:
        """The node an edge from ``output`` starts at (a block's output member; None if it has none)."""
        card = output.node_item
        if not isinstance(card, BlockItem):
            return output.node_id
        if self.detached is not None and output is self.fixed:
            return self.detached.src
        return self.document.graph.groups[card.group_id].output

    def _targets(self, port: PortItem) -> list[tuple[str, str]]:
        """The (node, port) pairs an edge into ``port`` feeds: every member port of a block input."""
        card = port.node_item
        if not isinstance(card, BlockItem):
            return [(port.node_id, port.name)]
        inputs = self.document.graph.groups[card.group_id].inputs
        slot = card.slot_of(port)
        return [tuple(pair) for pair in inputs[slot]] if slot < len(inputs) else []

    def _problem(self, port: PortItem) -> str | None:
        output, target = self._ends(port)
        src = self._source(output)
        if src is None:
            return f"the block {self._card_name(output)} has no output yet"
        for dst, dst_port in self._targets(target):
            problem = self.graph.connection_problem(src, dst, dst_port)
            if problem:
                return problem
        return None

    def _card_name(self, port: PortItem) -> str:
        card = port.node_item
        graph = self.document.graph
        return graph.groups[card.group_id].name if isinstance(card, BlockItem) else graph.nodes[card.node_id].name

    def describe(self, port: PortItem) -> str:
        output, target = self._ends(port)
        return f"{self._card_name(output)} → {self._card_name(target)}"

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
        output, port = self._ends(target)
        src = self._source(output)
        card = port.node_item
        connection = self.describe(target)
        if isinstance(card, BlockItem):
            done = self.document.connect_to_block(src, card.group_id, card.slot_of(port), replacing=detached)
        elif detached is not None:
            done = self.document.reconnect(detached, port.node_id, port.name)
        else:
            done = self.document.connect(src, port.node_id, port.name)
        if done:  # replaces whatever an earlier gesture refused
            self.document.show_status(f"Connected {connection}")

    def cancel(self) -> None:
        for port in self.problems:
            port.set_drag_state(IDLE)
        if self._hidden is not None and self._hidden.scene() is not None:
            self._hidden.setVisible(True)
        if self.wire.scene() is not None:
            self.scene.removeItem(self.wire)
