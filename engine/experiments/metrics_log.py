"""Per-epoch metrics as JSON Lines: one line appended (and synced) per epoch, read back tolerantly.

Appending a line is cheap and never rewrites what is already there, so a
kill mid-write can tear only the last line; readers skip a line that does
not parse (a torn one) instead of failing the whole run.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..fileio import atomic_write_text
from ..reading import MB, RefusedFile, read_limited

MAX_METRICS_BYTES = 64 * MB
"""Far above any run's epochs (a line is ~1 KB), far below what would exhaust memory."""


def _line(entry: dict[str, Any]) -> str:
    # Epoch entries hold plain numbers; anything else (a tensor slipped in) becomes text, not a crash.
    return json.dumps(entry, default=str, separators=(",", ":")) + "\n"


def start_metrics(path: Path, history: list[dict[str, Any]]) -> None:
    """A fresh metrics file holding ``history`` (a resumed run's earlier epochs), written atomically."""
    atomic_write_text(path, "".join(_line(entry) for entry in history))


def append_metrics(path: Path, entry: dict[str, Any]) -> None:
    """Appends one epoch's line and syncs it to disk (once per epoch: never per batch)."""
    with open(path, "a", encoding="utf-8") as file:
        file.write(_line(entry))
        file.flush()
        os.fsync(file.fileno())


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Every complete epoch line; a torn or unreadable line (a kill mid-write) is skipped; a missing
    or unreadable file reads as no epochs."""
    try:
        data = read_limited(path, "metrics file", MAX_METRICS_BYTES)
    except (OSError, RefusedFile):
        return []
    entries = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries
