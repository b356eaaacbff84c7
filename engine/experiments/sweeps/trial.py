"""One trial: the project with the trial's values, checked by analysis, trained into its own run folder.

Optuna (``optuna_driver``) and Ray Tune (``ray_tune``) both call ``run_trial``; they differ only in how a
trial's per-epoch score is reported and how pruning is decided (``report``).
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...analysis import analyze
from ...fileio import atomic_write_text
from ...project import Project, dumps_project
from ...training import Callback, StopToken
from ..folders import PROJECT_FILE
from ..recorder import RunRecorder
from .objectives import measure_latency
from .space import SweepError, SweepParam, apply_values

#: the trial's network and settings as a project file, in its run folder (the run's own snapshot)
NETWORK_FILE = PROJECT_FILE
#: report(score, epoch) → True when the trial should stop now (pruned)
Report = Callable[[float, int], bool]


class InvalidTrial(Exception):
    """The trial's values make a network analysis refuses (channels not divisible by groups, a shape
    that no longer fits): counted, never trained."""


class FailedTrial(Exception):
    """Training the trial failed (out of memory, a dataset problem…): counted, the sweep goes on."""


class PrunedTrial(Exception):
    def __init__(self, epoch: int, reason: str = "pruned") -> None:
        super().__init__(f"{reason} after epoch {epoch}")
        self.epoch, self.reason = epoch, reason


@dataclass
class TrialOutcome:
    objectives: dict[str, float]
    folder: Path
    metric_name: str
    macs: int
    params: int
    history: list[dict[str, Any]] = field(default_factory=list)


def trial_folder(runs_root: Path, study_name: str, number: int) -> Path:
    """A trial's run folder: beside the other runs, so the Runs list shows it (``digits-lr-trial-0003``)."""
    return Path(runs_root) / f"{study_name}-trial-{number:04d}"


def check_trial(project: Project, space: list[SweepParam], values: dict[str, Any]) -> tuple[Project, Any]:
    """The trial's project and its analysis; ``InvalidTrial`` when a value or the graph is refused."""
    try:
        trial_project = apply_values(project, space, values)
    except SweepError as error:
        raise InvalidTrial(str(error)) from None
    analysis = analyze(trial_project.graph, batch_size=trial_project.training.batch_size,
                       optimizer=trial_project.training.optimizer, task=trial_project.task)
    if not analysis.valid:
        raise InvalidTrial(str(analysis.errors[0]))  # analysis's messages name the nodes involved
    return trial_project, analysis


def run_trial(project: Project, space: list[SweepParam], values: dict[str, Any], objectives: Iterable[str],
              folder: Path, *, report: Report | None = None, stop: StopToken | None = None,
              callbacks: Iterable[Callback] = (), sweep_info: dict[str, Any] | None = None) -> TrialOutcome:
    """Trains one trial with the engine's ``Trainer`` (checkpoints in ``folder``) and measures its objectives.

    Raises ``InvalidTrial``, ``FailedTrial`` or ``PrunedTrial`` (pruned by ``report``, or stopped by ``stop``)."""
    from ...checkpoint import CheckpointError
    from ...compiler import InvalidGraphError
    from ...data import DatasetError
    from ...training import Trainer, TrainingError

    trial_project, analysis = check_trial(project, space, values)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "sweep.json", json.dumps({**(sweep_info or {}), "params": values}, indent=2) + "\n")
    atomic_write_text(folder / NETWORK_FILE, dumps_project(trial_project))  # what "open this trial" opens
    stop = stop or StopToken()
    # Each trial is a run like any other (run.json, metrics, TensorBoard): the Runs panel and
    # `convcanvas runs` list it, with the sweep it belongs to.
    recorder = RunRecorder(folder, trial_project, extra={"sweep": {**(sweep_info or {}), "params": values}})
    watcher = _EpochWatcher(report, stop, recorder)
    trainer = Trainer(trial_project, callbacks=[watcher, recorder, *callbacks], stop=watcher.trial_stop, out=folder)
    try:
        result = trainer.fit()
    except (TrainingError, DatasetError, CheckpointError) as error:
        raise FailedTrial(str(error)) from None
    except InvalidGraphError as error:
        raise InvalidTrial(str(error.issues[0]) if error.issues else str(error)) from None
    if watcher.pruned_at is not None:
        raise PrunedTrial(watcher.pruned_at)
    if result.stopped:
        raise PrunedTrial(result.epochs_completed, "stopped")
    score = result.best_val_accuracy
    if score is None or not math.isfinite(score):
        raise FailedTrial("no validation score: the run ended before its first validation")
    measured = {"accuracy": float(score), "macs": float(analysis.total_macs), "params": float(analysis.total_params)}
    wanted = tuple(objectives)
    if "latency" in wanted:
        measured["latency"] = measure_latency(result.model, trial_project.graph)
    return TrialOutcome({name: measured[name] for name in wanted}, folder,
                        result.metrics.get("best_metric", "val_accuracy"), analysis.total_macs,
                        analysis.total_params, list(result.history))


class _EpochWatcher(Callback):
    """Reports each validated epoch's score; stops the trial's training when it is pruned or the sweep stops."""

    def __init__(self, report: Report | None, sweep_stop: StopToken, recorder: RunRecorder) -> None:
        self.report, self.sweep_stop, self.recorder = report, sweep_stop, recorder
        self.trial_stop = _LinkedStop(sweep_stop)
        self.pruned_at: int | None = None

    def on_epoch_end(self, state, metrics) -> None:
        score = metrics.get(metrics.get("best_metric") or "val_accuracy")
        if self.report is not None and isinstance(score, (int, float)) and math.isfinite(score):
            if self.report(float(score), metrics["epoch"]) and metrics["epoch"] < state.epochs:
                self.pruned_at = metrics["epoch"]
                self.recorder.end_as("pruned")  # ended on purpose, not stopped by the user
                self.trial_stop.stop()


class _LinkedStop(StopToken):
    """A trial's stop token: stopped by pruning, or by the whole sweep's token."""

    def __init__(self, sweep_stop: StopToken) -> None:
        super().__init__()
        self.sweep_stop = sweep_stop

    @property
    def stopped(self) -> bool:
        return super().stopped or self.sweep_stop.stopped
