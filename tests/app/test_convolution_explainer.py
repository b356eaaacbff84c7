"""Help ▸ Learn Convolution: the explainer window, driven like a user, its numbers checked against torch."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLineEdit

from app.explainer import ConvolutionExplainer
from app.explainer.grids import CURRENT, PADDING, PENDING, WINDOW, WINDOW_PADDING
from engine.checkpoint import save_checkpoint
from engine.compiler import compile_graph
from engine.explain.convolution import CLASSIC_FILTER, CLASSIC_INPUT, PRESET_FILTERS, format_value, load_grey_image

from .canvas_helpers import pick_from_context_menu


def torch_conv(image, kernel, **settings) -> torch.Tensor:
    x = torch.as_tensor(image, dtype=torch.float64)[None, None]
    w = torch.as_tensor(kernel, dtype=torch.float64)[None, None]
    return F.conv2d(x, w, **settings)[0, 0]


def grid_texts(grid) -> list[list[str]]:
    return [[grid.text_at(r, c) for c in range(grid.columnCount())] for r in range(grid.rowCount())]


def as_texts(values) -> list[list[str]]:
    return [[format_value(v) for v in row] for row in torch.as_tensor(values).tolist()]


def help_action(window, text: str):
    help_menu = next(action.menu() for action in window.menuBar().actions() if action.text() == "&Help")
    return next(action for action in help_menu.actions() if action.text().replace("&", "") == text)


@pytest.fixture
def explainer(window, qtbot) -> ConvolutionExplainer:
    action = help_action(window, "Learn Convolution")
    qtbot.waitUntil(action.isEnabled, timeout=60_000)  # as a user would: PyTorch is prepared behind the window
    action.trigger()
    opened = window.findChild(ConvolutionExplainer)
    assert opened is not None
    qtbot.waitExposed(opened)
    return opened


def choose(combo, data) -> None:
    index = combo.findData(data)
    assert index >= 0, f"{combo.objectName()} offers no {data!r}"
    combo.setCurrentIndex(index)


# --- the classic example ----------------------------------------------------------------------------


def test_help_menu_opens_the_classic_example_with_torch_values(explainer):
    assert explainer.objectName() == "convolutionExplainer" and explainer.isVisible()
    assert grid_texts(explainer.input_panel.grid) == as_texts(CLASSIC_INPUT)
    assert grid_texts(explainer.filter_panel.grid) == as_texts(CLASSIC_FILTER)
    expected = torch_conv(CLASSIC_INPUT, CLASSIC_FILTER)
    assert grid_texts(explainer.output_panel.grid) == as_texts(expected)
    assert explainer.formula_height.text() == "⌊(5 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1 = 3"
    assert explainer.formula_width.text() == explainer.formula_height.text()
    assert explainer.filter_box.currentText() == "Vertical edge"
    assert explainer.position_label.text() == "Step 1 / 9"
    assert explainer.after_panel.isHidden()  # nothing after the convolution until asked


def test_opening_it_again_raises_the_same_window(window, explainer):
    help_action(window, "Learn Convolution").trigger()
    assert window.findChildren(ConvolutionExplainer) == [explainer]


# --- settings ------------------------------------------------------------------------------------------


def test_stride_padding_and_dilation_change_the_output_live(explainer, qtbot):
    box = explainer.stride_box
    box.setFocus()
    QTest.keyClick(box, Qt.Key.Key_Up)  # stride 1 → 2, as a user would
    assert box.value() == 2
    assert explainer.output_panel.grid.rowCount() == 2
    assert grid_texts(explainer.output_panel.grid) == as_texts(torch_conv(CLASSIC_INPUT, CLASSIC_FILTER, stride=2))
    assert explainer.formula_height.text() == "⌊(5 + 2·0 − 1·(3 − 1) − 1) / 2⌋ + 1 = 2"
    for stride, padding, dilation in [(1, 1, 1), (2, 1, 1), (1, 2, 2), (3, 2, 1), (2, 3, 2)]:
        explainer.stride_box.setValue(stride)
        explainer.padding_box.setValue(padding)
        explainer.dilation_box.setValue(dilation)
        expected = torch_conv(CLASSIC_INPUT, CLASSIC_FILTER, stride=stride, padding=padding, dilation=dilation)
        assert grid_texts(explainer.output_panel.grid) == as_texts(expected), (stride, padding, dilation)
        # The input is shown with its zero border, greyed.
        assert explainer.input_panel.grid.rowCount() == 5 + 2 * padding
        assert explainer.input_panel.grid.mark_at(0, 0) in (PADDING, WINDOW_PADDING)
        assert explainer.input_panel.grid.text_at(0, 0) == "0"
        # Every step's sum is the output cell it lands in.
        for index in range(explainer.step_count):
            explainer.go_to_step(index)
            assert explainer.step_view.landing.text().startswith(f"= {format_value(expected.flatten()[index])},")


def test_impossible_settings_say_why_and_recover(explainer):
    explainer.dilation_box.setValue(3)
    assert "filter spans 7×7" in explainer.message.text()
    assert explainer.formula_height.text().endswith("= −1")
    assert explainer.output_panel.grid.isHidden()
    assert not explainer.forward_button.isEnabled()
    explainer.dilation_box.setValue(1)
    assert explainer.message.text() == ""
    assert explainer.output_panel.grid.isVisible()


def test_relu_and_pooling_show_what_they_do(explainer):
    explainer.padding_box.setValue(1)
    choose(explainer.activation_box, "relu")
    feature_map = torch_conv(CLASSIC_INPUT, CLASSIC_FILTER, padding=1)
    assert explainer.after_panel.isVisible()
    assert grid_texts(explainer.after_panel.grid) == as_texts(F.relu(feature_map))
    choose(explainer.pooling_box, "max")
    pooled = F.max_pool2d(F.relu(feature_map)[None, None], 2)[0, 0]
    assert grid_texts(explainer.after_panel.grid) == as_texts(pooled)
    choose(explainer.activation_box, "none")
    choose(explainer.pooling_box, "avg")
    assert grid_texts(explainer.after_panel.grid) == as_texts(F.avg_pool2d(feature_map[None, None], 2)[0, 0])
    explainer.go_to_step(8)  # output (1, 3) feeds the pooled cell (0, 1)
    assert explainer.after_panel.grid.mark_at(0, 1) == CURRENT


# --- editing ---------------------------------------------------------------------------------------------


def type_into_cell(qtbot, grid, row: int, col: int, text: str) -> None:
    """Clicks a cell (which opens its editor), types ``text`` and presses Return."""
    rect = grid.visualRect(grid.model().index(row, col))
    QTest.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit), "clicking a cell opens its editor"
    editor.selectAll()
    QTest.keyClicks(editor, text)
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: grid.state() == QAbstractItemView.State.NoState)  # the delegate commits queued


def test_editing_an_input_cell_updates_the_output(explainer, qtbot):
    type_into_cell(qtbot, explainer.input_panel.grid, 0, 2, "9")
    edited = torch.tensor(CLASSIC_INPUT, dtype=torch.float64)
    edited[0, 2] = 9
    assert explainer.input_panel.grid.text_at(0, 2) == "9"
    assert grid_texts(explainer.output_panel.grid) == as_texts(torch_conv(edited, CLASSIC_FILTER))
    assert explainer.output_panel.grid.text_at(0, 0) == "−10"


def test_bad_text_in_a_cell_is_refused_with_a_message(explainer, qtbot):
    type_into_cell(qtbot, explainer.filter_panel.grid, 1, 1, "abc")
    assert "“abc” is not a number" in explainer.message.text()
    assert explainer.filter_panel.grid.text_at(1, 1) == "0"  # the old value stays
    type_into_cell(qtbot, explainer.filter_panel.grid, 1, 1, "-2")
    assert explainer.message.text() == ""
    assert explainer.filter_box.currentText().startswith("Custom")
    kernel = torch.tensor(CLASSIC_FILTER, dtype=torch.float64)
    kernel[1, 1] = -2
    assert grid_texts(explainer.output_panel.grid) == as_texts(torch_conv(CLASSIC_INPUT, kernel))


def test_preset_filters_switch_the_filter_and_the_output(explainer):
    for name in ("Sobel y", "Gaussian blur", "Sharpen"):
        choose(explainer.filter_box, name)
        assert grid_texts(explainer.filter_panel.grid) == as_texts(PRESET_FILTERS[name])
        assert grid_texts(explainer.output_panel.grid) == as_texts(torch_conv(CLASSIC_INPUT, PRESET_FILTERS[name]))
    explainer.filter_size_box.setValue(5)
    assert explainer.filter_panel.grid.rowCount() == 5
    assert explainer.output_panel.grid.rowCount() == 1


# --- stepping -------------------------------------------------------------------------------------------------


def test_keys_step_the_window_and_show_its_products(explainer, qtbot):
    explainer.activateWindow()
    QTest.keyClick(explainer, Qt.Key.Key_Right)
    assert explainer.step_index == 1
    grid = explainer.input_panel.grid
    window_cells = {cell for cell, role in grid.marks.items() if role == WINDOW}
    assert window_cells == {(r, c) for r in range(3) for c in range(1, 4)}
    assert explainer.step_view.equation.text().replace("\u00a0", " ") == \
        "2×1 + 0×0 + 3×(−1) + 5×1 + 6×0 + 7×(−1) + 0×1 + 1×0 + 2×(−1) = −5"
    assert grid_texts(explainer.step_view.products_grid) == [["2", "0", "−3"], ["5", "0", "−7"], ["0", "0", "−2"]]
    assert explainer.output_panel.grid.mark_at(0, 1) == CURRENT
    assert explainer.output_panel.grid.mark_at(0, 2) == PENDING
    assert explainer.output_panel.grid.mark_at(0, 0) is None  # done: it shows its value plainly
    assert explainer.step_title.text().startswith("Step 2 of 9")
    QTest.keyClick(explainer, Qt.Key.Key_Left)
    assert explainer.step_index == 0
    QTest.keyClick(explainer, Qt.Key.Key_Space)
    assert explainer.playing and explainer.play_button.text().endswith("Pause")
    QTest.keyClick(explainer, Qt.Key.Key_Space)
    assert not explainer.playing


def test_play_slides_the_window_to_the_end_and_stops(explainer, qtbot):
    explainer.speed_slider.setValue(explainer.speed_slider.maximum())
    QTest.mouseClick(explainer.play_button, Qt.MouseButton.LeftButton)
    assert explainer.playing
    qtbot.waitUntil(lambda: not explainer.playing, timeout=5000)
    assert explainer.step_index == 8
    assert explainer.output_panel.grid.mark_at(2, 2) == CURRENT
    assert not explainer.forward_button.isEnabled()


def test_clicking_an_output_cell_jumps_to_its_step(explainer, qtbot):
    grid = explainer.output_panel.grid
    QTest.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=grid.visualRect(grid.model().index(2, 1)).center())
    assert explainer.step_index == 7


# --- images ------------------------------------------------------------------------------------------------------


def test_a_loaded_image_shows_its_feature_map_as_a_heat_map(explainer, dialogs, tmp_path):
    pixels = np.zeros((30, 40), dtype=np.uint8)
    pixels[:, 20:] = 255
    path = tmp_path / "edge.png"
    Image.fromarray(pixels).save(path)

    def answer(dialog):
        assert dialog.objectName() == "explainerImageDialog"
        dialog.selectFile(str(path))
        dialog.accept()

    dialogs.expect(answer)
    QTest.mouseClick(explainer.load_button, Qt.MouseButton.LeftButton)
    assert explainer.image_caption == "edge.png"
    assert explainer.input_panel.heat.isVisible() and explainer.input_panel.grid.isHidden()
    assert explainer.output_panel.heat.isVisible()
    expected = torch_conv(load_grey_image(path), CLASSIC_FILTER)
    np.testing.assert_allclose(explainer.output_panel.heat.values, expected.numpy())
    assert explainer.output_panel.title.text() == "Feature map 28×38"
    assert explainer.output_panel.heat.values.min() == pytest.approx(-3.0)  # dark-to-bright edge
    explainer.go_to_step(5)
    assert explainer.output_panel.heat.current == (0, 5)
    assert explainer.input_panel.heat.taps[0] == (0, 5)
    grab = explainer.output_panel.heat.grab().toImage()
    row = [grab.pixelColor(x, grab.height() // 2) for x in range(grab.width())]
    assert any(colour.blue() > colour.red() + 80 for colour in row)  # the negative edge is drawn blue
    assert "edge.png: 30×40 grey pixels" in explainer.input_note.text()
    assert not explainer.input_form.isRowVisible(explainer.input_size_box)  # an image has its own size


def test_a_file_that_is_no_image_is_refused_with_a_message(explainer, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("hello")
    assert not explainer.load_image(bad)
    assert "Cannot read notes.png as an image" in explainer.message.text()
    assert explainer.image_caption is None  # the numbers stay


# --- from a conv node --------------------------------------------------------------------------------------------


def test_a_conv_nodes_context_menu_explains_it_with_its_settings(window, qtbot):
    assert window.document.set_param("conv2", "stride", 2)
    assert window.document.set_param("conv2", "padding", 1)
    window.canvas.center_on_nodes(["conv2"])
    seen = pick_from_context_menu(window.canvas, "conv2", "Explain This Convolution…")
    explainer = window.findChild(ConvolutionExplainer)
    assert explainer is not None and explainer.isVisible()
    assert "Explain This Convolution…" in seen
    assert explainer.windowTitle() == "Learn Convolution — conv2"
    assert (explainer.stride_box.value(), explainer.padding_box.value(), explainer.dilation_box.value()) == (2, 1, 1)
    assert explainer.kernel.shape == (5, 5)
    assert explainer.filter_box.currentText() == "Vertical edge"  # no trained weights: a preset of its size
    assert explainer.conv.output_size[0] >= 3
    assert grid_texts(explainer.output_panel.grid) == as_texts(
        torch_conv(explainer.image, explainer.kernel, stride=2, padding=1))
    # Other blocks have no such entry.
    assert "Explain This Convolution…" not in pick_from_context_menu(window.canvas, "pool1", "Copy")


def test_a_trained_conv_node_offers_its_learned_filters_and_probe_image(window, qtbot, tmp_path):
    project = window.document.project
    model = compile_graph(project.graph)
    torch.manual_seed(3)
    path = save_checkpoint(tmp_path / "lenet.pt", project=project, model_state=model.state_dict(),
                           class_names=[str(i) for i in range(10)], mean=(0.5,), std=(0.25,), metrics={},
                           history=[], epoch=1)
    ui = window.training_ui
    assert ui.open_checkpoint(path)
    weights = model.get_submodule("conv2").weight.detach().double()

    window.canvas.explain_requested.emit("conv2")
    explainer = window.findChild(ConvolutionExplainer)
    assert explainer.filter_box.currentText() == "Learned filter of conv2"
    assert grid_texts(explainer.filter_panel.grid) == as_texts(weights[0, 0])
    explainer.out_channel_box.setValue(7)
    explainer.in_channel_box.setValue(4)
    assert grid_texts(explainer.filter_panel.grid) == as_texts(weights[7, 4])
    torch.testing.assert_close(explainer.conv.feature_map, torch_conv(explainer.image, weights[7, 4]))
    assert "16 filters over 6 input channels" in explainer.filter_note.text()
    assert not explainer.filter_size_box.isEnabled()  # a learned filter has the layer's size

    qtbot.waitUntil(lambda: ui.trained is not None and ui.trained.data is not None, timeout=30_000)
    window.canvas.explain_requested.emit("conv2")  # opened again: filter 0 of input channel 0
    assert explainer.probe_button.isVisible()
    QTest.mouseClick(explainer.probe_button, Qt.MouseButton.LeftButton)
    assert explainer.image_caption == "validation image #0"
    assert explainer.image.shape == (32, 32)
    assert explainer.output_panel.heat.isVisible()
    np.testing.assert_allclose(explainer.output_panel.heat.values,
                               torch_conv(explainer.image, weights[0, 0]).numpy())
