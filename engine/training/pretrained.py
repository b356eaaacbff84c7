"""A run's starting point: the project's initial weights, and its frozen nodes.

Both are applied by the trainer right after the network is compiled (and,
when asked, adapted to the dataset). Tensors of the weights file that do
not fit — a head replaced to give another number of classes — keep their
fresh initialisation and are named in the run's notes, never dropped
silently.
"""
from __future__ import annotations

from torch import nn

from ..finetune import freeze_modules, frozen_modules
from ..graph import Graph
from ..project import Project, weights_path
from ..weights import WeightsError, apply_weights, match_weights, read_weights_file
from .errors import TrainingError

NOTE_PREFIX = "initial weights"
"""Every note about the initial weights starts so (the app shows these lines to people)."""


def load_initial_weights(project: Project, graph: Graph, model: nn.Module) -> list[str]:
    """Loads ``project``'s initial weights into ``model`` (compiled from ``graph``); returns notes for the
    run log. Raises ``TrainingError`` when the file is missing, unreadable, or fits nothing."""
    path = weights_path(project)
    if path is None:
        return []
    name = project.weights_source or path.name
    if not path.is_file():
        raise TrainingError(f"the initial weights file {path} ({name}) is missing: put it back, or load other "
                            "weights (Model ▸ Load Pretrained Weights…, or convcanvas train --weights)")
    try:
        match = match_weights(graph, read_weights_file(path), model)
    except WeightsError as error:
        raise TrainingError(f"the initial weights cannot be used: {error}") from None
    if not match.usable:
        raise TrainingError(f"the initial weights {path.name} do not fit this network: {match.describe()}")
    apply_weights(model, match)
    notes = [f"{NOTE_PREFIX}: {name}: {match.summary()}"]
    if not match.complete:
        notes.append(f"{NOTE_PREFIX}: {match.describe()}")
    return notes


def apply_freezing(graph: Graph, model: nn.Module) -> tuple[list[nn.Parameter], dict[str, nn.Module], list[str]]:
    """Freezes the frozen nodes' parameters; returns the parameters left to train, the frozen modules
    (for ``set_train_mode``) and a note. Raises ``TrainingError`` when everything is frozen."""
    frozen = frozen_modules(graph, model)
    count = freeze_modules(frozen)
    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    if not frozen or not count:
        return trainable, frozen, []
    if not trainable:
        raise TrainingError("every layer with weights is frozen, so training would change nothing: unfreeze "
                            "some (Model ▸ Freeze All but the Head keeps the classifier trainable)")
    names = [graph.nodes[node_id].name for node_id, node in graph.nodes.items()
             if node.frozen and graph.module_path(node_id) in frozen]
    shown = ", ".join(names[:6]) + (f" … and {len(names) - 6} more" if len(names) > 6 else "")
    note = (f"frozen: {len(names)} layer(s) keep their weights ({shown}); "
            f"{len(trainable)} of {len(trainable) + count} weight tensors train")
    return trainable, frozen, [note]
