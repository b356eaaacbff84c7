"""``torchrun --nproc_per_node=2 -m engine train``: two CPU processes (gloo), one set of files."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import torch

from engine import Project, save_project
from engine.checkpoint import build_model, load_checkpoint

from .conftest import tiny_config, tiny_graph

REPO_ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def torchrun_train(project_file: Path, out: Path, cwd: Path) -> subprocess.CompletedProcess:
    """Two processes on the CPU; a port taken between choosing and binding it is retried with another."""
    torchrun = Path(sys.executable).with_name("torchrun")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "OMP_NUM_THREADS": "1"}
    for _ in range(3):
        completed = subprocess.run(
            [str(torchrun), "--nproc_per_node=2", "--master_addr=127.0.0.1", f"--master_port={free_port()}",
             "-m", "engine", "train", str(project_file), "--out", str(out), "--json"],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
        if "address already in use" not in completed.stderr.lower():
            break
    return completed


def test_torchrun_with_two_processes_trains_once_and_rank_0_writes_the_checkpoint(tmp_path):
    project_file = save_project(Project(tiny_graph(classes=10), "Tiny", training=tiny_config(epochs=1,
                                                                                            batch_size=64)),
                                tmp_path / "tiny.cnn.json")
    out = tmp_path / "run"
    completed = torchrun_train(project_file, out, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]

    lines = completed.stdout.splitlines()
    summary = json.loads(lines[-1])
    assert [line for line in lines if line.startswith("{")] == [lines[-1]]  # rank 0 alone reports
    assert sum(line.startswith("epoch 1/1") for line in lines) == 1
    assert "distributed: process 1 of 2, gloo" in lines
    assert summary["epochs"] == 1 and summary["checkpoint"] == str(out / "best.pt")

    # One run folder, written by rank 0 alone: one events file, one status of a two-process run.
    names = sorted(path.name for path in out.iterdir())
    assert [name for name in names if not name.startswith("events.")] == [
        "best.pt", "last.pt", "metrics.jsonl", "project.cnn.json", "run.json", "settings.json"]
    assert sum(name.startswith("events.out.tfevents") for name in names) == 1
    status = json.loads((out / "run.json").read_text())
    assert status["status"] == "finished" and status["world_size"] == 2 and status["epochs"] == 1
    assert not (tmp_path / "runs").exists()  # the other rank made no folder of its own
    checkpoint = load_checkpoint(out / "best.pt")
    assert checkpoint.epoch == 1 and len(checkpoint.history) == 1
    # Validation was shared between the ranks and summed: every image counted exactly once.
    assert sum(map(sum, checkpoint.metrics["confusion"])) == 359
    assert checkpoint.history[0]["val_accuracy"] == summary["val_accuracy"]
    model = build_model(checkpoint)
    assert model(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
