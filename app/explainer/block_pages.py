"""The block explainer's pages, one per topic of ``engine.explain.blocks``: each lays out what that module
computed (curves, gates, a permutation, normalised pixels, kept samples, means) and nothing else.

Every page has ``topic`` (its key in ``TOPICS``) and ``show_node(params, input_shape)``, which sets it up
for a node of the canvas (its function, groups, drop rate, channels)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.explain import blocks
from engine.explain.convolution import ExplainError, format_value

from ..labels import heading, muted
from ..theme import set_style_property
from .block_plots import CurvePlot, ShuffleDrawing
from .grids import CURRENT, HeatMap
from .widgets import GridPanel, bold, operator_label, spin_box

GREY_LUT = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
MAP_SIDE = 96  # px: a feature map's heat map on the squeeze-and-excite page
SMALL_CELL = 34


def _number(value: float) -> str:
    return format_value(round(float(value), 3))


class Page(QWidget):
    topic = ""

    def __init__(self, intro: str) -> None:
        super().__init__()
        self.setObjectName(f"explainPage_{self.topic}")
        self.title = heading(blocks.TOPICS[self.topic])
        self.intro = muted(intro)
        self.message = QLabel()
        self.message.setObjectName("issueText")
        self.message.setWordWrap(True)
        self.message.hide()
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.setSpacing(8)
        self.body.addWidget(self.title)
        self.body.addWidget(self.intro)

    def show_node(self, params: Mapping, input_shape: tuple[int, ...] | None) -> None:
        """Sets the page up for a node with ``params`` whose input is ``input_shape`` (None: unknown)."""

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        set_style_property(self.message, "severity", "error" if text else "ok")

    @staticmethod
    def notes_label() -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label


class ActivationPage(Page):
    """An activation's curve and slope (autograd), beside the smooth function it imitates."""

    topic = "activation"

    def __init__(self) -> None:
        super().__init__("Every value goes through the same function. The slope is what backpropagation "
                         "multiplies the gradient by: where it is 0, nothing is learned through that value.")
        self.function_box = QComboBox()
        for key, name in blocks.CURVES.items():
            self.function_box.addItem(name, key)
        self.function_box.setAccessibleName("Activation function")
        row = QHBoxLayout()
        row.addWidget(QLabel("Function"))
        row.addWidget(self.function_box)
        row.addStretch(1)
        self.value_plot = CurvePlot("f(x)", "output")
        self.slope_plot = CurvePlot("slope f′(x)", "slope")
        plots = QHBoxLayout()
        plots.addWidget(self.value_plot, 1)
        plots.addWidget(self.slope_plot, 1)
        self.notes = self.notes_label()
        self.body.addLayout(row)
        self.body.addLayout(plots, 1)
        self.body.addWidget(self.notes)
        self.function_box.currentIndexChanged.connect(lambda _index: self.refresh())
        self.refresh()

    def show_node(self, params, input_shape) -> None:
        index = self.function_box.findData(params.get("function"))
        if index >= 0:
            self.function_box.setCurrentIndex(index)

    def refresh(self) -> None:
        curves = blocks.activation_curve(self.function_box.currentData())
        shown = [curves.main] + ([curves.counterpart] if curves.counterpart else [])
        self.value_plot.show_curves([(c.name, c.x, c.y, c is curves.main) for c in shown])
        self.slope_plot.show_curves([(c.name, c.x, c.slope, c is curves.main) for c in shown])
        self.notes.setText("\n".join(curves.notes))


