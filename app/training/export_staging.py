"""Exports are written aside first, so that a cancelled export leaves no file behind.

The export job writes into a hidden staging folder beside the destination;
only an export that finishes and is still wanted moves its files (the
Python export writes two) into place, each with an atomic rename. A
cancelled one is deleted: no new file, and no file it would have replaced.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class StagedExport:
    """One export on its way: where it writes, where its files go, and whether it is still wanted."""

    target: Path
    folder: Path
    cancelled: bool = False
    made_parent: Path | None = None
    """The topmost destination folder this export created (removed again if nothing lands)."""

    @classmethod
    def beside(cls, target: Path) -> StagedExport:
        """A fresh staging folder in the destination's folder (same disk: the move is a rename);
        raises ``OSError``."""
        missing = [folder for folder in target.parents if not folder.exists()]
        target.parent.mkdir(parents=True, exist_ok=True)
        return cls(target, Path(tempfile.mkdtemp(prefix=".convcanvas-export-", dir=target.parent)),
                   made_parent=missing[-1] if missing else None)

    @property
    def staged_target(self) -> Path:
        """Where the export job writes (the destination's name, in the staging folder)."""
        return self.folder / self.target.name

    def publish(self, written: list[Path]) -> list[Path]:
        """Moves the files written into the destination's folder; returns their new paths."""
        placed = []
        try:
            for path in written:
                destination = self.target.parent / Path(path).name
                os.replace(path, destination)
                placed.append(destination)
            return placed
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def discard(self) -> None:
        """Deletes what the export wrote, and the folders it created for it."""
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.made_parent is not None:
            for folder in [self.target.parent, *self.target.parent.parents]:
                try:
                    folder.rmdir()  # only empty folders go
                except OSError:
                    break
                if folder == self.made_parent:
                    break
