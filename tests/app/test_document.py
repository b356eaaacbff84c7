"""The Document: every edit one readable undo command, refusals as messages, files, analysis."""
from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QMimeData

from app import clipboard
from app.document import Document
from app.presets_menu import presets_folder
from engine.builders import GraphBuilder
from engine.graph import Edge
from engine.project import Project, ProjectError, dumps_project, load_project

from .canvas_helpers import lenet_project


@pytest.fixture
def document(qtbot):
    return Document(lenet_project())


def messages_of(document: Document) -> list[str]:
    messages: list[str] = []
    document.status_message.connect(messages.append)
    return messages


def concat_project() -> Project:
    builder = GraphBuilder()
    builder.add("input", "input", channels=3, height=8, width=8)
    builder.add("conv2d", "a", out_channels=4, inputs="input")
    builder.add("conv2d", "b", out_channels=5, inputs="input")
    builder.add("conv2d", "c", out_channels=6, inputs="input")
    builder.add("concat", "cat", inputs=["c", "a", "b"])  # deliberately not in creation order
    for index, node in enumerate(builder.graph.nodes.values()):
        node.ui.update(x=index * 200, y=0)
    return Project(builder.graph)


def test_edits_have_readable_undo_texts(document):
    stack = document.undo_stack
    conv = document.add_node("conv2d", (0, 200))
    assert stack.undoText() == "Add Conv2d"
    document.connect("relu1", conv)
    assert stack.undoText() == f"Connect relu1 → {conv}"
    document.set_param("conv1", "kernel_size", 3)
    assert stack.undoText() == "Set conv1 kernel size to 3"
    document.rename("conv1", "stem")
    assert stack.undoText() == "Rename conv1 to stem"
    document.move_nodes({"conv1": (10, 20), "fc1": (30, 40)})
    assert stack.undoText() == "Move 2 nodes"
    document.remove_nodes(["pool1", "flatten", "fc1"])
    assert stack.undoText() == "Delete 3 nodes"
    document.disconnect([Edge("input", "conv1")])
    assert stack.undoText() == "Disconnect input → stem"  # names, not ids
    document.tidy_layout("TB")
    assert stack.undoText() == "Tidy layout"
    assert document.layout_direction == "TB"
    stack.undo()
    assert document.layout_direction == "LR"


def test_delete_removes_edges_and_undo_restores_them_in_concat_order(qtbot):
    document = Document(concat_project())
    before = list(document.graph.edges)
    document.remove_nodes(["a", "cat"])
    assert "a" not in document.graph.nodes and "cat" not in document.graph.nodes
    assert all("a" not in (e.src, e.dst) and "cat" not in (e.src, e.dst) for e in document.graph.edges)
    document.undo_stack.undo()
    assert document.graph.edges == before
    assert [e.src for e in document.graph.incoming("cat")] == ["c", "a", "b"]
    document.undo_stack.redo()
    assert "cat" not in document.graph.nodes
    document.undo_stack.undo()
    assert document.graph.edges == before


def test_consecutive_edits_of_one_parameter_merge(document):
    stack = document.undo_stack
    count = stack.count()
    for value in (1, 12, 128):  # typing 1, 2, 8 in a spin box
        document.set_param("conv1", "out_channels", value)
    assert stack.count() == count + 1
    assert stack.undoText() == "Set conv1 out channels to 128"
    stack.undo()
    assert document.graph.nodes["conv1"].params["out_channels"] == 6
    document.set_param("conv1", "out_channels", 8)
    document.set_param("conv1", "kernel_size", 3)  # another parameter: a new command
    assert stack.count() == count + 2


def test_typing_back_the_original_value_leaves_nothing_to_undo(document):
    count = document.undo_stack.count()
    document.set_param("conv1", "out_channels", 7)
    document.set_param("conv1", "out_channels", 6)
    assert document.undo_stack.count() == count
    assert not document.is_dirty


