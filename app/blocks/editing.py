"""The document's edits of composite blocks (``engine.groups``): group, ungroup, rename,
collapse and expand, move, wire into a block's input, and paste whole blocks.

``BlockEditing`` is a part of ``Document`` (it uses the document's graph,
undo stack and refusal messages); every edit is one undo command built from
``app.commands``. Refused edits say why in a one-line status message.
"""
from __future__ import annotations

from collections.abc import Iterable
from itertools import chain, count, islice
from typing import Any

from engine.finetune import BlockFreezing, block_freezing
from engine.graph import Edge, GraphError
from engine.groups import Group, boundary, make_group, paths_clash
from engine.names import reserved_path_refusal

from .room import members_corner, room_moves
from ..commands import (
    ConnectCommand,
    DisconnectCommand,
    GroupCommand,
    MakeBlockCommand,
    MoveCommand,
    UngroupBlockCommand,
    UpdateBlockCommand,
    block_position,
    node_position,
    push_edit,
)


class BlockEditing:
    """Composite-block edits of ``Document``."""

    def block_problem(self, ids: Iterable[str]) -> str | None:
        """Why these nodes cannot become one block, or None if they can."""
        graph = self._graph
        ids = [node_id for node_id in dict.fromkeys(ids) if node_id in graph.nodes]
        if not ids:
            return "select the nodes to group first"
        for node_id in ids:
            group = graph.group_of(node_id)
            if group is not None:
                return (f"{graph.nodes[node_id].name} is already in the block {group.name}; "
                        "blocks cannot nest, so ungroup that block first")
        try:
            boundary(graph, ids)
        except ValueError as error:
            return str(error)
        return None

    def card_key(self, node_id: str) -> str:
        """What shows ``node_id`` on the canvas: the collapsed block it is in, else the node itself."""
        group = self._graph.group_of(node_id)
        return group.id if group is not None and group.collapsed else node_id

    def card_spots(self) -> dict[str, tuple[float, float]]:
        """Top-left corners of the cards on show, by node or (collapsed) block id."""
        graph = self._graph
        spots = {key: node_position(node) for key, node in graph.nodes.items() if self.card_key(key) == key}
        spots.update((group.id, block_position(graph, group)) for group in graph.groups.values() if group.collapsed)
        return spots

    def group_nodes(self, ids: Iterable[str], name: str, type_name: str) -> str | None:
        """Makes the nodes one collapsed block called ``name`` (a module path such as
        ``layer1.0``) of type ``type_name``; returns its id, or None (and why) if refused."""
        ids = [node_id for node_id in dict.fromkeys(ids) if node_id in self._graph.nodes]
        problem = self.block_problem(ids) or (isinstance(name, str) and reserved_path_refusal(name)) or None
        group = None
        if problem is None:
            try:
                group = make_group(self._graph, ids, name, type_name)
                self._graph.copy().add_group(group.copy())  # validates name, type and local names
            except ValueError as error:  # GraphError too
                problem = str(error)
        if problem:
            self._refuse("Cannot group these nodes", problem)
            return None
        x, y = members_corner(self._graph, group)
        group.ui = {"x": x, "y": y}
        return group.id if self._push(MakeBlockCommand(self._graph, group)) else None

    def ungroup(self, group_id: str) -> bool:
        """Dissolves a block; its members stay where they are, as plain nodes."""
        if group_id not in self._graph.groups:
            return False
        return self._push(UngroupBlockCommand(self._graph, group_id))

    def update_block(self, group_id: str, **changes: Any) -> bool:
        """Renames (``name``), retypes (``type``), moves (``ui``) or collapses a block as one
        undo step; refuses (False, and why) what the graph would not accept."""
        group = self._graph.groups.get(group_id)
        if group is None:
            return False
        changes = {key: value for key, value in changes.items() if getattr(group, key, None) != value}
        if not changes:
            return True
        try:
            refusal = isinstance(changes.get("name"), str) and reserved_path_refusal(changes["name"])
            if refusal:
                raise GraphError(refusal)
            self._graph.copy().update_group(group_id, **changes)
        except GraphError as error:
            self._refuse(f"Cannot change the block {group.name}", error)
            return False
        return self._push(UpdateBlockCommand(self._graph, group_id, changes, _change_text(group, changes)))

    def block_freezing(self, group_id: str) -> BlockFreezing:
        """Which of the block's members carry weights, and which are frozen (fresh, not up to
        the analysis delay behind)."""
        analysis = self.refresh_analysis() if self.analysis_pending else self.analysis
        return block_freezing(self._graph, self._graph.groups[group_id], analysis)

    def set_block_frozen(self, group_id: str, frozen: bool) -> bool:
        """Freezes every member with weights (or unfreezes every member) of a block, one undo step."""
        group = self._graph.groups.get(group_id)
        if group is None:
            return False
        members = self.block_freezing(group_id).weighted if frozen else list(group.members)
        verb = "Freeze" if frozen else "Unfreeze"
        return self.set_frozen_states({node_id: frozen for node_id in members}, f"{verb} {group.name}")

    def set_block_collapsed(self, group_id: str, collapsed: bool) -> bool:
        """Collapses a block into one card, or expands it in place; the cards around it move
        to make room (and move back). A view change: it changes what the canvas shows, not the
        network, so the file stays unmodified (the state is saved with the next edit); it is
        still an undo step, so that undo always gives back the cards as they were. Allowed while training (so a member's feature
        maps can be picked while a run goes on)."""
        group = self._graph.groups.get(group_id)
        if group is None:
            return False
        if group.collapsed == collapsed:
            return True
        changes: dict[str, Any] = {"collapsed": collapsed}
        if collapsed:  # the card goes where the members start, wherever they were moved
            x, y = members_corner(self._graph, group)
            changes["ui"] = {**group.ui, "x": x, "y": y}
        command = GroupCommand(f"{'Collapse' if collapsed else 'Expand'} {group.name}")
        UpdateBlockCommand(self._graph, group_id, changes, command.text(), command)
        moves = room_moves(self._graph, group, expanding=not collapsed, direction=self._direction)
        nodes = {key: spot for key, spot in moves.items() if key in self._graph.nodes}
        if nodes:
            MoveCommand(self._graph, nodes, text=command.text(), parent=command)
        for key, (x, y) in moves.items():
            if key in self._graph.groups:
                ui = {**self._graph.groups[key].ui, "x": x, "y": y}
                UpdateBlockCommand(self._graph, key, {"ui": ui}, command.text(), command)
        command.view_change = True  # an undo step, but it never marks the file modified
        return push_edit(self.undo_stack, command, self.show_status)

    def move_blocks(self, positions: dict[str, tuple[float, float]]) -> None:
        """Moves cards, where a key may be a block id: its members move by as much, so that
        expanding it later shows them beside the card. One undo step."""
        graph = self._graph
        blocks = {key: (float(x), float(y)) for key, (x, y) in positions.items()
                  if key in graph.groups and block_position(graph, graph.groups[key]) != (x, y)}
        nodes = {key: (float(x), float(y)) for key, (x, y) in positions.items()
                 if key in graph.nodes and node_position(graph.nodes[key]) != (x, y)}
        if not blocks and not nodes:
            return
        names = [graph.groups[key].name for key in blocks] + [graph.nodes[key].name for key in nodes]
        text = f"Move {names[0]}" if len(names) == 1 else f"Move {len(names)} cards"
        command = GroupCommand(text)
        moved = dict(nodes)
        for key, (x, y) in blocks.items():
            old_x, old_y = block_position(graph, graph.groups[key])
            for member in graph.groups[key].members:
                member_x, member_y = node_position(graph.nodes[member])
                moved.setdefault(member, (member_x + x - old_x, member_y + y - old_y))
        if moved:
            MoveCommand(graph, moved, text=text, parent=command)
        self._push(self._with_block_moves(command, blocks, text))

    def _with_block_moves(self, command, blocks: dict[str, tuple[float, float]], text: str) -> GroupCommand:
        """``command`` followed by moving the cards of ``blocks`` (id → top-left), as one command."""
        if not isinstance(command, GroupCommand):
            whole = GroupCommand(text)
            whole.children.append(command)
            command = whole
        for key, (x, y) in blocks.items():
            ui = {**self._graph.groups[key].ui, "x": x, "y": y}
            UpdateBlockCommand(self._graph, key, {"ui": ui}, text, command)
        return command

    def connect_to_block(self, src: str, group_id: str, slot: int, src_port: str = "out",
                         replacing: Edge | None = None) -> bool:
        """Feeds ``src`` into input ``slot`` of a block: to every member port that input
        stands for, as one undo step (removing the edge ``replacing`` first, if given);
        refuses (False, and why) if any of them would be refused."""
        graph = self._graph
        group = graph.groups.get(group_id)
        if group is None or src not in graph.nodes or not 0 <= slot < len(group.inputs):
            return False
        if replacing is not None:
            graph = graph.copy()
            graph.disconnect(replacing)
        source = graph.nodes[src].name
        problem = None if src_port in graph.nodes[src].spec.outputs else f"{source} has no output {src_port!r}"
        for dst, dst_port in group.inputs[slot]:
            problem = problem or graph.connection_problem(src, dst, dst_port)
        if problem:
            self._refuse(f"Cannot connect {source} → {group.name}", problem)
            return False
        command = GroupCommand(f"Connect {source} → {group.name}")
        if replacing is not None:
            DisconnectCommand(self._graph, replacing, command)
        for dst, dst_port in group.inputs[slot]:
            ConnectCommand(self._graph, Edge(src, dst, src_port, dst_port), command)
        return self._push(command)


