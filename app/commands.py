"""Undo commands: the only code that mutates the graph (the Document pushes them).

Each command holds plain data (ids, names, params, positions), never Qt items,
so undo and redo replay exactly the same graph edits. Compound edits are a
parent command with children, as in orange-canvas-core: deleting a node is
"disconnect each of its edges" then "remove the node"; undo runs the children
backwards, so edges come back at their old positions in ``graph.edges``
(which keeps a Concat's input order).

The stack never lies: ``push_edit`` applies a command before the stack sees
it (a refused one leaves no entry and no trace, a compound one all or
nothing), and undo puts back the state each command recorded when it ran,
through the graph's unchecked ``restore_*`` methods, so it cannot fail.
tests/app/test_undo_integrity.py drives thousands of random edits to hold
this.
"""
from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack

from engine.graph import Edge, Graph, GraphError, Node, ui_problem
from engine.groups import Group

# Ids for QUndoCommand.mergeWith: the stack only merges commands with equal ids.
SET_PARAM_ID = 1
MOVE_ID = 2

PARAM_MERGE_SECONDS = 2.0
"""Edits of the same parameter closer together than this are one typing session."""


def format_value(value: Any) -> str:
    """A parameter value as people write it: ``[3, 5]`` → ``3×5``, ``True`` → ``on``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return "×".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def edge_text(graph: Graph, edge: Edge) -> str:
    return f"{_name(graph, edge.src)} → {_name(graph, edge.dst)}"


def _name(graph: Graph, node_id: str) -> str:
    node = graph.nodes.get(node_id)
    return node.name if node else node_id


class EditCommand(QUndoCommand):
    """A command that may belong to a ``GroupCommand`` (``parent``).

    Subclasses write ``apply`` (the edit, checked by the graph: it raises
    ``GraphError`` and changes nothing when refused) and ``revert`` (puts back
    exactly what ``apply`` changed, with the graph's unchecked ``restore_*``
    methods, so it cannot fail). ``Document`` applies a command before pushing
    it, so a refused edit never reaches the stack; the stack's own first
    ``redo`` then has nothing left to do.
    """

    def __init__(self, text: str = "", parent: GroupCommand | None = None) -> None:
        super().__init__(text)
        self._applied = False
        if parent is not None:
            parent.children.append(self)

    def apply(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError

    def apply_before_push(self) -> None:
        """Does the edit now (raises ``GraphError``, leaving the graph as it was, when refused);
        the push that follows skips its redo."""
        self.apply()
        self._applied = True

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            return
        self.apply()

    def undo(self) -> None:
        self.revert()


def changes_since_clean(stack: QUndoStack) -> bool:
    """Whether a command between the saved state and now changes the network; view changes
    (``view_change``: expanding or collapsing a block) are undo steps that leave a file unmodified."""
    clean = stack.cleanIndex()
    if clean < 0:  # the saved state was undone past and replaced: it cannot be reached
        return True
    low, high = sorted((clean, stack.index()))
    return any(not getattr(stack.command(index), "view_change", False) for index in range(low, high))


def push_edit(stack: QUndoStack, command: QUndoCommand, refuse) -> bool:
    """Applies a graph edit, then pushes it (its first redo is already done); a ``GraphError``
    becomes one line to ``refuse`` ("Cannot ungroup layer2.0: …") and no stack entry."""
    if isinstance(command, EditCommand):
        try:
            command.apply_before_push()
        except GraphError as error:
            text = command.text()
            refuse(f"Cannot {text[:1].lower()}{text[1:]}: {error}")
            return False
    stack.push(command)
    return True


class GroupCommand(EditCommand):
    """Runs its children in order, and undoes them in reverse.

    Children live in a Python list rather than as Qt child commands: with
    PySide, Qt deleting a parent would also free children whose Python
    wrappers still own them (a double free when the stack drops the group).
    A child refused half-way reverts the children before it, so the whole
    edit happens or none of it does.
    """

    def __init__(self, text: str = "", parent: GroupCommand | None = None) -> None:
        self.children: list[EditCommand] = []
        super().__init__(text, parent)

    def apply(self) -> None:
        done: list[EditCommand] = []
        try:
            for child in self.children:
                child.apply()
                done.append(child)
        except BaseException:
            for child in reversed(done):
                child.revert()
            raise

    def revert(self) -> None:
        for child in reversed(self.children):
            child.revert()


class AddNodeCommand(EditCommand):
    def __init__(self, graph: Graph, node: Node, parent: GroupCommand | None = None) -> None:
        super().__init__(f"Add {node.spec.title}", parent)
        self.graph = graph
        self.node = copy.deepcopy(node)  # the id and name are fixed now, so redo recreates the same node

    def apply(self) -> None:
        node = self.node
        self.graph.add_node(node.type, copy.deepcopy(node.params), name=node.name, node_id=node.id,
                            ui=dict(node.ui))
        if node.frozen:  # add_node makes an unfrozen node
            self.graph.set_frozen(node.id, True)

    def revert(self) -> None:
        self.graph.remove_node(self.node.id)


class RemoveNodeCommand(EditCommand):
    """Removes a node whose edges were already removed by sibling commands; undo puts
    it back at the same position in ``graph.nodes``, so the saved file is unchanged."""

    def __init__(self, graph: Graph, node_id: str, parent: GroupCommand | None = None) -> None:
        node = graph.node(node_id)
        super().__init__(f"Delete {node.name}", parent)
        self.graph = graph
        self.node_id = node_id
        self.node: Node | None = None
        self.index: int | None = None
        self.membership: tuple[str, dict[str, Any]] | None = None  # (block id, its fields before)

    def apply(self) -> None:
        # Recorded when applied, after sibling commands ran: the node as it is now.
        node = self.graph.node(self.node_id)
        if any(self.node_id in (edge.src, edge.dst) for edge in self.graph.edges):
            raise GraphError(f"{node.name} still has connections")  # siblings disconnect them first
        self.node = copy.deepcopy(node)
        self.index = list(self.graph.nodes).index(self.node_id)
        # remove_node drops the node from its block; undo gives the block back these exact fields.
        group = self.graph.group_of(self.node_id)
        self.membership = None if group is None else (group.id, block_membership(group))
        self.graph.remove_node(self.node_id)

    def revert(self) -> None:
        self.graph.restore_node(copy.deepcopy(self.node), self.index)
        if self.membership is not None:
            self.graph.restore_group_fields(self.membership[0], copy.deepcopy(self.membership[1]))


class ConnectCommand(EditCommand):
    def __init__(self, graph: Graph, edge: Edge, parent: GroupCommand | None = None) -> None:
        super().__init__(f"Connect {edge_text(graph, edge)}", parent)
        self.graph = graph
        self.edge = edge

    def apply(self) -> None:
        edge = self.edge
        self.graph.connect(edge.src, edge.dst, edge.src_port, edge.dst_port)

    def revert(self) -> None:
        self.graph.disconnect(self.edge)


class DisconnectCommand(EditCommand):
    """Removes an edge; undo puts it back at the same position in the edge list."""

    def __init__(self, graph: Graph, edge: Edge, parent: GroupCommand | None = None) -> None:
        super().__init__(f"Disconnect {edge_text(graph, edge)}", parent)
        self.graph = graph
        self.edge = edge
        self.index = -1

    def apply(self) -> None:
        self.index = self.graph.disconnect(self.edge)

    def revert(self) -> None:
        self.graph.restore_edge(self.edge, self.index)


class SetParamCommand(EditCommand):
    """Sets one parameter; consecutive edits of the same one while typing merge."""

    def __init__(self, graph: Graph, node_id: str, key: str, value: Any,
                 parent: GroupCommand | None = None) -> None:
        node = graph.node(node_id)
        super().__init__(f"Set {node.name} {key.replace('_', ' ')} to {format_value(value)}", parent)
        self.graph = graph
        self.node_id, self.key = node_id, key
        self.old, self.new = copy.deepcopy(node.params[key]), copy.deepcopy(value)
        self.edited_at = time.monotonic()

    def id(self) -> int:
        return SET_PARAM_ID

    def apply(self) -> None:
        self.old = copy.deepcopy(self.graph.node(self.node_id).params[self.key])
        self.graph.set_param(self.node_id, self.key, copy.deepcopy(self.new))

    def revert(self) -> None:
        self.graph.restore_param(self.node_id, self.key, copy.deepcopy(self.old))

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (isinstance(other, SetParamCommand) and (other.node_id, other.key) == (self.node_id, self.key)
                and other.edited_at - self.edited_at < PARAM_MERGE_SECONDS):
            return False
        self.new, self.edited_at = other.new, other.edited_at
        self.setText(other.text())
        # Typing back the original value leaves nothing to undo.
        self.setObsolete(self.new == self.old)
        return True


class RenameCommand(EditCommand):
    def __init__(self, graph: Graph, node_id: str, name: str, parent: GroupCommand | None = None) -> None:
        old = graph.node(node_id).name
        super().__init__(f"Rename {old} to {name}", parent)
        self.graph = graph
        self.node_id, self.old, self.new = node_id, old, name

    def apply(self) -> None:
        self.old = self.graph.node(self.node_id).name
        self.graph.rename(self.node_id, self.new)

    def revert(self) -> None:
        self.graph.restore_name(self.node_id, self.old)


class SetFrozenCommand(EditCommand):
    """Freezes or unfreezes nodes (``states``: node id → frozen); undo restores each one's state."""

    def __init__(self, graph: Graph, states: dict[str, bool], text: str, parent: GroupCommand | None = None) -> None:
        super().__init__(text, parent)
        self.graph = graph
        self.new = dict(states)
        self.old = {node_id: graph.node(node_id).frozen for node_id in states}

    def apply(self) -> None:
        for node_id in self.new:  # every node first, so a refusal changes nothing
            self.graph.node(node_id)
        self.old = {node_id: self.graph.nodes[node_id].frozen for node_id in self.new}
        for node_id, frozen in self.new.items():
            self.graph.set_frozen(node_id, frozen)

    def revert(self) -> None:
        for node_id, frozen in self.old.items():
            self.graph.set_frozen(node_id, frozen)


