"""The Plain vs residual example: the same 20 weight layers with and without shortcuts, and an
explanation written from the runs' own numbers."""
from __future__ import annotations

import pytest

from engine import analyze
from engine.insight import GradientFrame, LayerGradients
from engine.insight.plain_vs_residual import RunSummary, comparison_text, deep_network


@pytest.mark.parametrize("residual", [False, True])
def test_both_networks_are_valid_with_twenty_weight_layers_on_the_digits(residual):
    project = deep_network(residual)
    assert analyze(project.graph, task="classification").valid
    weighted = [node for node in project.graph.nodes.values() if node.type in ("conv2d", "dense")]
    assert len(weighted) == 20
    assert len(project.graph.nodes_of_type("add")) == (9 if residual else 0)
    assert project.training.dataset == "digits"


def test_the_two_differ_only_by_the_shortcuts():
    plain, residual = deep_network(False).graph, deep_network(True).graph
    without_adds = {node.name for node in residual.nodes.values() if node.type != "add"}
    assert without_adds == {node.name for node in plain.nodes.values()}


def frame(first: float, last: float) -> GradientFrame:
    return GradientFrame(1, 10, (LayerGradients("stem", "Conv2d", first, 1.0, 1e-3),
                                 LayerGradients("stem_relu", "ReLU", None, 1.0, None),
                                 LayerGradients("block9_conv2", "Conv2d", last, 1.0, 1e-3),
                                 LayerGradients("fc", "Linear", 5.0, 1.0, 1e-3)))


def test_the_explanation_quotes_the_runs_numbers():
    text = comparison_text(RunSummary("Plain 20", 0.1, frame(2e-9, 4e-3)),
                           RunSummary("Residual 20", 0.873, frame(0.03, 0.02)))
    assert "Plain 20: validation accuracy 10.0 %; first convolution's weight gradient = 5e-07 × the last one's" in text
    assert "Residual 20: validation accuracy 87.3 %; first convolution's weight gradient = 1.5 × the last one's" in text
    closed = comparison_text(RunSummary("Plain 20", None, None), RunSummary("Residual 20", 0.5, None))
    assert "not validated" in closed and "no gradient captured" in closed
