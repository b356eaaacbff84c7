"""Property tests: inferred shapes and parameter counts equal what torch produces.

Random networks are grown node by node, each block chosen to suit the shape
of the tensor it is attached to, with random parameters (some invalid). A
graph the analysis accepts must compile, and every node's inferred shape
must equal the shape of the tensor torch computes for it. A graph it refuses
must be refused by the compiler with the analysis issues, never a torch error.
"""
from __future__ import annotations

import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch import fx

from engine import Graph, InvalidGraphError, analyze, block, block_types, compile_graph

SPATIAL_BLOCKS = ["conv2d", "conv2d", "batchnorm2d", "activation", "maxpool2d", "avgpool2d",
                  "adaptiveavgpool2d", "dropout", "flatten", "add", "concat", "convtranspose2d", "upsample",
                  "prelu", "spatial_mean", "pointwise_dense", "channel_shuffle", "channel_slice", "identity", "multiply",
                  "layer_scale", "layernorm2d", "groupnorm", "dropout2d", "stochastic_depth"]
FLAT_BLOCKS = ["dense", "dense", "activation", "dropout", "add", "concat"]

small = st.integers(1, 3)
pairs = st.one_of(small, st.lists(small, min_size=2, max_size=2))


def params_for(type_id: str, in_channels: int):
    if type_id == "conv2d":
        groups = st.sampled_from([g for g in (1, 2, 3) if in_channels % g == 0])
        return st.fixed_dictionaries({
            "out_channels": st.sampled_from([2, 3, 4, 6]),
            "kernel_size": pairs, "stride": pairs, "dilation": st.integers(1, 2),
            "padding": st.one_of(st.integers(0, 2), st.sampled_from(["same", "valid"]),
                                 st.lists(st.integers(0, 2), min_size=2, max_size=2)),
            "groups": groups, "bias": st.booleans()})
    if type_id == "convtranspose2d":
        groups = st.sampled_from([g for g in (1, 2) if in_channels % g == 0])
        return st.fixed_dictionaries({
            "out_channels": st.sampled_from([2, 4]), "kernel_size": pairs, "stride": pairs,
            "padding": st.integers(0, 1), "dilation": st.integers(1, 2), "groups": groups, "bias": st.booleans()})
    if type_id == "upsample":
        return st.fixed_dictionaries({"scale_factor": st.sampled_from([1.0, 1.5, 2.0]),
                                      "mode": st.sampled_from(["nearest", "bilinear"]),
                                      "align_corners": st.booleans()})
    if type_id in ("maxpool2d", "avgpool2d"):
        extra = {"dilation": st.integers(1, 2)} if type_id == "maxpool2d" else {}
        return st.fixed_dictionaries({"kernel_size": pairs, "stride": pairs, "padding": st.integers(0, 1),
                                      "ceil_mode": st.booleans(), **extra})
    if type_id == "adaptiveavgpool2d":
        return st.fixed_dictionaries({"output_size": pairs})
    if type_id == "activation":
        return st.fixed_dictionaries({"function": st.sampled_from(
            ["relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softmax", "hardswish",
             "hardsigmoid", "mish"])})
    if type_id in ("groupnorm", "channel_shuffle"):
        return st.fixed_dictionaries({"groups": st.sampled_from([g for g in (1, 2, 3) if in_channels % g == 0])})
    if type_id == "pointwise_dense":
        return st.fixed_dictionaries({"out_features": st.integers(1, 6), "bias": st.booleans()})
    if type_id == "channel_slice":
        return st.tuples(st.integers(0, 3), st.integers(1, 4)).map(lambda t: {"start": t[0], "stop": t[1]})
    if type_id == "prelu":
        return st.fixed_dictionaries({"per_channel": st.booleans()})
    if type_id == "dense":
        return st.fixed_dictionaries({"out_features": st.integers(1, 12), "bias": st.booleans()})
    if type_id == "batchnorm2d":
        return st.fixed_dictionaries({"affine": st.booleans()})
    if type_id == "dropout":
        return st.fixed_dictionaries({"p": st.floats(0, 0.9)})
    return st.just({})