def test_invalid_edits_are_refused_with_a_message(document):
    messages = messages_of(document)
    count = document.undo_stack.count()
    assert document.set_param("conv1", "out_channels", 0) is False
    assert document.rename("conv1", "relu1") is False
    assert document.rename("conv1", "2fast") is False
    assert document.connect("fc1", "conv1") is None  # conv1 already has an input
    assert document.connect("output", "input") is None
    assert document.add_node("no_such_block", (0, 0)) is None
    assert document.undo_stack.count() == count
    assert messages[0] == "Cannot set conv1 out channels: must be at least 1, got 0"
    assert "already used" in messages[1] and "not a valid node name" in messages[2]
    assert messages[3] == "Cannot connect fc1 → conv1: conv1 already has an input; remove that edge first"
    assert len(messages) == 6


def test_read_only_refuses_edits(document):
    messages = messages_of(document)
    document.read_only = True
    assert document.add_node("conv2d", (0, 0)) is None
    assert document.set_param("conv1", "out_channels", 9) is False
    assert messages and "while it trains" in messages[-1]
    document.read_only = False
    assert document.add_node("conv2d", (0, 0)) is not None


def test_add_node_after_places_and_connects_in_one_command(document):
    document.disconnect([Edge("relu1", "pool1")])
    new = document.add_node_after("batchnorm2d", "relu1")
    assert document.undo_stack.undoText() == "Add BatchNorm2d"
    assert Edge("relu1", new) in document.graph.edges
    relu, added = document.graph.nodes["relu1"].ui, document.graph.nodes[new].ui
    assert added["x"] > relu["x"]
    document.undo_stack.undo()
    assert new not in document.graph.nodes and Edge("relu1", new) not in document.graph.edges


def test_copy_paste_carries_inner_edges_only_with_fresh_names(document):
    payload = document.copy_nodes(["conv1", "relu1", "fc1"])
    assert [n["id"] for n in payload["nodes"]] == ["conv1", "relu1", "fc1"]
    assert payload["edges"] == [{"from": ["conv1", "out"], "to": ["relu1", "in"]}]
    mime = clipboard.to_mime(payload)
    assert mime.hasFormat(clipboard.MIME_NODES) and json.loads(mime.text()) == payload
    new_ids = document.paste(clipboard.from_mime(mime), offset=(0, 300))
    names = sorted(document.graph.nodes[i].name for i in new_ids)
    assert names == ["conv2", "fc2", "relu2"]
    assert document.undo_stack.undoText() == "Paste 3 nodes"
    new_edges = [e for e in document.graph.edges if e.src in new_ids or e.dst in new_ids]
    assert new_edges == [Edge("conv2", "relu2")]
    assert document.graph.nodes["conv2"].ui == {"x": 260.0, "y": 300.0}
    assert document.graph.nodes["conv2"].params == document.graph.nodes["conv1"].params
    duplicated = document.duplicate(["conv1", "relu1"])
    assert sorted(duplicated) == ["conv3", "relu3"] and document.undo_stack.undoText() == "Duplicate 2 nodes"


def test_clipboard_ignores_text_that_is_not_a_payload():
    mime = QMimeData()
    mime.setText("hello")
    assert clipboard.from_mime(mime) is None
    mime.setText('{"format": "convcanvas.project", "version": 1, "nodes": [{"id": "x"}], "edges": []}')
    assert clipboard.from_mime(mime) is None


def test_analysis_is_debounced_after_edits(document, qtbot):
    calls = []
    document.analysis_changed.connect(calls.append)
    with qtbot.waitSignal(document.analysis_changed, timeout=2000):
        for value in (7, 8, 9, 10):
            document.set_param("fc1", "out_features", value)
        assert document.analysis_pending and not calls
    assert len(calls) == 1
    assert calls[0].nodes["fc1"].output_shape == (10,)
    assert calls[0].nodes["fc1"].params == (6 * 14 * 14 + 1) * 10
    with qtbot.assertNotEmitted(document.analysis_changed, wait=200):
        document.move_nodes({"fc1": (0, 500)})  # moving cards changes no shape


def test_save_marks_clean_and_load_replaces_the_graph_in_place(document, tmp_path, qtbot):
    graph = document.graph
    document.add_node("dropout", (0, 300))
    assert document.is_dirty and document.title == "LeNet*"
    with qtbot.waitSignals([document.dirty_changed, document.path_changed]):
        saved = document.save(tmp_path / "net.cnn.json")
    assert not document.is_dirty and document.path == saved
    assert "dropout1" in load_project(saved).graph.nodes
    document.remove_nodes(["dropout1"])
    document.revert()
    assert "dropout1" in document.graph.nodes and not document.is_dirty
    with qtbot.waitSignal(document.project_replaced):
        document.new_project()
    assert document.graph is graph and document.path is None
    assert sorted(n.type for n in graph.nodes.values()) == ["input", "output"]


