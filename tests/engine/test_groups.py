"""Composite blocks in the engine: grouping, boundaries, checks, files and generated code."""
from __future__ import annotations

import json

import pytest
import torch

from engine import analyze, compile_graph, dumps_project, loads_project
from engine.analysis import group_report
from engine.builders import GraphBuilder, basic_block, group_as_block
from engine.codegen import python_source
from engine.compiler import class_name_for, example_input
from engine.graph import GraphError
from engine.groups import make_group, structure_key, unique_path
from engine.layout import collapsed_view, grouped_layout
from engine.project import Project


def two_blocks():
    """input → stem conv → two identical basic blocks → pool → fc → output, blocks grouped."""
    builder = GraphBuilder()
    builder.add("input", "input", channels=3, height=16, width=16)
    builder.add("conv2d", "stem", out_channels=8, kernel_size=3, padding=1)
    basic_block(builder, "b1", 8, 8)
    basic_block(builder, "b2", 8, 8)
    builder.add("adaptiveavgpool2d", "pool", output_size=1)
    builder.add("flatten", "flatten")
    builder.add("dense", "fc", out_features=4)
    builder.add("output", "output")
    graph = builder.graph
    group_as_block(graph, "b1", "layer1.0", "BasicBlock")
    group_as_block(graph, "b2", "layer1.1", "BasicBlock")
    return graph


def test_a_group_reads_its_boundary_and_local_names_from_the_graph():
    graph = two_blocks()
    first = graph.groups["group1"]
    assert first.members["b1_conv1"] == "conv1" and first.output == "b1_relu2"
    # One outside source (the stem) feeds the first conv and the shortcut side of the Add.
    assert first.inputs == [[("b1_conv1", "in"), ("b1_add", "in")]]
    assert graph.module_path("b1_conv1") == "layer1.0.conv1" and graph.module_path("stem") == "stem"
    assert structure_key(graph, first) == structure_key(graph, graph.groups["group2"])


def test_grouping_gives_torchvision_style_keys_and_changes_nothing_else():
    graph = two_blocks()
    flat = graph.copy()
    for group_id in list(flat.groups):
        flat.remove_group(group_id)
    grouped_model, flat_model = compile_graph(graph), compile_graph(flat)
    assert "layer1.1.bn2.running_mean" in grouped_model.state_dict()
    assert analyze(graph).total_params == analyze(flat).total_params
    flat_model.load_state_dict(dict(zip(flat_model.state_dict(), grouped_model.state_dict().values())))
    image = example_input(graph, 2)
    torch.testing.assert_close(grouped_model(image), flat_model(image), rtol=0, atol=0)


def test_a_selection_with_two_results_cannot_become_one_block():
    graph = two_blocks()
    graph.remove_group("group1")
    with pytest.raises(ValueError, match="one result.*b1_bn1, stem"):
        make_group(graph, ["stem", "b1_conv1", "b1_bn1"], "x", "X")


@pytest.mark.parametrize("path, problem", [
    ("layer1.0", None), ("block", None), ("1layer", "not a valid block name"), ("layer1..0", "not a valid"),
    ("class", "not a valid"), ("layer1", "clashes with the block 'layer1.1'"), ("stem", "clashes with the node"),
])
def test_block_names_are_module_paths_that_clash_with_nothing(path, problem):
    graph = two_blocks()
    found = graph.path_problem_for(path, "group1")
    assert (found is None) if problem is None else (problem in found)
    assert unique_path(graph, "stem") == "stem2"
    assert unique_path(graph, "layer1.0") == "layer1.2" and unique_path(graph, "layer2.0") == "layer2.0"


def test_groups_may_not_overlap_and_locals_must_be_distinct():
    graph = two_blocks()
    with pytest.raises(GraphError, match="already in the block layer1.0"):
        graph.add_group(make_group(graph, ["b1_relu2"], "other", "Other"))
    with pytest.raises(GraphError, match="both called 'conv'"):
        graph.update_group("group1", members={**graph.groups["group1"].members, "b1_conv2": "conv",
                                              "b1_conv1": "conv"})
    with pytest.raises(GraphError, match="used by the block"):
        graph.rename("stem", "layer1")


def test_removing_a_member_forgets_it_and_update_group_restores_it():
    graph = two_blocks()
    before = graph.groups["group1"].copy()
    events = []
    graph.events.subscribe(events.append)
    graph.remove_node("b1_relu2")
    group = graph.groups["group1"]
    assert "b1_relu2" not in group.members and group.output is None
    assert any(e.kind == "group_changed" and e.group_id == "group1" for e in events)
    assert any("no output node" in issue.message for issue in analyze(graph).errors)
    # What an undo does: put the node back, then the membership.
    graph.add_node("activation", name="b1_relu2", node_id="b1_relu2")
    graph.update_group("group1", members=before.members, inputs=before.inputs, output=before.output)
    assert graph.groups["group1"] == before


def test_wiring_around_the_boundary_is_an_error_that_names_the_block():
    graph = two_blocks()
    graph.connect("stem", "b1_conv2")  # into a member that is not a block input
    messages = " ".join(issue.message for issue in analyze(graph).errors)
    assert "stem feeds b1_conv2 inside the block layer1.0" in messages
    graph = two_blocks()
    graph.disconnect(next(e for e in graph.edges if e.src == "b1_relu2" and e.dst == "b2_conv1"))
    graph.connect("b1_conv1", "b2_conv1")  # from a member that is not the output
    messages = " ".join(issue.message for issue in analyze(graph).errors)
    assert "b1_conv1 inside the block layer1.0 feeds b2_conv1 outside it" in messages


def test_group_report_sums_members_and_takes_the_output_shape():
    graph = two_blocks()
    analysis = analyze(graph)
    report = group_report(analysis, graph.groups["group1"])
    assert report.output_shape == (8, 16, 16)
    assert report.params == sum(analysis.nodes[n].params for n in graph.groups["group1"].members) > 0


def test_project_files_keep_groups_and_frozen_nodes_and_read_version_1():
    graph = two_blocks()
    graph.set_frozen("stem", True)
    text = dumps_project(Project(graph, "Blocks"))
    again = loads_project(text)
    assert dumps_project(again) == text
    assert again.graph.nodes["stem"].frozen and not again.graph.nodes["fc"].frozen
    assert again.graph.groups["group2"].inputs == graph.groups["group2"].inputs
    document = json.loads(text)
    document.update(version=1, groups=[])
    for node in document["nodes"]:
        node.pop("frozen", None)
    old = loads_project(json.dumps(document))
    assert not old.graph.groups and not any(node.frozen for node in old.graph.nodes.values())


def test_a_broken_group_in_a_file_is_refused_with_its_location():
    document = json.loads(dumps_project(Project(two_blocks(), "Blocks")))
    document["groups"][1]["members"]["b1_conv1"] = "conv9"  # already in the first block
    with pytest.raises(ValueError, match=r"groups\[1\] \(group2\).*already in the block layer1.0"):
        loads_project(json.dumps(document), "net.cnn.json")


def test_collapsed_blocks_lay_out_as_one_card_and_their_members_beside_it():
    graph = two_blocks()
    view = collapsed_view(graph)
    assert set(view.nodes) == {"input", "stem", "group1", "group2", "pool", "flatten", "fc", "output"}
    positions = grouped_layout(graph)
    assert positions["group1"][0] < positions["group2"][0]  # left to right, in order
    members = [positions[n] for n in graph.groups["group1"].members]
    assert min(x for x, _ in members) == positions["group1"][0]


def test_generated_python_has_one_class_for_identical_blocks():
    graph = two_blocks()
    source = python_source(graph, "Blocks")
    assert source.count("class BasicBlock(nn.Module):") == 1 and "class BasicBlock2" not in source
    assert "self.layer1 = nn.Sequential(" in source
    graph.set_param("b2_conv1", "kernel_size", 5)
    graph.set_param("b2_conv1", "padding", 2)
    assert "class BasicBlock2(nn.Module):" in python_source(graph, "Blocks")  # they differ now
    namespace: dict = {}
    exec(compile(python_source(graph, "Blocks"), "blocks.py", "exec"), namespace)
    generated, compiled = namespace[class_name_for("Blocks")]().eval(), compile_graph(graph)
    generated.load_state_dict(compiled.state_dict(), strict=True)
    image = example_input(graph)
    torch.testing.assert_close(generated(image), compiled(image), rtol=0, atol=0)
