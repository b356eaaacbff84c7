"""The same sweep on Ray Tune: Optuna's sampler through Ray's ``OptunaSearch``, one trial per Ray worker.

Ray is an optional extra (``pip install 'convcanvas[cluster]'``), imported only here and only when a sweep
runs on it. The study lives in the same storage as a local sweep's, so ``convcanvas sweep`` lists, resumes
and sums it up the same way.

Pruning: each worker reports every epoch's validation score to Tune and to the study, and asks the study's
pruner (Optuna's median pruner, as a local sweep does) whether to go on; a pruned trial ends itself at that
epoch boundary, so its run folder is closed as ``pruned``. (Tune's own schedulers stop a trial by ending its
thread mid-report and its process soon after, which would leave the run folder unfinished.)

Gathering: a worker writes its trial's run folder on its own disk and hands it to Tune as the trial's
checkpoint with its last report; Tune moves it to its storage (``<runs>/ray``: a shared file system on a
cluster, as Ray requires) and the driver copies it into the runs folder as ``<study>-trial-0003``, where
``convcanvas runs`` and the Runs panel list it like a local trial's.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import optuna

from ...project import dumps_project, loads_project
from .results import row_from_trial
from .runner import Sweep, SweepSummary
from .space import SweepError, suggest_values
from .study import WORKER_ATTR, make_pruner, make_sampler, open_storage
from .trial import FailedTrial, InvalidTrial, PrunedTrial, run_trial, trial_folder

MISSING_RAY = "--ray needs Ray Tune, an optional extra: pip install 'convcanvas[cluster]'"
_NUMBER = "__trial_number"
#: what a trial's last report carries back to the study, besides its objectives
_ATTRS = ("invalid", "pruned", "stopped", "failed", "metric", "metric_name", "macs", "parameters")


def import_ray():
    """Ray and its Tune pieces, or ``SweepError`` with the one line that says how to install them."""
    try:
        import ray
        from ray import tune
        from ray.tune.search.optuna import OptunaSearch
    except ImportError:
        raise SweepError(MISSING_RAY) from None
    return ray, tune, OptunaSearch


class RaySweep(Sweep):
    def __init__(self, project, space, *, address: str = "auto", num_cpus: int | None = None,
                 **options: Any) -> None:
        """``address``: ``local`` starts a Ray runtime on this machine (with ``num_cpus`` workers; default all
        cores); ``auto`` or ``ray://host:10001`` joins a running cluster (a runtime already started in this
        process is used as it is)."""
        super().__init__(project, space, **options)
        self.address, self.num_cpus = address, num_cpus

    def run(self, trials: int | None = None, timeout: float | None = None) -> SweepSummary:
        ray, tune, OptunaSearch = import_ray()
        if trials is None and timeout is None:
            raise SweepError("give a budget: a number of trials or a time")
        study = self.open()
        left = None if trials is None else trials - self.finished_count()
        if left is not None and left <= 0:
            return self.summary()
        started_here = not ray.is_initialized()
        if started_here:
            init_ray(ray, self.address, self.num_cpus)
        try:
            self._fit(tune, OptunaSearch, study, left, timeout)
        finally:
            if started_here:
                ray.shutdown()
        return self.summary()

    def _fit(self, tune, OptunaSearch, study, left, timeout) -> None:
        """Tune's run of the trials: OptunaSearch asks the study, workers train, the driver gathers folders."""
        single = len(self.objectives) == 1
        space, runs_root, study_name = self.space, self.runs_root.resolve(), self.study_name

        def define(trial) -> dict[str, Any]:
            suggest_values(trial, space)
            trial.set_user_attr(WORKER_ATTR, "ray")
            trial.set_user_attr("run_folder", str(trial_folder(runs_root, study_name, trial.number)))
            return {_NUMBER: trial.number}

        searcher = _searcher_class(OptunaSearch)(
            space=define, metric=list(self.objectives) if not single else self.objectives[0],
            mode=[{"maximize": "max", "minimize": "min"}[d.name.lower()] for d in study.directions]
            if not single else ("max" if study.direction.name.lower() == "maximize" else "min"),
            sampler=_picklable(make_sampler(self.objectives, self.seed)), study_name=self.study_name, storage=open_storage(self.storage_url))
        searcher.listener = _listen(self)
        trainable = tune.with_parameters(_train_on_worker, project_text=dumps_project(self.project),
                                         project_path=str(self.project.path or ""), space=self.space,
                                         objectives=self.objectives, study_name=self.study_name,
                                         storage=self.storage_url, pruning=self.pruning and single)
        tuner = tune.Tuner(
            tune.with_resources(trainable, {"cpu": 1}),
            tune_config=tune.TuneConfig(search_alg=searcher, num_samples=-1 if left is None else left,
                                        time_budget_s=timeout),
            run_config=tune.RunConfig(name=self.study_name, storage_path=str(runs_root / "ray"), verbose=0,
                                      callbacks=[_gatherer(tune)(runs_root, self.study_name)]))
        try:
            tuner.fit()
        finally:
            _LISTENERS.pop(searcher.listener, None)


