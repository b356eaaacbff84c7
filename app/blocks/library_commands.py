"""Undo commands for library blocks and for blocks that share a type.

Instances of one composite type are edited together: a parameter set on a
member of ``layer1.0`` (``BasicBlock64``) is set on the member with the same
local name in every other instance of that type, as one undo step. Only
instances that still have the same structure (``engine.groups.structure_key``)
are touched; an instance edited apart is never changed silently, and "Make
Unique" gives an instance a type of its own so it can be edited alone.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QUndoCommand

from engine.graph import Graph, GraphError
from engine.groups import Group, instances, structure_key, unique_type_name
from engine.library import insert_template

from .editing import fresh_block_path
from ..commands import (
    PARAM_MERGE_SECONDS,
    AddNodeCommand,
    ConnectCommand,
    GroupCommand,
    MakeBlockCommand,
    SetParamCommand,
    UpdateBlockCommand,
    EditCommand,
)

SHARED_PARAM_ID = 31  # QUndoCommand.mergeWith id, apart from app.commands' ids


@dataclass(frozen=True)
class Sharing:
    """How a block relates to the other instances of its type."""

    group: Group
    matching: list[Group]
    """Instances of the type with the same structure, this one included: edits apply to these."""
    total: int
    """Instances of the type, however they differ."""

    @property
    def differing(self) -> int:
        return self.total - len(self.matching)


def sharing(graph: Graph, node_id: str) -> Sharing | None:
    """The sharing of the block that ``node_id`` belongs to (None for a node in no block)."""
    group = graph.group_of(node_id)
    if group is None:
        return None
    key = structure_key(graph, group)
    same_type = instances(graph, group.type)
    matching = [other for other in same_type if other.id == group.id or structure_key(graph, other) == key]
    return Sharing(group, matching, len(same_type))


def set_param_command(graph: Graph, node_id: str, key: str, value: Any) -> QUndoCommand:
    """Sets a parameter of one node, or of the same member of every matching instance of its block."""
    shared = sharing(graph, node_id)
    if shared is None or len(shared.matching) < 2:
        return SetParamCommand(graph, node_id, key, value)
    local = shared.group.members[node_id]
    twins = [node_id] + [other.member_for(local) for other in shared.matching if other.id != shared.group.id]
    text = f"Set {local} {key.replace('_', ' ')} in {len(twins)} {shared.group.type} blocks"
    return SetSharedParamCommand(graph, twins, key, value, text)


class SetSharedParamCommand(EditCommand):
    """Sets one parameter on several nodes; consecutive edits of the same one while typing merge."""

    def __init__(self, graph: Graph, node_ids: list[str], key: str, value: Any, text: str) -> None:
        super().__init__(text)
        self.graph, self.node_ids, self.key = graph, list(node_ids), key
        self.old = {node_id: copy.deepcopy(graph.node(node_id).params[key]) for node_id in node_ids}
        self.new = copy.deepcopy(value)
        self.edited_at = time.monotonic()

    def id(self) -> int:
        return SHARED_PARAM_ID

    def apply(self) -> None:
        done = []
        try:
            for node_id in self.node_ids:
                self.old[node_id] = copy.deepcopy(self.graph.node(node_id).params[self.key])
                self.graph.set_param(node_id, self.key, copy.deepcopy(self.new))
                done.append(node_id)
        except GraphError:  # all or nothing
            for node_id in reversed(done):
                self.graph.restore_param(node_id, self.key, copy.deepcopy(self.old[node_id]))
            raise

    def revert(self) -> None:
        for node_id in reversed(self.node_ids):
            self.graph.restore_param(node_id, self.key, copy.deepcopy(self.old[node_id]))

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (isinstance(other, SetSharedParamCommand) and (other.node_ids, other.key) == (self.node_ids, self.key)
                and other.edited_at - self.edited_at < PARAM_MERGE_SECONDS):
            return False
        self.new, self.edited_at = other.new, other.edited_at
        self.setText(other.text())
        self.setObsolete(all(self.new == old for old in self.old.values()))
        return True


def make_unique_command(graph: Graph, group_id: str) -> UpdateBlockCommand:
    """Gives one instance a composite type of its own, so edits no longer reach the others."""
    group = graph.group(group_id)
    new_type = unique_type_name(graph, group.type)
    return UpdateBlockCommand(graph, group_id, {"type": new_type}, f"Make {group.name} unique ({new_type})")


class InsertBlockCommand(GroupCommand):
    """Adds an instance of a library template, optionally fed by the node ``after_id``.

    The nodes, edges and block are worked out once, on a copy of the graph,
    so redo after undo recreates exactly the same ids and names.
    """

    def __init__(self, graph: Graph, template: dict[str, Any], origin: tuple[float, float],
                 after_id: str | None = None) -> None:
        probe = graph.copy()
        group = insert_template(probe, template, fresh_block_path(graph, "block1", set(), set()), origin)
        super().__init__(f"Insert {group.type} as {group.name}")
        self.group = group.copy()
        for node_id in group.members:
            AddNodeCommand(graph, probe.nodes[node_id], self)
        edges = [edge for edge in probe.edges if edge.src in group.members and edge.dst in group.members]
        if after_id is not None and group.inputs and probe.nodes[after_id].spec.outputs:
            for member, port in group.inputs[0]:
                if probe.connection_problem(after_id, member, port) is None:
                    edges.append(probe.connect(after_id, member, dst_port=port))
        for edge in edges:
            ConnectCommand(graph, edge, self)
        MakeBlockCommand(graph, group, self)
