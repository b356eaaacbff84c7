"""Sweeps in this process: invalid graphs counted, poor trials pruned, a Pareto front, importances."""
from __future__ import annotations

import json

import optuna
import pytest

from engine.checkpoint import load_checkpoint
from engine.experiments.listing import list_runs
from engine.experiments.sweeps import parse_params
from engine.experiments.sweeps.runner import Sweep

from .conftest import tiny_digits_project


def make_sweep(tmp_path, params, epochs=1, **options) -> tuple[Sweep, list]:
    project = tiny_digits_project(epochs)
    rows = []
    sweep = Sweep(project, parse_params(params, project), runs_root=tmp_path / "runs", study_name="tiny",
                  seed=0, on_trial=rows.append, **options)
    return sweep, rows


def test_a_trial_whose_graph_is_invalid_is_refused_and_counted(tmp_path):
    # The input has one channel: no groups but 1 divide it, so every trial of this sweep is invalid.
    sweep, rows = make_sweep(tmp_path, ["conv1.groups=2,4"])
    summary = sweep.run(trials=2)
    assert [row.state for row in rows] == ["invalid", "invalid"] and summary.count("invalid") == 2
    assert "groups=" in rows[0].message and rows[0].message.startswith("invalid: conv1")
    trials = sweep.open().get_trials()
    assert all(trial.state == optuna.trial.TrialState.PRUNED for trial in trials)
    assert all("must divide" in trial.user_attrs["invalid"] for trial in trials)
    assert not list((tmp_path / "runs").glob("*/last.pt"))  # never trained


def test_a_poor_trial_is_pruned_after_its_first_epoch(tmp_path):
    sweep, rows = make_sweep(tmp_path, ["lr=1e-8..0.1"], epochs=2)
    study = sweep.open()
    for lr in (0.05, 0.05, 1e-8):  # the third learns nothing: below the median of the first two after epoch 1
        study.enqueue_trial({"lr": lr})
    summary = sweep.run(trials=3)
    assert [row.state for row in rows] == ["complete", "complete", "pruned"]
    assert rows[2].message == "pruned after epoch 1"
    assert study.trials[2].state == optuna.trial.TrialState.PRUNED and list(study.trials[2].intermediate_values) == [1]
    assert summary.pareto == [0] or summary.pareto == [1]
    # each trial is a run: its own folder with the engine's checkpoints and what the sweep gave it
    folder = tmp_path / "runs" / "tiny-trial-0001"
    assert load_checkpoint(folder / "last.pt").config["lr"] == 0.05
    assert json.loads((folder / "sweep.json").read_text())["params"] == {"lr": 0.05}
    assert rows[1].folder == str(folder) and rows[1].metric == pytest.approx(rows[1].values["accuracy"])
    # ... and a run like any other: the Runs panel and `convcanvas runs` list it, the pruned one as pruned
    listed = {row.folder.name: row for row in list_runs(tmp_path / "runs")}
    assert {name: row.status for name, row in listed.items()} == {
        "tiny-trial-0000": "finished", "tiny-trial-0001": "finished", "tiny-trial-0002": "pruned"}
    assert listed["tiny-trial-0001"].epochs == 2 and listed["tiny-trial-0002"].epochs == 1
    assert json.loads((folder / "run.json").read_text())["sweep"]["params"] == {"lr": 0.05}


def test_multi_objective_sweep_has_a_pareto_front_and_importances(tmp_path):
    sweep, rows = make_sweep(tmp_path, ["conv1.out_channels=2..16", "lr=0.005..0.05"],
                             objectives=("accuracy", "macs"))
    study = sweep.open()
    study.enqueue_trial({"conv1.out_channels": 2, "lr": 0.02})
    study.enqueue_trial({"conv1.out_channels": 16, "lr": 0.02})
    summary = sweep.run(trials=2)
    assert [row.state for row in rows] == ["complete", "complete"]
    assert rows[0].values["macs"] < rows[1].values["macs"]  # fewer channels, fewer multiply-adds
    assert summary.pareto and set(summary.pareto) <= {0, 1} and 0 in summary.pareto  # the cheap one is never beaten on cost
    assert set(summary.importances) == {"conv1.out_channels", "lr"}
    assert any(line.startswith("Pareto front: trial 0") for line in summary.lines())


def test_a_study_made_for_other_ranges_is_refused_before_any_trial(tmp_path):
    sweep, _ = make_sweep(tmp_path, ["conv1.groups=2,4"])
    sweep.run(trials=1)
    other, _ = make_sweep(tmp_path, ["conv1.groups=2,3"])
    with pytest.raises(Exception, match="already sweeps conv1.groups over another range"):
        other.run(trials=2)
    again, _ = make_sweep(tmp_path, ["conv1.groups=2,4"], objectives=("accuracy", "macs"))
    with pytest.raises(Exception, match="other objectives"):
        again.run(trials=2)


def test_the_command_line_prints_a_line_per_trial_and_a_json_summary(project_file, capsys):
    from engine.cli import main

    code = main(["sweep", str(project_file), "--trials", "1", "--param", "drop.p=0.1..0.5",
                 "--objective", "accuracy,latency", "--json"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and lines[0].startswith("study tiny in sqlite:///") and "drop.p ∈ [0.1, 0.5]" in lines[0]
    assert lines[1].startswith("trial 0  complete  metric ") and "latency (ms) " in lines[1]
    summary = json.loads(lines[-1])
    trial = summary["trials"][0]
    assert summary["pareto"] == [0] and trial["values"]["latency"] > 0 and 0 <= trial["values"]["accuracy"] <= 1
    assert trial["folder"].endswith("tiny-trial-0000") and trial["parameters"] > 0
