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
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .catalogue import ParamError, block
from .events import EventHub
from .groups import Group, local_name_problem, path_problem, paths_clash, type_problem
from .names import preview

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
    # A frozen node keeps its weights during training (fine-tuning).
    frozen: bool = False

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
    ``ui_changed``, ``frozen_changed``, ``group_added``, ``group_removed``,
    ``group_changed`` (with ``group_id``) and ``reset`` (everything replaced,
    e.g. a file was loaded)."""

    kind: str
    node_id: str | None = None
    edge: Edge | None = None
    key: str | None = None
    value: Any = None
    group_id: str | None = None


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
    check_argument("name", name, str, "text such as conv1")
    if not _NAME_PATTERN.match(name) or keyword.iskeyword(name):
        raise GraphError(
            f"{preview(name)} is not a valid node name: use letters, digits and underscores, "
            "starting with a letter (e.g. conv1)"
        )


class _Lookups:
    """Indexes over a graph's containers, so that loading and analysing a 20,000-node network stays linear:
    edges by end, the edge set, node ids by name, and each member's group. The graph updates them as it
    changes; they rebuild themselves when a container was replaced or resized behind its back."""

    def __init__(self, graph: Graph) -> None:
        self.containers = (graph.nodes, graph.edges, graph.groups)
        self.edge_set = set(graph.edges)
        self.into: dict[str, list[Edge]] = defaultdict(list)
        self.out_of: dict[str, list[Edge]] = defaultdict(list)
        for edge in graph.edges:
            self.into[edge.dst].append(edge)
            self.out_of[edge.src].append(edge)
        self.names = {node.name: node.id for node in graph.nodes.values()}
        self.group_of: dict[str, str] = {}
        self.block_names: dict[str, str] = {}
        self.below: dict[str, set[str]] = defaultdict(set)  # "layer1" → ids of blocks named "layer1.…"
        for group in graph.groups.values():
            self.set_group(None, group)
        self.stamp(graph)

    def stamp(self, graph: Graph) -> None:
        self.sizes = (len(graph.nodes), len(graph.edges), len(graph.groups))

    def matches(self, graph: Graph) -> bool:
        nodes, edges, groups = self.containers
        return (nodes is graph.nodes and edges is graph.edges and groups is graph.groups
                and self.sizes == (len(graph.nodes), len(graph.edges), len(graph.groups)))

    def add_edge(self, edge: Edge) -> None:
        self.edge_set.add(edge)
        self.into[edge.dst].append(edge)
        self.out_of[edge.src].append(edge)

    def remove_edge(self, edge: Edge) -> None:
        self.edge_set.discard(edge)
        self.into[edge.dst].remove(edge)
        self.out_of[edge.src].remove(edge)

    def set_group(self, old: Group | None, new: Group | None) -> None:
        """Replaces what ``old`` (a group as it was) put in the indexes with what ``new`` puts there."""
        if old is not None:
            for member in old.members:
                if self.group_of.get(member) == old.id:
                    del self.group_of[member]
            if self.block_names.get(old.name) == old.id:
                del self.block_names[old.name]
            for prefix in _proper_prefixes(old.name):
                self.below[prefix].discard(old.id)
        if new is not None:
            for member in new.members:
                self.group_of[member] = new.id
            self.block_names[new.name] = new.id
            for prefix in _proper_prefixes(new.name):
                self.below[prefix].add(new.id)


def _proper_prefixes(path: str) -> list[str]:
    """``layer1.0.a`` → ``layer1``, ``layer1.0``."""
    parts = path.split(".")
    return [".".join(parts[:end]) for end in range(1, len(parts))]


def check_argument(argument: str, value: Any, kind: type | tuple[type, ...], wanted: str) -> None:
    """Raises a GraphError naming ``argument`` unless ``value`` is a ``kind`` (never a bool
    standing in for a number): API misuse reads like any other refused edit, not a TypeError."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise GraphError(f"{argument} must be {wanted}, not {preview(value)}")


def ui_problem(values: dict[str, Any]) -> str | None:
    """Why these view values cannot be stored (and saved as JSON), or None if they can:
    plain values only, finite numbers, and numbers for the position ``x``/``y``."""
    for key, value in values.items():
        if not isinstance(key, str):
            return f"view setting names must be text, not {preview(key)}"
        plain = isinstance(value, (str, int, float, bool)) or value is None
        if not plain:
            return f"{key} must be a plain value (number, text, on/off), not {preview(value)}"
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if key in ("x", "y") and not number:
            return f"{key} must be a number, not {preview(value)}"
        if number and not math.isfinite(value):
            return f"{key} must be a finite number, not {preview(value)}"
    return None


class Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.groups: dict[str, Group] = {}
        self.events: EventHub[GraphEvent] = EventHub()
        self._index: _Lookups | None = None

    def _lookups(self) -> _Lookups:
        index = getattr(self, "_index", None)
        if index is None or not index.matches(self):
            index = self._index = _Lookups(self)
        return index

    # --- queries ---------------------------------------------------------------

    def node(self, node_id: str) -> Node:
        check_argument("node_id", node_id, str, "a node id (text)")
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"there is no node with id {preview(node_id)}") from None

    def node_by_name(self, name: str) -> Node | None:
        node = self.nodes.get(self._lookups().names.get(name))
        return node if node is not None and node.name == name else None

    def nodes_of_type(self, type_id: str) -> list[Node]:
        return [node for node in self.nodes.values() if node.type == type_id]

    def incoming(self, node_id: str, port: str | None = None) -> list[Edge]:
        """Edges into ``node_id`` in connection order (which orders Concat inputs)."""
        return [e for e in self._lookups().into.get(node_id, ()) if port is None or e.dst_port == port]

    def outgoing(self, node_id: str) -> list[Edge]:
        return list(self._lookups().out_of.get(node_id, ()))

    def unique_name(self, prefix: str) -> str:
        taken = self._lookups().names
        index = 1
        while f"{prefix}{index}" in taken:
            index += 1
        return f"{prefix}{index}"

    def unique_id(self, prefix: str) -> str:
        index = 1
        while f"{prefix}{index}" in self.nodes or f"{prefix}{index}" in self.groups:
            index += 1
        return f"{prefix}{index}"

    def group_of(self, node_id: str) -> Group | None:
        group = self.groups.get(self._lookups().group_of.get(node_id))
        return group if group is not None and node_id in group.members else None

    def module_path(self, node_id: str) -> str:
        """Where the node's module lives in the compiled network: ``conv1`` or ``layer1.0.conv1``."""
        group = self.group_of(node_id)
        return f"{group.name}.{group.members[node_id]}" if group else self.nodes[node_id].name

    def activation_name(self, node_id: str) -> str:
        """The name probes know a node's activations by: its module path, or for a
        function block (Add, Concat) its node name, which the compiled graph keeps."""
        node = self.nodes[node_id]
        return self.module_path(node_id) if node.spec.module is not None else node.name

    def unique_group_id(self) -> str:
        index = 1
        while f"group{index}" in self.groups or f"group{index}" in self.nodes:
            index += 1
        return f"group{index}"

    def path_problem_for(self, path: str, group_id: str | None = None, members=()) -> str | None:
        """Why a composite (other than ``group_id``, over ``members``) may not be called ``path``, or None."""
        problem = path_problem(path)
        if problem:
            return problem
        lookups = self._lookups()
        above = (lookups.block_names.get(prefix) for prefix in (*_proper_prefixes(path), path))
        # Blocks whose path equals or holds ``path``, then blocks inside it: the indexes spare a scan of all.
        for other_id in (*above, *sorted(lookups.below.get(path, ()))):
            other = self.groups.get(other_id)
            if other is not None and other.id != group_id and paths_clash(path, other.name):
                return f"the block name {preview(path)} clashes with the block {preview(other.name)}"
        root = path.split(".")[0]
        node = self.node_by_name(root)
        if node is not None and node.id not in members and self.group_of(node.id) is None:
            return f"the block name {preview(path)} clashes with the node {preview(root)}"
        return None

    def _block_rooted_at(self, name: str, except_id: str | None = None) -> str | None:
        """The path of a block (other than ``except_id``) whose path starts with ``name``, or None."""
        lookups = self._lookups()
        for group_id in (lookups.block_names.get(name), *sorted(lookups.below.get(name, ()))):
            group = self.groups.get(group_id)
            if group is not None and group.id != except_id and group.name.split(".")[0] == name:
                return group.name
        return None

    def _check_free_node_name(self, name: str) -> None:
        clash = self._block_rooted_at(name)
        if clash:
            raise GraphError(f"the name {preview(name)} is used by the block {preview(clash)}")

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
        if not all(isinstance(value, str) for value in (src, dst, dst_port)):
            return "both ends must be node ids and the port a port name (text)"
        if src == dst:
            return "a node cannot feed itself"
        if src not in self.nodes or dst not in self.nodes:
            return "both ends must be nodes of this graph"
        port = self.nodes[dst].spec.input_port(dst_port)
        if port is None:
            return f"{self.nodes[dst].name} has no input {preview(dst_port)}"
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
        check_argument("type_id", type_id, str, "a block type id such as conv2d")
        check_argument("params", params, (dict, type(None)), "a dict of parameter values")
        check_argument("name", name, (str, type(None)), "text such as conv1")
        check_argument("node_id", node_id, (str, type(None)), "text such as conv1")
        check_argument("ui", ui, (dict, type(None)), "a dict of view values such as x and y")
        check_argument("index", index, (int, type(None)), "a whole number")
        spec = block(type_id)  # UnknownBlockError names the closest known types
        values = spec.defaults()
        for key, value in (params or {}).items():
            check_argument("a parameter name", key, str, "text")
            values[key] = self._validated(spec, key, value)
        name = name or self.unique_name(spec.name_prefix)
        check_node_name(name)
        if self.node_by_name(name):
            raise GraphError(f"the name {preview(name)} is already used by another node")
        self._check_free_node_name(name)
        node_id = node_id or self.unique_id(spec.name_prefix)
        if node_id in self.nodes:
            raise GraphError(f"the id {preview(node_id)} is already used by another node")
        if node_id in self.groups:
            raise GraphError(f"the id {preview(node_id)} is already used by a block")
        problem = ui_problem(ui or {})
        if problem:
            raise GraphError(problem)
        self.restore_node(Node(node_id, type_id, name, values, dict(ui or {})), index)
        return self.nodes[node_id]

    def restore_node(self, node: Node, index: int | None = None) -> None:
        """Puts a node back exactly as recorded, at ``index`` in ``nodes``, without the checks
        of ``add_node``: for undo, which returns the graph to a state it was in before."""
        node_id = node.id
        lookups = self._lookups()
        if index is None or index >= len(self.nodes):
            self.nodes[node_id] = node
        else:  # dicts cannot insert mid-way: rebuild in place (views hold this dict)
            entries = list(self.nodes.items())
            entries.insert(index, (node_id, node))
            self.nodes.clear()
            self.nodes.update(entries)
        lookups.names[node.name] = node_id
        lookups.stamp(self)
        self.events.emit(GraphEvent("node_added", node_id))

    def remove_node(self, node_id: str) -> list[Edge]:
        """Removes the node and its edges; returns the edges removed (for undo)."""
        self.node(node_id)
        removed = [e for e in self.edges if node_id in (e.src, e.dst)]
        for edge in removed:
            self.disconnect(edge)
        group = self.group_of(node_id)
        if group:  # the group forgets it (a smaller block is always valid); undo restores its fields
            members = {n: local for n, local in group.members.items() if n != node_id}
            inputs = [[port for port in slot if port[0] != node_id] for slot in group.inputs]
            self.restore_group_fields(group.id, {
                "members": members, "inputs": [slot for slot in inputs if slot],
                "output": None if group.output == node_id else group.output})
        lookups = self._lookups()
        name = self.nodes.pop(node_id).name
        if lookups.names.get(name) == node_id:
            del lookups.names[name]
        lookups.stamp(self)
        self.events.emit(GraphEvent("node_removed", node_id))
        return removed

    def connect(self, src: str, dst: str, src_port: str = "out", dst_port: str = "in",
                index: int | None = None) -> Edge:
        """Adds an edge; ``index`` re-inserts it at a position (undo keeps Concat order)."""
        source, target = self.node(src), self.node(dst)
        check_argument("src_port", src_port, str, "a port name such as out")
        check_argument("dst_port", dst_port, str, "a port name such as in")
        check_argument("index", index, (int, type(None)), "a whole number")
        if src_port not in source.spec.outputs:
            raise GraphError(f"{source.name} has no output port {preview(src_port)}")
        if target.spec.input_port(dst_port) is None:
            raise GraphError(f"{target.name} has no input port {preview(dst_port)}")
        edge = Edge(src, dst, src_port, dst_port)
        lookups = self._lookups()
        if edge in lookups.edge_set:
            raise GraphError(f"{source.name} is already connected to {target.name}")
        self.restore_edge(edge, index)
        return edge

    def restore_edge(self, edge: Edge, index: int | None = None) -> None:
        """Puts an edge back at ``index`` without the checks of ``connect`` (undo)."""
        lookups = self._lookups()
        if index is None or index >= len(self.edges):
            self.edges.append(edge)
            lookups.add_edge(edge)
            lookups.stamp(self)
        else:  # a mid-list insert (undo) reorders the ends' lists: rebuild them on the next query
            self.edges.insert(index, edge)
            self._index = None
        self.events.emit(GraphEvent("edge_added", edge=edge))

    def disconnect(self, edge: Edge) -> int:
        """Removes an edge and returns the position it had."""
        check_argument("edge", edge, Edge, "an Edge")
        lookups = self._lookups()
        if edge not in lookups.edge_set:
            raise GraphError("that edge is not in the graph")
        index = self.edges.index(edge)
        del self.edges[index]
        lookups.remove_edge(edge)
        lookups.stamp(self)
        self.events.emit(GraphEvent("edge_removed", edge=edge))
        return index

    def set_param(self, node_id: str, key: str, value: Any) -> None:
        node = self.node(node_id)
        check_argument("key", key, str, "a parameter name (text)")
        self.restore_param(node_id, key, self._validated(node.spec, key, value))

    def restore_param(self, node_id: str, key: str, value: Any) -> None:
        """Sets a parameter to a value it had before, unchecked (undo)."""
        self.nodes[node_id].params[key] = value
        self.events.emit(GraphEvent("param_changed", node_id, key=key, value=value))

    def rename(self, node_id: str, name: str) -> None:
        self.node(node_id)
        check_node_name(name)
        other = self.node_by_name(name)
        if other and other.id != node_id:
            raise GraphError(f"the name {preview(name)} is already used by another node")
        if self.group_of(node_id) is None:
            self._check_free_node_name(name)
        self.restore_name(node_id, name)

    def restore_name(self, node_id: str, name: str) -> None:
        """Gives a node back a name it had before, unchecked (undo)."""
        node = self.nodes[node_id]
        lookups = self._lookups()
        if lookups.names.get(node.name) == node_id:
            del lookups.names[node.name]
        node.name = name
        lookups.names[name] = node_id
        self.events.emit(GraphEvent("node_renamed", node_id, value=name))

    def set_ui(self, node_id: str, **values: Any) -> None:
        """Updates view-only data such as the position ``x``/``y`` (finite numbers: the file
        stores them as JSON, which has no NaN)."""
        self.node(node_id)
        problem = ui_problem(values)
        if problem:
            raise GraphError(problem)
        self.restore_ui(node_id, **values)

    def restore_ui(self, node_id: str, **values: Any) -> None:
        """Puts view values back as they were, unchecked (undo)."""
        self.nodes[node_id].ui.update(values)
        self.events.emit(GraphEvent("ui_changed", node_id, value=dict(values)))

    def set_frozen(self, node_id: str, frozen: bool) -> None:
        """Frozen nodes keep their weights while the rest of the network trains."""
        node = self.node(node_id)
        check_argument("frozen", frozen, bool, "True or False")
        node.frozen = frozen
        self.events.emit(GraphEvent("frozen_changed", node_id, value=frozen))

    # --- composite blocks ---------------------------------------------------------

    def group(self, group_id: str) -> Group:
        check_argument("group_id", group_id, str, "a block id (text)")
        try:
            return self.groups[group_id]
        except KeyError:
            raise GraphError(f"there is no block with id {preview(group_id)}") from None

    def add_group(self, group: Group, index: int | None = None) -> Group:
        """Adds a composite over existing nodes; ``index`` re-inserts it in order (undo)."""
        check_argument("group", group, Group, "a Group")
        check_argument("index", index, (int, type(None)), "a whole number")
        if group.id in self.groups:
            raise GraphError(f"the id {preview(group.id)} is already used by another block")
        if group.id in self.nodes:
            raise GraphError(f"the id {preview(group.id)} is already used by a node")
        self._check_group(group)
        self.restore_group(group, index)
        return group

    def restore_group(self, group: Group, index: int | None = None) -> None:
        """Puts a block back exactly as recorded, at ``index`` in ``groups``, unchecked (undo)."""
        lookups = self._lookups()
        if index is None or index >= len(self.groups):
            self.groups[group.id] = group
        else:  # dicts cannot insert mid-way: rebuild in place (views hold this dict)
            entries = list(self.groups.items())
            entries.insert(index, (group.id, group))
            self.groups.clear()
            self.groups.update(entries)
        lookups.set_group(None, group)
        lookups.stamp(self)
        self.events.emit(GraphEvent("group_added", group_id=group.id))

    def ungroup_problem(self, group_id: str) -> str | None:
        """Why the block cannot be dissolved, or None: its members become plain nodes, and a
        plain node may not share its name with another block's path (``layer1`` vs ``layer1.0``)."""
        group = self.group(group_id)
        for node_id in group.members:
            name = self.nodes[node_id].name
            clash = self._block_rooted_at(name, except_id=group_id)
            if clash:
                return f"its node {name} would then have the name of the block {clash}; rename {name} first"
        return None

    def remove_group(self, group_id: str) -> tuple[Group, int]:
        """Ungroups: the members stay. Returns the group and its position (for undo)."""
        problem = self.ungroup_problem(group_id)
        if problem:
            raise GraphError(problem)
        return self.discard_group(group_id)

    def discard_group(self, group_id: str) -> tuple[Group, int]:
        """Removes a block without checking what its members' names become: for undo, and for
        deleting a block together with its members."""
        group = self.groups[group_id]
        index = list(self.groups).index(group_id)
        lookups = self._lookups()
        del self.groups[group_id]
        lookups.set_group(group, None)
        lookups.stamp(self)
        self.events.emit(GraphEvent("group_removed", group_id=group_id, value=group))
        return group, index

    def update_group(self, group_id: str, **changes: Any) -> dict[str, Any]:
        """Changes fields of a group (name, type, members, inputs, output, collapsed, ui);
        returns their previous values, ready to undo with ``restore_group_fields``."""
        current = self.group(group_id)
        updated = current.copy()
        for key, value in changes.items():
            if not hasattr(updated, key) or key == "id":
                raise GraphError(f"a block has no field {preview(key)}")
            setattr(updated, key, copy.deepcopy(value))
        self._check_group(updated)
        return self.restore_group_fields(group_id, changes)

    def restore_group_fields(self, group_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Sets fields of a block to values they had before, unchecked (undo); returns the
        values they replace."""
        current = self.groups[group_id]
        updated = current.copy()
        for key, value in fields.items():
            setattr(updated, key, copy.deepcopy(value))
        old = {key: copy.deepcopy(getattr(current, key)) for key in fields}
        lookups = self._lookups()
        self.groups[group_id] = updated
        lookups.set_group(current, updated)
        self.events.emit(GraphEvent("group_changed", group_id=group_id, value=old))
        return old

    def _check_group(self, group: Group) -> None:
        check_argument("the block name", group.name, str, "a path such as layer1.0")
        check_argument("the block type", group.type, str, "a name such as BasicBlock")
        check_argument("the block members", group.members, dict, "a dict of node id → local name")
        check_argument("the block inputs", group.inputs, list, "a list of lists of (node id, port)")
        check_argument("the block output", group.output, (str, type(None)), "a node id")
        check_argument("collapsed", group.collapsed, bool, "True or False")
        check_argument("the block's view values", group.ui, dict, "a dict")
        for problem in (self.path_problem_for(group.name, group.id, group.members), type_problem(group.type),
                        ui_problem(group.ui)):
            if problem:
                raise GraphError(problem)
        locals_seen = set()
        for node_id, local in group.members.items():
            self.node(node_id)
            check_argument("a local name", local, str, "text such as conv1")
            other = self.group_of(node_id)
            if other and other.id != group.id:
                raise GraphError(f"{self.nodes[node_id].name} is already in the block {other.name}; "
                                 "blocks cannot overlap or nest")
            problem = local_name_problem(local)
            if problem or local in locals_seen:
                raise GraphError(problem or f"two nodes of the block {group.name} are both called {preview(local)}")
            locals_seen.add(local)
        for slot in group.inputs:
            check_argument("a block input", slot, list, "a list of (node id, port) pairs")
            for port in slot:
                if not (isinstance(port, (tuple, list)) and len(port) == 2 and all(isinstance(p, str) for p in port)):
                    raise GraphError(f"a block input port must be a (node id, port) pair, not {preview(port)}")
        ports = [port for slot in group.inputs for port in slot]
        if any(node_id not in group.members for node_id, _ in ports) or (
                group.output is not None and group.output not in group.members):
            raise GraphError(f"the inputs and output of the block {group.name} must be nodes inside it")

    def replace_with(self, other: Graph) -> None:
        """Takes over another graph's content, keeping subscribers (file open, revert)."""
        self.nodes = copy.deepcopy(other.nodes)
        self.edges = list(other.edges)
        self.groups = {group_id: group.copy() for group_id, group in other.groups.items()}
        self.events.emit(GraphEvent("reset"))

    def copy(self) -> Graph:
        """An independent snapshot without subscribers (e.g. for a training run)."""
        snapshot = Graph()
        snapshot.nodes = copy.deepcopy(self.nodes)
        snapshot.edges = list(self.edges)
        snapshot.groups = {group_id: group.copy() for group_id, group in self.groups.items()}
        return snapshot

    @staticmethod
    def _validated(spec, key: str, value: Any) -> Any:
        try:
            return spec.param(key).validate(value)
        except KeyError as error:
            raise GraphError(str(error.args[0])) from None
        except ParamError as error:
            raise GraphError(f"{spec.title} {key}: {error}") from None
