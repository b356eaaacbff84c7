"""The runs under a root as table rows: what ``convcanvas runs`` prints and the Runs panel shows."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .folders import METRICS_FILE, STATUS_FILE
from .metrics_log import read_metrics
from .status import RunStatusError, effective_status, read_status_file

MAX_DEPTH = 3
"""Run folders sit at most this deep under a root (``runs/<project>/<run>``)."""

# (key, heading) in table order; every one sorts (numbers as numbers, None last).
COLUMNS = (("started", "Started"), ("name", "Name"), ("network", "Network"), ("dataset", "Dataset"),
           ("task", "Task"), ("epochs", "Epochs"), ("best", "Best metric"), ("parameters", "Parameters"),
           ("macs", "MACs"), ("duration", "Duration"), ("status", "Status"), ("tags", "Tags"))
COLUMN_KEYS = tuple(key for key, _ in COLUMNS)


@dataclass
class RunRow:
    folder: Path
    started: str = ""
    name: str = ""
    network: str = ""
    dataset: str = ""
    task: str = ""
    epochs: int = 0
    epochs_planned: int = 0
    best_metric: str = ""
    best_value: float | None = None
    parameters: int | None = None
    macs: int | None = None
    duration: float | None = None
    status: str = ""
    tags: list[str] = field(default_factory=list)
    problem: str = ""
    """Why the run could not be read (its status is then ``unreadable``)."""

    @property
    def best(self) -> float | None:
        return self.best_value

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "folder": str(self.folder)}

    def sort_key(self, column: str) -> tuple:
        value = getattr(self, column)
        if isinstance(value, list):
            value = ", ".join(value)
        return (value is None, value if value is not None else 0)


def run_folders(root: str | Path) -> list[Path]:
    """Every folder under ``root`` (``root`` itself included) holding a ``run.json``, at most ``MAX_DEPTH`` deep."""
    root = Path(root)
    found = []
    for folder, subfolders, files in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts)
        if STATUS_FILE in files:
            found.append(Path(folder))
            subfolders[:] = []  # a run folder holds no runs
        elif depth >= MAX_DEPTH:
            subfolders[:] = []
        else:
            subfolders.sort()
    return found


def read_run(folder: str | Path) -> RunRow:
    """One run's row; an unreadable ``run.json`` gives a row that says so (the table never breaks)."""
    folder = Path(folder)
    try:
        status = read_status_file(folder / STATUS_FILE)
    except RunStatusError as error:
        return RunRow(folder, name=folder.name, status="unreadable", problem=str(error))
    state = effective_status(status)
    epochs = _int(status.get("epochs")) or 0
    best = _number(status.get("best_value"))
    if state == "interrupted":  # the status stopped at the last epoch it saw; the metrics file knows better
        epochs = max(epochs, len(read_metrics(folder / METRICS_FILE)))
    tags = status.get("tags")
    return RunRow(
        folder=folder, started=_str(status.get("started")), name=_str(status.get("name")) or folder.name,
        network=_str(status.get("network")), dataset=_str(status.get("dataset")), task=_str(status.get("task")),
        epochs=epochs, epochs_planned=_int(status.get("epochs_planned")) or 0,
        best_metric=_str(status.get("best_metric")), best_value=best, parameters=_int(status.get("parameters")),
        macs=_int(status.get("macs")), duration=_number(status.get("duration")), status=state,
        tags=[str(tag) for tag in tags] if isinstance(tags, list) else [])


def list_runs(root: str | Path, sort: str = "started", descending: bool = True) -> list[RunRow]:
    """The rows of every run under ``root``, newest first by default; a missing root has none."""
    if sort not in COLUMN_KEYS:
        raise ValueError(f"unknown column {sort!r} (known: {', '.join(COLUMN_KEYS)})")
    rows = [read_run(folder) for folder in run_folders(root)]
    present = [row for row in rows if row.sort_key(sort)[0] is False]
    missing = [row for row in rows if row.sort_key(sort)[0] is True]
    present.sort(key=lambda row: row.sort_key(sort), reverse=descending)
    return present + missing  # a run without the value sorts last either way


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
