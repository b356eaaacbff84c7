"""analyze(): shapes, costs, and an issue on the right node for every kind of mistake."""
from __future__ import annotations

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from engine import Graph, analyze, compile_graph

from .graphs import chain, lenet5, residual


def errors_on(graph: Graph, name: str) -> list[str]:
    node = graph.node_by_name(name)
    return [str(i) for i in analyze(graph).nodes[node.id].issues if i.severity == "error"]


def all_text(graph: Graph) -> str:
    return "\n".join(str(issue) for issue in analyze(graph).issues)


def test_lenet5_shapes_params_and_macs():
    graph = lenet5()
    report = analyze(graph)
    assert report.valid and not report.issues
    shapes = {graph.nodes[n].name: report.nodes[n].output_shape for n in report.order}
    assert shapes["conv1"] == (6, 28, 28)
    assert shapes["avgpool2"] == (16, 5, 5)
    assert shapes["flatten1"] == (400,)
    assert report.total_params == 61_706
    assert report.total_macs == 416_520


@pytest.mark.parametrize("build", [lenet5, residual])
def test_macs_equal_half_the_flops_torch_counts(build):
    graph = build()
    report = analyze(graph)
    model = compile_graph(graph)
    shape = report.nodes[graph.nodes_of_type("input")[0].id].output_shape
    with FlopCounterMode(display=False) as counter:
        model(torch.randn(1, *shape))
    assert 2 * report.total_macs == counter.get_total_flops()


def test_no_input_and_no_output_are_graph_level_errors():
    graph = Graph()
    graph.add_node("conv2d")
    text = all_text(graph)
    assert "no Input node" in text and "no Output node" in text
    assert "Drag an Input block" in text


def test_second_input_is_flagged():
    graph = lenet5()
    graph.add_node("input")
    assert "only one Input" in "\n".join(errors_on(graph, "input2"))


def test_missing_input_names_the_node_and_the_fix():
    graph = lenet5()
    conv = graph.node_by_name("conv2")
    graph.disconnect(graph.incoming(conv.id)[0])
    (message,) = errors_on(graph, "conv2")
    assert "conv2: Conv2d needs an input but has 0" in message
    assert "Drag from another block's output port" in message


def test_extra_input_lists_the_sources():
    graph = lenet5()
    graph.connect(graph.node_by_name("conv1").id, graph.node_by_name("avgpool2").id)
    (message,) = errors_on(graph, "avgpool2")
    assert "takes one input but gets 2 (act2, conv1)" in message
    assert "Add or a Concat" in message


def test_cycle_is_reported_with_the_edge_to_delete():
    graph = lenet5()
    graph.connect(graph.node_by_name("avgpool1").id, graph.node_by_name("act1").id)
    text = all_text(graph)
    assert "act1 is on a cycle: act1 → avgpool1 → act1." in text
    assert "delete the edge avgpool1 → act1" in text
    assert not analyze(graph).valid


def test_node_not_fed_from_input_is_one_error_and_what_follows_it_waits():
    graph = lenet5()
    conv3, act = chain(graph, ("conv2d", {}), ("activation", {}))
    report = analyze(graph)
    assert [str(i) for i in report.issues] == [
        "conv3: Conv2d needs an input but has 0. — Drag from another block's output port to conv3's input port."]
    assert report.nodes[act].waiting_for == "conv3" and not report.nodes[act].issues
    assert report.nodes[conv3].waiting_for is None  # it is the problem, not waiting for one


def test_result_never_used_is_a_warning_on_the_loose_end_only():
    graph = lenet5()
    dead = graph.add_node("activation", name="unused")
    graph.connect(graph.node_by_name("fc1").id, dead.id)
    more = graph.add_node("activation", name="unused2")
    graph.connect(dead.id, more.id)
    report = analyze(graph)
    assert [str(i) for i in report.issues] == [
        "unused2's result is never used: it does not lead to the Output. — "
        "Connect unused2 onwards to the Output, or delete it."]
    assert report.nodes[more.id].issues[0].severity == "warning"


def test_one_missing_edge_at_the_start_is_one_problem_and_the_rest_waits():
    graph = lenet5()
    conv1 = graph.node_by_name("conv1")
    graph.disconnect(graph.incoming(conv1.id)[0])
    report = analyze(graph)
    (issue,) = report.issues  # was an error on every later node ("not connected to the Input") and a warning
    assert issue.node_id == conv1.id and "conv1: Conv2d needs an input but has 0" in issue.message
    assert "(input1, left unconnected)" in issue.hint
    later = [node for node in graph.nodes.values() if node.type != "input" and node.id != conv1.id]
    assert len(later) == len(graph.nodes) - 2 == 12
    assert all(report.nodes[node.id].waiting_for == "conv1" and not report.nodes[node.id].issues
               for node in later)


def test_one_missing_edge_in_the_middle_names_the_loose_end_in_the_fix():
    graph = lenet5()
    conv2 = graph.node_by_name("conv2")
    graph.disconnect(graph.incoming(conv2.id)[0])
    (issue,) = analyze(graph).issues
    assert issue.hint == "Drag from another block's output port (avgpool1, left unconnected) to conv2's input port."


