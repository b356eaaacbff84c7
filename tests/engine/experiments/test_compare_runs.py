"""Comparing two runs names what changed: nodes, parameters, connections, training settings."""
from __future__ import annotations

import pytest

from engine.experiments.compare import RunCompareError, compare_runs
from engine.experiments.folders import PROJECT_FILE

from .run_helpers import tiny_project, train_recorded


def test_two_runs_differ_in_a_width_a_new_node_and_the_learning_rate(tmp_path):
    first = train_recorded(tmp_path, epochs=1, lr=0.01)
    project = tiny_project(epochs=1, lr=0.03)
    graph = project.graph
    conv = next(node for node in graph.nodes.values() if node.name == "conv1")
    graph.set_param(conv.id, "out_channels", 8)
    relu = next(node for node in graph.nodes.values() if node.name == "relu1")
    pool = next(node for node in graph.nodes.values() if node.name == "pool1")
    graph.disconnect(next(e for e in graph.edges if e.src == relu.id and e.dst == pool.id))
    extra = graph.add_node("dropout", {"p": 0.1}, name="drop0")
    graph.connect(relu.id, extra.id)
    graph.connect(extra.id, pool.id)
    second = train_recorded(tmp_path, project)
    comparison = compare_runs(first, second)
    assert comparison.nodes_added == ["drop0"] and comparison.nodes_removed == []
    assert ("conv1.out_channels", 4, 8) in comparison.parameters_changed
    assert comparison.settings_changed == [("lr", 0.01, 0.03)]
    assert "relu1.out → pool1.in" in comparison.connections_removed
    assert "Training setting lr: 0.01 → 0.03" in comparison.lines()
    assert compare_runs(first, first).same


def test_a_run_without_its_network_is_one_clear_error(tmp_path):
    run = train_recorded(tmp_path, epochs=1)
    (run / PROJECT_FILE).unlink()
    with pytest.raises(RunCompareError, match="no readable network"):
        compare_runs(run, run)