def init_ray(ray, address: str, num_cpus: int | None = None) -> None:
    """Starts Ray on this machine (``local``) or joins the cluster at ``address``; the workers import this
    engine. ``SweepError`` when the cluster cannot be reached."""
    root = str(Path(__file__).resolve().parents[3])
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH", "")]))}
    try:
        local = address == "local"
        ray.init(address=None if local else address, num_cpus=num_cpus if local else None, log_to_driver=False,
                 runtime_env={"env_vars": env}, include_dashboard=False)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise SweepError(f"cannot reach the Ray cluster at {address!r}: "
                         f"{str(error).splitlines()[0] if str(error) else type(error).__name__}") from None


def _gatherer(tune):
    class GatherRunFolders(tune.Callback):
        """On the driver: each trial's run folder, handed over as its checkpoint, copied into the runs folder
        (then dropped from Tune's storage, so the runs folder holds one copy)."""

        def __init__(self, runs_root: Path, study_name: str) -> None:
            self.runs_root, self.study_name = runs_root, study_name

        def on_checkpoint(self, iteration, trials, trial, checkpoint, **info) -> None:
            target = trial_folder(self.runs_root, self.study_name, trial.config[_NUMBER])
            checkpoint.to_directory(str(target))
            try:
                checkpoint.filesystem.delete_dir(checkpoint.path)
            except OSError:  # a copy left in <runs>/ray costs disk only
                pass

    return GatherRunFolders


