"""ConvTranspose2d and Upsample: shapes, parameters and MACs equal torch's; Concat's one-pixel mismatch."""
from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from engine import Graph, analyze, compile_graph
from engine.importer import import_module

from .graphs import chain

TRANSPOSES = [
    dict(out_channels=4, kernel_size=2, stride=2),
    dict(out_channels=6, kernel_size=3, stride=2, padding=1, output_padding=1),
    dict(out_channels=4, kernel_size=[3, 2], stride=[2, 3], padding=[1, 0], output_padding=[1, 2], groups=2),
    dict(out_channels=2, kernel_size=3, stride=1, dilation=2, bias=False),
    dict(out_channels=4, kernel_size=4, stride=3, padding=2, output_padding=1, dilation=2),
]
UPSAMPLES = [
    dict(scale_factor=2.0), dict(scale_factor=1.5, mode="bilinear"), dict(scale_factor=3.0, mode="bilinear",
                                                                          align_corners=True),
    dict(size=[9, 13], mode="nearest"), dict(size=20, mode="bilinear"),
]


def one_block(type_id: str, params: dict, shape=(4, 7, 5)) -> tuple[Graph, str]:
    graph = Graph()
    ids = chain(graph, ("input", {"channels": shape[0], "height": shape[1], "width": shape[2]}), (type_id, params),
                ("flatten", {}), ("output", {}))
    return graph, ids[1]


@pytest.mark.parametrize("type_id, params", [("convtranspose2d", p) for p in TRANSPOSES] +
                         [("upsample", p) for p in UPSAMPLES])
def test_shape_params_and_macs_equal_torch(type_id, params):
    graph, node_id = one_block(type_id, params)
    report = analyze(graph)
    assert report.valid, report.error_text()
    model = compile_graph(graph, report)
    image = torch.randn(2, 4, 7, 5)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        layer = model.get_submodule(graph.nodes[node_id].name)
        out = layer(image)
    node = report.nodes[node_id]
    assert node.output_shape == tuple(out.shape[1:])
    assert node.params == sum(p.numel() for p in layer.parameters())
    assert 2 * node.macs * image.shape[0] == counter.get_total_flops()  # flops of the whole batch


def test_output_padding_must_be_below_the_stride():
    graph, node_id = one_block("convtranspose2d", dict(out_channels=2, kernel_size=3, stride=2, output_padding=2))
    (issue,) = analyze(graph).errors
    assert issue.node_id == node_id and "output padding 2 must be smaller than the stride 2" in issue.message


def test_upsample_of_a_flat_vector_is_refused_with_a_hint():
    graph = Graph()
    ids = chain(graph, ("input", {"channels": 1, "height": 4, "width": 4}), ("flatten", {}),
                ("upsample", {}), ("output", {}))
    (issue,) = analyze(graph).errors
    assert issue.node_id == ids[2] and "Upsample needs a channels×height×width input" in issue.message


def test_concat_of_maps_one_pixel_apart_names_both_shapes_and_says_why():
    graph = Graph()
    stem = chain(graph, ("input", {"channels": 3, "height": 15, "width": 15}),
                 ("conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}))
    down = chain(graph, ("maxpool2d", {}), ("upsample", {"scale_factor": 2.0}))
    graph.connect(stem[-1], down[0])
    concat = graph.add_node("concat").id
    graph.connect(stem[-1], concat)
    graph.connect(down[-1], concat)
    (issue,) = [issue for issue in analyze(graph).errors if issue.node_id == concat]
    names = [graph.nodes[n].name for n in (stem[-1], down[-1])]
    assert f"{names[0]} (4×15×15), {names[1]} (4×14×14)" in issue.message and "one pixel" in issue.message
    assert "divisible by 2" in issue.hint


def test_the_importer_maps_transposed_convolutions_and_upsampling():
    torch.manual_seed(0)
    original = nn.Sequential(nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1),
                             nn.Upsample(scale_factor=2, mode="bilinear"), nn.Flatten(), nn.Linear(4 * 16 * 16, 3))
    result = import_module(original.eval(), (3, 4, 4), name="up")
    types = [node.type for node in result.project.graph.nodes.values()]
    assert "convtranspose2d" in types and "upsample" in types
    imported = compile_graph(result.project.graph)
    imported.load_state_dict(result.state_dict, strict=True)
    image = torch.randn(2, 3, 4, 4)
    with torch.no_grad():
        torch.testing.assert_close(imported(image), original(image), rtol=0, atol=1e-5)
