"""``Sweep``: runs an Optuna study's trials in this process until a trial count or a time budget is spent.

Several processes may run the same sweep (same storage and study name) at once: each asks the study for
its next trial, and all stop when the study holds the number of finished trials asked for. A sweep that
was killed resumes: its interrupted trial is run again first.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...project import Project
from ...training import Callback, StopToken
from ..folders import RUNS_FOLDER, runs_beside
from .objectives import directions
from .results import TrialRow, importances, pareto_numbers, row_from_trial, study_rows
from .space import SweepError, SweepParam, suggest_values
from .study import (WORKER_ATTR, default_storage, default_study_name, fail_interrupted_trials, open_storage,
                    open_study, worker_id)
from .trial import FailedTrial, InvalidTrial, PrunedTrial, run_trial, trial_folder


@dataclass
class SweepSummary:
    study_name: str
    storage: str
    objectives: tuple[str, ...]
    rows: list[TrialRow]
    pareto: list[int]
    """Trial numbers on the Pareto front (the best trial when there is one objective)."""
    importances: dict[str, float] = field(default_factory=dict)

    def count(self, state: str) -> int:
        return sum(row.state == state for row in self.rows)

    def lines(self) -> list[str]:
        counts = ", ".join(f"{self.count(state)} {state}" for state in
                           ("complete", "pruned", "invalid", "failed", "interrupted", "stopped") if self.count(state))
        lines = [f"study {self.study_name}: {len(self.rows)} trials ({counts or 'none finished'})"]
        best = [row for row in self.rows if row.number in self.pareto]
        title = "Pareto front" if len(self.objectives) > 1 else "best"
        lines += [f"{title}: {row.line()}" for row in best]
        if self.importances:
            lines.append("importances: " + ", ".join(f"{name} {value:.2f}" for name, value in self.importances.items()))
        return lines


def default_runs_root(project: Project) -> Path:
    """``runs/`` beside the project file (the working folder's for an unsaved project)."""
    return runs_beside(project.path) if project.path else Path.cwd() / RUNS_FOLDER


class Sweep:
    def __init__(self, project: Project, space: list[SweepParam], *, objectives: tuple[str, ...] = ("accuracy",),
                 runs_root: str | Path | None = None, storage: str | None = None, study_name: str | None = None,
                 pruning: bool = True, seed: int | None = None, on_trial: Callable[[TrialRow], None] | None = None,
                 callbacks: tuple[Callback, ...] = ()) -> None:
        """``on_trial`` receives each finished trial's row (on the sweep's thread); ``callbacks`` watch every
        trial's training (the window's live curves)."""
        if not space:
            raise SweepError("nothing to sweep: choose at least one parameter")
        self.project, self.space, self.objectives = project, space, tuple(objectives)
        directions(self.objectives)
        self.runs_root = Path(runs_root) if runs_root is not None else default_runs_root(project)
        self.storage_url = storage or default_storage(self.runs_root)
        self.study_name = study_name or default_study_name(project.path, project.name)
        self.pruning, self.seed, self.on_trial, self.callbacks = pruning, seed, on_trial, callbacks
        self.stop_token = StopToken()
        self.study = None

    def open(self):
        """The study (created, or loaded to resume); ``SweepError`` when it cannot be used."""
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)  # the sweep prints its own line per trial
        if self.study is None:
            self.study = open_study(open_storage(self.storage_url), self.study_name, self.objectives, self.space,
                                    pruning=self.pruning, seed=self.seed)
        return self.study

    def stop(self) -> None:
        """Ends the sweep: the running trial stops after its current batch and counts as stopped."""
        self.stop_token.stop()

    def finished_count(self) -> int:
        return sum(row.state not in ("running", "interrupted") for row in study_rows(self.open(), self.objectives))

    def run(self, trials: int | None = None, timeout: float | None = None) -> SweepSummary:
        """Runs trials until the study holds ``trials`` finished ones, ``timeout`` seconds pass, or ``stop()``."""
        if trials is None and timeout is None:
            raise SweepError("give a budget: a number of trials or a time")
        study = self.open()
        for trial in fail_interrupted_trials(study):
            if self.on_trial:
                self.on_trial(row_from_trial(study.get_trials(deepcopy=False)[trial.number], self.objectives))
        left = None if trials is None else trials - self.finished_count()
        if (left is None or left > 0) and not self.stop_token.stopped:
            self.runs_root.mkdir(parents=True, exist_ok=True)
            study.optimize(self._objective, n_trials=left, timeout=timeout, catch=(FailedTrial,),
                           callbacks=[self._after_trial(trials)], gc_after_trial=True)
        return self.summary()

    def summary(self) -> SweepSummary:
        study = self.open()
        return SweepSummary(self.study_name, self.storage_url, self.objectives, study_rows(study, self.objectives),
                            pareto_numbers(study), importances(study))

    def _after_trial(self, trials: int | None):
        def after(study, frozen) -> None:
            if self.on_trial is not None:
                self.on_trial(row_from_trial(frozen, self.objectives))
            if self.stop_token.stopped or (trials is not None and self.finished_count() >= trials):
                study.stop()
        return after

    def _objective(self, trial) -> Any:
        import optuna

        trial.set_user_attr(WORKER_ATTR, worker_id())
        values = suggest_values(trial, self.space)
        folder = trial_folder(self.runs_root, self.study_name, trial.number)
        trial.set_user_attr("run_folder", str(folder))
        single = len(self.objectives) == 1
        report = _pruning_report(trial) if self.pruning and single else _score_recorder(trial) if single else None
        info = {"study": self.study_name, "trial": trial.number, "storage": self.storage_url}
        try:
            outcome = run_trial(self.project, self.space, values, self.objectives, folder, report=report,
                                stop=self.stop_token, callbacks=self.callbacks, sweep_info=info)
        except InvalidTrial as error:
            trial.set_user_attr("invalid", str(error))
            raise optuna.TrialPruned(f"invalid: {error}") from None
        except PrunedTrial as pruned:
            trial.set_user_attr(pruned.reason, pruned.epoch)
            raise optuna.TrialPruned(str(pruned)) from None
        except FailedTrial as error:
            trial.set_user_attr("failed", str(error))
            raise
        for name, value in (("metric", outcome.objectives.get("accuracy")), ("metric_name", outcome.metric_name),
                            ("macs", outcome.macs), ("parameters", outcome.params)):
            trial.set_user_attr(name, value)
        if "accuracy" not in outcome.objectives:
            trial.set_user_attr("metric", _best_score(outcome.history, outcome.metric_name))
        scores = tuple(outcome.objectives[name] for name in self.objectives)
        return scores[0] if single else scores


def _pruning_report(trial):
    """Reports each epoch's score to Optuna; True when its pruner says this trial is worse than the median."""
    def report(score: float, epoch: int) -> bool:
        trial.report(score, epoch)
        return trial.should_prune()
    return report


def _score_recorder(trial):
    """Pruning off: the scores are still reported (the window's curves), never acted on."""
    def report(score: float, epoch: int) -> bool:
        trial.report(score, epoch)
        return False
    return report


def _best_score(history: list[dict[str, Any]], name: str) -> float | None:
    scores = [entry[name] for entry in history if isinstance(entry.get(name), (int, float))]
    return max(scores) if scores else None