class PReLUPage(Page):
    """PReLU's curve at its learned slope, and the slope's way there by gradient descent."""

    topic = "prelu"

    def __init__(self) -> None:
        super().__init__("PReLU is max(0, x) + a·min(0, x) where the slope a for negatives is a weight like any "
                         "other: it starts at 0.25 and gradient descent moves it. Here a PReLU is fitted to data "
                         "made with a chosen slope, step by step.")
        self.target_box = QDoubleSpinBox()
        self.target_box.setRange(0.0, 1.0)
        self.target_box.setSingleStep(0.05)
        self.target_box.setValue(0.1)
        self.target_box.setAccessibleName("Slope the data was made with")
        row = QHBoxLayout()
        row.addWidget(QLabel("Slope the data was made with"))
        row.addWidget(self.target_box)
        row.addStretch(1)
        self.curve_plot = CurvePlot("PReLU before and after learning", "output")
        self.slope_plot = CurvePlot("learned slope a", "a", "gradient step")
        plots = QHBoxLayout()
        plots.addWidget(self.curve_plot, 1)
        plots.addWidget(self.slope_plot, 1)
        self.notes = self.notes_label()
        self.node_note = muted()
        self.node_note.hide()
        self.body.addLayout(row)
        self.body.addLayout(plots, 1)
        self.body.addWidget(self.notes)
        self.body.addWidget(self.node_note)
        self.target_box.valueChanged.connect(lambda _value: self.refresh())
        self.learning: blocks.PReLULearning | None = None
        self.refresh()

    def show_node(self, params, input_shape) -> None:
        if params.get("per_channel", True) and input_shape:
            text = (f"This node learns {input_shape[0]} slopes, one per channel: each channel finds how much of "
                    "its negative part to keep.")
        else:
            text = "This node learns one slope shared by every channel."
        self.node_note.setText(text)
        self.node_note.show()

    def refresh(self) -> None:
        learning = self.learning = blocks.prelu_learning(self.target_box.value())
        x = [value / 10 for value in range(-40, 41)]
        start, end = learning.slopes[0], learning.slopes[-1]
        self.curve_plot.show_curves([
            (f"learned, a = {end:.3f}", x, [v if v > 0 else end * v for v in x], True),
            (f"start, a = {start:.2f}", x, [v if v > 0 else start * v for v in x], False)])
        self.slope_plot.show_curves([("a", list(range(len(learning.slopes))), learning.slopes, True)])
        self.notes.setText(f"The slope went from {start:.2f} to {end:.3f} in {len(learning.slopes) - 1} steps "
                           f"(the data's slope: {learning.target:g}); the loss fell from {learning.losses[0]:.4f} "
                           f"to {learning.losses[-1]:.6f}. ReLU would keep 0 of the negative part, LeakyReLU a "
                           "fixed 0.01.")


class SqueezeExcitePage(Page):
    """Feature maps, their means, the gates and the gated maps: Multiply scaling whole channels."""

    topic = "squeeze_excite"

    def __init__(self) -> None:
        super().__init__("Squeeze-and-excite: each channel's mean over H×W (squeeze) goes through 1×1 conv → "
                         "ReLU → 1×1 conv → Sigmoid (excite), giving one gate in (0, 1) per channel. Multiply "
                         "broadcasts those C×1×1 gates over the C×H×W maps: every pixel of a channel is scaled "
                         "by its gate. The maps are the demo image through four classic filters; the weights "
                         "are random.")
        self.seed = 0
        self.new_button = QPushButton("New random weights")
        self.new_button.setAutoDefault(False)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addStretch(1)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(14)
        self.grid.setVerticalSpacing(4)
        self.grid.addWidget(bold(QLabel("Input maps")), 1, 0)
        self.grid.addWidget(bold(QLabel("Squeeze → gate")), 2, 0)
        self.grid.addWidget(bold(QLabel("× gate =")), 3, 0)
        self.before: list[HeatMap] = []
        self.after: list[HeatMap] = []
        self.gate_labels: list[QLabel] = []
        self.result: blocks.SqueezeExcite | None = None
        self.body.addLayout(row)
        self.body.addLayout(self.grid)
        self.body.addStretch(1)
        self.new_button.clicked.connect(self.new_weights)
        self.refresh()

    def new_weights(self) -> None:
        self.seed += 1
        self.refresh()

    def refresh(self) -> None:
        result = self.result = blocks.squeeze_excite(seed=self.seed)
        channels = result.maps.shape[0]
        while len(self.before) < channels:
            column = len(self.before) + 1
            self.grid.addWidget(bold(QLabel(f"Channel {column - 1}")), 0, column)
            for row, store in ((1, self.before), (3, self.after)):
                heat = HeatMap()
                heat.setMinimumSize(MAP_SIDE, MAP_SIDE)
                heat.setMaximumSize(MAP_SIDE * 2, MAP_SIDE * 2)
                store.append(heat)
                self.grid.addWidget(heat, row, column)
            label = QLabel()
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.gate_labels.append(label)
            self.grid.addWidget(label, 2, column)
        levels = (0.0, float(result.maps.max()) or 1.0)  # one scale for both rows: a small gate darkens
        for k in range(channels):
            self.before[k].set_values(result.maps[k].numpy(), GREY_LUT, levels)
            self.after[k].set_values(result.gated[k].numpy(), GREY_LUT, levels)
            self.gate_labels[k].setText(f"mean {_number(result.squeezed[k])} → gate {result.gates[k]:.2f}")


