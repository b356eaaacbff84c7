"""The modern families' blocks (MobileNetV3 … ConvNeXt): shapes, parameters and MACs equal torch's,
each computes what torch/torchvision compute, and each compiles, exports to ONNX and to Python source."""
from __future__ import annotations

import pytest
import torch
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from engine import Graph, analyze, compile_graph
from engine.codegen import python_source
from engine.export import export_onnx

from .graphs import chain

C, H, W = 6, 5, 7

# (type, params, what torch computes for the same input)
CASES = [
    ("activation", {"function": "hardswish"}, lambda: nn.Hardswish()),
    ("activation", {"function": "hardsigmoid"}, lambda: nn.Hardsigmoid()),
    ("activation", {"function": "mish"}, lambda: nn.Mish()),
    ("prelu", {}, lambda: nn.PReLU(C)),
    ("prelu", {"per_channel": False}, lambda: nn.PReLU()),
    ("layernorm2d", {}, lambda: torchvision.models.convnext.LayerNorm2d(C, eps=1e-6)),
    ("groupnorm", {"groups": 3}, lambda: nn.GroupNorm(3, C)),
    ("layer_scale", {"init": 0.5}, None),
    ("channel_shuffle", {"groups": 3}, lambda: _Function(
        lambda x: torchvision.models.shufflenetv2.channel_shuffle(x, 3))),
    ("stochastic_depth", {"p": 0.3}, lambda: torchvision.ops.StochasticDepth(0.3, "row")),
    ("identity", {}, lambda: nn.Identity()),
    ("spatial_mean", {}, lambda: _Function(lambda x: x.mean((2, 3), keepdim=True))),
    ("spatial_mean", {"keepdim": False}, lambda: _Function(lambda x: x.mean((2, 3)))),
    ("dropout2d", {"p": 0.2}, lambda: nn.Dropout2d(0.2)),
    ("pointwise_dense", {"out_features": 4}, None),
    ("channel_slice", {"start": 3, "stop": 6}, lambda: _Function(lambda x: x.chunk(2, dim=1)[1])),
    ("zeropad2d", {"left": 0, "right": 1, "top": 2, "bottom": 1}, lambda: nn.ZeroPad2d((0, 1, 2, 1))),
    ("avgpool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
     lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False)),
]


class _Function(nn.Module):
    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, x):
        return self.function(x)


def one_block(type_id: str, params: dict) -> Graph:
    graph = Graph()
    chain(graph, ("input", {"channels": C, "height": H, "width": W}), (type_id, params), ("flatten", {}),
          ("output", {}))
    return graph


def squeeze_excite() -> Graph:
    """conv → (mean → 1×1 conv → ReLU → 1×1 conv → Hardsigmoid) × conv: the gate of MobileNetV3."""
    graph = Graph()
    _, conv = chain(graph, ("input", {"channels": 3, "height": H, "width": W}),
                    ("conv2d", {"out_channels": C, "kernel_size": 3, "padding": 1}))
    gate = chain(graph, ("spatial_mean", {}), ("conv2d", {"out_channels": 2, "kernel_size": 1}),
                 ("activation", {}), ("conv2d", {"out_channels": C, "kernel_size": 1}),
                 ("activation", {"function": "hardsigmoid"}))
    graph.connect(conv, gate[0])
    multiply, flatten, output = chain(graph, ("multiply", {}), ("flatten", {}), ("output", {}))
    graph.connect(conv, multiply)
    graph.connect(gate[-1], multiply)
    return graph


def _counted_macs(model: nn.Module, shape) -> int:
    with FlopCounterMode(display=False) as counter:
        model(torch.randn(2, *shape))
    return counter.get_total_flops() // 4  # two flops per MAC, two samples


@pytest.mark.parametrize("type_id, params, reference", CASES, ids=lambda v: v if isinstance(v, str) else "")
def test_block_shape_params_macs_and_values_equal_torch(type_id, params, reference):
    graph = one_block(type_id, params)
    report = analyze(graph)
    assert report.valid, report.errors
    model = compile_graph(graph)
    assert sum(p.numel() for p in model.parameters()) == report.total_params
    assert report.total_macs == _counted_macs(model, (C, H, W))
    x = torch.randn(2, C, H, W)
    node = graph.nodes[report.order[1]]
    block = model.get_submodule(graph.module_path(node.id)) if node.spec.module else None
    out = block(x)
    assert tuple(out.shape[1:]) == report.nodes[node.id].output_shape
    if reference is not None:
        expected = reference()
        if isinstance(expected, nn.PReLU):
            expected.weight.data.copy_(block.weight.data)
        if isinstance(expected, (nn.GroupNorm, torchvision.models.convnext.LayerNorm2d)):
            expected.load_state_dict(block.state_dict())
        torch.testing.assert_close(out, expected.eval()(x), rtol=0, atol=0)


