"""The ``Task`` interface: what a task decides, as one small object per task."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..catalogue import Shape

if TYPE_CHECKING:
    import torch
    from torch import nn


class TaskError(ValueError):
    """An unknown task name, or settings a task cannot use; the message is one line for people."""


@dataclass(frozen=True)
class OutputProblem:
    """Why the network's output does not fit the task, and how to fix it (shown on the Output card)."""

    message: str
    hint: str


def class_indices(scores: torch.Tensor) -> torch.Tensor:
    """The highest-scoring class along dim 1: (N, K) → (N,), (N, K, H, W) → (N, H, W), ties to the lowest
    index, exactly as ``argmax(1)``. ``max(1)`` rather than ``argmax(1)``: on a CPU, torch's argmax over a
    dimension that is not the last one is about 7× slower (a 16×4×32×32 batch of masks: 7.4 ms against
    0.8 ms on one thread, a tenth of a unet-small training step)."""
    return scores.max(1).indices


class Task:
    """One kind of problem a network solves. Subclasses fill in every method.

    ``name``: the id stored in project files and given to ``--task``.
    ``target_kind``: what a sample's target is: ``"label"`` (one class index), ``"mask"``
    (one class index per pixel, H×W), ``"boxes"`` or ``"findings"`` (0/1 per finding, K).
    ``dataset_kinds``: the dataset names this task can train on (a folder path is always allowed,
    read the task's way).
    ``live_views``: the app's views for this task, by id, in the order to show them.
    ``score_name``: the validation metric (a key of the ``on_validation_end`` dict) that picks the
    best epoch, higher is better.
    """

    name: str = ""
    title: str = ""
    target_kind: str = ""
    dataset_kinds: tuple[str, ...] = ()
    live_views: tuple[str, ...] = ()
    score_name: str = "val_accuracy"
    has_confusion: bool = True
    """Whether validation counts a class confusion matrix (detection's boxes have none)."""
    counts_classes: bool = True
    """Whether the Output's width follows the dataset's classes (an embedding's size does not)."""

    def check_output(self, output: Shape, input_shape: Shape | None, source: str) -> OutputProblem | None:
        """None when the Output's input shape ``output`` fits this task for an Input of ``input_shape``
        (C, H, W); else what is wrong. ``source`` names the node feeding the Output. Pure Python."""
        raise NotImplementedError

    def classes_of_output(self, output: Shape) -> int | None:
        """How many classes an Output of this shape scores (None when the shape does not fit the task)."""
        raise NotImplementedError

    def prepare_model(self, model: nn.Module) -> None:
        """Task-specific initialisation of a fresh network before training (before any pretrained weights
        load); most tasks need none."""

    def output_width(self, num_classes: int) -> int:
        """The channels (or units) of the layer feeding the Output for ``num_classes`` classes."""
        return num_classes

    def loss(self, *, num_classes: int, label_smoothing: float = 0.0,
             class_weights: list[float] | None = None) -> nn.Module:
        """The training criterion: ``loss(logits, targets)`` → a scalar tensor."""
        raise NotImplementedError

    def validation_loss(self, criterion: nn.Module) -> nn.Module:
        """The loss validation reports; the training loss unless the task's cannot score held-out data
        (an embedding's ArcFace has no class centre for the validation identities)."""
        return criterion

    def correct_and_count(self, logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Correct predictions and how many were counted in one batch (both device tensors, no sync):
        images for classification, labelled pixels for segmentation. Train and validation accuracy."""
        raise NotImplementedError

    def metrics(self, num_classes: int, device: Any) -> TaskMetrics:
        """A fresh validation accumulator (torchmetrics underneath) on ``device``. Classification and
        multi-label also take ``target_sensitivity`` (their operating point; engine.tasks.clinical)."""
        raise NotImplementedError

    def decode(self, logits: torch.Tensor) -> torch.Tensor:
        """The network's raw output (N, …) → predictions: class indices (N,) or masks (N, H, W)."""
        return class_indices(logits)

    def decode_source(self) -> str:
        """A comment for exported Python saying how to turn the output into predictions."""
        raise NotImplementedError

    def export_metadata(self, metrics: dict[str, Any]) -> dict[str, str]:
        """What an export carries beside the network for this task (an embedding's verification threshold),
        from a checkpoint's ``metrics``: ONNX metadata, TorchScript extra files. Most tasks carry none."""
        return {}

    def export_helpers(self, metadata: dict[str, str]) -> list[str]:
        """Source lines the Python export adds after its constants (an embedding's ``compare`` function)."""
        return []


class TaskMetrics:
    """Accumulates validation batches; ``compute`` returns plain values for the metrics dict."""

    def update(self, logits: torch.Tensor, targets: torch.Tensor) -> None:
        raise NotImplementedError

    def compute(self) -> dict[str, Any]:
        raise NotImplementedError