Positions = dict[str, tuple[float, float]]


class MoveCommand(EditCommand):
    """Moves nodes (their top-left ``ui`` x/y). With ``merge``, it absorbs the next
    mergeable move of the same nodes, so a drag reported step by step is one command."""

    def __init__(self, graph: Graph, positions: Positions, merge: bool = False, text: str = "",
                 parent: GroupCommand | None = None) -> None:
        if not text:
            text = (f"Move {graph.node(next(iter(positions))).name}" if len(positions) == 1
                    else f"Move {len(positions)} nodes")
        super().__init__(text, parent)
        self.graph = graph
        self.merge = merge
        self.new = dict(positions)
        # The stored values as they are (not node_position's floats): undo restores 260, not 260.0.
        self.old = {node_id: _stored_position(graph.node(node_id)) for node_id in positions}

    def id(self) -> int:
        return MOVE_ID

    def apply(self) -> None:
        for node_id, (x, y) in self.new.items():  # all checked first, so a refusal changes nothing
            problem = ui_problem({"x": x, "y": y})
            if problem:
                whose = f"{self.graph.node(node_id).name}: " if len(self.new) > 1 else ""  # one: the text names it
                raise GraphError(whose + problem)
            self.graph.node(node_id)
        self.old = {node_id: _stored_position(self.graph.nodes[node_id]) for node_id in self.new}
        for node_id, (x, y) in self.new.items():
            self.graph.set_ui(node_id, x=x, y=y)

    def revert(self) -> None:
        for node_id, (x, y) in self.old.items():
            self.graph.restore_ui(node_id, x=x, y=y)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (isinstance(other, MoveCommand) and self.merge and other.merge
                and other.new.keys() == self.new.keys()):
            return False
        self.new = dict(other.new)
        self.setObsolete(self.new == self.old)
        return True

    def close_merging(self) -> None:
        """Ends the drag: the next move starts a command of its own."""
        self.merge = False


