"""``--ray``: the same sweep through Ray Tune's OptunaSearch, on a local Ray runtime this test starts.

Ray is the ``cluster`` extra, which ``make test`` installs: there these tests run, on one runtime with one
worker (trials one after another, so the pruner's decisions do not depend on timing); without Ray they are
skipped with the reason, and the message a user without Ray gets is tested instead."""
from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import optuna
import pytest

from engine.cli import main
from engine.experiments.listing import list_runs
from engine.experiments.sweeps import SweepError, parse_params
from engine.experiments.sweeps.ray_tune import MISSING_RAY, RaySweep, import_ray, init_ray

from .conftest import tiny_digits_project

HAS_RAY = importlib.util.find_spec("ray") is not None
needs_ray = pytest.mark.skipif(not HAS_RAY, reason="Ray Tune is the cluster extra: pip install -e '.[cluster]' "
                                                   "(make test does)")


@pytest.fixture(scope="module")
def ray_runtime():
    """One local Ray runtime for this module's sweeps (a sweep uses a runtime already started as it is)."""
    import ray

    init_ray(ray, "local", num_cpus=1)
    yield
    ray.shutdown()


def gathered(rows: list, row) -> None:
    """Keeps a trial's row and whether its run folder was already in the runs folder when its line came."""
    rows.append((row, (Path(row.folder) / "run.json").is_file()))


@needs_ray
def test_a_sweep_runs_on_a_local_ray_runtime(tmp_path, ray_runtime):
    project = tiny_digits_project()
    rows = []
    sweep = RaySweep(project, parse_params(["conv1.groups=1,2", "lr=0.005..0.05"], project), address="local",
                     objectives=("accuracy", "macs"), runs_root=tmp_path / "runs", study_name="tiny",
                     seed=0, on_trial=rows.append)
    study = sweep.open()
    study.enqueue_trial({"conv1.groups": 1, "lr": 0.02})
    study.enqueue_trial({"conv1.groups": 2, "lr": 0.02})  # 2 does not divide the 1 input channel: invalid
    summary = sweep.run(trials=2)
    assert sorted(row.state for row in rows) == ["complete", "invalid"]  # one line per trial, as they end
    trials = optuna.load_study(study_name="tiny", storage=sweep.storage_url).trials
    states = sorted(trial.state.name for trial in trials)
    assert states == ["COMPLETE", "PRUNED"]
    invalid = next(trial for trial in trials if trial.state == optuna.trial.TrialState.PRUNED)
    assert "must divide" in invalid.user_attrs["invalid"]
    complete = next(trial for trial in trials if trial.state == optuna.trial.TrialState.COMPLETE)
    assert complete.values[1] > 0 and 0 <= complete.values[0] <= 1 and summary.pareto == [complete.number]
    folder = tmp_path / "runs" / f"tiny-trial-{complete.number:04d}"
    assert (folder / "best.pt").is_file()  # gathered in the runs root
    # listed like a local trial, once: the copy Tune's storage held is gone, the invalid trial has no folder
    assert [(row.folder, row.status) for row in list_runs(tmp_path / "runs")] == [(folder, "finished")]


@needs_ray
def test_a_poor_trial_on_ray_is_pruned_and_every_run_folder_is_gathered(tmp_path, ray_runtime):
    project = tiny_digits_project(epochs=2)
    rows = []
    sweep = RaySweep(project, parse_params(["lr=1e-8..0.1"], project), address="local", runs_root=tmp_path / "runs",
                     study_name="tiny", seed=0, on_trial=lambda row: gathered(rows, row))
    study = sweep.open()
    for lr in (0.05, 0.05, 1e-8):  # the third learns nothing: below the median of the first two after epoch 1
        study.enqueue_trial({"lr": lr})
    summary = sweep.run(trials=3)
    assert [(row.state, there) for row, there in rows] == [("complete", True), ("complete", True), ("pruned", True)]
    assert rows[2][0].message == "pruned after epoch 1" and summary.count("pruned") == 1
    trials = optuna.load_study(study_name="tiny", storage=sweep.storage_url).trials
    assert [trial.state.name for trial in trials] == ["COMPLETE", "COMPLETE", "PRUNED"]
    assert list(trials[2].intermediate_values) == [1] and list(trials[0].intermediate_values) == [1, 2]
    listed = {row.folder.name: (row.status, row.epochs) for row in list_runs(tmp_path / "runs")}
    assert listed == {"tiny-trial-0000": ("finished", 2), "tiny-trial-0001": ("finished", 2),
                      "tiny-trial-0002": ("pruned", 1)}


def test_without_ray_the_sweep_says_how_to_install_it(monkeypatch, project_file, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the cluster extra were not installed
    with pytest.raises(SweepError, match=re.escape(MISSING_RAY)):
        import_ray()
    code = main(["sweep", str(project_file), "--trials", "1", "--param", "lr=0.001..0.1", "--ray", "local"])
    err = capsys.readouterr().err
    assert code == 2 and err == f"convcanvas sweep: {MISSING_RAY}\n"
