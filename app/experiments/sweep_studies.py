"""The window's sweeps kept in a runs folder's Optuna database, so the Sweep dialog can continue one.

Each sweep the dialog starts keeps what the dialog was set to (parameters, trials, epochs, objective,
pruning) as a user attribute of its study; reading it back fills the dialog as it was, so a sweep
stopped (or cut short by closing the window) continues where it stopped, as ``convcanvas sweep`` does
after a kill. No Qt here: the dialog calls it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: the study's user attribute holding the dialog's settings
WINDOW_ATTR = "window"
#: row states that do not count as done (the engine's ``Sweep.finished_count``)
NOT_DONE = ("running", "interrupted")


@dataclass
class SavedSweep:
    name: str
    settings: dict[str, Any]
    """``params`` (the dialog's NAME=RANGE texts), ``trials``, ``minutes``, ``epochs``, ``objectives``,
    ``pruning`` and ``project`` (which project it sweeps)."""
    rows: list = field(default_factory=list)
    """The study's ``TrialRow``s."""

    @property
    def done(self) -> int:
        return sum(row.state not in NOT_DONE for row in self.rows)

    @property
    def target(self) -> int:
        return int(self.settings.get("trials", 0))

    def label(self) -> str:
        return f"Continue sweep '{self.name}' ({self.done} of {self.target} trials done)"


def project_key(path: Path | None, name: str) -> str:
    """Which project a sweep belongs to: its file, else (never saved) its name."""
    return str(Path(path).resolve()) if path else f"unsaved:{name}"


def window_settings(key: str, params: list[str], trials: int, minutes: int, epochs: int,
                    objectives: tuple[str, ...], pruning: bool) -> dict[str, Any]:
    return {"project": key, "params": list(params), "trials": trials, "minutes": minutes,
            "epochs": epochs, "objectives": list(objectives), "pruning": pruning}


def saved_sweeps(runs_root: Path, key: str) -> list[SavedSweep]:
    """The window's sweeps of the project ``key`` (``project_key``) in ``runs_root``'s database, newest first; [] when it has none.
    Raises ``SweepError`` when the database cannot be read."""
    from engine.experiments.sweeps.results import study_rows
    from engine.experiments.sweeps.study import DEFAULT_DATABASE, default_storage, open_storage

    if not (Path(runs_root) / DEFAULT_DATABASE).is_file():
        return []  # never made here: opening it would create it
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(default_storage(runs_root))
    try:
        found = []
        for summary in optuna.get_all_study_summaries(storage, include_best_trial=False):
            settings = summary.user_attrs.get(WINDOW_ATTR)
            if not isinstance(settings, dict) or settings.get("project") != key:
                continue
            study = optuna.load_study(study_name=summary.study_name, storage=storage)
            found.append((summary.datetime_start, SavedSweep(summary.study_name, settings,
                                                             study_rows(study, tuple(settings["objectives"])))))
    finally:
        engine = getattr(storage, "engine", None)
        if engine is not None:
            engine.dispose()  # no SQLite connection left open behind the dialog
    found.sort(key=lambda pair: (pair[0] is not None, pair[0] or 0, pair[1].name), reverse=True)
    return [saved for _, saved in found]