def _change_text(group: Group, changes: dict[str, Any]) -> str:
    if "name" in changes:
        return f"Rename block {group.name} to {changes['name']}"
    if "type" in changes:
        return f"Set the type of {group.name} to {changes['type']}"
    if "collapsed" in changes:
        return f"{'Collapse' if changes['collapsed'] else 'Expand'} {group.name}"
    if set(changes) == {"ui"}:
        return f"Move {group.name}"
    return f"Change block {group.name}"


def fresh_block_path(graph, wanted: str, taken_paths: set[str], taken_names: set[str]) -> str:
    """``wanted`` if free, else the next free one: ``layer1.0`` → ``layer1.1``…, ``block1`` → ``block2``…
    (free in ``graph``, clashing with none of ``taken_paths`` and rooted in none of ``taken_names``)."""
    stem, _, last = wanted.rpartition(".")
    if stem and last.isdigit():
        candidates = chain([wanted], (f"{stem}.{index}" for index in count(int(last) + 1)))
    else:
        base = wanted.rstrip("0123456789") or wanted
        candidates = chain([wanted], (f"{base}{index}" for index in count(2)))
    # Each fallback has a root of its own, so the search ends even when the wanted root is taken.
    candidates = chain(islice(candidates, 1000), (f"block{index}" for index in count(2)))
    return next(path for path in candidates
                if graph.path_problem_for(path) is None and path.split(".")[0] not in taken_names
                and not any(paths_clash(path, other) for other in taken_paths))


def pasted_block(group: Group, group_id: str, path: str, new_ids: dict[str, str],
                 offset: tuple[float, float]) -> Group:
    """A copied block over the pasted nodes (``new_ids``: old id → new id), moved by ``offset``."""
    ui = dict(group.ui)
    if "x" in ui and "y" in ui:
        ui.update(x=float(ui["x"]) + offset[0], y=float(ui["y"]) + offset[1])
    return Group(group_id, path, group.type, {new_ids[n]: local for n, local in group.members.items()},
                 [[(new_ids[n], port) for n, port in slot] for slot in group.inputs],
                 new_ids.get(group.output) if group.output else None, group.collapsed, ui)
