"""The undo stack never lies: a refused edit leaves no entry, and undo/redo of any entry
gives back exactly the graph recorded for that stack index.

The stateful test drives random edits (adds, deletes, connections, parameters,
renames with clashing and reserved names, groupings, block renames, pastes,
moves, freezing) through ``Document`` with undo, redo and jumps, and after
every step compares the project file the graph would save with the one
recorded when the stack was at that index.
"""
from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from app import commands
from app.blocks import library_commands
from app.canvas.scene import CanvasScene
from app.document import Document
from app.presets_menu import presets_folder
from engine.graph import Edge
from engine.library import template_from_group
from engine.project import project_to_dict

RESNET8 = presets_folder() / "resnet8.cnn.json"

# Names that clash with nodes, with block paths (layer1 of layer1.0), with PyTorch, or are not names at all.
NAMES = ["layer1", "layer2", "conv1", "bn1", "relu", "fc", "stem", "block1", "x", "forward", "training",
         "state_dict", "__init__", "self", "class", "1abc", "", "layer1_0_conv1", "a" * 300]
BLOCK_NAMES = ["layer1.0", "layer1.1", "layer1", "layer2.0", "stem", "conv1", "block1", "relu", "9lives", "a.b.0"]
TYPES = ["conv2d", "activation", "batchnorm2d", "add", "concat", "maxpool2d", "flatten", "dense", "dropout", "input"]
WRONG_VALUES = st.sampled_from([-1, 0, 0.5, True, "same", [2, 2], None, math.nan, "x" * 100])


def values_for(spec) -> st.SearchStrategy:
    """Mostly values a parameter accepts, sometimes one it refuses."""
    if spec.choices:
        fitting = st.sampled_from(spec.choices)
    elif spec.kind == "bool":
        fitting = st.booleans()
    elif spec.kind == "float":
        fitting = st.floats(spec.minimum or 0.0, min(spec.maximum or 1.0, 1.0), exclude_max=spec.exclusive_maximum)
    else:
        fitting = st.integers(int(spec.minimum or 0), 8)
    return st.one_of(fitting, fitting, WRONG_VALUES)


def load_document() -> Document:
    document = Document()
    document.load(RESNET8, as_new=True)
    return document


def saved_form(document: Document) -> dict:
    """What the graph would be saved as: nodes, edges and blocks in order, with every field."""
    return json.dumps(project_to_dict(document.project))


