"""``convcanvas train``: defaults from the project, flags on top, one JSON line, one-line errors."""
from __future__ import annotations

import json

import pytest

from engine import Project, save_project
from engine.checkpoint import load_checkpoint
from engine.cli import main

from .conftest import tiny_config, tiny_graph


@pytest.fixture
def project_file(tmp_path):
    """The tiny network with 10 classes, set up for one quick epoch on the bundled digits."""
    project = Project(tiny_graph(classes=10), "Tiny", training=tiny_config(epochs=1, batch_size=128))
    return str(save_project(project, tmp_path / "tiny.cnn.json"))


def run_cli(capsys, *args: str) -> tuple[int, list[str], str]:
    code = main(["train", *args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_training_prints_epoch_lines_and_ends_with_one_json_object(project_file, tmp_path, capsys):
    code, lines, _ = run_cli(capsys, project_file, "--out", str(tmp_path / "run"), "--json")
    assert code == 0
    summary = json.loads(lines[-1])
    assert set(summary) == {"epochs", "train_loss", "val_loss", "val_accuracy", "checkpoint", "run"}
    assert summary["epochs"] == 1 and summary["checkpoint"] == str(tmp_path / "run" / "best.pt")
    assert summary["run"] == str(tmp_path / "run")  # --out DIR is the run folder
    assert isinstance(summary["train_loss"], float) and 0 <= summary["val_accuracy"] <= 1
    assert any(line.startswith("epoch 1/1  train loss") for line in lines)  # no bars: stdout is not a terminal
    assert any(line.startswith("device: CPU") for line in lines)
    checkpoint = load_checkpoint(summary["checkpoint"])
    assert checkpoint.history[-1]["val_accuracy"] == pytest.approx(summary["val_accuracy"])
    assert checkpoint.class_names == [str(digit) for digit in range(10)]


def test_flags_override_the_project_settings(project_file, tmp_path, capsys):
    out = tmp_path / "model.pt"
    code, lines, _ = run_cli(capsys, project_file, "--out", str(out), "--batch-size", "256", "--lr", "0.02",
                             "--seed", "7", "--device", "cpu", "--json")
    assert code == 0 and json.loads(lines[-1])["checkpoint"] == str(out)
    config = load_checkpoint(out).config
    assert (config["batch_size"], config["lr"], config["seed"], config["epochs"]) == (256, 0.02, 7, 1)
    assert (tmp_path / "model-last.pt").is_file()


def test_early_stopping_clipping_and_validation_flags_reach_the_run(project_file, tmp_path, capsys):
    out = tmp_path / "run"
    code, lines, _ = run_cli(capsys, project_file, "--out", str(out), "--epochs", "3", "--patience", "4",
                             "--clip-grad", "1.5", "--val-every", "2", "--json")
    assert code == 0
    config = load_checkpoint(out / "last.pt").config
    assert (config["patience"], config["clip_grad"], config["val_every"]) == (4, 1.5, 2)
    assert any(line.startswith("epoch 1/3") and "(no validation this epoch)" in line for line in lines)
    assert any(line.startswith("epoch 2/3") and "val loss" in line for line in lines)


def test_resuming_continues_from_the_checkpoint_settings(project_file, tmp_path, capsys):
    out = tmp_path / "run"
    run_cli(capsys, project_file, "--out", str(out), "--batch-size", "256")
    code, lines, _ = run_cli(capsys, project_file, "--out", str(out), "--resume", str(out / "last.pt"),
                             "--epochs", "2", "--json")
    assert code == 0 and json.loads(lines[-1])["epochs"] == 2
    assert "resumed after epoch 1 of 2" in lines
    checkpoint = load_checkpoint(out / "last.pt")
    assert checkpoint.epoch == 2 and checkpoint.config["batch_size"] == 256


def test_a_misfit_network_is_refused_unless_adapted(project_file, tmp_path, capsys):
    code, lines, err = run_cli(capsys, project_file, "--dataset", "shapes:20", "--out", str(tmp_path / "a"))
    assert code == 2 and lines == []
    assert err.count("\n") == 1
    assert "The Output gives 10 scores but dataset 'shapes' has 5 classes" in err and "--adapt" in err

    code, lines, _ = run_cli(capsys, project_file, "--dataset", "shapes:20", "--adapt", "--out",
                             str(tmp_path / "b"), "--json")
    assert code == 0
    assert "adapted the network: fc: units 10 → 5 (dataset 'shapes' has 5 classes)" in lines
    assert load_checkpoint(tmp_path / "b" / "best.pt").project.graph.node_by_name("image").params["channels"] == 3


@pytest.mark.parametrize("args, message", [
    (["missing.cnn.json"], "missing.cnn.json: no such file"),
    (["{file}", "--dataset", "/no/such/folder"], "/no/such/folder"),
    (["{file}", "--epochs", "0"], "bad training setting: epochs: must be at least 1"),
    (["{file}", "--resume", "{file}"], "not a"),
    (["{file}", "--val-every", "0"], "bad training setting: val_every: must be at least 1"),
    (["{file}", "--clip-grad", "-1"], "bad training setting: clip_grad: must be at least 0"),
])
def test_bad_input_is_one_line_and_exit_status_2(project_file, tmp_path, capsys, args, message):
    args = [arg.format(file=project_file) for arg in args]
    code, _, err = run_cli(capsys, *args, "--out", str(tmp_path / "run"))
    assert code == 2
    assert err.startswith("convcanvas train: ") and err.count("\n") == 1
    assert message in err


def test_an_invalid_network_is_refused_in_one_line(tmp_path, capsys):
    graph = tiny_graph(classes=10)
    graph.disconnect(graph.incoming(graph.node_by_name("scores").id)[0])
    path = save_project(Project(graph, "Broken", training=tiny_config(epochs=1)), tmp_path / "broken.cnn.json")
    code, _, err = run_cli(capsys, str(path), "--out", str(tmp_path / "run"))
    assert code == 2 and err.count("\n") == 1
    assert "the network cannot be built: scores: Output needs an input" in err


def test_the_fast_flag_turns_the_fast_path_on_and_says_what_it_chose(project_file, tmp_path, capsys):
    code, lines, _ = run_cli(capsys, project_file, "--out", str(tmp_path / "plain"))
    assert code == 0 and load_checkpoint(tmp_path / "plain" / "last.pt").config["fast"] is False
    assert not any(line.startswith("fast path") for line in lines)

    code, lines, _ = run_cli(capsys, project_file, "--out", str(tmp_path / "fast"), "--fast")
    assert code == 0 and load_checkpoint(tmp_path / "fast" / "last.pt").config["fast"] is True
    assert any(line.startswith("fast path: not compiling Tiny: it would need ~") for line in lines)
