"""Hooks for watching a run: Lightning-style callbacks with no-op methods.

Subclass ``Callback`` and override the hooks you need. The trainer calls
them in this order::

    on_fit_start
      on_epoch_start
        on_batch_end        (throttled: about every ``report_interval`` seconds,
                             and always after the last batch of an epoch)
      on_validation_end
      on_epoch_end          (after the epoch's checkpoint is written)
    on_fit_end              (also after a stop request)
    on_exception            (instead of on_fit_end when the run fails)

Hooks run on the training thread (the app's worker thread), on every rank
of a distributed run; ``state.is_main`` tells rank 0 apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from torch import nn

    from ..config import TrainingConfig
    from ..project import Project
    from .results import FitResult


@dataclass
class TrainingState:
    """What a run is doing; the trainer updates it in place."""

    epochs: int
    batches_per_epoch: int
    class_names: list[str]
    device: str
    notes: list[str] = field(default_factory=list)
    epoch: int = 0
    """The current epoch, counted from 1 (0 before the first)."""
    batch: int = 0
    """Batches done in the current epoch."""
    global_step: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    rank: int = 0
    world_size: int = 1
    model: nn.Module | None = None
    """The network being trained (not the DistributedDataParallel wrapper)."""
    project: Project | None = None
    """The project as trained (the graph snapshot, adapted if asked); set before ``on_fit_start``."""
    config: TrainingConfig | None = None
    """The resolved training settings of the run; set before ``on_fit_start``."""

    @property
    def is_main(self) -> bool:
        return self.rank == 0


class Callback:
    def on_fit_start(self, state: TrainingState) -> None:
        pass

    def on_epoch_start(self, state: TrainingState) -> None:
        pass

    def on_batch_end(self, state: TrainingState, metrics: dict[str, Any]) -> None:
        """``metrics``: loss and accuracy (running means over the epoch so far), images_per_second,
        lr, epoch, batch, batches_per_epoch, eta_seconds."""

    def on_validation_end(self, state: TrainingState, metrics: dict[str, Any]) -> None:
        """``metrics``: val_loss, val_accuracy, confusion (rows: true class), per_class_accuracy."""

    def on_epoch_end(self, state: TrainingState, metrics: dict[str, Any]) -> None:
        """``metrics``: the epoch's history entry plus the confusion matrix and per-class accuracy."""

    def on_fit_end(self, state: TrainingState, result: FitResult) -> None:
        pass

    def on_exception(self, state: TrainingState, error: BaseException) -> None:
        pass


class CallbackList(Callback):
    """Calls every callback's hook in turn."""

    def __init__(self, callbacks: list[Callback]) -> None:
        self.callbacks = list(callbacks)

    def on_fit_start(self, state):
        for callback in self.callbacks:
            callback.on_fit_start(state)

    def on_epoch_start(self, state):
        for callback in self.callbacks:
            callback.on_epoch_start(state)

    def on_batch_end(self, state, metrics):
        for callback in self.callbacks:
            callback.on_batch_end(state, metrics)

    def on_validation_end(self, state, metrics):
        for callback in self.callbacks:
            callback.on_validation_end(state, metrics)

    def on_epoch_end(self, state, metrics):
        for callback in self.callbacks:
            callback.on_epoch_end(state, metrics)

    def on_fit_end(self, state, result):
        for callback in self.callbacks:
            callback.on_fit_end(state, result)

    def on_exception(self, state, error):
        for callback in self.callbacks:
            callback.on_exception(state, error)