def node_position(node: Node) -> tuple[float, float]:
    """The card's top-left corner in scene coordinates (0, 0 when never placed)."""
    return float(node.ui.get("x", 0.0)), float(node.ui.get("y", 0.0))


def _stored_position(node: Node) -> tuple[Any, Any]:
    return node.ui.get("x", 0.0), node.ui.get("y", 0.0)


class TidyLayoutCommand(MoveCommand):
    """Moves every node to the automatic layout and switches the flow direction."""

    def __init__(self, graph: Graph, positions: Positions, direction: str, old_direction: str,
                 set_direction: Callable[[str], None]) -> None:
        super().__init__(graph, positions, text="Tidy layout")
        self.direction, self.old_direction = direction, old_direction
        self.set_direction = set_direction

    def apply(self) -> None:
        super().apply()
        self.set_direction(self.direction)

    def revert(self) -> None:
        super().revert()
        self.set_direction(self.old_direction)


# --- composite blocks (engine.groups) ---------------------------------------------------------------

def block_membership(group: Group) -> dict[str, Any]:
    """The fields that say which nodes a block holds and how it is wired (for undo)."""
    return {"members": dict(group.members), "inputs": [list(slot) for slot in group.inputs],
            "output": group.output}


def block_position(graph: Graph, group: Group) -> tuple[float, float]:
    """Top-left corner of a block's collapsed card: its own, else where its members start."""
    if "x" in group.ui and "y" in group.ui:
        return float(group.ui["x"]), float(group.ui["y"])
    spots = [node_position(graph.nodes[node_id]) for node_id in group.members if node_id in graph.nodes]
    return (min(x for x, _ in spots), min(y for _, y in spots)) if spots else (0.0, 0.0)