def test_nodes_after_a_cycle_wait_for_it():
    graph = lenet5()
    graph.connect(graph.node_by_name("avgpool1").id, graph.node_by_name("act1").id)
    report = analyze(graph)
    assert {graph.nodes[i.node_id].name for i in report.issues} == {"act1", "avgpool1"}
    assert report.nodes[graph.node_by_name("fc3").id].waiting_for in ("act1", "avgpool1")


def test_fed_from_elsewhere_is_not_connected_to_input():
    graph = lenet5()
    first, second = chain(graph, ("conv2d", {}), ("activation", {}))
    graph.connect(second, first)  # a loop of its own, never fed from the Input
    text = all_text(graph)
    assert "is on a cycle" in text


def test_add_of_different_shapes_names_both_inputs():
    graph = residual()
    body_bn = graph.node_by_name("bn1")
    graph.set_param(graph.node_by_name("conv2").id, "out_channels", 16)
    message = "\n".join(errors_on(graph, "add1"))
    assert "Add needs inputs of one shape" in message
    assert "bn1 (16×16×16)" in message and "conv1 (8×16×16)" in message
    assert "1×1 Conv2d" in message
    assert body_bn


def test_concat_of_different_spatial_sizes():
    graph = residual()
    graph.set_param(graph.node_by_name("conv3").id, "stride", 2)
    message = "\n".join(errors_on(graph, "concat1"))
    assert "heights and widths must match" in message and "conv3 (4×8×8)" in message


def test_dense_after_spatial_tensor_suggests_flatten():
    graph = lenet5()
    flatten = graph.node_by_name("flatten1")
    for edge in graph.incoming(flatten.id) + graph.outgoing(flatten.id):
        graph.disconnect(edge)
    graph.connect(graph.node_by_name("avgpool2").id, graph.node_by_name("fc1").id)
    (message,) = errors_on(graph, "fc1")
    assert "Dense needs a flat input but avgpool2 gives 16×5×5" in message
    assert "Insert a Flatten" in message and "between avgpool2 and fc1" in message


def test_kernel_larger_than_padded_input():
    graph = lenet5()
    graph.set_param(graph.node_by_name("conv2").id, "kernel_size", 17)
    (message,) = errors_on(graph, "conv2")
    assert "window 17×17 is larger than its padded input 14×14 from avgpool1" in message


def test_output_size_of_zero():
    graph = Graph()
    chain(graph, ("input", {"height": 4, "width": 4}), ("maxpool2d", {"kernel_size": 3, "stride": 2}),
          ("maxpool2d", {"kernel_size": 1, "stride": 1}), ("flatten", {}), ("dense", {"out_features": 2}),
          ("output", {}))
    assert analyze(graph).valid
    graph.set_param(graph.node_by_name("pool2").id, "kernel_size", 2)
    graph.set_param(graph.node_by_name("pool2").id, "padding", 0)
    graph.set_param(graph.node_by_name("pool1").id, "kernel_size", 4)
    graph.set_param(graph.node_by_name("pool1").id, "stride", 4)
    (message,) = errors_on(graph, "pool2")
    assert "larger than its padded input 1×1" in message


def test_groups_must_divide_channels():
    graph = lenet5()
    graph.set_param(graph.node_by_name("conv2").id, "groups", 4)
    (message,) = errors_on(graph, "conv2")
    assert "groups=4 must divide both the 6 input channels from avgpool1 and the 16 output channels" in message


def test_same_padding_needs_stride_one():
    graph = lenet5()
    conv = graph.node_by_name("conv1").id
    graph.set_param(conv, "padding", "same")
    assert analyze(graph).nodes[conv].output_shape == (6, 32, 32)
    graph.set_param(conv, "stride", 2)
    assert "padding 'same' only works with stride 1" in errors_on(graph, "conv1")[0]


def test_non_square_kernel_stride_and_padding():
    graph = lenet5()
    conv = graph.node_by_name("conv1").id
    graph.set_param(conv, "kernel_size", [5, 3])
    graph.set_param(conv, "stride", [1, 2])
    graph.set_param(conv, "padding", [0, 1])
    graph.set_param(graph.node_by_name("fc1").id, "out_features", 120)
    report = analyze(graph)
    assert report.nodes[conv].output_shape == (6, 28, 16)
    model = compile_graph(graph) if report.valid else None
    assert model is None or model.conv1.kernel_size == (5, 3)


def test_absurd_sizes_are_refused_before_any_tensor():
    graph = Graph()
    chain(graph, ("input", {"channels": 3, "height": 8192, "width": 8192}),
          ("conv2d", {"out_channels": 65536, "kernel_size": 1}), ("flatten", {}), ("output", {}))
    message = "\n".join(errors_on(graph, "conv1"))
    assert "values per image, more than this tool allows" in message


def test_too_many_parameters_are_refused():
    graph = Graph()
    chain(graph, ("input", {"channels": 64, "height": 64, "width": 64}), ("flatten", {}),
          ("dense", {"out_features": 1_048_576}), ("output", {}))
    text = all_text(graph)
    assert "parameters, more than this tool allows" in text and "fc1 alone has" in text


def test_flat_input_to_a_conv_is_explained():
    graph = lenet5()
    flatten = graph.node_by_name("flatten1").id
    conv = graph.add_node("conv2d")
    graph.connect(flatten, conv.id)
    (message,) = errors_on(graph, "conv3")
    assert "needs a channels×height×width input but flatten1 gives a flat vector of 400 features" in message