class UndoMachine(RuleBasedStateMachine):
    steps_run = 0  # over all runs: the test checks that thousands of steps were covered

    def __init__(self) -> None:
        super().__init__()
        self.document = load_document()
        self.messages: list[str] = []
        self.document.status_message.connect(self.messages.append)
        self.recorded = [saved_form(self.document)]  # the graph for each stack index
        self.clipboard: dict | None = None

    # --- helpers ------------------------------------------------------------------------------

    @property
    def graph(self):
        return self.document.graph

    @property
    def stack(self):
        return self.document.undo_stack

    def pick(self, data, items, label):
        items = list(items)
        return data.draw(st.sampled_from(items), label=label) if items else None

    def some_nodes(self, data, most=4) -> list[str]:
        ids = sorted(self.graph.nodes)
        if not ids:
            return []
        return data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=most, unique=True), label="nodes")

    def edit(self, perform, merges: bool = False) -> None:
        """Runs an edit and records the graph for the stack's new index. An edit refused (it
        returns False or None) or with nothing to do must leave no entry and change nothing;
        only a parameter typed again (``merges``) may change the top entry in place."""
        before_index, before_count = self.stack.index(), self.stack.count()
        before = self.recorded[before_index]
        result = perform()
        index, count, now = self.stack.index(), self.stack.count(), saved_form(self.document)
        if result is False or result is None or (index, count) == (before_index, before_count) and now == before:
            assert (index, count) == (before_index, before_count), "a refused edit left an entry"
            assert now == before, "an edit without an entry changed the graph"
            return
        if index == before_index + 1:
            assert count == index and now != before, f"the entry {self.stack.undoText()!r} did nothing"
        else:  # merged into the top entry, which may then be obsolete (typed back to the old value)
            assert merges and before_index == before_count and count == index
            assert index in (before_index, before_index - 1), "an edit moved the stack oddly"
        self.recorded = self.recorded[:index] + [now]

    def pushed(self, perform):
        """For edits that return nothing: True when they pushed an entry."""
        def run():
            before = self.stack.index(), self.stack.count()
            perform()
            return (self.stack.index(), self.stack.count()) != before or None
        return run

    # --- edits ----------------------------------------------------------------------------------

    @rule(type_id=st.sampled_from(TYPES), x=st.floats(-500, 2000), y=st.floats(-500, 2000))
    def add_node(self, type_id, x, y):
        self.edit(lambda: self.document.add_node(type_id, (x, y)))

    @rule(data=st.data(), type_id=st.sampled_from(TYPES))
    def add_node_after(self, data, type_id):
        after = self.pick(data, sorted(self.graph.nodes), "after")
        self.edit(lambda: self.document.add_node_after(type_id, after))

    @rule(data=st.data())
    def delete_nodes(self, data):
        ids = self.some_nodes(data)
        self.edit(self.pushed(lambda: self.document.delete(ids, [])))

    @rule(data=st.data())
    def delete_block(self, data):
        group_id = self.pick(data, sorted(self.graph.groups), "block")
        if group_id is not None:
            self.edit(self.pushed(lambda: self.document.delete([], [], group_ids=[group_id])))

    @rule(data=st.data())
    def connect(self, data):
        ids = sorted(self.graph.nodes)
        src, dst = self.pick(data, ids, "src"), self.pick(data, ids, "dst")
        if src is not None:
            port = data.draw(st.sampled_from(["in", "in", "nope"]), label="port")
            self.edit(lambda: self.document.connect(src, dst, port))

    @rule(data=st.data())
    def disconnect(self, data):
        edge = self.pick(data, self.graph.edges, "edge")
        if edge is not None:
            self.edit(self.pushed(lambda: self.document.disconnect([edge])))

    @rule(data=st.data())
    def set_param(self, data):
        node_id = self.pick(data, sorted(self.graph.nodes), "node")
        if node_id is not None and self.graph.nodes[node_id].params:
            spec = self.pick(data, self.graph.nodes[node_id].spec.params, "key")
            key, value = spec.name, data.draw(values_for(spec), label="value")
            self.edit(lambda: self.document.set_param(node_id, key, value), merges=True)

    def clashing_names(self) -> list[str]:
        """Names taken right now: other nodes' and blocks' (``layer1`` of ``layer1.0``)."""
        return sorted({node.name for node in self.graph.nodes.values()}
                      | {group.name.split(".")[0] for group in self.graph.groups.values()})

    @rule(data=st.data())
    def rename(self, data):
        name = data.draw(st.sampled_from(NAMES) | st.sampled_from(NAMES + self.clashing_names()), label="name")
        node_id = self.pick(data, sorted(self.graph.nodes), "node")
        if node_id is not None and self.graph.nodes[node_id].name != name:
            self.edit(lambda: self.document.rename(node_id, name))

    @rule(data=st.data(), type_name=st.sampled_from(["Block", "BasicBlock16", "9x"]))
    def group(self, data, type_name):
        name = data.draw(st.sampled_from(BLOCK_NAMES + self.clashing_names()), label="name")
        free = sorted(node_id for node_id in self.graph.nodes if self.graph.group_of(node_id) is None)
        start = self.pick(data, free or sorted(self.graph.nodes), "first")
        if start is None:
            return
        # A run of connected plain nodes groups far more often than a random set.
        ids, length = [start], data.draw(st.integers(1, 3), label="length")
        while len(ids) < length:
            following = [edge.dst for edge in self.graph.outgoing(ids[-1]) if edge.dst in free]
            if not following:
                break
            ids.append(following[0])
        self.edit(lambda: self.document.group_nodes(ids, name, type_name))

    @rule(data=st.data())
    def ungroup(self, data):
        group_id = self.pick(data, sorted(self.graph.groups), "block")
        if group_id is not None:
            self.edit(lambda: self.document.ungroup(group_id))

    @rule(data=st.data())
    def rename_block(self, data):
        taken = self.clashing_names()
        name = data.draw(st.sampled_from(BLOCK_NAMES + taken + [root + ".1" for root in taken]), label="name")
        group_id = self.pick(data, sorted(self.graph.groups), "block")
        if group_id is not None and self.graph.groups[group_id].name != name:
            self.edit(lambda: self.document.update_block(group_id, name=name))

    @rule(data=st.data(), collapsed=st.booleans())
    def collapse(self, data, collapsed):
        group_id = self.pick(data, sorted(self.graph.groups), "block")
        if group_id is not None and self.graph.groups[group_id].collapsed != collapsed:
            self.edit(lambda: self.document.set_block_collapsed(group_id, collapsed))

    @rule(data=st.data())
    def paste(self, data):
        """Copies nodes (a run of them, or a whole block) and pastes them, or pastes what was copied before."""
        if self.clipboard is None or data.draw(st.booleans(), label="copy anew"):
            ids = self.some_nodes(data, most=6)
            if self.graph.groups and data.draw(st.booleans(), label="whole block"):
                ids = list(self.graph.groups[self.pick(data, sorted(self.graph.groups), "block")].members)
            self.clipboard = self.document.copy_nodes(ids)
        self.edit(lambda: self.document.paste(self.clipboard) or None)

    @rule(data=st.data(), x=st.one_of(st.floats(-500, 2000), st.just(math.nan), st.just(math.inf)),
          y=st.floats(-500, 2000))
    def move(self, data, x, y):
        ids = self.some_nodes(data, most=2)
        self.edit(self.pushed(lambda: self.document.move_nodes({node_id: (x, y) for node_id in ids})))

    @rule(data=st.data(), frozen=st.booleans())
    def freeze(self, data, frozen):
        ids = self.some_nodes(data)
        self.edit(lambda: self.document.set_frozen(ids, frozen))

    @rule(data=st.data(), x=st.floats(-500, 2000), y=st.floats(-500, 2000))
    def insert_library_block(self, data, x, y):
        """A block saved to the library (from one on the canvas) and inserted again, maybe fed by a node."""
        group_id = self.pick(data, sorted(g.id for g in self.graph.groups.values() if g.output), "block")
        if group_id is not None:
            template = template_from_group(self.graph, self.graph.groups[group_id])
            after = self.pick(data, [None, *sorted(self.graph.nodes)], "after")
            self.edit(lambda: self.document.insert_block(template, (x, y), after))

    @rule(data=st.data())
    def make_unique(self, data):
        group_id = self.pick(data, sorted(self.graph.groups), "block")
        if group_id is not None:
            self.edit(lambda: self.document.make_block_unique(group_id))

    @rule(data=st.data())
    def feed_block(self, data):
        group_id = self.pick(data, sorted(g.id for g in self.graph.groups.values() if g.inputs), "block")
        src = self.pick(data, sorted(self.graph.nodes), "source")
        if group_id is not None and src is not None:
            self.edit(lambda: self.document.connect_to_block(src, group_id, 0))

    @rule(data=st.data())
    def reconnect(self, data):
        edge = self.pick(data, self.graph.edges, "edge")
        dst = self.pick(data, sorted(self.graph.nodes), "to")
        if edge is not None:
            self.edit(lambda: self.document.reconnect(edge, dst))

    @rule(data=st.data(), frozen=st.booleans())
    def freeze_block(self, data, frozen):
        group_id = self.pick(data, sorted(self.graph.groups), "block")
        if group_id is not None:
            self.edit(lambda: self.document.set_block_frozen(group_id, frozen))

    # --- undo and redo ------------------------------------------------------------------------------

    @rule(steps=st.integers(1, 3))
    def undo(self, steps):
        for _ in range(steps):
            if self.stack.canUndo():
                self.stack.undo()
                self.check_index()

    @rule(steps=st.integers(1, 3))
    def redo(self, steps):
        for _ in range(steps):
            if self.stack.canRedo():
                self.stack.redo()
                self.check_index()

    @rule(data=st.data())
    def jump(self, data):
        self.stack.setIndex(data.draw(st.integers(0, self.stack.count()), label="index"))

    # --- what must hold after every step ----------------------------------------------------------------

    @invariant()
    def check_index(self):
        UndoMachine.steps_run += 1
        assert self.stack.count() == len(self.recorded) - 1
        assert saved_form(self.document) == self.recorded[self.stack.index()], (
            f"the graph is not the one recorded at stack index {self.stack.index()}")

    @invariant()
    def check_consistency(self):
        graph = self.graph
        assert all(e.src in graph.nodes and e.dst in graph.nodes for e in graph.edges)
        assert len(set(graph.edges)) == len(graph.edges)
        names = [node.name for node in graph.nodes.values()]
        assert len(set(names)) == len(names), "two nodes share a name"
        roots = {group.name.split(".")[0] for group in graph.groups.values()}
        free = {node.name for node in graph.nodes.values() if graph.group_of(node.id) is None}
        assert not roots & free, f"a plain node has a block's name: {roots & free}"
        for group in graph.groups.values():
            assert set(group.members) <= set(graph.nodes)