class _PicklableNSGAII(optuna.samplers.NSGAIISampler):
    """Optuna 5.1's NSGA-II sampler holds a thread lock, which Tune cannot pickle with its searcher."""

    def __getstate__(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != "_thread_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._thread_lock = threading.Lock()


def _picklable(sampler):
    if isinstance(sampler, optuna.samplers.NSGAIISampler) and hasattr(sampler, "_thread_lock"):
        sampler.__class__ = _PicklableNSGAII
    return sampler


#: the sweeps whose trial lines a searcher reports, by key: Tune pickles its searcher, a sweep cannot be
_LISTENERS: dict[str, Sweep] = {}


def _listen(sweep: Sweep) -> str:
    key = f"{id(sweep)}"
    _LISTENERS[key] = sweep
    return key


def _tell_listener(key: str, frozen) -> None:
    """By reference from the searcher (a module function is pickled by name, not with the sweeps)."""
    sweep = _LISTENERS.get(key)
    if sweep is not None and sweep.on_trial is not None:
        sweep.on_trial(row_from_trial(frozen, sweep.objectives))


def _searcher_class(OptunaSearch):
    class ConvCanvasSearch(OptunaSearch):
        """OptunaSearch that keeps a trial's outcome (invalid, pruned, its MACs…) as the study's user
        attributes, and skips reports without a score (an invalid trial has none)."""

        listener = ""

        def save(self, checkpoint_path: str) -> None:
            """Nothing to save: the study's storage keeps every trial, and a sweep resumes from it."""

        def on_trial_result(self, trial_id: str, result: dict) -> None:
            """Nothing: the worker reports each epoch's score to the study itself, where the pruner reads it."""

        def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
            ot_trial = self._ot_trials.get(trial_id)
            if ot_trial is not None and result:
                for key in _ATTRS:
                    if result.get(key) is not None:
                        ot_trial.set_user_attr(key, result[key])
                if result.get("outcome") != "complete":  # no objective values: pruned (or failed)
                    result = None
                    error = error or ot_trial.user_attrs.get("failed") is not None
            super().on_trial_complete(trial_id, result, error)
            if ot_trial is not None:
                _tell_listener(self.listener, self._ot_study._storage.get_trial(ot_trial._trial_id))  # noqa: SLF001

    return ConvCanvasSearch


def _train_on_worker(config: dict[str, Any], *, project_text: str, project_path: str, space, objectives,
                     study_name: str, storage: str, pruning: bool) -> None:
    """A Ray worker's trial: the same ``run_trial`` as a local sweep, its run folder written on this worker's
    disk and handed to Tune with the last report (the driver gathers it)."""
    from ray import tune

    project = loads_project(project_text, "project")
    project.path = Path(project_path) if project_path else None
    number = config[_NUMBER]
    values = {param.name: config[param.name] for param in space}
    report = _epoch_report(tune, objectives, study_name, storage, number, pruning) if len(objectives) == 1 else None
    # Tune insists every report names the objectives: a trial without scores reports them as None.
    unscored = dict.fromkeys(objectives)
    info = {"study": study_name, "trial": number, "storage": storage, "ray": True}
    scratch = Path(tempfile.mkdtemp(prefix="convcanvas-trial-"))
    folder = trial_folder(scratch, study_name, number)
    try:
        try:
            outcome = run_trial(project, space, values, objectives, folder, report=report, sweep_info=info)
        except InvalidTrial as error:
            final = {**unscored, "outcome": "invalid", "invalid": str(error)}
        except PrunedTrial as pruned:
            final = {**unscored, "outcome": pruned.reason, pruned.reason: pruned.epoch}
        except FailedTrial as error:
            final = {**unscored, "outcome": "failed", "failed": str(error)}
        else:
            final = {**outcome.objectives, "outcome": "complete", "metric": outcome.objectives.get("accuracy"),
                     "metric_name": outcome.metric_name, "macs": outcome.macs, "parameters": outcome.params}
        # An invalid trial was never trained: it has no run folder to gather.
        tune.report(final, checkpoint=tune.Checkpoint.from_directory(str(folder)) if folder.is_dir() else None)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _epoch_report(tune, objectives, study_name: str, storage: str, number: int, pruning: bool):
    """Each validated epoch's score to Tune and to the trial in the study; True when the study's pruner
    prunes the trial (never when pruning is off)."""
    try:
        study = optuna.load_study(study_name=study_name, storage=open_storage(storage),
                                  pruner=make_pruner(objectives, pruning))
        # the storage's public API finds a trial by its number
        trial_id = study._storage.get_trial_id_from_study_id_trial_number(study._study_id, number)  # noqa: SLF001
        trial = optuna.trial.Trial(study, trial_id)
    except (SweepError, KeyError):  # a worker that cannot reach the study (SQLite on another machine's disk)
        trial = None                # still trains and reports to Tune, unpruned

    def report(score: float, epoch: int) -> bool:
        if trial is not None:
            trial.report(score, epoch)
        tune.report({objectives[0]: score, "epoch": epoch})
        return trial is not None and pruning and trial.should_prune()

    return report
