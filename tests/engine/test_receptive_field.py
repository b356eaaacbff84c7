"""Receptive fields computed from the graph equal the empirical ones: the input pixels whose gradient
reaches one output unit, over many random images (so max pooling and ReLU's choices even out)."""
from __future__ import annotations

import pytest
import torch

from engine import Graph, compile_graph
from engine.compiler import input_shape
from engine.insight.receptive_field import receptive_fields
from engine.training.probe import truncated_module

from .graphs import chain, residual

IMAGES = 64


def empirical_box(model, graph: Graph, node_id: str, row: int, column: int) -> tuple[int, int, int, int]:
    """The bounding box (top, left, bottom, right) of the input pixels with a non-zero gradient of
    unit (row, column) of the node's output (all channels summed), over a batch of random images."""
    torch.manual_seed(1)
    channels, height, width = input_shape(graph)
    images = torch.randn(IMAGES, channels, height, width, dtype=torch.float64, requires_grad=True)
    output = truncated_module(model, graph.activation_name(node_id))(images)
    output[:, :, row, column].sum().backward()
    reached = images.grad.abs().sum(dim=(0, 1)).nonzero()
    (top, left), (bottom, right) = reached.min(0).values.tolist(), reached.max(0).values.tolist()
    return top, left, bottom, right


def built(graph: Graph):
    torch.manual_seed(0)
    return compile_graph(graph).double().eval()


def units(shape) -> list[tuple[int, int]]:
    """A corner, the middle and the far corner of a node's output map."""
    _, height, width = shape
    return sorted({(0, 0), (height // 2, width // 2), (height - 1, width - 1)})


def windowed_chain() -> Graph:
    graph = Graph()
    chain(graph, ("input", {"channels": 2, "height": 32, "width": 28}),
          ("conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}), ("activation", {"function": "relu"}),
          ("maxpool2d", {"kernel_size": 2, "stride": 2}),
          ("conv2d", {"out_channels": 4, "kernel_size": [3, 5], "dilation": 2}), ("batchnorm2d", {}),
          ("avgpool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
          ("conv2d", {"out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 2}),
          ("flatten", {}), ("dense", {"out_features": 3}), ("output", {}))
    return graph


@pytest.mark.parametrize("make_graph", [windowed_chain, residual], ids=["windows", "residual"])
def test_windows_merges_and_per_position_blocks_match_the_gradient_exactly(make_graph):
    graph = make_graph()
    model, fields = built(graph), receptive_fields(graph)
    from engine.analysis import analyze

    analysis = analyze(graph)
    checked = 0
    for node_id in analysis.order:
        shape = analysis.nodes[node_id].output_shape
        if graph.nodes[node_id].type in ("input", "output") or len(shape) != 3:
            continue
        for row, column in units(shape):
            assert empirical_box(model, graph, node_id, row, column) == fields[node_id].clipped_box(row, column), (
                graph.nodes[node_id].name, row, column)
            checked += 1
    assert checked >= 12


def test_the_field_grows_by_the_kernel_and_jumps_by_the_strides():
    graph = windowed_chain()
    fields = receptive_fields(graph)
    names = {node.name: node_id for node_id, node in graph.nodes.items()}
    conv1, pool, conv2 = (fields[names[name]] for name in ("conv1", "pool1", "conv2"))
    assert conv1.size == (3, 3) and conv1.jump == (1, 1) and conv1.start == (0, 0)
    assert pool.size == (4, 4) and pool.jump == (2, 2) and pool.start == (0.5, 0.5)
    # dilation 2: a 3×5 kernel spans 5×9 positions of a map whose units are 2 pixels apart
    assert conv2.size == (4 + 4 * 2, 4 + 8 * 2) and conv2.jump == (2, 2)
    assert fields[graph.nodes_of_type("dense")[0].id].whole_input
    assert "12×20" in conv2.describe()


def resampling_graph(mode: str, align: bool = False) -> Graph:
    graph = Graph()
    chain(graph, ("input", {"channels": 1, "height": 12, "width": 12}),
          ("conv2d", {"out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1}),
          ("convtranspose2d", {"out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1,
                               "output_padding": 1}),
          ("conv2d", {"out_channels": 3, "kernel_size": 3, "stride": 2}),
          ("upsample", {"scale_factor": 2.0, "mode": mode, "align_corners": align}),
          ("conv2d", {"out_channels": 2, "kernel_size": 1}), ("output", {}))
    return graph


@pytest.mark.parametrize("mode,align", [("nearest", False), ("bilinear", False), ("bilinear", True)])
def test_transposed_convolutions_and_upsampling_hold_every_units_gradient(mode, align):
    graph = resampling_graph(mode, align)
    model, fields = built(graph), receptive_fields(graph)
    from engine.analysis import analyze

    analysis = analyze(graph)
    for node_id in analysis.order:
        shape = analysis.nodes[node_id].output_shape
        if graph.nodes[node_id].type in ("input", "output"):
            continue
        for row in range(shape[1]):
            column = row % shape[2]
            top, left, bottom, right = empirical_box(model, graph, node_id, row, column)
            want = fields[node_id].clipped_box(row, column)
            assert want[0] <= top and want[1] <= left and bottom <= want[2] and right <= want[3], (
                graph.nodes[node_id].name, row, column, want)
            # the slack is at most one unit of the resampled map (2 pixels apart here) per side and layer
            assert top - want[0] <= 4 and want[2] - bottom <= 4


def test_the_block_guide_says_what_every_block_does_to_the_field():
    from engine.catalogue import ALL_BLOCKS
    from engine.catalogue.guide import block_markdown
    from engine.insight.receptive_rules import receptive_field_rule

    for spec in ALL_BLOCKS:
        assert f"**Receptive field.** {receptive_field_rule(spec.type_id)}" in block_markdown(spec)
    assert "bin" in receptive_field_rule("adaptiveavgpool2d") and "stride" in receptive_field_rule("conv2d")
    assert receptive_field_rule("dense") != receptive_field_rule("activation")
