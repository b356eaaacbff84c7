"""The Gradients dock: live gradient flow while it is open, nothing captured while it is closed, and dead
or saturated layers flagged on their cards."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine.insight import GradientFrame, LayerGradients

from .test_training import RUN_TIMEOUT_MS, Studio, open_studio, tiny_graph


@pytest.fixture
def studio(qtbot, tmp_path) -> Studio:
    studio = open_studio(qtbot, tmp_path, tiny_graph(), "tiny")
    yield studio
    studio.ui.jobs.wait(10_000)


def test_the_open_view_shows_each_layers_gradients_live(studio, qtbot):
    ui = studio.ui
    studio.configure(epochs=2, batch_size=16)
    ui.dock("gradientsDock").raise_()
    qtbot.waitUntil(ui.gradients_shown)
    with qtbot.waitSignal(ui.training_ended, timeout=RUN_TIMEOUT_MS):
        assert ui.start_training()
        qtbot.waitUntil(lambda: ui.gradients.frames_shown > 0, timeout=RUN_TIMEOUT_MS)
        frame = ui.gradients.latest()
        assert [layer.name for layer in frame.layers] == ["conv1", "act1", "flatten1", "fc1"]
        conv = frame.layer("conv1")
        assert conv.weight_grad_norm > 0 and conv.activation_grad_norm > 0 and 0 < conv.update_ratio < 1
        bars = ui.gradients.bars.opts
        # activation gradient norm is the default measure: every layer's bar is its log10
        assert list(bars["height"]) == pytest.approx([math.log10(layer.activation_grad_norm)
                                                     for layer in frame.layers])
        ui.stop()
    # the run is kept as a line for the next run to compare with
    assert [label for label, _ in ui.gradients.runs] == ["run 1: tiny"]


def test_changing_the_measure_redraws_the_bars_and_the_heat_strip(studio, qtbot):
    view = studio.ui.gradients
    view.begin_run("run")
    layers = (LayerGradients("conv1", "Conv2d", 0.1, 0.01, 1e-3), LayerGradients("act1", "ReLU", None, 0.001, None))
    view.add_frame(GradientFrame(1, 5, layers))
    view.add_frame(GradientFrame(2, 9, layers))
    view.measure.setCurrentIndex(view.measure.findData("weight_grad_norm"))
    assert list(view.bars.opts["height"]) == pytest.approx([-1.0])  # act1 has no weights: no bar
    assert view.strip_values().shape == (2, 2)  # layers × epochs
    assert np.isnan(view.strip_values()[1]).all()
    assert view.strip.image is not None


def test_a_closed_view_costs_the_run_nothing(studio, qtbot):
    ui = studio.ui
    studio.configure(epochs=2, batch_size=16)
    ui.dock("curvesDock").raise_()  # the Gradients tab is behind the curves
    qtbot.waitUntil(lambda: not ui.gradients_shown())
    studio.train(qtbot)
    assert ui.gradients.frames_shown == 0 and ui.gradients.runs == []


def test_dead_and_saturated_layers_are_flagged_on_their_cards(make_window, qtbot):
    window = make_window()
    ui, graph = window.training_ui, window.document.graph
    conv, act = graph.nodes_of_type("conv2d")[0].id, graph.nodes_of_type("activation")[0].id
    layers = (LayerGradients(graph.activation_name(conv), "Conv2d", 0.1, 0.01, 1e-3),
              LayerGradients(graph.activation_name(act), "Tanh", None, 0.01, None, saturated_share=0.6))
    ui._show_gradient_flags(GradientFrame(1, 1, layers), graph)
    items = window.canvas.scene().node_items
    assert items[act].badge == "⚠ saturated 60 %"
    assert items[conv].badge is None
    healthy = (layers[0], LayerGradients(layers[1].name, "Tanh", None, 0.01, None, saturated_share=0.01))
    ui._show_gradient_flags(GradientFrame(1, 2, healthy), graph)
    assert items[act].badge is None


def test_a_deep_networks_bars_are_numbered_instead_of_named():
    from app.training.gradients import layer_ticks

    assert layer_ticks(["conv1", "act1"]) == [(0, "conv1"), (1, "act1")]
    assert layer_ticks([f"layer{i}" for i in range(12)]) == [(0, "1"), (5, "6"), (10, "11")]