UndoMachine.TestCase.settings = settings(max_examples=80, stateful_step_count=60, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])


def test_random_edits_undo_and_redo_to_exactly_the_recorded_graph(qapp, monkeypatch):
    """80 runs of up to 60 steps: thousands of edits, undos, redos and jumps per test run."""
    # Every retyped parameter merges, not only those within 2 s: a replay must not depend on the clock.
    monkeypatch.setattr(commands, "PARAM_MERGE_SECONDS", math.inf)
    monkeypatch.setattr(library_commands, "PARAM_MERGE_SECONDS", math.inf)
    UndoMachine.steps_run = 0
    run_state_machine_as_test(UndoMachine, settings=UndoMachine.TestCase.settings)
    assert UndoMachine.steps_run >= 3000


class UndoMachineWithCanvas(UndoMachine):
    """The same edits with a canvas mirroring the graph: rolled-back and undone edits must leave
    exactly the cards the graph asks for."""

    def __init__(self) -> None:
        super().__init__()
        self.scene = CanvasScene(self.document)

    def teardown(self):
        self.scene.deleteLater()

    @invariant()
    def check_cards(self):
        graph = self.graph
        collapsed = {group.id for group in graph.groups.values() if group.collapsed}
        hidden = {node_id for group_id in collapsed for node_id in graph.groups[group_id].members}
        assert set(self.scene.node_items) == set(graph.nodes) - hidden
        assert set(self.scene.block_items) == collapsed
        assert set(self.scene.frame_items) == set(graph.groups) - collapsed


