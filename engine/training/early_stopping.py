"""Early stopping: end a run once the validation loss has stopped improving.

Patience counts validations, not epochs, so it means the same thing whether
validation runs every epoch or every N (``val_every``). The state is rebuilt
from a run's history, so a resumed run keeps counting where it left off.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class EarlyStopping:
    """``update(val_loss)`` after each validation; it returns True when the run should end."""

    def __init__(self, patience: int) -> None:
        self.patience = patience  # 0: never stop
        self.best: float | None = None
        self.waited = 0

    @classmethod
    def from_history(cls, patience: int, history: Iterable[dict[str, Any]]) -> EarlyStopping:
        stopping = cls(patience)
        for entry in history:
            if entry.get("val_loss") is not None:
                stopping.update(entry["val_loss"])
        return stopping

    def update(self, val_loss: float) -> bool:
        if self.best is None or val_loss < self.best:
            self.best, self.waited = val_loss, 0
        else:
            self.waited += 1
        return self.patience > 0 and self.waited >= self.patience

    def note(self, epoch: int) -> str:
        return (f"early stopping after epoch {epoch}: the validation loss has not improved on {self.best:.4f} "
                f"for {self.waited} validation(s) (patience {self.patience})")
