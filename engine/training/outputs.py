"""Where a run writes its checkpoints, and writing them (rank 0 only)."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..checkpoint import save_checkpoint
from ..fileio import atomic_write, check_writable


@dataclass(frozen=True)
class CheckpointPaths:
    last: Path
    """Written after every epoch: where to resume from."""
    best: Path
    """A copy of the epoch with the best validation accuracy: what to export."""

    @classmethod
    def for_output(cls, out: str | os.PathLike) -> CheckpointPaths:
        """A folder gets ``last.pt`` and ``best.pt``; ``name.pt`` gets ``name.pt`` (best) and ``name-last.pt``."""
        out = Path(out)
        if out.suffix == ".pt":
            return cls(last=out.with_name(f"{out.stem}-last.pt"), best=out)
        return cls(last=out / "last.pt", best=out / "best.pt")

    def check_writable(self) -> None:
        """``WriteError`` now, rather than after the first epoch, when a checkpoint cannot be written."""
        check_writable(self.last)
        check_writable(self.best)


def write_epoch_checkpoints(paths: CheckpointPaths, *, is_best: bool, **fields: Any) -> None:
    """Saves ``last`` and, for a new best epoch, copies it to ``best`` (both atomically)."""
    save_checkpoint(paths.last, **fields)
    if is_best:
        atomic_write(paths.best, lambda temp: shutil.copyfile(paths.last, temp))

