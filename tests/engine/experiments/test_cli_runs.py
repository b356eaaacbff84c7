"""``convcanvas runs``: the table of runs, as text or JSON; ``train`` keeps every run in its own folder."""
from __future__ import annotations

import json
from pathlib import Path

from engine import save_project
from engine.cli import main
from engine.experiments.folders import is_bundled_preset, runs_beside

from .run_helpers import tiny_project, train_recorded


def test_runs_json_lists_every_run_with_the_table_columns(tmp_path, capsys):
    first = train_recorded(tmp_path, epochs=1)
    second = train_recorded(tmp_path, epochs=2)
    assert main(["runs", "--root", str(tmp_path), "--json", "--sort", "epochs"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["folder"] for row in rows] == [str(second), str(first)]
    assert {"started", "network", "dataset", "task", "epochs", "best_metric", "best_value", "parameters", "macs",
            "duration", "status"} <= rows[0].keys()
    assert rows[0]["status"] == "finished" and rows[0]["network"] == "Tiny"
    assert main(["runs", "--root", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Started") and len(lines) == 3


def test_runs_on_a_file_is_one_clear_error(tmp_path, capsys):
    path = tmp_path / "not-a-folder"
    path.write_text("x")
    assert main(["runs", "--root", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a folder" in err


def test_train_without_out_keeps_each_run_in_a_new_folder_beside_the_project(tmp_path, capsys, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the working folder is not where runs go: beside the project is
    project = tiny_project(epochs=1, batch_size=128)
    from tests.engine.training.conftest import tiny_graph
    project.graph = tiny_graph(classes=10)  # the bundled digits: ten classes
    (tmp_path / "project").mkdir()
    file = save_project(project, tmp_path / "project" / "tiny.cnn.json")
    assert main(["train", str(file)]) == 0
    assert main(["train", str(file), "--lr", "0.02"]) == 0
    capsys.readouterr()
    assert not (elsewhere / "runs").exists()
    assert main(["runs", "--root", str(tmp_path / "project" / "runs"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 2 and all(Path(row["folder"]).parent == tmp_path / "project" / "runs" for row in rows)
    assert {row["status"] for row in rows} == {"finished"}


def test_train_runs_flag_chooses_the_runs_folder(tmp_path, capsys):
    project = tiny_project(epochs=1, batch_size=128)
    from tests.engine.training.conftest import tiny_graph
    project.graph = tiny_graph(classes=10)
    file = save_project(project, tmp_path / "tiny.cnn.json")
    assert main(["train", str(file), "--runs", str(tmp_path / "mine")]) == 0
    capsys.readouterr()
    assert len(list((tmp_path / "mine").glob("*/run.json"))) == 1
    assert not (tmp_path / "runs").exists()


def test_a_bundled_presets_runs_go_to_the_working_folder_never_into_the_package(tmp_path, monkeypatch):
    preset = Path(__file__).resolve().parents[3] / "presets" / "lenet5.cnn.json"
    monkeypatch.chdir(tmp_path)
    assert is_bundled_preset(preset) and not is_bundled_preset(save_project(tiny_project(), tmp_path / "mine.cnn.json"))
    assert runs_beside(preset) == tmp_path / "runs"  # the presets folder is the installed package
    assert runs_beside(tmp_path / "mine.cnn.json") == tmp_path / "runs"
    assert runs_beside(tmp_path / "sub" / "mine.cnn.json") == tmp_path / "sub" / "runs"
