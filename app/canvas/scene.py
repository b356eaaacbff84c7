"""The scene mirrors the document's graph; it never changes it.

Graph events add, remove and refresh items one at a time (a ``reset``
rebuilds everything); analysis results update the cards' shape, parameter
and issue text, and only cards whose text changed repaint.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QFont, QImage, QPalette
from PySide6.QtWidgets import QApplication, QGraphicsScene

from engine.analysis import Analysis
from engine.graph import Edge, GraphEvent

from ..commands import node_position
from .edge_item import EdgeItem
from .node_item import NodeItem
from .port_item import PortItem
from .style import CanvasStyle


class CanvasScene(QGraphicsScene):
    def __init__(self, document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.canvas_style = CanvasStyle(QApplication.palette(), QApplication.font())
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[Edge, EdgeItem] = {}
        unsubscribe = document.graph.events.subscribe(self._on_graph_event)
        # The graph outlives views; stop mirroring once the scene is gone.
        self.destroyed.connect(lambda *_: unsubscribe())
        document.analysis_changed.connect(self.apply_analysis)
        document.layout_direction_changed.connect(self._on_direction_changed)
        document.read_only_changed.connect(self._on_read_only_changed)
        self.rebuild()

    # --- queries ----------------------------------------------------------------

    @property
    def vertical(self) -> bool:
        return self.document.layout_direction == "TB"

    def selected_node_ids(self) -> list[str]:
        return [item.node_id for item in self.selectedItems() if isinstance(item, NodeItem)]

    def selected_edges(self) -> list[Edge]:
        return [item.edge for item in self.selectedItems() if isinstance(item, EdgeItem)]

    def ports(self, inputs: bool) -> list[PortItem]:
        if inputs:
            return [port for item in self.node_items.values() for port in item.inputs.values()]
        return [item.output for item in self.node_items.values() if item.output]

    def port_near(self, pos: QPointF, inputs: bool, reach: float) -> PortItem | None:
        """The port of the wanted kind nearest ``pos`` within ``reach``, else the only such
        port of the card under ``pos`` (dropping on a card's body aims at its port)."""
        area = QRectF(pos.x() - reach, pos.y() - reach, 2 * reach, 2 * reach)
        best, best_distance = None, reach
        for item in self.items(area):
            if isinstance(item, PortItem) and item.is_input == inputs:
                delta = item.scenePos() - pos
                distance = (delta.x() ** 2 + delta.y() ** 2) ** 0.5
                if distance <= best_distance:
                    best, best_distance = item, distance
        if best is None:
            for item in self.items(pos):
                if isinstance(item, NodeItem):
                    ports = list(item.inputs.values()) if inputs else [item.output] if item.output else []
                    return ports[0] if len(ports) == 1 else None
        return best

    # --- style ------------------------------------------------------------------

    def set_style(self, palette: QPalette, font: QFont) -> None:
        """Follows a theme change: new colours and fonts, every item repainted."""
        self.canvas_style.update(palette, font)
        for item in self.node_items.values():
            item.restyle()
        self.update()

    def set_node_badge(self, node_id: str, text: str | None) -> None:
        if node_id in self.node_items:
            self.node_items[node_id].set_badge(text)

    def set_node_thumbnail(self, node_id: str, image: QImage | None) -> None:
        if node_id in self.node_items:
            self.node_items[node_id].set_thumbnail(image)

    # --- mirroring ------------------------------------------------------------------

    def rebuild(self) -> None:
        self.clear()
        self.node_items.clear()
        self.edge_items.clear()
        graph = self.document.graph
        for node_id in graph.nodes:
            self._add_node(node_id)
        for edge in graph.edges:
            self._add_edge(edge)
        for node_id in graph.nodes:
            self._refresh_ports(node_id)

    def apply_analysis(self, analysis: Analysis) -> None:
        for node_id, item in self.node_items.items():
            item.set_report(analysis.nodes.get(node_id))

    def _on_graph_event(self, event: GraphEvent) -> None:
        graph = self.document.graph
        kind = event.kind
        if kind == "node_added":
            self._add_node(event.node_id)
        elif kind == "node_removed":
            item = self.node_items.pop(event.node_id, None)
            if item is not None:
                self.removeItem(item)
        elif kind == "edge_added":
            self._add_edge(event.edge)
            self._refresh_ports(event.edge.src)
            self._refresh_ports(event.edge.dst)
        elif kind == "edge_removed":
            item = self.edge_items.pop(event.edge, None)
            if item is not None:
                item.source.edges.remove(item)
                item.target.edges.remove(item)
                self.removeItem(item)
                self._refresh_ports(event.edge.src)
                self._refresh_ports(event.edge.dst)
        elif kind in ("param_changed", "node_renamed"):
            self.node_items[event.node_id].set_node(graph.nodes[event.node_id])
        elif kind == "ui_changed":
            item = self.node_items[event.node_id]
            x, y = node_position(graph.nodes[event.node_id])
            if item.pos() != QPointF(x, y):
                item.setPos(x, y)
        elif kind == "reset":
            self.rebuild()

    def _add_node(self, node_id: str) -> None:
        node = self.document.graph.nodes[node_id]
        item = NodeItem(node, self.canvas_style)
        item.layout_ports(self.vertical)
        item.setFlag(item.GraphicsItemFlag.ItemIsMovable, not self.document.read_only)
        item.setPos(*node_position(node))
        item.set_report(self.document.analysis.nodes.get(node_id))
        self.node_items[node_id] = item
        self.addItem(item)

    def _add_edge(self, edge: Edge) -> None:
        source, target = self.node_items[edge.src], self.node_items[edge.dst]
        item = EdgeItem(edge, source, target, self.canvas_style)
        source.edges.append(item)
        target.edges.append(item)
        self.edge_items[edge] = item
        self.addItem(item)

    def _refresh_ports(self, node_id: str) -> None:
        """Counts each port's edges and gives the edges into an input their slot, in connection order."""
        item = self.node_items.get(node_id)
        if item is None:
            return
        incoming = self.document.graph.incoming(node_id)
        for port in item.inputs.values():
            edges = [e for e in incoming if e.dst_port == port.name]
            port.set_edge_count(len(edges))
            for slot, edge in enumerate(edges):
                edge_item = self.edge_items.get(edge)
                if edge_item is not None:
                    edge_item.slot = slot
                    edge_item.update_path()
        if item.output:
            item.output.set_edge_count(len(self.document.graph.outgoing(node_id)))

    def _on_direction_changed(self, _direction: str) -> None:
        for item in self.node_items.values():
            item.layout_ports(self.vertical)
        for item in self.edge_items.values():
            item.update_path()

    def _on_read_only_changed(self, read_only: bool) -> None:
        for item in self.node_items.values():
            item.setFlag(item.GraphicsItemFlag.ItemIsMovable, not read_only)
