"""Names, values and misuse: what the graph refuses where it enters, and what analysis flags.

Node names that the compiled module already has (``forward``, ``training``…)
are stored (a file may hold them) but flagged on their card; the importer
renames them. Graph API misuse is a ``GraphError`` naming the argument, and
messages quote at most a short prefix of a huge value. View values must be
plain and finite, or the saved file could not be opened again.
"""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from engine import analyze, compile_graph
from engine.catalogue import UnknownBlockError
from engine.compiler import InvalidGraphError
from engine.graph import Edge, Graph, GraphError
from engine.groups import make_group
from engine.importer import ModelImportError, import_module
from engine.names import PREVIEW_CHARS, free_variant, preview, reserved_name_problem
from engine.project import Project, dumps_project, loads_project

from .graphs import lenet5

RESERVED = ["forward", "training", "state_dict", "graph", "code", "self", "_modules", "__init__", "__dict__",
            "parameters", "train", "eval", "to", "meta", "_parameters"]


@pytest.mark.parametrize("name", RESERVED)
def test_a_node_named_like_a_module_attribute_is_an_error_on_its_card_with_a_fix(name):
    graph = lenet5()
    conv = graph.node_by_name("conv1")
    graph.rename(conv.id, name)  # the graph stores it (a file may hold it) ...
    analysis = analyze(graph)  # ... and analysis says what is wrong before training dies
    (issue,) = analysis.nodes[conv.id].issues
    assert issue.severity == "error" and issue.message.startswith(f"{name}: ")
    assert issue.hint == f"Rename it, e.g. to {name}_1."
    assert analysis.nodes[conv.id].output_shape is not None  # shapes are still shown
    with pytest.raises(InvalidGraphError, match="Rename it"):
        compile_graph(graph)


def test_before_the_check_such_names_broke_the_compiled_network():
    """What the analysis issue prevents: torch itself refuses these names, with a traceback."""
    with pytest.raises(KeyError, match="already exists"):
        nn.Module().add_module("forward", nn.ReLU())


def test_ordinary_names_and_every_preset_pass():
    from engine.project import load_project
    from presets import __file__ as presets_init
    from pathlib import Path

    for path in Path(presets_init).parent.glob("*.cnn.json"):
        graph = load_project(path).graph
        flagged = [issue for issue in analyze(graph).issues if "PyTorch module attribute" in issue.message]
        assert not flagged, path.name
    for name in ["conv1", "fc", "layer1", "relu", "input", "output", "downsample", "Forward", "forward_1"]:
        assert reserved_name_problem(name) is None


def test_a_block_or_member_named_like_a_module_attribute_is_flagged():
    graph = lenet5()
    ids = [graph.node_by_name(name).id for name in ("conv1", "act1")]
    graph.add_group(make_group(graph, ids, "forward.0", "Stem"))
    messages = [issue.message for issue in analyze(graph).issues]
    assert any(message.startswith("The block forward.0 cannot have that name") for message in messages)
    graph.update_group("group1", name="stem", members={ids[0]: "training", ids[1]: "act"})
    messages = [issue.message for issue in analyze(graph).issues]
    assert any("its name inside stem, training, cannot be used" in message for message in messages)


def test_free_variant_skips_taken_and_reserved_names():
    assert free_variant("forward") == "forward_1"
    assert free_variant("forward", {"forward_1"}) == "forward_2"
    assert free_variant("conv1", {"conv1"}) == "conv1_1"


class WithAttributeNames(nn.Module):
    """Layers PyTorch allows that the compiled network could not carry under their own names."""

    def __init__(self) -> None:
        super().__init__()
        self.self = nn.Conv2d(1, 4, 3)
        self.__act__ = nn.ReLU()
        self.flat = nn.Flatten()
        self.head = nn.Linear(4 * 6 * 6, 3)

    def forward(self, x):
        return self.head(self.flat(self.__act__(self.self(x))))