class ChannelShufflePage(Page):
    """Where each channel goes: the permutation ChannelShuffle applies, drawn."""

    topic = "channel_shuffle"

    def __init__(self) -> None:
        super().__init__("A grouped convolution's groups never see each other's channels. ChannelShuffle views "
                         "the C channels as groups × C/groups, transposes that and flattens it back, so every "
                         "group of the next grouped convolution gets channels from every group of the last. "
                         "No weights, no multiplications: only an order.")
        self.channels_box = spin_box(1, 24, 8, "Channels to shuffle")
        self.groups_box = spin_box(1, 24, 2, "Groups; must divide the channels")
        self.channels_box.setAccessibleName("Channels")
        self.groups_box.setAccessibleName("Groups")
        form = QHBoxLayout()
        form.addWidget(QLabel("Channels"))
        form.addWidget(self.channels_box)
        form.addSpacing(12)
        form.addWidget(QLabel("Groups"))
        form.addWidget(self.groups_box)
        form.addStretch(1)
        self.drawing = ShuffleDrawing()
        self.order_text = self.notes_label()
        self.body.addLayout(form)
        self.body.addWidget(self.message)
        self.body.addWidget(self.drawing, 1)
        self.body.addWidget(self.order_text)
        self.channels_box.valueChanged.connect(lambda _value: self.refresh())
        self.groups_box.valueChanged.connect(lambda _value: self.refresh())
        self.refresh()

    def show_node(self, params, input_shape) -> None:
        if input_shape and input_shape[0] <= self.channels_box.maximum():
            self.channels_box.setValue(input_shape[0])
        self.groups_box.setValue(int(params.get("groups", 2)))

    def refresh(self) -> None:
        try:
            order = blocks.channel_shuffle(self.channels_box.value(), self.groups_box.value())
        except ExplainError as error:
            self.show_message(str(error))
            self.drawing.show_order([], 1)
            self.order_text.setText("")
            return
        self.show_message("")
        self.drawing.show_order(order, self.groups_box.value())
        self.order_text.setText("Output channels hold input channels " + ", ".join(map(str, order)) + ".")