def test_failed_load_leaves_the_document_untouched(document, tmp_path):
    broken = tmp_path / "broken.cnn.json"
    broken.write_text("{not json")
    document.add_node("dropout", (0, 300))
    with pytest.raises(ProjectError, match="broken.cnn.json: not a valid JSON file"):
        document.load(broken)
    assert "dropout1" in document.graph.nodes and document.is_dirty


def test_loading_nodes_without_positions_lays_them_out(qtbot):
    builder = GraphBuilder()
    builder.chain(("input", "input"), ("flatten", "flat"), ("dense", "fc"), ("output", "out"))
    document = Document(Project(builder.graph))
    xs = [document.graph.nodes[n].ui["x"] for n in ("input", "flat", "fc", "out")]
    assert xs == sorted(xs) and len(set(xs)) == 4


def test_merged_moves_make_one_command_per_drag(document):
    count = document.undo_stack.count()
    for step in range(1, 4):
        document.move_nodes({"conv1": (260 + step * 10, 0)}, merge=True)
    document.finish_moving()
    document.move_nodes({"conv1": (400, 0)}, merge=True)
    assert document.undo_stack.count() == count + 2
    document.undo_stack.undo()
    assert document.graph.nodes["conv1"].ui["x"] == 290
    document.undo_stack.undo()
    assert document.graph.nodes["conv1"].ui["x"] == 260


def lenet5_preset_document() -> Document:
    return Document(load_project(presets_folder() / "lenet5.cnn.json"))


def merged_drag(document: Document) -> None:
    for step in range(1, 4):  # a drag reported step by step
        document.move_nodes({"conv1": (260 + step * 15, step * 5),
                             "tanh1": (520 + step * 15, step * 5)}, merge=True)
    document.finish_moving()


def nothing(document: Document) -> None:
    pass


ROUND_TRIP_EDITS = [
    # (id, prepare (not part of the edit), edit): each edit is one undo command.
    ("add node", nothing, lambda d: d.add_node("dropout", (1040, 0), {"p": 0.25})),
    ("add after", nothing, lambda d: d.add_node_after("batchnorm2d", "conv1")),
    ("delete nodes with edges", nothing, lambda d: d.remove_nodes(["tanh2", "fc1"])),
    ("connect", lambda d: d.disconnect([Edge("fc3", "output")]), lambda d: d.connect("tanh4", "output")),
    ("disconnect", nothing, lambda d: d.disconnect([Edge("pool1", "conv2"), Edge("fc2", "tanh4")])),
    ("reconnect", lambda d: d.disconnect([Edge("fc3", "output")]),
     lambda d: d.reconnect(Edge("tanh4", "fc3"), "output")),
    ("set param", nothing, lambda d: d.set_param("conv2", "kernel_size", 3)),
    ("rename", nothing, lambda d: d.rename("fc3", "classifier")),
    ("move (merged drag)", nothing, merged_drag),
    ("paste", nothing, lambda d: d.paste(d.copy_nodes(["conv1", "tanh1", "pool1"]), offset=(0, 900))),
    ("duplicate", nothing, lambda d: d.duplicate(["fc1", "tanh3"])),
    ("tidy layout", nothing, lambda d: d.tidy_layout("TB")),
]


@pytest.mark.parametrize("prepare, edit", [pytest.param(p, e, id=i) for i, p, e in ROUND_TRIP_EDITS])
def test_undo_and_redo_round_trip_each_edit_to_the_identical_project_file(qtbot, prepare, edit):
    document = lenet5_preset_document()
    prepare(document)
    stack = document.undo_stack
    count = stack.count()
    before = dumps_project(document.project)
    edit(document)
    after = dumps_project(document.project)
    assert after != before
    assert stack.count() == count + 1  # one edit, one undo step
    stack.undo()
    assert dumps_project(document.project) == before
    stack.redo()
    assert dumps_project(document.project) == after
