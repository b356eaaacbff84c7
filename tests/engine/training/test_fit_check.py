"""Does the network fit the dataset, and adapting it when it does not."""
from __future__ import annotations

import pytest

from engine import Graph, Project, analyze
from engine.data import DatasetInfo
from engine.training import FitError, Trainer, adapt_graph_to_dataset, fit_problems, size_note

from ..graphs import chain, lenet5
from .conftest import tiny_config, tiny_graph, tiny_split

SHAPES = DatasetInfo(name="shapes", class_names=("circle", "square", "triangle", "cross", "ring"), channels=3,
                     native_size=None, num_samples=2000)
DIGITS = DatasetInfo(name="digits", class_names=tuple("0123456789"), channels=1, native_size=(8, 8),
                     num_samples=1797)


def test_a_fitting_network_has_no_problems_but_resizing_is_noted():
    graph = lenet5()
    assert fit_problems(graph, DIGITS) == []
    assert size_note(graph, DIGITS) == "images of dataset 'digits' are 8×8; they are resized to the Input's 32×32"
    assert size_note(graph, SHAPES) is None  # shapes are drawn at the Input size


def test_mismatches_are_told_in_plain_words():
    problems = fit_problems(lenet5(), SHAPES)
    assert problems == [
        "The Output gives 10 scores but dataset 'shapes' has 5 classes (circle, square, triangle, cross, ring).",
        "The Input takes 1 channel(s) but dataset 'shapes' has colour (3-channel) images.",
    ]


def test_adapting_rewrites_the_input_channels_and_the_last_dense_only():
    graph = lenet5()
    before = {node.id: dict(node.params) for node in graph.nodes.values()}
    changes = adapt_graph_to_dataset(graph, SHAPES)

    assert changes == ["input1: channels 1 → 3 (dataset 'shapes' has colour (3-channel) images)",
                       "fc3: units 10 → 5 (dataset 'shapes' has 5 classes)"]
    changed = {node_id for node_id, node in graph.nodes.items() if node.params != before[node_id]}
    assert changed == {"input1", "fc3"}
    params = graph.nodes["input1"].params
    assert {key: params[key] for key in ("channels", "height", "width")} == {"channels": 3, "height": 32,
                                                                          "width": 32}  # size kept
    assert fit_problems(graph, SHAPES) == [] and analyze(graph).valid
    assert adapt_graph_to_dataset(graph, SHAPES) == []  # nothing left to do


def test_adapting_can_also_take_the_native_size():
    graph = lenet5()
    graph.set_param("input1", "channels", 3)
    changes = adapt_graph_to_dataset(graph, DatasetInfo("faces", ("a", "b"), 3, (40, 36), 10), resize_input=True)
    assert changes[0] == "input1: size 32×32 → 40×36 (the dataset's native size)"
    assert graph.nodes["input1"].params["height"] == 40 and graph.nodes["fc3"].params["out_features"] == 2


def test_the_last_dense_is_found_past_activations_and_dropout():
    graph = Graph()
    chain(graph, ("input", {"channels": 1, "height": 8, "width": 8}), ("flatten", {}),
          ("dense", {"out_features": 7}), ("dropout", {}), ("activation", {"function": "relu"}), ("output", {}))
    assert adapt_graph_to_dataset(graph, DIGITS) == ["fc1: units 7 → 10 (dataset 'digits' has 10 classes)"]


def test_a_network_without_a_final_dense_cannot_be_adapted():
    graph = Graph()
    chain(graph, ("input", {"channels": 1, "height": 8, "width": 8}), ("conv2d", {"out_channels": 4}),
          ("adaptiveavgpool2d", {}), ("flatten", {}), ("output", {}))
    with pytest.raises(FitError, match="no Dense layer feeds it"):
        adapt_graph_to_dataset(graph, DIGITS)


def test_the_trainer_refuses_a_misfit_unless_told_to_adapt():
    project = Project(tiny_graph(classes=10), "Tiny")
    with pytest.raises(FitError, match="The Output gives 10 scores but dataset 'bars' has 3 classes"):
        Trainer(project, tiny_config(epochs=1)).fit(tiny_split())

    result = Trainer(project, tiny_config(epochs=1), adapt=True).fit(tiny_split())
    assert "adapted the network: fc: units 10 → 3 (dataset 'bars' has 3 classes)" in result.notes
    assert result.project.graph.node_by_name("fc").params["out_features"] == 3
    assert project.graph.node_by_name("fc").params["out_features"] == 10  # the caller's graph is untouched

