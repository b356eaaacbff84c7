"""Turns a valid ``Graph`` into a real PyTorch module via ``torch.fx``.

Each module block becomes a submodule named after its node, so ``state_dict``
keys read ``conv1.weight`` (``layer1.0.conv1.weight`` inside a composite block
called ``layer1.0``); function blocks (Add, Concat) become fx function calls. An invalid graph is refused with the analysis issues, never with a raw
torch error.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .analysis import Analysis, Issue, analyze
from .graph import Graph

if TYPE_CHECKING:
    import torch
    from torch import fx, nn

# torch is imported where a network is built, not here: the window and the analysis import this
# module (InvalidGraphError, input_shape) long before anything needs torch (see bench_startup).


class InvalidGraphError(ValueError):
    """The graph has errors; ``issues`` lists them (with hints)."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        lines = "\n".join(f"- {issue}" for issue in issues)
        super().__init__(f"the network cannot be built; fix these first:\n{lines}")


def class_name_for(title: str) -> str:
    """``"LeNet-5"`` → ``"LeNet5"``; a valid Python class name for any title."""
    words = re.findall(r"[A-Za-z0-9]+", title)
    name = "".join(word[:1].upper() + word[1:] for word in words) or "Network"
    return name if name[0].isalpha() else f"Net{name}"


def ordered_inputs(graph: Graph, node_id: str) -> list[str]:
    """Source node ids in connection order (the order Concat joins them)."""
    return [edge.src for edge in graph.incoming(node_id)]


def compile_graph(graph: Graph, analysis: Analysis | None = None, name: str = "Network") -> fx.GraphModule:
    """A ``torch.fx.GraphModule`` computing ``graph``; raises ``InvalidGraphError`` if it has errors."""
    # Structure only: the task's output contract is checked where the task is known (trainer, app, CLI).
    analysis = analysis or analyze(graph, task=None)
    if not analysis.valid:
        raise InvalidGraphError(analysis.errors)
    from torch import fx, nn

    root = nn.Module()
    fx_graph = fx.Graph()
    values: dict[str, fx.Node] = {}
    result: fx.Node | None = None
    for node_id in analysis.order:
        node = graph.nodes[node_id]
        spec, report = node.spec, analysis.nodes[node_id]
        args = [values[src] for src in ordered_inputs(graph, node_id)]
        if spec.is_source:
            values[node_id] = fx_graph.placeholder(node.name)
        elif spec.is_sink:
            result = args[0]
        elif spec.module is not None:
            path = graph.module_path(node_id)
            _add_module(root, path, spec.module(node.params, report.input_shapes).build())
            values[node_id] = fx_graph.call_module(path, tuple(args))
        else:
            values[node_id] = fx_graph.call_function(spec.function, (args,), name=node.name)
    # After the loop: fx wants the output last, and unused branches may follow it in order.
    fx_graph.output(result)
    module = fx.GraphModule(root, fx_graph, class_name=class_name_for(name))
    module.eval()
    return module


def _add_module(root: nn.Module, path: str, module: nn.Module) -> None:
    """Adds ``module`` at a dotted ``path``, creating containers on the way, in call order
    (so the ``state_dict`` reads in the order the network computes)."""
    from torch import nn

    *parents, leaf = path.split(".")
    owner = root
    for part in parents:
        if not hasattr(owner, part):
            owner.add_module(part, nn.Module())
        owner = getattr(owner, part)
    owner.add_module(leaf, module)


def input_shape(graph: Graph) -> tuple[int, int, int]:
    """The (C, H, W) of the graph's Input node."""
    (node,) = graph.nodes_of_type("input")
    return (node.params["channels"], node.params["height"], node.params["width"])


def input_window(graph: Graph):
    """The Input node's window/level (``engine.data.windowing.Window``) for high-bit-depth images."""
    from .data.windowing import window_of_params

    (node,) = graph.nodes_of_type("input")
    return window_of_params(node.params)


def input_normalisation(graph: Graph) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """The Input node's own per-channel (mean, std), or None: normalised with the training split's."""
    from .data.normalisation_text import normalisation_of_params

    (node,) = graph.nodes_of_type("input")
    return normalisation_of_params(node.params)


def example_input(graph: Graph, batch: int = 1) -> torch.Tensor:
    import torch

    return torch.randn(batch, *input_shape(graph))
