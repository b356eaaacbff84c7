"""Every run keeps one folder: the project trained, its settings, per-epoch metrics, checkpoints, run.json."""
from __future__ import annotations

import json

from engine import load_project
from engine.experiments.folders import METRICS_FILE, PROJECT_FILE, SETTINGS_FILE, STATUS_FILE
from engine.experiments.listing import list_runs, read_run
from engine.experiments.metrics_log import read_metrics
from engine.experiments.status import update_user_fields
from engine.training import StopToken, Trainer, TrainingError

from .run_helpers import tiny_project, train_recorded


def test_a_finished_run_holds_its_project_settings_metrics_checkpoints_and_status(tmp_path):
    folder = train_recorded(tmp_path, epochs=2, lr=0.02)
    names = {path.name for path in folder.iterdir()}
    assert {PROJECT_FILE, SETTINGS_FILE, METRICS_FILE, STATUS_FILE, "best.pt", "last.pt"} <= names
    assert any(name.startswith("events.out.tfevents") for name in names)
    assert not any(name.endswith(".tmp") or name.startswith(".") for name in names)  # no temp file left
    assert [node.name for node in load_project(folder / PROJECT_FILE).graph.nodes.values()] == \
        [node.name for node in tiny_project().graph.nodes.values()]
    assert json.loads((folder / SETTINGS_FILE).read_text())["lr"] == 0.02
    metrics = read_metrics(folder / METRICS_FILE)
    assert [entry["epoch"] for entry in metrics] == [1, 2] and "val_loss" in metrics[0]
    status = json.loads((folder / STATUS_FILE).read_text())
    assert status["status"] == "finished" and status["ended"] and status["epochs"] == 2
    assert status["network"] == "Tiny" and status["task"] == "classification"
    assert status["best_metric"] == "val_accuracy" and 0 <= status["best_value"] <= 1
    assert status["parameters"] > 0 and status["macs"] > 0
    row = read_run(folder)
    assert (row.status, row.epochs, row.epochs_planned) == ("finished", 2, 2)


def test_a_stopped_run_reads_as_stopped_and_a_failed_one_as_failed(tmp_path):
    from engine.experiments.folders import new_run_folder
    from engine.experiments.recorder import RunRecorder
    from tests.engine.training.conftest import tiny_split

    project = tiny_project(epochs=3)
    stop = StopToken()
    stop.stop()
    folder = new_run_folder(tmp_path, "stopped")
    Trainer(project, callbacks=[RunRecorder(folder, project)], stop=stop, out=folder).fit(tiny_split())
    assert read_run(folder).status == "stopped"

    broken = tiny_project(lr=1e30, epochs=1)  # the loss becomes NaN: the trainer refuses to go on
    folder = new_run_folder(tmp_path, "failed")
    try:
        Trainer(broken, callbacks=[RunRecorder(folder, broken)], out=folder).fit(tiny_split())
    except TrainingError:
        pass
    status = json.loads((folder / STATUS_FILE).read_text())
    assert status["status"] == "failed" and "diverged" in status["error"]


def test_listing_sorts_by_any_column_and_keeps_a_rename_and_tags(tmp_path):
    small = train_recorded(tmp_path, epochs=1)
    large = train_recorded(tmp_path, epochs=2)
    update_user_fields(small, name="baseline", tags=["lenet", "first"])
    rows = list_runs(tmp_path, sort="epochs")
    assert [row.folder for row in rows] == [large, small]
    assert [row.folder for row in list_runs(tmp_path, sort="epochs", descending=False)] == [small, large]
    renamed = read_run(small)
    assert renamed.name == "baseline" and renamed.tags == ["lenet", "first"] and small.exists()


def test_an_unreadable_status_gives_a_row_that_says_so(tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / STATUS_FILE).write_text("{not json")
    [row] = list_runs(tmp_path)
    assert row.status == "unreadable" and "not valid JSON" in row.problem


def test_a_sweep_can_end_a_run_as_pruned_and_add_its_own_fields(tmp_path):
    from engine.experiments.folders import new_run_folder
    from engine.experiments.recorder import RunRecorder
    from engine.training import Callback
    from tests.engine.training.conftest import tiny_split

    project = tiny_project(epochs=3)
    stop = StopToken()
    folder = new_run_folder(tmp_path, "trial")
    recorder = RunRecorder(folder, project, extra={"sweep": "widths", "trial": 4})

    class PruneAfterFirstEpoch(Callback):
        def on_epoch_end(self, state, metrics):
            recorder.set_fields(objective=metrics["val_accuracy"])
            recorder.end_as("pruned")
            stop.stop()

    Trainer(project, callbacks=[recorder, PruneAfterFirstEpoch()], stop=stop, out=folder).fit(tiny_split())
    status = json.loads((folder / STATUS_FILE).read_text())
    assert (status["status"], status["sweep"], status["trial"], status["epochs"]) == ("pruned", "widths", 4, 1)
    assert 0 <= status["objective"] <= 1 and read_run(folder).status == "pruned"
