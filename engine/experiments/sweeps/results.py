"""A study's trials as rows people read: the trial lines, the window's table, the Pareto front, importances."""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

from .objectives import LABELS

#: trial row states, in the words the lines and the table use
STATES = ("complete", "pruned", "invalid", "failed", "interrupted", "stopped", "running")


@dataclass
class TrialRow:
    number: int
    state: str
    values: dict[str, float] = field(default_factory=dict)
    """Objective name → value (complete trials only)."""
    params: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    metric: float | None = None
    """The task's best validation score (also for a trial pruned after some epochs)."""
    metric_name: str = ""
    macs: int | None = None
    parameters: int | None = None
    folder: str = ""
    seconds: float | None = None

    def line(self) -> str:
        """One line per trial: ``trial 3  complete  metric 0.912  MACs 1.2M  lr=0.003 conv1.out_channels=24``."""
        settings = " ".join(f"{name}={_short(value)}" for name, value in self.params.items())
        if self.state == "complete":
            result = "  ".join(f"{LABELS[name]} {_short(value)}" for name, value in self.values.items())
        else:
            result = self.message or self.state
        took = f"  ({self.seconds:.1f} s)" if self.seconds is not None else ""
        return f"trial {self.number}  {self.state:<8}  {result}  {settings}{took}".rstrip()

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def row_from_trial(trial, objectives: tuple[str, ...]) -> TrialRow:
    """A row from an Optuna ``FrozenTrial`` made by a ConvCanvas sweep."""
    from optuna.trial import TrialState

    attrs = trial.user_attrs
    state = {TrialState.COMPLETE: "complete", TrialState.PRUNED: "pruned", TrialState.FAIL: "failed",
             TrialState.RUNNING: "running", TrialState.WAITING: "running"}[trial.state]
    message = ""
    if "invalid" in attrs:
        state, message = "invalid", f"invalid: {attrs['invalid']}"
    elif "stopped" in attrs:
        state, message = "stopped", f"stopped after epoch {attrs['stopped']}"
    elif state == "pruned":
        message = f"pruned after epoch {attrs.get('pruned', trial.last_step or 0)}"
    elif attrs.get("interrupted"):
        state, message = "interrupted", "interrupted (its process ended): run again"
    elif state == "failed":
        message = f"failed: {attrs.get('failed', 'see the log')}"
    values = dict(zip(objectives, trial.values)) if trial.values is not None else {}
    seconds = trial.duration.total_seconds() if trial.duration is not None else None
    metric = attrs.get("metric")
    if metric is None and trial.intermediate_values:
        metric = max(trial.intermediate_values.values())
    return TrialRow(trial.number, state, values, dict(trial.params), message, metric, attrs.get("metric_name", ""),
                    attrs.get("macs"), attrs.get("parameters"), attrs.get("run_folder", ""), seconds)


def study_rows(study, objectives: tuple[str, ...]) -> list[TrialRow]:
    return [row_from_trial(trial, objectives) for trial in study.get_trials(deepcopy=False)]


def pareto_numbers(study) -> list[int]:
    """The trial numbers on the Pareto front (the best trial for one objective); [] before any completes."""
    from optuna.trial import TrialState

    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return []
    return [trial.number for trial in study.best_trials] if len(study.directions) > 1 else [study.best_trial.number]


def front_of(points: list[tuple[float, float]]) -> list[int]:
    """Indexes of the points no other point beats: higher metric (x[0]) at no higher cost (x[1])."""
    return [index for index, (metric, cost) in enumerate(points)
            if not any(other_metric >= metric and other_cost <= cost and (other_metric, other_cost) != (metric, cost)
                       for other_metric, other_cost in points)]


def importances(study) -> dict[str, float]:
    """Each swept parameter's importance for the first objective (fANOVA); {} while too few trials finished."""
    import optuna
    from optuna.trial import TrialState

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(complete) < 2 or not complete[0].params:
        return {}
    target = (lambda trial: trial.values[0]) if len(study.directions) > 1 else None
    try:
        with warnings.catch_warnings():  # with few trials Optuna warns the importances may be equal: they are data
            warnings.simplefilter("ignore", UserWarning)
            found = optuna.importance.get_param_importances(
                study, target=target, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
    except (RuntimeError, ValueError):  # e.g. every trial had the same values
        return {}
    return {name: float(value) for name, value in found.items() if math.isfinite(value)}


def _short(value: Any) -> str:
    if isinstance(value, float):
        if value and abs(value) >= 1e5:
            return f"{value / 1e6:.3g}M"
        return f"{value:.4g}"
    return str(value)
