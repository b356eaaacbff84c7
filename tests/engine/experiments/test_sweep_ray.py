"""``--ray``: the same sweep through Ray Tune's OptunaSearch, on a local Ray runtime this test starts.

Ray is the ``cluster`` extra, which ``make test`` installs: there this test runs; without Ray it is skipped
with the reason, and the message a user without Ray gets is tested instead."""
from __future__ import annotations

import importlib.util
import re
import sys

import optuna
import pytest

from engine.cli import main
from engine.experiments.sweeps import SweepError, parse_params
from engine.experiments.sweeps.ray_tune import MISSING_RAY, RaySweep, import_ray

from .conftest import tiny_digits_project

HAS_RAY = importlib.util.find_spec("ray") is not None


@pytest.mark.skipif(not HAS_RAY, reason="Ray Tune is the cluster extra: pip install -e '.[cluster]' (make test does)")
def test_a_sweep_runs_on_a_local_ray_runtime(tmp_path):
    project = tiny_digits_project()
    rows = []
    sweep = RaySweep(project, parse_params(["conv1.groups=1,2", "lr=0.005..0.05"], project), address="local",
                     num_cpus=2, objectives=("accuracy", "macs"), runs_root=tmp_path / "runs", study_name="tiny",
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
    assert (tmp_path / "runs" / f"tiny-trial-{complete.number:04d}" / "best.pt").is_file()  # gathered in the runs root


def test_without_ray_the_sweep_says_how_to_install_it(monkeypatch, project_file, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the cluster extra were not installed
    with pytest.raises(SweepError, match=re.escape(MISSING_RAY)):
        import_ray()
    code = main(["sweep", str(project_file), "--trials", "1", "--param", "lr=0.001..0.1", "--ray", "local"])
    err = capsys.readouterr().err
    assert code == 2 and err == f"convcanvas sweep: {MISSING_RAY}\n"