class MakeBlockCommand(EditCommand):
    """Adds a composite block over existing nodes; undo ungroups them again."""

    def __init__(self, graph: Graph, group: Group, parent: GroupCommand | None = None) -> None:
        super().__init__(f"Group {len(group.members)} nodes into {group.name}", parent)
        self.graph = graph
        self.group = group.copy()

    def apply(self) -> None:
        self.graph.add_group(self.group.copy())

    def revert(self) -> None:
        self.graph.discard_group(self.group.id)


class UngroupBlockCommand(EditCommand):
    """Removes a block (its members stay); undo puts it back at the same place in ``graph.groups``.

    With ``members_go`` the members are deleted in the same step, so what their names would
    clash with as plain nodes does not matter."""

    def __init__(self, graph: Graph, group_id: str, parent: GroupCommand | None = None,
                 members_go: bool = False) -> None:
        super().__init__(f"Ungroup {graph.group(group_id).name}", parent)
        self.graph = graph
        self.group_id = group_id
        self.members_go = members_go
        self.removed: tuple[Group, int] | None = None

    def apply(self) -> None:
        remove = self.graph.discard_group if self.members_go else self.graph.remove_group
        self.graph.group(self.group_id)
        group, index = remove(self.group_id)
        self.removed = group.copy(), index

    def revert(self) -> None:
        group, index = self.removed
        self.graph.restore_group(group.copy(), index)


class UpdateBlockCommand(EditCommand):
    """Changes fields of a block (name, type, collapsed, ui…); undo restores the values it replaced."""

    def __init__(self, graph: Graph, group_id: str, changes: dict[str, Any], text: str,
                 parent: GroupCommand | None = None) -> None:
        super().__init__(text, parent)
        self.graph = graph
        self.group_id = group_id
        self.new = copy.deepcopy(changes)
        self.old: dict[str, Any] = {}

    def apply(self) -> None:
        self.old = self.graph.update_group(self.group_id, **copy.deepcopy(self.new))

    def revert(self) -> None:
        self.graph.restore_group_fields(self.group_id, copy.deepcopy(self.old))
