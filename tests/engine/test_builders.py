"""GraphBuilder and the ResNet block helpers."""
from __future__ import annotations

import pytest

from engine import GraphError, analyze
from engine.builders import GraphBuilder, basic_block, bottleneck


def stem(channels: int = 16) -> GraphBuilder:
    builder = GraphBuilder()
    builder.add("input", "input", channels=3, height=16, width=16)
    builder.add("conv2d", "conv1", out_channels=channels, kernel_size=3, padding=1)
    return builder


def test_each_node_follows_the_previous_one_unless_told_otherwise():
    builder = GraphBuilder()
    builder.add("input", "input", channels=1, height=8, width=8)
    builder.chain(("conv2d", "a", {"out_channels": 4}), ("activation", "b"))
    lone = builder.add("conv2d", "lone", inputs=None)
    builder.at("a").add("conv2d", "branch")
    last = builder.sequential("head", [("flatten",), ("dense", {"out_features": 3})])
    graph = builder.graph
    assert last == "head_1" and builder.cursor == "head_1"
    assert [(e.src, e.dst) for e in graph.edges] == [
        ("input", "a"), ("a", "b"), ("a", "branch"), ("branch", "head_0"), ("head_0", "head_1")]
    assert graph.incoming(lone) == []
    assert graph.nodes["a"].params["out_channels"] == 4 and graph.nodes["head_1"].params["out_features"] == 3
    with pytest.raises(GraphError, match="no node with id 'nowhere'"):
        builder.at("nowhere")


def test_basic_block_keeps_the_identity_shortcut_when_the_shape_does_not_change():
    builder = stem(16)
    out = basic_block(builder, "layer1_0", 16, 16)
    graph = builder.graph
    assert out == "layer1_0_relu2" == builder.cursor
    assert [e.src for e in graph.incoming("layer1_0_add")] == ["layer1_0_bn2", "conv1"]  # main first
    assert not any("downsample" in name for name in graph.nodes)
    assert graph.nodes["layer1_0_conv1"].params["bias"] is False


@pytest.mark.parametrize("in_channels, channels, stride", [(16, 32, 1), (16, 16, 2)])
def test_basic_block_projects_the_shortcut_when_stride_or_channels_change(in_channels, channels, stride):
    builder = stem(in_channels)
    basic_block(builder, "layer2_0", in_channels, channels, stride)
    graph = builder.graph
    assert [e.src for e in graph.incoming("layer2_0_add")] == ["layer2_0_bn2", "layer2_0_downsample_1"]
    projection = graph.nodes["layer2_0_downsample_0"].params
    assert (projection["kernel_size"], projection["stride"], projection["out_channels"]) == (1, stride, channels)


def test_bottleneck_expands_four_times_and_strides_its_3x3_convolution():
    builder = stem(64)
    bottleneck(builder, "layer1_0", 64, 64, stride=2)
    builder.add("adaptiveavgpool2d", "avgpool")
    builder.add("flatten", "flatten")
    builder.add("dense", "fc", out_features=2)
    builder.add("output", "output")
    graph = builder.graph
    analysis = analyze(graph)
    assert analysis.valid
    assert analysis.nodes["layer1_0_add"].output_shape == (256, 8, 8)
    assert [graph.nodes[f"layer1_0_conv{i}"].params["stride"] for i in (1, 2, 3)] == [1, 2, 1]
    assert graph.nodes["layer1_0_relu3"].params["function"] == "relu"
