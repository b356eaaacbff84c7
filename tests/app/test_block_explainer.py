"""The block explainer: each modern block's page opens from the block's context menu, set up from the node,
and shows numbers that torch computes the same way here."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.explainer.block_window import BlockExplainer
from engine.explain.convolution import format_value

from .canvas_helpers import pick_from_context_menu

EXPLAIN = "Explain This Block…"


def add_after_conv2(window, qtbot, type_id: str, **params) -> str:
    """A ``type_id`` node fed by LeNet-5's conv2 (16 channels of 10×10), analysed (a Multiply, with its many
    inputs, is left unconnected)."""
    document = window.document
    node_id = document.add_node_after(type_id, "conv2")
    assert node_id is not None
    for key, value in params.items():
        assert document.set_param(node_id, key, value)
    fed = type_id != "multiply"
    qtbot.waitUntil(lambda: node_id in document.analysis.nodes
                    and bool(document.analysis.nodes[node_id].input_shapes) == fed, timeout=10_000)
    window.canvas.center_on_nodes([node_id])
    return node_id


def open_from_menu(window, qtbot, node_id: str) -> BlockExplainer:
    seen = pick_from_context_menu(window.canvas, node_id, EXPLAIN)
    assert EXPLAIN in seen
    qtbot.waitUntil(lambda: window.findChild(BlockExplainer) is not None and
                    window.findChild(BlockExplainer).isVisible(), timeout=60_000)  # after PyTorch's warm-up
    return window.findChild(BlockExplainer)


def test_each_block_opens_its_page_set_up_from_the_node(window, qtbot):
    cases = [("activation", {"function": "hardswish"}, "activation"),
             ("prelu", {}, "prelu"),
             ("multiply", {}, "squeeze_excite"),
             ("channel_shuffle", {"groups": 4}, "channel_shuffle"),
             ("layernorm2d", {}, "layernorm2d"),
             ("stochastic_depth", {"p": 0.5}, "stochastic_depth"),
             ("spatial_mean", {}, "spatial_mean")]
    for type_id, params, topic in cases:
        node_id = add_after_conv2(window, qtbot, type_id, **params)
        explainer = open_from_menu(window, qtbot, node_id)
        assert explainer.topic == topic, type_id
        assert explainer.stack.currentWidget().widget() is explainer.page(topic)
    assert window.findChildren(BlockExplainer) == [explainer]  # one window, turned to each page
    pages = explainer.pages
    assert pages["activation"].function_box.currentData() == "hardswish"
    assert "16 slopes, one per channel" in pages["prelu"].node_note.text()
    assert (pages["channel_shuffle"].channels_box.value(), pages["channel_shuffle"].groups_box.value()) == (16, 4)
    expected = torch.nn.ChannelShuffle(4)(torch.arange(16.0).reshape(1, 16, 1, 1)).flatten().int().tolist()
    assert pages["channel_shuffle"].drawing.order == expected
    assert pages["stochastic_depth"].rate_box.value() == 0.5
    assert set(pages["stochastic_depth"].result.training) <= {0.0, 2.0}
    # A convolution keeps its own explainer, a Softmax (not element-wise) and a pooling have no page.
    softmax = add_after_conv2(window, qtbot, "activation", function="softmax")
    for node_id in ("conv2", "pool1", softmax):
        assert EXPLAIN not in pick_from_context_menu(window.canvas, node_id, "Copy")


@pytest.fixture
def explainer(window, qtbot) -> BlockExplainer:
    node_id = add_after_conv2(window, qtbot, "activation", function="mish")
    return open_from_menu(window, qtbot, node_id)


def test_activation_curves_and_slopes_are_torchs(explainer):
    page = explainer.page("activation")
    assert page.function_box.currentData() == "mish"
    x, y = page.value_plot.curves["Mish"]
    assert torch.allclose(torch.tensor(y), F.mish(torch.tensor(x, dtype=torch.float64)).float(), atol=1e-6)
    assert "SiLU" in page.value_plot.curves  # the smooth function beside it
    page.function_box.setCurrentIndex(page.function_box.findData("hardswish"))  # as a user picks it
    x, slope = page.slope_plot.curves["Hardswish"]
    below = [s for v, s in zip(x, slope) if v < -3]
    above = [s for v, s in zip(x, slope) if v > 3]
    assert below and set(below) == {0.0} and set(above) == {1.0}  # piecewise: flat, then the identity's slope
    assert "Piecewise" in page.notes.text() and "SiLU by at most 0.142" in page.notes.text()


def test_squeeze_excite_gates_scale_whole_channels(explainer, qtbot):
    explainer.topics.setCurrentRow(list(explainer.pages).index("squeeze_excite"))
    page = explainer.page("squeeze_excite")
    result = page.result
    maps = result.maps
    assert result.squeezed == pytest.approx(maps.mean((1, 2)).tolist())
    gates = torch.tensor(result.gates, dtype=maps.dtype)
    assert ((gates > 0) & (gates < 1)).all()
    assert torch.allclose(result.gated, maps * gates[:, None, None])
    assert page.gate_labels[0].text().endswith(f"gate {result.gates[0]:.2f}")
    QTest.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    assert page.result.gates != result.gates  # new weights, new gates
    assert page.gate_labels[0].text().endswith(f"gate {page.result.gates[0]:.2f}")


def test_channel_shuffle_refuses_groups_that_do_not_divide(explainer, qtbot):
    explainer.show_topic("channel_shuffle")
    page = explainer.page("channel_shuffle")
    page.channels_box.setValue(6)
    page.groups_box.setFocus()
    QTest.keyClick(page.groups_box, Qt.Key.Key_Up)  # 2 → 3
    assert page.drawing.order == [0, 2, 4, 1, 3, 5]
    QTest.keyClick(page.groups_box, Qt.Key.Key_Up)  # 3 → 4: does not divide 6
    assert page.message.isVisible() and "4 groups do not divide 6 channels" in page.message.text()
    assert page.drawing.order == []
    QTest.keyClick(page.groups_box, Qt.Key.Key_Up)
    QTest.keyClick(page.groups_box, Qt.Key.Key_Up)  # 6 groups of 1: the identity
    assert not page.message.isVisible() and page.drawing.order == list(range(6))


def test_layer_norm_normalises_the_clicked_pixel_over_its_channels(explainer, qtbot):
    explainer.show_topic("layernorm2d")
    page = explainer.page("layernorm2d")
    grid = page.inputs[1].grid
    QTest.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualRect(grid.model().index(2, 1)).center())
    assert page.pixel == (2, 1)
    values = page.result.values
    expected = F.layer_norm(values.permute(1, 2, 0), (values.shape[0],), eps=1e-6).permute(2, 0, 1)
    for channel, panel in enumerate(page.outputs):
        assert panel.grid.text_at(2, 1) == format_value(round(float(expected[channel, 2, 1]), 3))
    assert "Pixel (row 2, column 1)" in page.working.text()
    column = expected[:, 2, 1]
    assert abs(float(column.mean())) < 1e-9 and abs(float(column.var(unbiased=False)) - 1) < 1e-4


def test_stochastic_depth_drops_samples_in_training_only(explainer, qtbot):
    explainer.show_topic("stochastic_depth")
    page = explainer.page("stochastic_depth")
    page.rate_box.setValue(0.5)
    first = page.result
    assert set(first.training) <= {0.0, 2.0} and first.evaluation == [1.0] * 8
    assert all(abs(value - 1) < 0.15 for value in first.average)
    assert [page.training.grid.text_at(0, k) for k in range(8)] == [format_value(v) for v in first.training]
    draws = {tuple(first.training)}
    for _ in range(4):
        QTest.mouseClick(page.draw_button, Qt.MouseButton.LeftButton)
        draws.add(tuple(page.result.training))
    assert len(draws) > 1  # each draw drops other samples
    assert page.evaluation.grid.text_at(0, 0) == "1"


def test_spatial_mean_equals_global_average_pooling(explainer):
    explainer.show_topic("spatial_mean")
    page = explainer.page("spatial_mean")
    maps = page.result.maps
    means = maps.mean((1, 2))
    assert page.result.means == pytest.approx(means.tolist())
    assert page.means.grid.text_at(2, 0) == format_value(round(float(means[2]), 3))
    assert page.panels[0].subtitle.text().endswith(f"= {format_value(round(float(means[0]), 3))}")


def test_prelu_learns_the_slope_of_its_data(explainer):
    page = explainer.page("prelu")
    page.target_box.setValue(0.3)
    slopes = page.learning.slopes
    assert slopes[0] == pytest.approx(0.25) and slopes[-1] == pytest.approx(0.3, abs=1e-3)
    assert page.slope_plot.curves["a"][1] == slopes


def test_plots_follow_the_theme(window, explainer):
    plot = explainer.page("activation").value_plot
    before = plot.backgroundBrush().color().name()
    window.theme.set_mode("dark" if window.theme.scheme == "light" else "light")
    assert plot.backgroundBrush().color().name() != before
    assert plot.curves  # the curves are drawn again, not lost
