"""Fine-tuning: which nodes are the classifier head, and freezing the rest.

A frozen node keeps its weights while the network trains (``Node.frozen``):
its parameters get no gradient and are left out of the optimiser, and a
frozen BatchNorm stays in eval mode so its running statistics do not move
either. "Freeze everything but the head" is the usual first step when a
pretrained network meets a new dataset: only the classifier learns.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .analysis import Analysis, analyze
from .graph import Graph, reachable_from

if TYPE_CHECKING:
    from torch import nn  # imported where a model is frozen, not here: the canvas imports this module

# Blocks after which the features are a vector: the classifier head starts here.
_FLATTENING = ("flatten",)


def _neighbours(graph: Graph, forward: bool) -> dict[str, list[str]]:
    neighbours: dict[str, list[str]] = {node_id: [] for node_id in graph.nodes}
    for edge in graph.edges:
        if forward:
            neighbours[edge.src].append(edge.dst)
        else:
            neighbours[edge.dst].append(edge.src)
    return neighbours


def _is_boundary(graph: Graph, analysis: Analysis, node_id: str) -> bool:
    """A Flatten, or a pooling whose output is one value per channel (global pooling)."""
    node = graph.nodes[node_id]
    if node.type in _FLATTENING:
        return True
    shape = analysis.nodes[node_id].output_shape if node_id in analysis.nodes else None
    return node.spec.category == "pooling" and shape is not None and len(shape) == 3 and tuple(shape[1:]) == (1, 1)


def parameter_nodes(graph: Graph, analysis: Analysis | None = None) -> list[str]:
    """Ids of the nodes that carry weights, in graph order."""
    analysis = analysis or analyze(graph)
    return [node_id for node_id in graph.nodes if node_id in analysis.nodes and analysis.nodes[node_id].params > 0]


def head_nodes(graph: Graph, analysis: Analysis | None = None) -> list[str]:
    """The classifier head: the weight-carrying nodes after the last Flatten (or global pooling) on the
    way to the Output; without one, the last weight-carrying node before the Output. Graph order."""
    analysis = analysis or analyze(graph)
    outputs = graph.nodes_of_type("output")
    carriers = parameter_nodes(graph, analysis)
    if not outputs or not carriers:
        return []
    upstream = reachable_from([node.id for node in outputs], _neighbours(graph, forward=False))
    order = analysis.order or list(graph.nodes)
    boundaries = [node_id for node_id in order if node_id in upstream and _is_boundary(graph, analysis, node_id)]
    if boundaries:
        after = reachable_from([boundaries[-1]], _neighbours(graph, forward=True))
        head = [node_id for node_id in carriers if node_id in after and node_id in upstream]
        if head:
            return head
    last = [node_id for node_id in order if node_id in upstream and node_id in carriers]
    return last[-1:]


def freeze_plan(graph: Graph, analysis: Analysis | None = None) -> dict[str, bool]:
    """The frozen state "freeze all but the head" gives each node whose state must change."""
    analysis = analysis or analyze(graph)
    head = set(head_nodes(graph, analysis))
    wanted = {node_id: node_id not in head for node_id in parameter_nodes(graph, analysis)}
    return {node_id: frozen for node_id, frozen in wanted.items() if graph.nodes[node_id].frozen != frozen}


def freeze_all_but_head(graph: Graph) -> list[str]:
    """Freezes every weight-carrying node except the head (which is unfrozen); returns the ids changed."""
    plan = freeze_plan(graph)
    for node_id, frozen in plan.items():
        graph.set_frozen(node_id, frozen)
    return list(plan)


def unfreeze_plan(graph: Graph) -> dict[str, bool]:
    return {node_id: False for node_id, node in graph.nodes.items() if node.frozen}


@dataclass(frozen=True)
class BlockFreezing:
    """How much of a composite block is frozen, counted over its layers with weights."""

    weighted: list[str]
    """Members that carry weights (or are frozen anyway), in member order."""
    frozen: list[str]

    @property
    def all_frozen(self) -> bool:
        return bool(self.weighted) and len(self.frozen) == len(self.weighted)

    @property
    def partly_frozen(self) -> bool:
        return bool(self.frozen) and not self.all_frozen


def block_freezing(graph: Graph, group, analysis: Analysis) -> BlockFreezing:
    """A block counts as frozen when every member with weights is: a ReLU has nothing to keep."""
    weighted = [node_id for node_id in group.members if node_id in graph.nodes and (
        graph.nodes[node_id].frozen or (node_id in analysis.nodes and analysis.nodes[node_id].params > 0))]
    return BlockFreezing(weighted, [node_id for node_id in weighted if graph.nodes[node_id].frozen])


# --- in training -------------------------------------------------------------------------------------


def frozen_modules(graph: Graph, model: nn.Module) -> dict[str, nn.Module]:
    """Module path → module of every frozen node that has a module in ``model``."""
    found = {}
    for node_id, node in graph.nodes.items():
        if node.frozen and node.spec.module is not None:
            path = graph.module_path(node_id)
            try:
                found[path] = model.get_submodule(path)
            except AttributeError:
                continue
    return found


def freeze_modules(modules: dict[str, nn.Module]) -> int:
    """Turns off gradients of the modules' parameters; returns how many tensors were frozen."""
    count = 0
    for module in modules.values():
        for parameter in module.parameters():
            parameter.requires_grad_(False)
            count += 1
    return count


def keeps_statistics(module: nn.Module) -> bool:
    """True for modules whose running statistics move in train mode (BatchNorm)."""
    from torch import nn

    return isinstance(module, nn.modules.batchnorm._BatchNorm) and module.track_running_stats


def set_train_mode(model: nn.Module, frozen: dict[str, nn.Module]) -> None:
    """``model.train()``, except that frozen BatchNorm layers stay in eval mode (their statistics stay put)."""
    model.train()
    for module in frozen.values():
        for part in module.modules():
            if keeps_statistics(part):
                part.eval()
