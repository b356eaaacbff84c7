"""The scene mirrors the document's graph; it never changes it.

Graph events add, remove and refresh items one at a time (a ``reset``
rebuilds everything); analysis results update the cards' shape, parameter
and issue text, and only cards whose text changed repaint.

Composite blocks: a collapsed block is one ``BlockItem`` card and its
members get no items at all (cheap, and nothing hidden gets in the way of
fitting or pictures); the edges of its members end on the block's ports,
and the edges between members are not drawn. An expanded block's members
are ordinary cards with a ``BlockFrame`` behind them. Any change to a
block re-mirrors just that block, its members and their edges.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QFont, QImage, QPalette
from PySide6.QtWidgets import QApplication, QGraphicsScene

from engine.analysis import Analysis, group_report
from engine.finetune import block_freezing
from engine.graph import Edge, GraphEvent
from engine.groups import Group

from ..commands import block_position, node_position
from .block_item import BlockFrame, BlockItem
from .edge_item import EdgeItem
from .node_item import NodeItem
from .port_item import PortItem
from .style import CanvasStyle


class CanvasScene(QGraphicsScene):
    def __init__(self, document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.canvas_style = CanvasStyle(QApplication.palette(), QApplication.font())
        self.node_items: dict[str, NodeItem] = {}  # the nodes on show (none inside a collapsed block)
        self.block_items: dict[str, BlockItem] = {}  # collapsed blocks, by block (group) id
        self.frame_items: dict[str, BlockFrame] = {}  # expanded blocks, by block id
        self.edge_items: dict[Edge, EdgeItem] = {}  # every edge on show → the item drawing it
        self._lines: dict[tuple[str, str, str], EdgeItem] = {}  # (source card, target card, port) → item
        self._hidden_in: dict[str, str] = {}  # node id → the collapsed block standing for it
        self._badges: dict[str, str] = {}
        self._thumbnails: dict[str, QImage] = {}
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

    def cards(self) -> list[NodeItem]:
        """Every card on show: nodes and collapsed blocks."""
        return [*self.node_items.values(), *self.block_items.values()]

    def card_for(self, key: str) -> NodeItem | None:
        """The card showing a node (its own, or that of the collapsed block it is in), or a
        collapsed block's card by block id; None for anything not on show."""
        if key in self._hidden_in:
            return self.block_items.get(self._hidden_in[key])
        return self.node_items.get(key) or self.block_items.get(key)

    def selected_node_ids(self) -> list[str]:
        return [item.node_id for item in self.selectedItems()
                if isinstance(item, NodeItem) and not isinstance(item, BlockItem)]

    def selected_group_ids(self) -> list[str]:
        """Selected collapsed blocks (their cards)."""
        return [item.group_id for item in self.selectedItems() if isinstance(item, BlockItem)]

    def selected_edges(self) -> list[Edge]:
        return [edge for item in self.selectedItems() if isinstance(item, EdgeItem) for edge in item.edges]

    def ports(self, inputs: bool) -> list[PortItem]:
        if inputs:
            return [port for item in self.cards() for port in item.inputs.values()]
        return [item.output for item in self.cards() if item.output]

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
        for item in self.cards():
            item.restyle()
        self.update()

    def set_node_badge(self, node_id: str, text: str | None) -> None:
        if text:
            self._badges[node_id] = text
        else:
            self._badges.pop(node_id, None)
        if node_id in self.node_items:
            self.node_items[node_id].set_badge(text)

    def set_node_thumbnail(self, node_id: str, image: QImage | None) -> None:
        if image is not None:
            self._thumbnails[node_id] = image
        else:
            self._thumbnails.pop(node_id, None)
        if node_id in self.node_items:
            self.node_items[node_id].set_thumbnail(image)

    # --- mirroring ------------------------------------------------------------------

    def rebuild(self) -> None:
        self.clear()
        for items in (self.node_items, self.block_items, self.frame_items, self.edge_items, self._lines):
            items.clear()
        graph = self.document.graph
        self._hidden_in = self._collapsed_members()
        for node_id in graph.nodes:
            if node_id not in self._hidden_in:
                self._add_node(node_id)
        for group in graph.groups.values():
            self._add_block(group)
        for edge in graph.edges:
            self._add_edge(edge)
        order = self._edge_order()
        for item in self.cards():
            self._refresh_ports(item, order)

    def apply_analysis(self, analysis: Analysis) -> None:
        for node_id, item in self.node_items.items():
            item.set_report(analysis.nodes.get(node_id))
        groups = self.document.graph.groups
        for items in (self.block_items, self.frame_items):
            for group_id, item in items.items():
                if group_id in groups:
                    item.set_report(group_report(analysis, groups[group_id]))
        for group_id in self.block_items:  # which members carry weights may have changed
            self._show_freezing(group_id)

    def _on_graph_event(self, event: GraphEvent) -> None:
        graph = self.document.graph
        kind = event.kind
        if kind == "node_added":
            if event.node_id not in self._hidden_in:
                self._add_node(event.node_id)
        elif kind == "node_removed":
            self._remove_node(event.node_id)
        elif kind == "edge_added":
            self._add_edge(event.edge)
            self._refresh_cards_of(self.edge_items.get(event.edge))
        elif kind == "edge_removed":
            item = self.edge_items.get(event.edge)
            self._remove_edge(event.edge)
            self._refresh_cards_of(item)
        elif kind in ("param_changed", "node_renamed", "frozen_changed"):
            if event.node_id in self.node_items:
                self.node_items[event.node_id].set_node(graph.nodes[event.node_id])
            elif kind == "frozen_changed" and event.node_id in self._hidden_in:
                self._show_freezing(self._hidden_in[event.node_id])
        elif kind == "ui_changed":
            item = self.node_items.get(event.node_id)
            if item is not None:
                x, y = node_position(graph.nodes[event.node_id])
                if item.pos() != QPointF(x, y):
                    item.setPos(x, y)
        elif kind in ("group_added", "group_removed", "group_changed"):
            self._on_group_event(event)
        elif kind == "reset":
            self.rebuild()

    def _on_group_event(self, event: GraphEvent) -> None:
        graph = self.document.graph
        group_id = event.group_id
        group = graph.groups.get(group_id)
        if event.kind == "group_changed":
            changed = set(event.value)
            if changed <= {"ui"}:
                item = self.block_items.get(group_id)
                if item is not None:
                    item.setPos(*block_position(graph, group))
                return
            if changed <= {"name", "type"}:
                for items in (self.block_items, self.frame_items):
                    if group_id in items:
                        items[group_id].set_group(group)
                return
            affected = set(event.value.get("members", ())) | set(group.members)
        elif event.kind == "group_added":
            affected = set(group.members)
        else:
            affected = set(event.value.members)
        self._remirror_block(group_id, affected)

    def _remirror_block(self, group_id: str, affected: set[str]) -> None:
        """Rebuilds what shows one block: its card or frame, its members' cards, their edges."""
        graph = self.document.graph
        selected = {item.node_id for item in self.selectedItems() if isinstance(item, NodeItem)}
        touching = [e for e in graph.edges if e.src in affected or e.dst in affected]
        for edge in touching:
            self._remove_edge(edge)
        self._remove_block(group_id)
        self._hidden_in = self._collapsed_members()
        for node_id in affected:
            if node_id in self._hidden_in:
                self._remove_node(node_id)
            elif node_id in graph.nodes and node_id not in self.node_items:
                self._add_node(node_id)
        if group_id in graph.groups:
            self._add_block(graph.groups[group_id])
        for edge in touching:
            self._add_edge(edge)
        order = self._edge_order()
        cards = {id(card): card for edge in touching if edge in self.edge_items
                 for card in (self.edge_items[edge].source, self.edge_items[edge].target)}
        if group_id in self.block_items:
            cards[id(self.block_items[group_id])] = self.block_items[group_id]
        for card in cards.values():
            self._refresh_ports(card, order)
        # A re-made card keeps its selection; a selected block stays selected as its card, or as
        # its members once expanded or ungrouped (so the inspector keeps showing it).
        if group_id in selected and group_id not in self.block_items:
            selected |= affected
        elif group_id in self.block_items and selected & affected:
            selected.add(group_id)
        for key in selected:
            card = self.node_items.get(key) or self.block_items.get(key)
            if card is not None and not card.isSelected():
                card.setSelected(True)

    def _collapsed_members(self) -> dict[str, str]:
        return {node_id: group.id for group in self.document.graph.groups.values() if group.collapsed
                for node_id in group.members}

    def _add_node(self, node_id: str) -> None:
        node = self.document.graph.nodes[node_id]
        item = NodeItem(node, self.canvas_style)
        self._place(item, node_position(node), self.document.analysis.nodes.get(node_id))
        if node_id in self._badges:
            item.set_badge(self._badges[node_id])
        if node_id in self._thumbnails:
            item.set_thumbnail(self._thumbnails[node_id])
        self.node_items[node_id] = item

    def _place(self, item: NodeItem, pos: tuple[float, float], report) -> None:
        item.layout_ports(self.vertical)
        item.setFlag(item.GraphicsItemFlag.ItemIsMovable, not self.document.read_only)
        item.setPos(*pos)
        item.set_report(report)
        self.addItem(item)

    def _remove_node(self, node_id: str) -> None:
        item = self.node_items.pop(node_id, None)
        if item is None:
            return
        if item.frame is not None and item in item.frame.members:
            item.frame.members.remove(item)
            item.frame.update_geometry()
        self.removeItem(item)

    def _add_block(self, group: Group) -> None:
        report = group_report(self.document.analysis, group)
        if group.collapsed:
            item = BlockItem(group, self.canvas_style)
            self._place(item, block_position(self.document.graph, group), report)
            self.block_items[group.id] = item
            self._show_freezing(group.id)
            return
        members = [self.node_items[n] for n in group.members if n in self.node_items]
        if members:
            frame = BlockFrame(group, members, self.canvas_style)
            frame.set_report(report)
            self.addItem(frame)
            self.frame_items[group.id] = frame

    def _show_freezing(self, group_id: str) -> None:
        """A collapsed card looks frozen when all its members with weights are."""
        item, group = self.block_items.get(group_id), self.document.graph.groups.get(group_id)
        if item is not None and group is not None:
            freezing = block_freezing(self.document.graph, group, self.document.analysis)
            item.set_freezing(len(freezing.frozen), len(freezing.weighted))

    def _remove_block(self, group_id: str) -> None:
        item = self.block_items.pop(group_id, None)
        if item is not None:
            self.removeItem(item)
        frame = self.frame_items.pop(group_id, None)
        if frame is not None:
            frame.detach()
            self.removeItem(frame)

    def _ends(self, edge: Edge):
        """(source card, target card, target port) showing ``edge``; None inside a collapsed block."""
        src_block, dst_block = self._hidden_in.get(edge.src), self._hidden_in.get(edge.dst)
        if src_block is not None and src_block == dst_block:
            return None
        source = self.block_items.get(src_block) if src_block else self.node_items.get(edge.src)
        if dst_block:
            target = self.block_items.get(dst_block)
            port = target.port_for(self._slot_of(dst_block, edge)) if target else None
        else:
            target = self.node_items.get(edge.dst)
            port = target.inputs.get(edge.dst_port) if target else None
        if source is None or source.output is None or port is None:
            return None
        return source, target, port

    def _slot_of(self, group_id: str, edge: Edge) -> int | None:
        wanted = (edge.dst, edge.dst_port)
        for slot, ports in enumerate(self.document.graph.groups[group_id].inputs):
            if any(tuple(port) == wanted for port in ports):
                return slot
        return None

    def _add_edge(self, edge: Edge) -> None:
        ends = self._ends(edge)
        if ends is None:
            return
        source, target, port = ends
        key = (source.node_id, target.node_id, port.name)
        item = self._lines.get(key)
        if item is None:
            item = EdgeItem(edge, source, target, self.canvas_style, port)
            source.edges.append(item)
            target.edges.append(item)
            self._lines[key] = item
            self.addItem(item)
        else:
            item.edges.append(edge)
        self.edge_items[edge] = item

    def _remove_edge(self, edge: Edge) -> None:
        item = self.edge_items.pop(edge, None)
        if item is None:
            return
        item.edges.remove(edge)
        if item.edges:
            return
        del self._lines[(item.source.node_id, item.target.node_id, item.input_port.name)]
        item.source.edges.remove(item)
        item.target.edges.remove(item)
        self.removeItem(item)

    def _edge_order(self) -> dict[Edge, int]:
        return {edge: index for index, edge in enumerate(self.document.graph.edges)}

    def _refresh_cards_of(self, item: EdgeItem | None) -> None:
        if item is not None:
            order = self._edge_order()
            self._refresh_ports(item.source, order)
            self._refresh_ports(item.target, order)

    def _refresh_ports(self, card: NodeItem, order: dict[Edge, int]) -> None:
        """Counts each port's edges and gives the edges into an input their slot, in connection order."""
        if card.scene() is not self:
            return
        incoming = sorted((item for item in card.edges if item.target is card),
                          key=lambda item: min(order.get(edge, 0) for edge in item.edges))
        for port in card.inputs.values():
            lines = [item for item in incoming if item.input_port is port]
            port.set_edge_count(len(lines))
            for slot, item in enumerate(lines):
                item.slot = slot
                item.update_path()
        if card.output:
            card.output.set_edge_count(sum(1 for item in card.edges if item.source is card))

    def _on_direction_changed(self, _direction: str) -> None:
        for item in self.cards():
            item.layout_ports(self.vertical)
        for item in set(self.edge_items.values()):
            item.update_path()

    def _on_read_only_changed(self, read_only: bool) -> None:
        for item in self.cards():
            item.setFlag(item.GraphicsItemFlag.ItemIsMovable, not read_only)
