"""Composite blocks: named groups of nodes that act, and compile, as one.

A ``Group`` does not move its nodes anywhere: they stay in the graph, so
analysis, training and probes see the same flat network whether it is
grouped or not. What a group adds is structure:

- a module path (``layer1.0``) under which its members' modules live, with a
  local name each (``conv1``), so ``state_dict`` keys read
  ``layer1.0.conv1.weight`` like torchvision's;
- a composite type (``BasicBlock``): instances of one type are edited
  together, and the generated Python source has one class per type;
- a boundary: which member ports each composite input feeds, and which member
  gives the composite's result, so a collapsed card can be wired as one block.

Groups do not nest; dotted paths give the nesting ``state_dict`` keys need.
"""
from __future__ import annotations

import keyword
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from .names import preview


class Graph(Protocol):
    """What these helpers read of ``engine.graph.Graph``: described here rather than imported,
    since the graph itself imports this module (for ``Group`` and the name rules)."""

    nodes: Mapping[str, Any]
    edges: Sequence[Any]
    groups: Mapping[str, Group]

    def unique_group_id(self) -> str: ...

    def path_problem_for(self, path: str, group_id: str | None = None, members=()) -> str | None: ...

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INDEX = re.compile(r"(0|[1-9][0-9]*)\Z")

Port = tuple[str, str]
"""A member's input: (node id, port name)."""


@dataclass
class Group:
    id: str
    name: str
    """Module path of the composite instance, e.g. ``layer1.0``."""
    type: str
    """Composite type, e.g. ``BasicBlock``; instances of one type are edited together."""
    members: dict[str, str]
    """Member node id → local name (its module name inside the composite), in order."""
    inputs: list[list[Port]] = field(default_factory=list)
    """For each composite input, the member ports it feeds."""
    output: str | None = None
    """The member whose result is the composite's result."""
    collapsed: bool = True
    ui: dict[str, Any] = field(default_factory=dict)

    def copy(self) -> Group:
        return replace(self, members=dict(self.members), inputs=[list(slot) for slot in self.inputs],
                       ui=dict(self.ui))

    def member_for(self, local: str) -> str | None:
        return next((node_id for node_id, name in self.members.items() if name == local), None)


def _is_identifier(text: str) -> bool:
    return bool(_IDENTIFIER.match(text)) and not keyword.iskeyword(text)


def path_problem(path: str) -> str | None:
    """Why ``path`` cannot name a composite instance, or None if it can."""
    parts = path.split(".")
    if not path or not _is_identifier(parts[0]) or not all(_is_identifier(p) or _INDEX.match(p) for p in parts):
        return (f"{preview(path)} is not a valid block name: use a Python name such as block1, or a dotted path "
                "of names and numbers such as layer1.0")
    return None


def type_problem(type_name: str) -> str | None:
    if not _is_identifier(type_name):
        return f"{preview(type_name)} is not a valid composite type name: use a name such as BasicBlock"
    return None


def local_name_problem(local: str) -> str | None:
    """Local names may be dotted too (``downsample.0``, as in torchvision), and may start with a number: a
    Sequential subclass made a block (torchvision's ``Conv2dNormActivation``) numbers its layers 0, 1, 2."""
    if not local or not all(_is_identifier(part) or _INDEX.match(part) for part in local.split(".")):
        return f"{preview(local)} is not a valid name inside a block: use a name such as conv1 or downsample.0"
    return None


def paths_clash(first: str, second: str) -> bool:
    """True when two module paths would overwrite one another (equal, or one holds the other)."""
    return first == second or first.startswith(second + ".") or second.startswith(first + ".")


def boundary(graph: Graph, member_ids) -> tuple[list[list[Port]], str | None]:
    """The composite inputs and output implied by the edges around ``member_ids``.

    Each distinct outside source becomes one input, feeding every member port
    it reaches. The output is the one member that feeds the outside, or the one
    member nothing inside consumes; ``ValueError`` says why when there is no
    single such member.
    """
    members = set(member_ids)
    slots: dict[Port, list[Port]] = {}
    leaving: list[str] = []
    for edge in graph.edges:
        if edge.dst in members and edge.src not in members:
            slots.setdefault((edge.src, edge.src_port), []).append((edge.dst, edge.dst_port))
        elif edge.src in members and edge.dst not in members and edge.src not in leaving:
            leaving.append(edge.src)
    if not leaving:
        consumed = {e.src for e in graph.edges if e.src in members and e.dst in members}
        leaving = [m for m in member_ids if m not in consumed and graph.nodes[m].spec.outputs]
    if len(leaving) != 1:
        names = ", ".join(graph.nodes[m].name for m in leaving) or "none of them"
        raise ValueError("a block gives one result, but these nodes' results leave the selection: "
                         f"{names}. Select the nodes up to where the branches join again.")
    return list(slots.values()), leaving[0]


