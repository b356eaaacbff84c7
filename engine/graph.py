"""A network as a graph of nodes joined by edges between named ports.

``Graph`` is the single source of truth for a network. Every mutation goes
through one of its methods and is announced on ``graph.events`` as a
``GraphEvent``, so views (the desktop canvas) can mirror it without owning it.
The graph stores what the user built, including mistakes; ``analyze`` is what
judges it.
"""
from __future__ import annotations

import copy
import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from .catalogue import ParamError, block
from .events import EventHub

_NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class GraphError(ValueError):
    """An edit the graph cannot accept (unknown node, bad port, taken name)."""


@dataclass
class Node:
    id: str
    type: str
    name: str
    params: dict[str, Any]
    ui: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self):
        return block(self.type)


@dataclass(frozen=True)
class Edge:
    """From ``src``'s output port ``src_port`` to ``dst``'s input port ``dst_port``."""

    src: str
    dst: str
    src_port: str = "out"
    dst_port: str = "in"


@dataclass(frozen=True)
class GraphEvent:
    """What changed. ``kind`` is one of ``node_added``, ``node_removed``,
    ``edge_added``, ``edge_removed``, ``param_changed``, ``node_renamed``,
    ``ui_changed`` and ``reset`` (everything replaced, e.g. a file was loaded)."""

    kind: str
    node_id: str | None = None
    edge: Edge | None = None
    key: str | None = None
    value: Any = None


def reachable_from(starts, neighbours) -> set:
    """Everything reachable from ``starts`` (included) following ``neighbours[x]``
    (a dict or a list of adjacency lists)."""
    seen = set(starts)
    stack = list(seen)
    while stack:
        for other in neighbours[stack.pop()]:
            if other not in seen:
                seen.add(other)
                stack.append(other)
    return seen


def check_node_name(name: str) -> None:
    """Names become Python attribute names (``conv1.weight``), so they must be identifiers."""
    if not _NAME_PATTERN.match(name) or keyword.iskeyword(name):
        raise GraphError(
            f"{name!r} is not a valid node name: use letters, digits and underscores, "
            "starting with a letter (e.g. conv1)"
        )


class Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.events: EventHub[GraphEvent] = EventHub()

    # --- queries ---------------------------------------------------------------

    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"there is no node with id {node_id!r}") from None

    def node_by_name(self, name: str) -> Node | None:
        return next((node for node in self.nodes.values() if node.name == name), None)

    def nodes_of_type(self, type_id: str) -> list[Node]:
        return [node for node in self.nodes.values() if node.type == type_id]

    def incoming(self, node_id: str, port: str | None = None) -> list[Edge]:
        """Edges into ``node_id`` in connection order (which orders Concat inputs)."""
        return [e for e in self.edges if e.dst == node_id and (port is None or e.dst_port == port)]

    def outgoing(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.src == node_id]

    def unique_name(self, prefix: str) -> str:
        taken = {node.name for node in self.nodes.values()}
        index = 1
        while f"{prefix}{index}" in taken:
            index += 1
        return f"{prefix}{index}"

    def unique_id(self, prefix: str) -> str:
        index = 1
        while f"{prefix}{index}" in self.nodes:
            index += 1
        return f"{prefix}{index}"

    def reaches(self, start: str, goal: str) -> bool:
        """True if a directed path leads from ``start`` to ``goal``."""
        seen, stack = set(), [start]
        while stack:
            current = stack.pop()
            if current == goal:
                return True
            if current not in seen:
                seen.add(current)
                stack.extend(e.dst for e in self.outgoing(current))
        return False

    def connection_problem(self, src: str, dst: str, dst_port: str = "in") -> str | None:
        """Why an edge from ``src`` to ``dst`` should not be drawn, or None if it may.

        Editors use this to refuse bad edges while the user drags; the graph
        itself still stores whatever it is given so that analysis can explain it.
        """
        if src == dst:
            return "a node cannot feed itself"
        if src not in self.nodes or dst not in self.nodes:
            return "both ends must be nodes of this graph"
        port = self.nodes[dst].spec.input_port(dst_port)
        if port is None:
            return f"{self.nodes[dst].name} has no input {dst_port!r}"
        if not self.nodes[src].spec.outputs:
            return f"{self.nodes[src].name} has no output"
        if any(e.src == src and e.dst == dst and e.dst_port == dst_port for e in self.edges):
            return "these nodes are already connected"
        if not port.variadic and self.incoming(dst, dst_port):
            return f"{self.nodes[dst].name} already has an input; remove that edge first"
        if self.reaches(dst, src):
            return f"that would make a cycle ({self.nodes[dst].name} already leads to {self.nodes[src].name})"
        return None

    # --- mutations --------------------------------------------------------------

    def add_node(
        self,
        type_id: str,
        params: dict[str, Any] | None = None,
        *,
        name: str | None = None,
        node_id: str | None = None,
        ui: dict[str, Any] | None = None,
        index: int | None = None,
    ) -> Node:
        """Adds a node; ``index`` re-inserts it at a position in ``nodes`` (undo keeps file order)."""
        spec = block(type_id)
        values = spec.defaults()
        for key, value in (params or {}).items():
            values[key] = self._validated(spec, key, value)
        name = name or self.unique_name(spec.name_prefix)
        check_node_name(name)
        if self.node_by_name(name):
            raise GraphError(f"the name {name!r} is already used by another node")
        node_id = node_id or self.unique_id(spec.name_prefix)
        if node_id in self.nodes:
            raise GraphError(f"the id {node_id!r} is already used by another node")
        node = Node(node_id, type_id, name, values, dict(ui or {}))
        if index is None or index >= len(self.nodes):
            self.nodes[node_id] = node
        else:  # dicts cannot insert mid-way: rebuild in place (views hold this dict)
            entries = list(self.nodes.items())
            entries.insert(index, (node_id, node))
            self.nodes.clear()
            self.nodes.update(entries)
        self.events.emit(GraphEvent("node_added", node_id))
        return node

    def remove_node(self, node_id: str) -> list[Edge]:
        """Removes the node and its edges; returns the edges removed (for undo)."""
        self.node(node_id)
        removed = [e for e in self.edges if node_id in (e.src, e.dst)]
        for edge in removed:
            self.disconnect(edge)
        del self.nodes[node_id]
        self.events.emit(GraphEvent("node_removed", node_id))
        return removed

    def connect(self, src: str, dst: str, src_port: str = "out", dst_port: str = "in",
                index: int | None = None) -> Edge:
        """Adds an edge; ``index`` re-inserts it at a position (undo keeps Concat order)."""
        source, target = self.node(src), self.node(dst)
        if src_port not in source.spec.outputs:
            raise GraphError(f"{source.name} has no output port {src_port!r}")
        if target.spec.input_port(dst_port) is None:
            raise GraphError(f"{target.name} has no input port {dst_port!r}")
        edge = Edge(src, dst, src_port, dst_port)
        if edge in self.edges:
            raise GraphError(f"{source.name} is already connected to {target.name}")
        self.edges.insert(len(self.edges) if index is None else index, edge)
        self.events.emit(GraphEvent("edge_added", edge=edge))
        return edge

    def disconnect(self, edge: Edge) -> int:
        """Removes an edge and returns the position it had."""
        try:
            index = self.edges.index(edge)
        except ValueError:
            raise GraphError("that edge is not in the graph") from None
        del self.edges[index]
        self.events.emit(GraphEvent("edge_removed", edge=edge))
        return index

    def set_param(self, node_id: str, key: str, value: Any) -> None:
        node = self.node(node_id)
        node.params[key] = self._validated(node.spec, key, value)
        self.events.emit(GraphEvent("param_changed", node_id, key=key, value=node.params[key]))

    def rename(self, node_id: str, name: str) -> None:
        node = self.node(node_id)
        check_node_name(name)
        other = self.node_by_name(name)
        if other and other.id != node_id:
            raise GraphError(f"the name {name!r} is already used by another node")
        node.name = name
        self.events.emit(GraphEvent("node_renamed", node_id, value=name))

    def set_ui(self, node_id: str, **values: Any) -> None:
        """Updates view-only data such as the position ``x``/``y``."""
        node = self.node(node_id)
        node.ui.update(values)
        self.events.emit(GraphEvent("ui_changed", node_id, value=dict(values)))

    def replace_with(self, other: Graph) -> None:
        """Takes over another graph's content, keeping subscribers (file open, revert)."""
        self.nodes = copy.deepcopy(other.nodes)
        self.edges = list(other.edges)
        self.events.emit(GraphEvent("reset"))

    def copy(self) -> Graph:
        """An independent snapshot without subscribers (e.g. for a training run)."""
        snapshot = Graph()
        snapshot.nodes = copy.deepcopy(self.nodes)
        snapshot.edges = list(self.edges)
        return snapshot

    @staticmethod
    def _validated(spec, key: str, value: Any) -> Any:
        try:
            return spec.param(key).validate(value)
        except KeyError as error:
            raise GraphError(str(error.args[0])) from None
        except ParamError as error:
            raise GraphError(f"{spec.title} {key}: {error}") from None
