"""Small graphs built with the engine API, shared by the engine tests."""
from __future__ import annotations

from engine import Graph


def chain(graph: Graph, *specs: tuple[str, dict]) -> list[str]:
    """Adds nodes and connects each to the next; returns their ids."""
    ids = [graph.add_node(type_id, params).id for type_id, params in specs]
    for src, dst in zip(ids, ids[1:]):
        graph.connect(src, dst)
    return ids


def lenet5() -> Graph:
    graph = Graph()
    tanh = ("activation", {"function": "tanh"})
    chain(graph,
          ("input", {"channels": 1, "height": 32, "width": 32}),
          ("conv2d", {"out_channels": 6, "kernel_size": 5}), tanh, ("avgpool2d", {}),
          ("conv2d", {"out_channels": 16, "kernel_size": 5}), tanh, ("avgpool2d", {}),
          ("flatten", {}), ("dense", {"out_features": 120}), tanh,
          ("dense", {"out_features": 84}), tanh, ("dense", {"out_features": 10}), ("output", {}))
    return graph


def residual() -> Graph:
    """Input → conv → (conv → bn) + shortcut → concat with a 1×1 branch → pool → dense → output."""
    graph = Graph()
    _, stem = chain(graph,
                    ("input", {"channels": 3, "height": 16, "width": 16}),
                    ("conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1}))
    body = chain(graph, ("conv2d", {"out_channels": 8, "kernel_size": 3, "padding": "same"}),
                 ("batchnorm2d", {}))
    graph.connect(stem, body[0])
    add = graph.add_node("add").id
    graph.connect(body[-1], add)
    graph.connect(stem, add)
    side = graph.add_node("conv2d", {"out_channels": 4, "kernel_size": 1}).id
    graph.connect(stem, side)
    concat = graph.add_node("concat").id
    graph.connect(add, concat)
    graph.connect(side, concat)
    tail = chain(graph, ("activation", {"function": "relu"}), ("adaptiveavgpool2d", {"output_size": 2}),
                 ("flatten", {}), ("dropout", {"p": 0.1}), ("dense", {"out_features": 5}), ("output", {}))
    graph.connect(concat, tail[0])
    return graph


def seg_graph(size: int = 16, upsample: bool = True, classes: int = 3) -> Graph:
    """Input → conv → pool (half size) → [upsample] → 1×1 conv (classes) → Output."""
    graph = Graph()
    specs = [("input", {"channels": 3, "height": size, "width": size}),
             ("conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
             ("maxpool2d", {})]
    if upsample:
        specs.append(("upsample", {"scale_factor": 2.0}))
    specs += [("conv2d", {"out_channels": classes, "kernel_size": 1}), ("output", {})]
    ids = [graph.add_node(t, p).id for t, p in specs]
    for src, dst in zip(ids, ids[1:]):
        graph.connect(src, dst)
    return graph


def det_graph(size: int = 32, channels: int = 7, strides: int = 2) -> Graph:
    """Input → (3×3 conv, stride 2)×strides → 1×1 conv (channels: classes + 4) → Output: a detection head."""
    graph = Graph()
    specs = [("input", {"channels": 3, "height": size, "width": size})]
    specs += [("conv2d", {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1})] * strides
    specs += [("conv2d", {"out_channels": channels, "kernel_size": 1}), ("output", {})]
    ids = [graph.add_node(t, p).id for t, p in specs]
    for src, dst in zip(ids, ids[1:]):
        graph.connect(src, dst)
    return graph