def default_local_names(graph: Graph, member_ids, path: str) -> dict[str, str]:
    """Local names from the node names, without a prefix that repeats the path (``layer1_0_conv1`` → ``conv1``)."""
    prefix = path.replace(".", "_") + "_"
    names = {node_id: graph.nodes[node_id].name for node_id in member_ids}
    if all(name.startswith(prefix) and _is_identifier(name[len(prefix):]) for name in names.values()):
        names = {node_id: name[len(prefix):] for node_id, name in names.items()}
    return names


def make_group(graph: Graph, member_ids, name: str, type_name: str, *, group_id: str | None = None,
               collapsed: bool = True, locals_: dict[str, str] | None = None) -> Group:
    """A group over ``member_ids`` with its boundary read from the current edges (not yet added)."""
    wanted = set(member_ids)
    member_ids = [node_id for node_id in graph.nodes if node_id in wanted]  # graph order
    inputs, output = boundary(graph, member_ids)
    members = locals_ or default_local_names(graph, member_ids, name)
    return Group(group_id or graph.unique_group_id(), name, type_name,
                 {node_id: members[node_id] for node_id in member_ids}, inputs, output, collapsed)


def structure_key(graph: Graph, group: Group, input_shapes: Mapping[str, list] | None = None) -> tuple:
    """Everything that makes two instances compute the same function with their own weights (hashable: list
    parameters are made tuples). With ``input_shapes`` (node id → its input shapes, from an analysis), also
    the shapes its layers are built for: a class written once per key (the Python export) builds its layers
    from the input channels, so instances fed different channels need classes of their own."""
    local = group.members
    nodes = tuple((local[n], graph.nodes[n].type, tuple(sorted((key, _frozen(value)) for key, value in
                                                               graph.nodes[n].params.items())))
                  for n in group.members)
    edges = tuple((local[e.src], e.src_port, local[e.dst], e.dst_port)
                  for e in graph.edges if e.src in local and e.dst in local)
    inputs = tuple(tuple((local[n], port) for n, port in slot) for slot in group.inputs)
    key = (nodes, edges, inputs, local.get(group.output))
    if input_shapes is None:
        return key
    return key + (tuple((local[n], _frozen(input_shapes.get(n, ()))) for n in group.members),)


def _frozen(value: Any) -> Any:
    return tuple(_frozen(item) for item in value) if isinstance(value, (list, tuple)) else value


def instances(graph: Graph, type_name: str) -> list[Group]:
    return [group for group in graph.groups.values() if group.type == type_name]


def unique_type_name(graph: Graph, base: str) -> str:
    """``base`` if no block has that type yet, else a numbered variant: ``Bottleneck2``,
    or ``BasicBlock64_2`` when ``base`` ends in a digit (not ``BasicBlock642``)."""
    taken = {group.type for group in graph.groups.values()}
    if base not in taken:
        return base
    separator = "_" if base[-1:].isdigit() else ""
    index = 2
    while f"{base}{separator}{index}" in taken:
        index += 1
    return f"{base}{separator}{index}"


def unique_path(graph: Graph, base: str) -> str:
    """``base`` if free, else the next free sibling: ``layer1.0`` → ``layer1.1``, ``block`` → ``block2``."""
    if path_problem(base):
        raise ValueError(path_problem(base))
    if not graph.path_problem_for(base):
        return base
    stem, _, last = base.rpartition(".")
    numbered = last.isdigit()
    index = int(last) + 1 if numbered else 2
    while True:
        candidate = f"{stem}.{index}" if numbered else f"{base}{index}"
        if not graph.path_problem_for(candidate):
            return candidate
        index += 1