def test_pointwise_dense_is_linear_over_channels_and_keeps_linear_weights():
    graph = one_block("pointwise_dense", {"out_features": 4})
    model = compile_graph(graph)
    linear = nn.Linear(C, 4)
    model.load_state_dict({f"{k.split('.')[0]}.{name}": value for k in model.state_dict()
                           for name, value in linear.state_dict().items() if k.endswith(name)})
    x = torch.randn(2, C, H, W)
    torch.testing.assert_close(model(x), linear(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2).flatten(1))
    assert analyze(graph).total_macs == C * 4 * H * W


def test_a_bare_layer_scale_parameter_as_torchvision_saves_it_loads_into_the_layer_scale_block():
    from engine.weights import match_weights

    graph = one_block("layer_scale", {"init": 1e-6})
    model = compile_graph(graph)
    (key,) = model.state_dict()
    match = match_weights(graph, {key.removesuffix(".scale"): torch.full((C, 1, 1), 2.0)})
    assert match.complete and not match.unexpected
    model.load_state_dict(match.state, strict=True)
    x = torch.randn(1, C, H, W)
    torch.testing.assert_close(model(x), 2 * x.flatten(1))


def test_stochastic_depth_drops_whole_samples_while_training_like_torchvision():
    model = compile_graph(one_block("stochastic_depth", {"p": 0.5})).train()
    reference = torchvision.ops.StochasticDepth(0.5, "row").train()
    x = torch.randn(64, C, H, W)
    torch.manual_seed(3)
    ours = model(x)
    torch.manual_seed(3)
    torch.testing.assert_close(ours, reference(x).flatten(1))
    kept = (ours != 0).all(dim=1)
    assert 0 < int(kept.sum()) < 64


def test_multiply_gates_channels_and_refuses_shapes_that_do_not_broadcast():
    graph = squeeze_excite()
    report = analyze(graph)
    assert report.valid and report.nodes[graph.node_by_name("mul1").id].output_shape == (C, H, W)
    model = compile_graph(graph)
    assert _counted_macs(model, (3, H, W)) == report.total_macs
    assert sum(p.numel() for p in model.parameters()) == report.total_params
    bad = Graph()
    a, b = chain(bad, ("input", {"channels": 3, "height": H, "width": W}), ("conv2d", {"out_channels": 4}))
    mul = bad.add_node("multiply").id
    bad.connect(a, mul)
    bad.connect(b, mul)
    (issue,) = [i for i in analyze(bad).nodes[mul].issues if i.severity == "error"]
    assert "C×1×1" in issue.message and "3×5×7" in issue.message and "squeeze-and-excite" in issue.hint


def test_groups_that_do_not_divide_the_channels_get_the_divisors_as_the_fix():
    graph = one_block("groupnorm", {"groups": 4})
    (issue,) = analyze(graph).errors
    assert "4 groups must divide the 6 channels" in issue.message and "1, 2, 3, 6" in issue.hint


@pytest.mark.parametrize("build", [squeeze_excite, lambda: _everything()], ids=["squeeze_excite", "all"])
def test_exports_to_onnx_and_python_compute_the_same(tmp_path, build):
    graph = build()
    model = compile_graph(graph).eval()
    shape = analyze(graph).nodes[graph.nodes_of_type("input")[0].id].output_shape
    x = torch.randn(2, *shape)
    expected = model(x)
    onnx_path = export_onnx(model, x[:1], tmp_path / "net.onnx")
    import onnxruntime

    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    torch.testing.assert_close(torch.from_numpy(got), expected, rtol=1e-4, atol=1e-5)
    namespace: dict = {}
    exec(compile(python_source(graph, "Modern"), "modern.py", "exec"), namespace)  # noqa: S102 - our own output
    standalone = namespace["Modern"]()
    standalone.load_state_dict(model.state_dict(), strict=True)
    torch.testing.assert_close(standalone.eval()(x), expected)


def _everything() -> Graph:
    graph = Graph()
    chain(graph, ("input", {"channels": C, "height": H, "width": W}),
          *[(type_id, params) for type_id, params, _ in CASES if type_id not in ("pointwise_dense", "channel_slice") and params.get("keepdim") is not False],
          ("pointwise_dense", {"out_features": 4}), ("flatten", {}), ("output", {}))
    return graph
