"""The open project: its graph, undo stack, file path, dirty flag and analysis.

``Document`` is the only code that changes the graph, and every change is an
undo command (``app.commands``). Views mirror the graph through
``graph.events`` and read ``analysis``, which is recomputed ~100 ms after the
last edit (a burst of edits costs one analysis). Edits that the graph would
refuse are refused here with a one-line ``status_message`` instead of an
exception, so widgets can call them straight from user input.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from engine.analysis import Analysis, analyze
from engine.catalogue import ParamError, UnknownBlockError, block
from engine.graph import Edge, Graph, GraphError
from engine.layout import CARD_HEIGHT, CARD_WIDTH, LANE_GAP, LAYER_GAP, grouped_layout
from engine.library import BlockFileError
from engine.names import reserved_name_refusal
from engine.project import EXTENSION, Project, ProjectError, load_project, save_project

from . import clipboard
from .commands import (
    AddNodeCommand,
    ConnectCommand,
    DisconnectCommand,
    GroupCommand,
    MakeBlockCommand,
    MoveCommand,
    RemoveNodeCommand,
    RenameCommand,
    SetFrozenCommand,
    TidyLayoutCommand,
    UngroupBlockCommand,
    changes_since_clean,
    edge_text,
    node_position,
    push_edit,
)
from .blocks.editing import BlockEditing, fresh_block_path, pasted_block
from .blocks.library_commands import InsertBlockCommand, make_unique_command, set_param_command

ANALYSIS_DELAY_MS = 100
READ_ONLY_MESSAGE = "The network cannot be edited while it trains: stop training first."


def starter_project() -> Project:
    """What File ▸ New shows: an Input and an Output, ready for layers in between."""
    graph = Graph()
    graph.add_node("input", ui={"x": 0, "y": 0})
    graph.add_node("output", ui={"x": 3 * (CARD_WIDTH + LAYER_GAP), "y": 0})
    return Project(graph)


def infer_direction(graph: Graph) -> str:
    """``TB`` when the edges mostly run downwards, else ``LR`` (files do not store it)."""
    across = along = 0.0
    for edge in graph.edges:
        (x1, y1), (x2, y2) = node_position(graph.nodes[edge.src]), node_position(graph.nodes[edge.dst])
        across, along = across + abs(x2 - x1), along + abs(y2 - y1)
    return "TB" if along > across else "LR"


def analyze_for_training(graph: Graph, project: Project) -> Analysis:
    """Analysis whose memory estimate uses the batch size and optimizer the project trains with."""
    return analyze(graph, batch_size=project.training.batch_size, optimizer=project.training.optimizer,
                   task=project.task)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class Document(BlockEditing, QObject):
    graph_changed = Signal()
    analysis_changed = Signal(object)
    dirty_changed = Signal(bool)
    path_changed = Signal(object)
    project_replaced = Signal()
    status_message = Signal(str)
    read_only_changed = Signal(bool)
    layout_direction_changed = Signal(str)

    def __init__(self, project: Project | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._graph = Graph()
        self._project = Project(self._graph)
        self._read_only = False
        self._direction = "LR"
        self.undo_stack = QUndoStack(self)
        self.analysis: Analysis = analyze(self._graph)
        self._analysed_task = self._project.task
        self._analysis_timer = QTimer(self)
        self._analysis_timer.setSingleShot(True)
        self._analysis_timer.setInterval(ANALYSIS_DELAY_MS)
        self._analysis_timer.timeout.connect(self.refresh_analysis)
        self._graph.events.subscribe(self._on_graph_event)
        self._dirty_announced = False
        self.undo_stack.indexChanged.connect(self._on_index_changed)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self._install(project or starter_project(), project.path if project else None)

    # --- state ------------------------------------------------------------------

    @property
    def project(self) -> Project:
        return self._project

    @property
    def graph(self) -> Graph:
        return self._graph

    @property
    def path(self) -> Path | None:
        return self._project.path

    @property
    def is_dirty(self) -> bool:
        return changes_since_clean(self.undo_stack)

    @property
    def title(self) -> str:
        return self._project.name + ("*" if self.is_dirty else "")

    @property
    def read_only(self) -> bool:
        return self._read_only

    @read_only.setter
    def read_only(self, value: bool) -> None:
        if value != self._read_only:
            self._read_only = value
            self.read_only_changed.emit(value)

    @property
    def layout_direction(self) -> str:
        """``LR`` or ``TB``: which way the network flows on the canvas (ports follow it)."""
        return self._direction

    def _set_direction(self, direction: str) -> None:
        if direction != self._direction:
            self._direction = direction
            self.layout_direction_changed.emit(direction)

    @property
    def analysis_pending(self) -> bool:
        return self._analysis_timer.isActive()

    def refresh_analysis(self) -> Analysis:
        """Analyses now (instead of after the debounce delay) and announces it."""
        self._analysis_timer.stop()
        self.analysis = analyze_for_training(self._graph, self._project)
        self._analysed_task = self._project.task
        self.analysis_changed.emit(self.analysis)
        return self.analysis

    def show_status(self, message: str) -> None:
        self.status_message.emit(message)

    def _on_index_changed(self, _index: int) -> None:
        self.graph_changed.emit()
        self._announce_dirty()
        memory = self.analysis.memory
        training = self._project.training
        if memory is not None and (memory.batch_size, memory.optimizer_name) != (training.batch_size,
                                                                               training.optimizer):
            self._analysis_timer.start()  # a new batch size or optimizer changes the memory estimate
        if self._analysed_task != self._project.task:
            self._analysis_timer.start()  # the task decides what the Output must receive

    def _on_clean_changed(self, _clean: bool) -> None:
        self._announce_dirty()

    def _announce_dirty(self) -> None:
        """``dirty_changed`` when the answer changes (a view change moves the index, not the answer)."""
        dirty = self.is_dirty
        if dirty != self._dirty_announced:
            self._dirty_announced = dirty
            self.dirty_changed.emit(dirty)

    def _on_graph_event(self, event) -> None:
        if event.kind != "ui_changed":  # moving cards changes no shape
            self._analysis_timer.start()

    # --- files --------------------------------------------------------------------

    def new_project(self, project: Project | None = None) -> None:
        self._install(project or starter_project(), project.path if project else None)

    def load(self, path: str | Path, as_new: bool = False) -> None:
        """Opens a project file; raises ``ProjectError`` and leaves this document as it was.

        ``as_new`` opens a copy without a path (presets): saving asks for a new file.
        """
        project = load_project(path)
        self._install(project, None if as_new else project.path)

    def save(self, path: str | Path | None = None) -> Path:
        """Writes the project atomically (raises ``OSError``) and marks it clean."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("this project has never been saved: give a path")
        old_path, old_name = self.path, self._project.name
        if old_name == "Untitled":  # a first save names the project after its file
            self._project.name = target.name.removesuffix(EXTENSION).removesuffix(".json") or old_name
        try:
            save_project(self._project, target)
        except BaseException:
            self._project.name = old_name
            raise
        self.undo_stack.setClean()
        if self.path != old_path:
            self.path_changed.emit(self.path)
        return self.path

    def revert(self) -> None:
        """Back to the saved file (or, never saved, to the state when it was opened)."""
        if self.path is not None:
            self.load(self.path)
        elif self.undo_stack.cleanIndex() >= 0:
            self.undo_stack.setIndex(self.undo_stack.cleanIndex())
        else:
            self.new_project()

    def _install(self, project: Project, path: Path | None) -> None:
        incoming = project.graph
        if any("x" not in node.ui or "y" not in node.ui for node in incoming.nodes.values()):
            for key, (x, y) in grouped_layout(incoming).items():  # collapsed blocks as one card
                (incoming.nodes.get(key) or incoming.groups[key]).ui.update(x=x, y=y)
        # Analyse first so that views rebuilding on the reset event see fresh shapes.
        self.analysis = analyze_for_training(incoming, project)
        self._analysed_task = project.task
        self._graph.replace_with(incoming)
        self._analysis_timer.stop()
        project.graph = self._graph
        project.path = Path(path) if path is not None else None
        self._project = project
        self.undo_stack.clear()
        self._set_direction(infer_direction(self._graph))
        self.path_changed.emit(project.path)
        self.project_replaced.emit()
        self.graph_changed.emit()
        self.analysis_changed.emit(self.analysis)

    # --- edits ----------------------------------------------------------------------

    def refuse_if_read_only(self) -> bool:
        """True (and says why) when edits are refused because the network is training."""
        if self._read_only:
            self.show_status(READ_ONLY_MESSAGE)
        return self._read_only

    def _push(self, command: QUndoCommand) -> bool:
        """Pushes an edit the graph accepts; refuses (False, with why) one it does not.

        Graph edits (``EditCommand``) are applied before they reach the stack: a refused one
        changes nothing and leaves no entry, so the stack only holds edits that happened."""
        if self.refuse_if_read_only():
            return False
        return push_edit(self.undo_stack, command, self.show_status)

    def _refuse(self, what: str, error: Exception | str) -> None:
        self.show_status(f"{what}: {error}")

    def _new_node(self, type_id: str, pos: tuple[float, float], params: dict | None, taken_names=(),
                  taken_ids=()):
        """A node with fresh id and name, validated by a scratch graph (raises GraphError)."""
        spec = block(type_id)
        scratch = Graph()
        # Block paths own their root as a name too: no new node may be called layer1 beside layer1.0.
        names = {n.name for n in self._graph.nodes.values()} | {g.name.split(".")[0] for g in self._graph.groups.values()}
        name = _fresh(spec.name_prefix + "1", names | set(taken_names))
        node_id = _fresh(spec.name_prefix + "1", set(self._graph.nodes) | set(self._graph.groups) | set(taken_ids))
        return scratch.add_node(type_id, params, name=name, node_id=node_id, ui={"x": pos[0], "y": pos[1]})

    def add_node(self, type_id: str, pos: tuple[float, float], params: dict[str, Any] | None = None) -> str | None:
        """Adds a block with its top-left corner at ``pos``; returns its id (None if refused)."""
        try:
            node = self._new_node(type_id, pos, params)
        except (GraphError, UnknownBlockError) as error:
            self._refuse("Cannot add that block", error)
            return None
        return node.id if self._push(AddNodeCommand(self._graph, node)) else None

    def add_node_after(self, type_id: str, after_id: str | None,
                       pos: tuple[float, float] | None = None) -> str | None:
        """Adds a block fed by ``after_id`` (if it can be), next to it unless ``pos`` is given; either
        way clear of every card on show."""
        if after_id is not None and after_id not in self._graph.nodes:
            after_id = None
        try:
            node = self._new_node(type_id, self._clear_spot(pos) if pos else self._free_spot_after(after_id), None)
        except (GraphError, UnknownBlockError) as error:
            self._refuse("Cannot add that block", error)
            return None
        command = GroupCommand(f"Add {node.spec.title}")
        AddNodeCommand(self._graph, node, command)
        if after_id is not None and node.spec.inputs and self._graph.nodes[after_id].spec.outputs:
            # Checked against the graph as it will be once the node exists.
            probe = self._graph.copy()
            probe.add_node(node.type, node.params, name=node.name, node_id=node.id)
            if probe.connection_problem(after_id, node.id) is None:
                ConnectCommand(self._graph, Edge(after_id, node.id), command)
        return node.id if self._push(command) else None

    def _free_spot_after(self, after_id: str | None) -> tuple[float, float]:
        spots = self.card_spots()  # a collapsed block is one card, where its card is
        if not spots:
            return 0.0, 0.0
        if after_id is None:
            # Right of whatever is right-most (or below the lowest, flowing downwards).
            x, y = max(spots.values(), key=lambda spot: spot[0 if self._direction == "LR" else 1])
        else:
            x, y = spots[self.card_key(after_id)]
        if self._direction == "LR":
            x += CARD_WIDTH + LAYER_GAP
        else:
            y += CARD_HEIGHT + LAYER_GAP
        return self._clear_spot((x, y))

    def _clear_spot(self, pos: tuple[float, float]) -> tuple[float, float]:
        """``pos``, moved on across the flow (down, or right in a top-to-bottom network) until a card
        there would cover no card on show: blocks added one after another never hide each other."""
        x, y = pos
        spots = self.card_spots().values()
        step = (0.0, CARD_HEIGHT + LANE_GAP) if self._direction == "LR" else (CARD_WIDTH + LANE_GAP, 0.0)
        while any(abs(spot_x - x) < CARD_WIDTH and abs(spot_y - y) < CARD_HEIGHT for spot_x, spot_y in spots):
            x, y = x + step[0], y + step[1]
        return x, y

    def remove_nodes(self, ids: Iterable[str], verb: str = "Delete") -> None:
        self.delete(ids, [], verb)

    def disconnect(self, edges: Iterable[Edge]) -> None:
        self.delete([], edges)

    def delete(self, node_ids: Iterable[str], edges: Iterable[Edge], verb: str = "Delete",
               group_ids: Iterable[str] = ()) -> None:
        """Removes nodes (with all their edges) and edges, as one undo command; ``group_ids``
        are composite blocks deleted whole (the block and its members)."""
        groups = [self._graph.groups[g] for g in dict.fromkeys(group_ids) if g in self._graph.groups]
        node_ids = [*node_ids, *(member for group in groups for member in group.members)]
        node_ids = [node_id for node_id in dict.fromkeys(node_ids) if node_id in self._graph.nodes]
        # A block losing all its members goes too, rather than linger empty.
        groups += [g for g in self._graph.groups.values()
                   if g not in groups and g.members and set(g.members) <= set(node_ids)]
        wanted = set(edges)
        doomed = [e for e in self._graph.edges if e in wanted or e.src in node_ids or e.dst in node_ids]
        if not node_ids and not doomed:
            return
        if len(groups) == 1 and set(node_ids) == set(groups[0].members):
            text = f"{verb} {groups[0].name}"
        elif node_ids:
            text = (f"{verb} {self._graph.nodes[node_ids[0]].name}" if len(node_ids) == 1
                    else f"{verb} {plural(len(node_ids), 'node')}")
        elif len(doomed) == 1:
            text = f"Disconnect {edge_text(self._graph, doomed[0])}"
        else:
            text = f"{verb} {plural(len(doomed), 'connection')}"
        command = GroupCommand(text)
        for group in groups:  # blocks first, so removing their members leaves them as they were
            UngroupBlockCommand(self._graph, group.id, command, members_go=True)
        # Edges first, in graph order; undo reinserts them backwards at their old indexes.
        for edge in doomed:
            DisconnectCommand(self._graph, edge, command)
        for node_id in node_ids:
            RemoveNodeCommand(self._graph, node_id, command)
        self._push(command)

    def connect(self, src: str, dst: str, dst_port: str = "in", src_port: str = "out") -> Edge | None:
        """Connects ``src`` to ``dst``; refuses (None and a status message) what the graph advises against."""
        problem = self._graph.connection_problem(src, dst, dst_port)
        if problem is None and src_port not in self._graph.nodes[src].spec.outputs:
            problem = f"{self._graph.nodes[src].name} has no output {src_port!r}"
        if problem:
            self._refuse(f"Cannot connect {self._names(src, dst)}", problem)
            return None
        edge = Edge(src, dst, src_port, dst_port)
        return edge if self._push(ConnectCommand(self._graph, edge)) else None

    def reconnect(self, edge: Edge, dst: str, dst_port: str = "in") -> Edge | None:
        """Moves the input end of ``edge`` to ``dst`` (one command); None if refused."""
        if (edge.dst, edge.dst_port) == (dst, dst_port):
            return edge
        probe = self._graph.copy()
        probe.disconnect(edge)
        problem = probe.connection_problem(edge.src, dst, dst_port)
        if problem:
            self._refuse(f"Cannot connect {self._names(edge.src, dst)}", problem)
            return None
        new = Edge(edge.src, dst, edge.src_port, dst_port)
        command = GroupCommand(f"Reconnect {self._names(edge.src, dst)}")
        DisconnectCommand(self._graph, edge, command)
        ConnectCommand(self._graph, new, command)
        return new if self._push(command) else None

    def _names(self, src: str, dst: str) -> str:
        return edge_text(self._graph, Edge(src, dst))

    def set_param(self, node_id: str, key: str, value: Any) -> bool:
        """Sets a parameter; refuses an invalid value with a status message (returns False)."""
        try:
            node = self._graph.node(node_id)
            value = node.spec.param(key).validate(value)
        except GraphError as error:
            self._refuse("Cannot set that", error)
            return False
        except KeyError as error:
            self._refuse("Cannot set that", error.args[0])
            return False
        except ParamError as error:
            self._refuse(f"Cannot set {node.name} {key.replace('_', ' ')}", error)
            return False
        if node.params[key] == value:
            return True
        # A member of a block is edited in every instance of its type that matches it.
        return self._push(set_param_command(self._graph, node_id, key, value))

    # --- library blocks (app.blocks.library_commands) ----------------------------------------------

    def insert_block(self, template: dict[str, Any], pos: tuple[float, float] | None = None,
                     after_id: str | None = None) -> str | None:
        """Adds an instance of a library template (engine.library) with its card at ``pos``, or next
        to ``after_id`` and fed by it; one undo step. Returns the new block's id (None if refused)."""
        after_id = after_id if after_id in self._graph.nodes else None
        try:
            command = InsertBlockCommand(self._graph, template, pos or self._free_spot_after(after_id), after_id)
        except (GraphError, BlockFileError) as error:
            self._refuse("Cannot insert that block", error)
            return None
        return command.group.id if self._push(command) else None

    def make_block_unique(self, group_id: str) -> bool:
        """Gives the block a composite type of its own, so its edits stop reaching the other instances."""
        if group_id not in self._graph.groups:
            return False
        return self._push(make_unique_command(self._graph, group_id))

    def rename(self, node_id: str, name: str) -> bool:
        """Renames a node; refuses (False, and why) a name the graph or the compiled network cannot take."""
        try:
            node = self._graph.node(node_id)
            if name == node.name:
                return True
            refusal = isinstance(name, str) and reserved_name_refusal(
                name, {n.name for n in self._graph.nodes.values()})
            if refusal:
                raise GraphError(refusal)
            probe = self._graph.copy()
            probe.rename(node_id, name)
        except GraphError as error:
            self._refuse("Cannot rename", error)
            return False
        return self._push(RenameCommand(self._graph, node_id, name))

    def set_frozen(self, ids: Iterable[str], frozen: bool) -> bool:
        """Freezes (keeps the weights of, while training) or unfreezes nodes, as one undo step."""
        ids = [i for i in dict.fromkeys(ids) if i in self._graph.nodes and self._graph.nodes[i].frozen != frozen]
        verb = "Freeze" if frozen else "Unfreeze"
        text = f"{verb} {self._graph.nodes[ids[0]].name}" if len(ids) == 1 else f"{verb} {plural(len(ids), 'node')}"
        return self.set_frozen_states({node_id: frozen for node_id in ids}, text)

    def set_frozen_states(self, states: dict[str, bool], text: str) -> bool:
        """Sets each node's frozen state (node id → frozen) as one undo step named ``text``."""
        states = {i: bool(f) for i, f in states.items() if i in self._graph.nodes and self._graph.nodes[i].frozen != f}
        return bool(states) and self._push(SetFrozenCommand(self._graph, states, text))

    def move_nodes(self, positions: dict[str, tuple[float, float]], merge: bool = False) -> None:
        """Moves cards; with ``merge`` the moves of one drag become one command (see ``finish_moving``).
        Keys may be block ids too: a collapsed block's card moves with its members (``move_blocks``)."""
        if any(key in self._graph.groups for key in positions):
            self.move_blocks(positions)
            return
        positions = {node_id: (float(x), float(y)) for node_id, (x, y) in positions.items()
                     if node_id in self._graph.nodes and node_position(self._graph.nodes[node_id]) != (x, y)}
        if positions:
            self._push(MoveCommand(self._graph, positions, merge))

    def finish_moving(self) -> None:
        """Ends a merged drag: the next move becomes a command of its own."""
        top = self.undo_stack.command(self.undo_stack.index() - 1)
        if isinstance(top, MoveCommand):
            top.close_merging()

    def tidy_layout(self, direction: str = "LR", aspect: float | None = None) -> None:
        """Lays the network out in layers; given the view's ``aspect`` (width / height), long chains
        wrap into rows so that the whole fits the view at a readable size."""
        positions = grouped_layout(self._graph, direction, aspect=aspect)  # a collapsed block is one card
        if not positions:
            return
        nodes = {key: spot for key, spot in positions.items() if key in self._graph.nodes}
        command = TidyLayoutCommand(self._graph, nodes, direction, self._direction, self._set_direction)
        blocks = {key: spot for key, spot in positions.items() if key in self._graph.groups}
        if blocks:
            command = self._with_block_moves(command, blocks, "Tidy layout")
        self._push(command)

    # --- clipboard --------------------------------------------------------------------

    def copy_nodes(self, ids: Iterable[str]) -> dict[str, Any]:
        return clipboard.copy_payload(self._graph, [i for i in ids if i in self._graph.nodes])

    def paste(self, payload: Any, offset: tuple[float, float] = (30.0, 30.0), verb: str = "Paste") -> list[str]:
        """Adds the payload's nodes (fresh ids and names) and its inner edges; returns the new ids."""
        try:
            part = clipboard.read_payload(payload)
        except ProjectError as error:
            self._refuse(f"Cannot {verb.lower()}", error)
            return []
        if not part.nodes:
            return []
        # Block paths own their first part as a name too (``layer1`` of ``layer1.0``).
        taken_names = {n.name for n in self._graph.nodes.values()} | {
            g.name.split(".")[0] for g in self._graph.groups.values()}
        taken_ids = set(self._graph.nodes) | set(self._graph.groups)
        # Whole blocks come back as blocks under a free path (layer1.0 → layer1.1), their
        # members renamed to match (layer1_0_conv1 → layer1_1_conv1).
        paths: dict[str, str] = {}
        prefixes: dict[str, tuple[str, str]] = {}
        for group in part.groups.values():
            paths[group.id] = path = fresh_block_path(self._graph, group.name, set(paths.values()), set())
            taken_names.add(path.split(".")[0])
            for member in group.members:
                prefixes[member] = (group.name.replace(".", "_") + "_", path.replace(".", "_") + "_")
        new_ids: dict[str, str] = {}
        nodes = []
        for node in part.nodes.values():
            copied = copy.deepcopy(node)
            copied.id = _fresh(node.id, taken_ids)
            old_prefix, new_prefix = prefixes.get(node.id, ("", ""))
            wanted = new_prefix + node.name[len(old_prefix):] if old_prefix and node.name.startswith(old_prefix) \
                else node.name
            copied.name = _fresh(wanted, taken_names)
            taken_ids.add(copied.id)
            taken_names.add(copied.name)
            x, y = node_position(node)
            copied.ui.update(x=x + offset[0], y=y + offset[1])
            new_ids[node.id] = copied.id
            nodes.append(copied)
        text = f"{verb} {nodes[0].name}" if len(nodes) == 1 else f"{verb} {plural(len(nodes), 'node')}"
        command = GroupCommand(text)
        for node in nodes:
            AddNodeCommand(self._graph, node, command)
        for edge in part.edges:
            moved = Edge(new_ids[edge.src], new_ids[edge.dst], edge.src_port, edge.dst_port)
            ConnectCommand(self._graph, moved, command)
        for group in part.groups.values():
            group_id = _fresh(group.id, taken_ids)
            taken_ids.add(group_id)
            MakeBlockCommand(self._graph, pasted_block(group, group_id, paths[group.id], new_ids, offset), command)
        return list(new_ids.values()) if self._push(command) else []

    def duplicate(self, ids: Iterable[str]) -> list[str]:
        return self.paste(self.copy_nodes(ids), verb="Duplicate")


def _fresh(wanted: str, taken: set[str]) -> str:
    """``wanted`` if free, else its stem plus the first free number (``conv1`` → ``conv2``)."""
    if wanted not in taken:
        return wanted
    stem = wanted.rstrip("0123456789") or wanted
    index = 1
    while f"{stem}{index}" in taken:
        index += 1
    return f"{stem}{index}"
