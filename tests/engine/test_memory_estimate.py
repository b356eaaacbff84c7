"""Training memory is estimated from the shapes (nothing is allocated) and a network that would
not fit this machine is "ready to train" no more: a warning on the Output card and in summary."""
from __future__ import annotations

import json
import subprocess
import sys

from engine import Project, analyze, save_project
from engine.graph import Graph
from engine.memory import estimate, machine_memory

from .graphs import chain, lenet5

GB = 10**9


def huge_dense() -> Graph:
    """1×256×256 → Flatten → Dense(32,767): 2,147,450,879 parameters, just under 2³¹ (8.6 GB of weights)."""
    graph = Graph()
    chain(graph, ("input", {"channels": 1, "height": 256, "width": 256}), ("flatten", {}),
          ("dense", {"out_features": 32_767}), ("output", {}))
    return graph


def test_the_estimate_adds_weights_gradients_optimizer_state_and_a_batch_of_activations():
    needed = estimate(1000, [(3, 4, 4), (10,), None], batch_size=8, optimizer="adam")
    assert (needed.weights, needed.gradients, needed.optimizer) == (4000, 4000, 8000)
    assert needed.activations == (48 + 10) * 4 * 8
    assert needed.training == 4000 + 4000 + 8000 + 58 * 32
    assert estimate(1000, [], optimizer="sgd").optimizer == 4000  # momentum: one value per weight


def test_a_network_just_under_the_parameter_limit_warns_when_it_would_not_fit():
    graph = huge_dense()
    analysis = analyze(graph, batch_size=64, optimizer="adam", available_memory=16 * GB)
    assert analysis.total_params == 2_147_450_879 and analysis.valid  # a warning, not an error
    output = graph.nodes_of_type("output")[0]
    (issue,) = analysis.nodes[output.id].issues
    assert issue.severity == "warning"
    assert issue.message.startswith("Training this network needs about 34.4 GB (weights 8.6 GB, gradients 8.6 GB, "
                                    "Adam state 17.2 GB, activations for a batch of 64: ")
    assert issue.message.endswith("more than this machine's 16.0 GB of memory.")
    assert issue.hint.startswith("Shrink fc1 (the largest layer)")
    assert not analyze(graph, batch_size=64, available_memory=1000 * GB).issues  # it fits a bigger machine


def test_small_networks_and_this_machine_are_fine():
    assert machine_memory() is None or machine_memory() > 10**8
    analysis = analyze(lenet5(), batch_size=64)
    assert not analysis.issues and analysis.memory.training < 10**8


def test_summary_shows_the_estimate_and_warns_by_this_machines_memory(tmp_path):
    project = Project(huge_dense(), "Huge")
    project.training = project.training.replace(batch_size=64, optimizer="adam")
    path = save_project(project, tmp_path / "huge.cnn.json")
    run = subprocess.run([sys.executable, "-m", "engine", "summary", str(path)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr  # warnings do not fail the check
    assert "Training memory: about 34.4 GB (weights 8.6 GB" in run.stdout
    needed = analyze(project.graph, batch_size=64, available_memory=10**15).memory.training
    fits = machine_memory() is None or needed <= machine_memory()
    assert ("No problems found" in run.stdout) == fits
    assert ("warning: Training this network needs about 34.4 GB" in run.stdout) == (not fits)
    data = json.loads(subprocess.run([sys.executable, "-m", "engine", "summary", str(path), "--json"],
                                     capture_output=True, text=True, timeout=120).stdout)
    assert data["training_memory_bytes"] == needed