class LayerNormPage(Page):
    """Each pixel's channels normalised: the input, the output and one pixel worked through."""

    topic = "layernorm2d"

    def __init__(self) -> None:
        super().__init__("LayerNorm2d takes each pixel's C channel values, subtracts their mean and divides by "
                         "their standard deviation (then a learned scale and shift per channel, 1 and 0 here). "
                         "BatchNorm2d would use each channel's mean over the whole batch and all pixels; "
                         "LayerNorm2d needs neither, so one image alone gives the same answer. Click a pixel.")
        self.pixel = (0, 0)
        self.result: blocks.LayerNormPixel | None = None
        self.inputs: list[GridPanel] = []
        self.outputs: list[GridPanel] = []
        rows = QGridLayout()
        rows.setHorizontalSpacing(10)
        rows.addWidget(bold(QLabel("Input")), 0, 0)
        rows.addWidget(bold(QLabel("LayerNorm2d")), 1, 0)
        values = blocks.demo_tensor()
        for channel in range(values.shape[0]):
            for row, store in ((0, self.inputs), (1, self.outputs)):
                panel = GridPanel(f"Channel {channel}", signed_tint=row == 1, heat=False)
                panel.grid.set_cell_side(SMALL_CELL)
                panel.grid.cell_chosen.connect(self.choose_pixel)
                store.append(panel)
                rows.addWidget(panel, row, channel + 1, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        rows.setColumnStretch(values.shape[0] + 1, 1)
        self.working = self.notes_label()
        self.body.addLayout(rows)
        self.body.addWidget(self.working)
        self.body.addStretch(1)
        self.refresh()

    def choose_pixel(self, row: int, col: int) -> None:
        self.pixel = (row, col)
        self.refresh()

    def refresh(self) -> None:
        result = self.result = blocks.layer_norm(pixel=self.pixel)
        marks = {self.pixel: CURRENT}
        for channel, (before, after) in enumerate(zip(self.inputs, self.outputs)):
            before.grid.set_grid(result.values[channel].numpy().round(3), marks=marks)
            after.grid.set_grid(result.normalised[channel].numpy().round(3), marks=marks)
        row, col = self.pixel
        values = result.values[:, row, col].tolist()
        normalised = result.normalised[:, row, col].tolist()
        self.working.setText(
            f"Pixel (row {row}, column {col}): channels {', '.join(_number(v) for v in values)} → mean "
            f"{_number(result.mean)}, variance {_number(result.variance)} → (x − mean) / √(variance + 1e-6) = "
            f"{', '.join(_number(v) for v in normalised)}: mean 0, variance 1 over the channels.")


class StochasticDepthPage(Page):
    """Which samples keep their branch while training (scaled), and identity at evaluation."""

    topic = "stochastic_depth"

    def __init__(self) -> None:
        super().__init__("StochasticDepth sits on a residual branch. While training, each sample of the batch "
                         "loses the whole branch with probability p (only the shortcut is left) and the kept "
                         "ones are scaled by 1/(1 − p), so the average stays the same. At evaluation it does "
                         "nothing. Below: the factor each of 8 samples' branch is multiplied by.")
        self.seed = 0
        self.rate_box = QDoubleSpinBox()
        self.rate_box.setRange(0.0, 0.95)
        self.rate_box.setSingleStep(0.05)
        self.rate_box.setValue(0.25)
        self.rate_box.setAccessibleName("Drop rate")
        self.draw_button = QPushButton("Draw again")
        self.draw_button.setAutoDefault(False)
        row = QHBoxLayout()
        row.addWidget(QLabel("Drop rate p"))
        row.addWidget(self.rate_box)
        row.addWidget(self.draw_button)
        row.addStretch(1)
        self.training = GridPanel("Training: this batch", heat=False)
        self.evaluation = GridPanel("Evaluation (model.eval())", heat=False)
        self.average = GridPanel("Training, averaged", heat=False)
        self.result: blocks.StochasticDepthDraw | None = None
        self.body.addLayout(row)
        for panel in (self.training, self.evaluation, self.average):
            panel.grid.set_cell_side(SMALL_CELL)
            self.body.addWidget(panel)
        self.summary = self.notes_label()
        self.body.addWidget(self.summary)
        self.body.addStretch(1)
        self.rate_box.valueChanged.connect(lambda _value: self.refresh())
        self.draw_button.clicked.connect(self.draw_again)
        self.refresh()

    def show_node(self, params, input_shape) -> None:
        self.rate_box.setValue(float(params.get("p", 0.1)))

    def draw_again(self) -> None:
        self.seed += 1
        self.refresh()

    def refresh(self) -> None:
        result = self.result = blocks.stochastic_depth(self.rate_box.value(), seed=self.seed)
        for panel, values in ((self.training, result.training), (self.evaluation, result.evaluation),
                              (self.average, result.average)):
            panel.grid.set_grid(np.array([values]).round(3))
        kept = sum(value > 0 for value in result.training)
        self.training.subtitle.setText(f"{kept} of {len(result.training)} samples keep their branch, "
                                       f"×{_number(1 / (1 - result.p))}; the others get 0")
        self.evaluation.subtitle.setText("every branch passes unchanged")
        self.average.subtitle.setText(f"over {result.draws:,} batches: about 1 for every sample")
        self.summary.setText(f"With p = {result.p:g} a {len(result.training)}-sample batch keeps about "
                             f"{len(result.training) * (1 - result.p):g} branches; networks like EfficientNet and "
                             "ConvNeXt raise p block by block, so deep blocks are skipped more often.")


class SpatialMeanPage(Page):
    """Each channel's mean over H×W, the same numbers as AdaptiveAvgPool2d(1)."""

    topic = "spatial_mean"

    def __init__(self) -> None:
        super().__init__("Mean over H×W adds up every pixel of a channel and divides by H·W: C×H×W becomes "
                         "C×1×1, one number per channel. It is global average pooling (AdaptiveAvgPool2d to 1) "
                         "written as x.mean((2, 3), keepdim=True), the squeeze of squeeze-and-excite.")
        self.result = blocks.spatial_mean()
        row = QHBoxLayout()
        row.setSpacing(10)
        self.panels: list[GridPanel] = []
        for channel in range(self.result.maps.shape[0]):
            panel = GridPanel(f"Channel {channel}", heat=False)
            panel.grid.set_cell_side(SMALL_CELL)
            self.panels.append(panel)
            row.addWidget(panel, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(operator_label("→"))
        self.means = GridPanel("C×1×1", heat=False)
        self.means.grid.set_cell_side(SMALL_CELL)
        row.addWidget(self.means, 0, Qt.AlignmentFlag.AlignTop)
        row.addStretch(1)
        self.check = self.notes_label()
        self.body.addLayout(row)
        self.body.addWidget(self.check)
        self.body.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        result = self.result
        height, width = result.maps.shape[1:]
        for channel, panel in enumerate(self.panels):
            values = result.maps[channel]
            panel.grid.set_grid(values.numpy().round(3))
            panel.subtitle.setText(f"{_number(values.sum())} / {height * width} = {_number(result.means[channel])}")
        self.means.grid.set_grid(np.array([result.means]).T.round(3))
        self.means.subtitle.setText("one mean per channel")
        self.check.setText("AdaptiveAvgPool2d(1) on the same maps: "
                           + ", ".join(_number(v) for v in result.pooled) + " — the same numbers.")


PAGES: tuple[type[Page], ...] = (ActivationPage, PReLUPage, SqueezeExcitePage, ChannelShufflePage, LayerNormPage,
                                 StochasticDepthPage, SpatialMeanPage)