UndoMachineWithCanvas.TestCase.settings = settings(max_examples=40, stateful_step_count=50, deadline=None,
                                                   suppress_health_check=[HealthCheck.too_slow])


def test_the_canvas_follows_every_edit_undo_and_redo(qapp, monkeypatch):
    monkeypatch.setattr(commands, "PARAM_MERGE_SECONDS", math.inf)
    monkeypatch.setattr(library_commands, "PARAM_MERGE_SECONDS", math.inf)
    run_state_machine_as_test(UndoMachineWithCanvas, settings=UndoMachineWithCanvas.TestCase.settings)


# --- the defects the issue reported, one by one -------------------------------------------------------

def block_named(document: Document, name: str) -> str:
    return next(group.id for group in document.graph.groups.values() if group.name == name)


def test_ungrouping_a_block_whose_member_has_another_blocks_name_is_refused_and_undo_still_works(qtbot):
    """Renaming a member of layer2.0 to layer1 then ungrouping layer2.0 left a plain node
    layer1 beside the block layer1.0: undoing a later ungroup of layer1.0 failed half-way."""
    document = load_document()
    messages: list[str] = []
    document.status_message.connect(messages.append)
    member = next(iter(document.graph.groups[block_named(document, "layer2.0")].members))
    assert document.rename(member, "layer1")
    before, count = saved_form(document), document.undo_stack.count()
    assert not document.ungroup(block_named(document, "layer2.0"))
    assert messages[-1] == ("Cannot ungroup layer2.0: its node layer1 would then have the name of the block "
                            "layer1.0; rename layer1 first")
    assert document.undo_stack.count() == count and saved_form(document) == before
    assert document.ungroup(block_named(document, "layer1.0"))
    document.undo_stack.undo()
    assert saved_form(document) == before
    document.undo_stack.undo()  # the rename
    assert document.graph.nodes[member].name == "layer2_0_conv1"


