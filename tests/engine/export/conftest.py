"""A small trained-looking network and its checkpoint, and ways to run code in fresh processes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine import Graph, Project, compile_graph
from engine.checkpoint import save_checkpoint

REPO_ROOT = Path(__file__).resolve().parents[3]
CLASS_NAMES = ["circle", "square", "triangle", "star", "cross"]
MEAN, STD = (0.5, 0.4, 0.3), (0.25, 0.2, 0.3)


def branching_graph() -> Graph:
    """conv → bn → relu → pool, then (conv + pool) and a 1×1 side conv joined by concat → flatten → dense."""
    graph = Graph()
    layers = {}
    for type_id, name, params in [
        ("input", "image", {"channels": 3, "height": 16, "width": 16}),
        ("conv2d", "conv1", {"out_channels": 6, "padding": 1, "bias": False}),
        ("batchnorm2d", "bn1", {}),
        ("activation", "relu1", {}),
        ("maxpool2d", "pool1", {}),
        ("conv2d", "conv2", {"out_channels": 6, "padding": "same"}),
        ("add", "residual", {}),
        ("conv2d", "side", {"out_channels": 4, "kernel_size": 1}),
        ("concat", "join", {}),
        ("flatten", "flat", {}),
        ("dense", "fc", {"out_features": len(CLASS_NAMES)}),
        ("output", "scores", {}),
    ]:
        layers[name] = graph.add_node(type_id, params, name=name).id
    for src, dst in [("image", "conv1"), ("conv1", "bn1"), ("bn1", "relu1"), ("relu1", "pool1"),
                     ("pool1", "conv2"), ("conv2", "residual"), ("pool1", "residual"), ("residual", "join"),
                     ("pool1", "side"), ("side", "join"), ("join", "flat"), ("flat", "fc"), ("fc", "scores")]:
        graph.connect(layers[src], layers[dst])
    return graph


@pytest.fixture
def project() -> Project:
    return Project(branching_graph(), "Shape Net")


@pytest.fixture
def model(project):
    """The compiled network with random weights and BatchNorm statistics, in eval mode."""
    torch.manual_seed(0)
    module = compile_graph(project.graph, name=project.name)
    with torch.no_grad():
        module.bn1.running_mean.uniform_(-0.5, 0.5)
        module.bn1.running_var.uniform_(0.5, 2.0)
        module.bn1.weight.uniform_(0.5, 1.5)
        module.bn1.bias.uniform_(-0.2, 0.2)
    return module.eval()


@pytest.fixture
def checkpoint_path(tmp_path, project, model) -> Path:
    return save_checkpoint(tmp_path / "shapes.pt", project=project, model_state=model.state_dict(),
                           class_names=CLASS_NAMES, mean=MEAN, std=STD, metrics={"val_accuracy": 0.5},
                           history=[{"epoch": 1, "train_loss": 1.2}], epoch=1)


@pytest.fixture
def run_python(tmp_path):
    """Runs Python code in a fresh interpreter with working folder ``tmp_path``.

    With ``engine=False`` ConvCanvas is not even importable there (no
    PYTHONPATH, a folder outside the repository); otherwise the repository is
    on the path.
    """
    def run(code: str, *, engine: bool) -> subprocess.CompletedProcess:
        env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
        if engine:
            env["PYTHONPATH"] = str(REPO_ROOT)
        return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=120)
    return run


@pytest.fixture
def run_cli():
    """``python -m engine ARGS`` from the repository root, as a user runs it."""
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "engine", *args], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=120)
    return run


class RunsCode:
    """Pickles as a call to os.system: what a booby-trapped checkpoint would hold."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


@pytest.fixture
def malicious_checkpoint(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"format": "convcanvas.checkpoint", "payload": RunsCode(f"touch {marker}")}, path)
    return path, marker