@st.composite
def networks(draw) -> Graph:
    graph = Graph()
    source = graph.add_node("input", {"channels": draw(st.integers(1, 4)), "height": draw(st.integers(1, 14)),
                                      "width": draw(st.integers(1, 14))})
    nodes = [source.id]
    for _ in range(draw(st.integers(1, 7))):
        shapes = analyze(graph).nodes
        # Mostly extend the newest node, sometimes branch off an older one.
        src = draw(st.sampled_from(nodes)) if draw(st.booleans()) else nodes[-1]
        shape = shapes[src].output_shape
        if shape is None:
            break
        type_id = draw(st.sampled_from(SPATIAL_BLOCKS if len(shape) == 3 else FLAT_BLOCKS))
        sources = [src]
        if type_id in ("add", "concat", "multiply"):
            alike = [n for n in nodes if n != src and shapes[n].output_shape is not None and (
                shapes[n].output_shape == shape if type_id == "add"
                else len(shapes[n].output_shape) == 3 and shapes[n].output_shape[0] == shape[0]
                if type_id == "multiply"
                else shapes[n].output_shape[1:] == shape[1:])]
            if not alike:
                continue
            sources += draw(st.lists(st.sampled_from(alike), min_size=1, max_size=2, unique=True))
        node = graph.add_node(type_id, draw(params_for(type_id, shape[0])))
        for other in sources:
            graph.connect(other, node.id)
        nodes.append(node.id)
    last = nodes[-1]
    if len(analyze(graph).nodes[last].output_shape or (0, 0)) != 1:
        flatten = graph.add_node("flatten")
        graph.connect(last, flatten.id)
        last = flatten.id
    output = graph.add_node("output")
    graph.connect(last, output.id)
    return graph


class ShapeRecorder(fx.Interpreter):
    def __init__(self, module):
        super().__init__(module)
        self.shapes: dict[str, tuple[int, ...]] = {}

    def run_node(self, node):
        result = super().run_node(node)
        if isinstance(result, torch.Tensor):
            self.shapes[node.name] = tuple(result.shape[1:])
        return result


@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(networks(), st.integers(1, 3))
def test_inferred_shapes_and_params_match_torch(graph, batch):
    report = analyze(graph)
    if not report.valid:
        # Everything refused must be refused by the compiler the same way.
        try:
            compile_graph(graph)
        except InvalidGraphError as error:
            assert error.issues == report.errors
        else:
            raise AssertionError("an invalid graph compiled")
    assume(report.valid)
    model = compile_graph(graph)
    recorder = ShapeRecorder(model)
    (input_node,) = graph.nodes_of_type("input")
    with torch.no_grad():
        output = recorder.run(torch.randn(batch, *report.nodes[input_node.id].output_shape))
    for node_id in report.order:
        node = graph.nodes[node_id]
        if node.type != "output":
            assert recorder.shapes[node.name] == report.nodes[node_id].output_shape, node.name
    assert tuple(output.shape) == (batch, *report.nodes[graph.nodes_of_type("output")[0].id].output_shape)
    assert sum(p.numel() for p in model.parameters()) == report.total_params


@st.composite
def arbitrary_graphs(draw) -> Graph:
    """Any blocks with any edges: cycles, dangling nodes, wrong arities, bad shapes."""
    graph = Graph()
    for type_id in draw(st.lists(st.sampled_from(block_types()), min_size=1, max_size=8)):
        spec = block(type_id)
        params = draw(params_for(type_id, 6)) if type_id != "input" else {}
        graph.add_node(type_id, params)
    ids = list(graph.nodes)
    for src, dst in draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=12)):
        source, target = graph.nodes[src], graph.nodes[dst]
        if source.spec.outputs and target.spec.inputs and not any(
                e.src == src and e.dst == dst for e in graph.edges):
            graph.connect(src, dst)
    assert spec  # the last spec drawn exists
    return graph


def has_cycle(graph: Graph) -> bool:
    return any(graph.reaches(e.dst, e.src) for e in graph.edges)


@settings(max_examples=150)
@given(arbitrary_graphs())
def test_invalid_graphs_are_reported_never_raised(graph):
    report = analyze(graph)
    assert set(report.nodes) == set(graph.nodes)
    if has_cycle(graph) or not graph.nodes_of_type("input") or not graph.nodes_of_type("output"):
        assert not report.valid
    for issue in report.issues:
        assert issue.message and issue.severity in ("error", "warning")
    try:
        compile_graph(graph)
    except InvalidGraphError as error:
        assert not report.valid and error.issues == report.errors