def test_deleting_a_block_whose_member_has_another_blocks_name_deletes_and_undoes(qtbot):
    document = load_document()
    layer2 = block_named(document, "layer2.0")
    member = next(iter(document.graph.groups[layer2].members))
    document.rename(member, "layer1")
    before = saved_form(document)
    document.delete([], [], group_ids=[layer2])
    assert layer2 not in document.graph.groups and member not in document.graph.nodes
    document.undo_stack.undo()
    assert saved_form(document) == before


def test_a_new_node_never_takes_a_blocks_name(qtbot):
    """A block called conv1 made the next Conv2d conv1 too: redo raised and the entry stayed."""
    document = load_document()
    document.rename("conv1", "stem")
    document.update_block(block_named(document, "layer1.0"), name="conv1")
    count = document.undo_stack.count()
    node_id = document.add_node("conv2d", (0, 0))
    assert node_id is not None and document.graph.nodes[node_id].name != "conv1"
    assert document.undo_stack.count() == count + 1
    document.undo_stack.undo()
    assert node_id not in document.graph.nodes


def test_a_command_the_graph_refuses_leaves_no_entry(qtbot):
    """Whatever builds a command, the Document applies it before the stack sees it."""
    from app.commands import RenameCommand

    document = load_document()
    messages: list[str] = []
    document.status_message.connect(messages.append)
    count = document.undo_stack.count()
    assert not document._push(RenameCommand(document.graph, "conv1", "layer1"))
    assert document.undo_stack.count() == count
    assert messages[-1] == "Cannot rename conv1 to layer1: the name 'layer1' is used by the block 'layer1.0'"
    assert document.graph.nodes["conv1"].name == "conv1"


def test_a_compound_edit_refused_half_way_changes_nothing(qtbot):
    from app.commands import ConnectCommand, GroupCommand, RenameCommand

    document = load_document()
    before = saved_form(document)
    command = GroupCommand("Two edits")
    RenameCommand(document.graph, "conv1", "stem", command)
    ConnectCommand(document.graph, Edge("conv1", "bn1"), command)  # already connected: refused
    assert not document._push(command)
    assert saved_form(document) == before and document.undo_stack.count() == 0


@pytest.mark.parametrize("position", [(math.nan, 0.0), (0.0, math.inf)])
def test_moving_a_card_to_a_position_that_is_not_a_number_is_refused(qtbot, position):
    """A NaN position used to be stored, and saved as a file that could not be opened again."""
    document = load_document()
    messages: list[str] = []
    document.status_message.connect(messages.append)
    before = saved_form(document)
    document.move_nodes({"conv1": position})
    assert saved_form(document) == before and document.undo_stack.count() == 0
    axis, value = ("x", "nan") if math.isnan(position[0]) else ("y", "inf")
    assert messages == [f"Cannot move conv1: {axis} must be a finite number, not {value}"]
