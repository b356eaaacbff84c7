"""What a training run gives back: ``FitResult``.

Its own module so that the callbacks (which receive it) and the trainer (which
makes it) both import it without importing each other.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..project import Project

if TYPE_CHECKING:
    from torch import nn


@dataclass
class FitResult:
    project: Project
    """The project as trained (the graph snapshot, adapted if asked, and the settings used)."""
    model: nn.Module
    """The trained network, in eval mode, on the training device."""
    history: list[dict[str, Any]]
    metrics: dict[str, Any]
    """The last finished epoch's metrics, with its confusion matrix (empty if none finished)."""
    epochs_completed: int
    stopped: bool
    best_epoch: int | None
    best_val_accuracy: float | None
    last_checkpoint: Path | None
    best_checkpoint: Path | None
    class_names: list[str]
    device: str
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    early_stopped: bool = False
    """True when early stopping (``patience``) ended the run: a normal finish, unlike ``stopped``."""

    def _last(self, key: str) -> float:
        """The latest value of ``key`` (epochs without validation have None for val_*)."""
        values = [entry[key] for entry in self.history if entry.get(key) is not None]
        return float(values[-1]) if values else float("nan")

    @property
    def train_loss(self) -> float:
        return self._last("train_loss")

    @property
    def val_loss(self) -> float:
        return self._last("val_loss")

    @property
    def val_accuracy(self) -> float:
        return self._last("val_accuracy")

    @property
    def val_miou(self) -> float:
        """A segmentation run's latest validation mean IoU (nan for classification)."""
        return self._last("val_miou")

    @property
    def val_map50(self) -> float:
        """A detection run's latest validation mAP@0.5 (nan for other tasks, or without a COCO evaluator)."""
        return self._last("val_map50")

    @property
    def val_map(self) -> float:
        """A detection run's latest validation mAP@[.5:.95] (nan for other tasks, or without a COCO evaluator)."""
        return self._last("val_map")