def test_the_importer_renames_names_the_compiled_network_cannot_carry():
    torch.manual_seed(0)
    original = WithAttributeNames().eval()
    result = import_module(original, (1, 8, 8), name="Attributes")
    graph = result.project.graph
    assert [node.name for node in graph.nodes.values()] == ["input", "self_1", "__act___1", "flat", "head", "output"]
    assert analyze(graph).valid
    imported = compile_graph(graph)
    imported.load_state_dict(result.state_dict, strict=True)
    image = torch.randn(2, 1, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(imported(image), original(image))


class WithFxNames(nn.Module):
    """A layer called ``graph``: legal in PyTorch, but torch.fx keeps the name for itself."""

    def __init__(self) -> None:
        super().__init__()
        self.graph = nn.Conv2d(1, 4, 3)

    def forward(self, x):
        return self.graph(x).flatten(1)


def test_a_layer_named_like_an_fx_attribute_is_one_clear_import_error():
    with pytest.raises(ModelImportError, match="has a layer whose name torch.fx keeps for itself") as caught:
        import_module(WithFxNames().eval(), (1, 8, 8), name="FxNames")
    assert "\n" not in str(caught.value)


# --- API misuse: GraphError naming the argument, never a TypeError ------------------------------------

def test_api_misuse_is_a_graph_error_naming_the_argument():
    graph = lenet5()
    conv = graph.node_by_name("conv1").id
    cases = [
        (lambda: graph.rename(conv, None), "name must be text"),
        (lambda: graph.rename(conv, 3), "name must be text"),
        (lambda: graph.add_node("conv2d", name=3), "name must be text"),
        (lambda: graph.add_node(3), "type_id must be a block type id"),
        (lambda: graph.add_node("conv2d", params=[1, 2]), "params must be a dict"),
        (lambda: graph.add_node("conv2d", params={3: 1}), "a parameter name must be text"),
        (lambda: graph.add_node("conv2d", node_id=["x"]), "node_id must be text"),
        (lambda: graph.add_node("conv2d", ui="here"), "ui must be a dict"),
        (lambda: graph.add_node("conv2d", index="1"), "index must be a whole number"),
        (lambda: graph.node(["conv1"]), "node_id must be a node id"),
        (lambda: graph.node(None), "node_id must be a node id"),
        (lambda: graph.connect(conv, conv, src_port=5), "src_port must be a port name"),
        (lambda: graph.disconnect(("a", "b")), "edge must be an Edge"),
        (lambda: graph.set_param(conv, 5, 1), "key must be a parameter name"),
        (lambda: graph.set_frozen(conv, "yes"), "frozen must be True or False"),
        (lambda: graph.group(7), "group_id must be a block id"),
    ]
    for call, message in cases:
        with pytest.raises(GraphError, match=message):
            call()
    assert graph.connection_problem(["conv1"], conv) == "both ends must be node ids and the port a port name (text)"


def test_block_fields_of_the_wrong_type_are_graph_errors():
    graph = lenet5()
    ids = [graph.node_by_name(name).id for name in ("conv1", "act1")]
    graph.add_group(make_group(graph, ids, "stem", "Stem"))
    for changes, message in [({"name": 5}, "the block name must be"), ({"type": None}, "the block type must be"),
                             ({"members": [1]}, "the block members must be"), ({"collapsed": "no"}, "collapsed must"),
                             ({"inputs": [[("x",)]]}, "a block input port must be"),
                             ({"members": {ids[0]: 4}}, "a local name must be text")]:
        with pytest.raises(GraphError, match=message):
            graph.update_group("group1", **changes)
    assert graph.groups["group1"].name == "stem"


def test_messages_quote_only_a_short_prefix_of_a_huge_value():
    graph = lenet5()
    conv = graph.node_by_name("conv1").id
    huge = "x" * 1_000_000 + "!"
    for call in (lambda: graph.rename(conv, huge), lambda: graph.node(huge), lambda: graph.rename(conv, [0] * 10**5),
                 lambda: graph.add_node("conv2d", name="conv1" * 10**4 + "-"),
                 lambda: graph.set_param(conv, "out_channels", huge), lambda: graph.set_param(conv, "padding", [1] * 10**5),
                 lambda: graph.set_param(conv, huge, 1), lambda: graph.add_node(huge)):
        with pytest.raises((GraphError, UnknownBlockError)) as caught:
            call()
        assert len(str(caught.value)) < 250 and "…" in str(caught.value)
    assert preview("short") == "'short'"
    assert preview("y" * 100) == repr("y" * PREVIEW_CHARS) + "…"


# --- view values enter checked -------------------------------------------------------------------------

@pytest.mark.parametrize("values, message", [
    ({"x": math.nan}, "x must be a finite number"),
    ({"y": math.inf}, "y must be a finite number"),
    ({"x": "10"}, "x must be a number"),
    ({"x": True}, "x must be a number"),
    ({"zoom": -math.inf}, "zoom must be a finite number"),
    ({"note": [1, 2]}, "note must be a plain value"),
])
def test_view_values_that_a_file_cannot_hold_are_refused_where_they_enter(values, message):
    graph = lenet5()
    conv = graph.node_by_name("conv1").id
    graph.set_ui(conv, x=10, y=20)
    with pytest.raises(GraphError, match=message):
        graph.set_ui(conv, **values)
    with pytest.raises(GraphError, match=message):
        graph.add_node("conv2d", ui=values)
    assert graph.nodes[conv].ui == {"x": 10, "y": 20}  # unchanged
    project = loads_project(dumps_project(Project(graph)))  # and the file still opens
    assert project.graph.nodes[conv].ui == {"x": 10, "y": 20}


def test_a_block_with_a_position_that_is_not_a_number_is_refused():
    graph = lenet5()
    ids = [graph.node_by_name(name).id for name in ("conv1", "act1")]
    graph.add_group(make_group(graph, ids, "stem", "Stem"))
    with pytest.raises(GraphError, match="x must be a finite number"):
        graph.update_group("group1", ui={"x": math.nan, "y": 0})


# --- undo support: ungrouping that would clash is refused; restores put back what was --------------------

def test_ungrouping_refuses_to_leave_a_plain_node_with_a_blocks_name():
    graph = lenet5()
    first = [graph.node_by_name(name).id for name in ("conv1", "act1")]
    second = [graph.node_by_name(name).id for name in ("conv2", "act2")]
    graph.add_group(make_group(graph, first, "layer1.0", "A"))
    graph.add_group(make_group(graph, second, "layer2.0", "B"))
    graph.rename(second[0], "layer1")  # allowed: inside a block its name is not a module path
    assert graph.ungroup_problem("group2") == ("its node layer1 would then have the name of the block layer1.0; "
                                               "rename layer1 first")
    with pytest.raises(GraphError, match="rename layer1 first"):
        graph.remove_group("group2")
    assert "group2" in graph.groups
    group, index = graph.discard_group("group2")  # deleting it with its members may
    graph.restore_group(group, index)
    assert list(graph.groups) == ["group1", "group2"]


def test_remove_node_then_restore_gives_back_the_node_its_edges_and_its_block():
    graph = lenet5()
    ids = [graph.node_by_name(name).id for name in ("conv1", "act1", "avgpool1")]
    graph.add_group(make_group(graph, ids, "stem", "Stem"))
    before = dumps_project(Project(graph))
    node = graph.nodes[ids[1]]
    fields = {"members": dict(graph.groups["group1"].members), "inputs": graph.groups["group1"].inputs,
              "output": graph.groups["group1"].output}
    position = list(graph.nodes).index(ids[1])
    edges = [(graph.edges.index(edge), edge) for edge in graph.edges if ids[1] in (edge.src, edge.dst)]
    graph.remove_node(ids[1])
    graph.restore_node(node, position)
    graph.restore_group_fields("group1", fields)
    for index, edge in edges:
        graph.restore_edge(edge, index)
    assert dumps_project(Project(graph)) == before
    assert Edge(ids[0], ids[1]) in graph.edges


def test_the_written_out_reserved_names_cover_the_installed_torchs():
    from torch import fx, nn

    from engine.names import module_attributes

    compiled = dir(fx.GraphModule(nn.Module(), fx.Graph()))
    missing = sorted(name for name in compiled if not (name.startswith("__") and name.endswith("__"))
                     and name not in module_attributes())
    assert not missing, f"torch added attributes; add them to engine.names.MODULE_ATTRIBUTES: {missing}"
