"""Help ▸ Learn Convolution: a window that shows a convolution one step at a time.

Left, the controls: the input (numbers, an image file or the probe image),
the filter (presets, edited cells, a trained layer's learned filters),
stride, padding, dilation, bias, and what follows (ReLU, pooling). Right,
the grids: input (with its zero padding) ∗ filter = feature map → after;
the output-size formula, filled in; the current step (the window's values ×
the filter = the products, and their sum landing in the output cell); and
the transport (back, play/pause, forward, speed; ←, →, Space).

Every number comes from ``engine.explain.convolution`` (torch); this module
only lays them out.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import QEvent, QSize, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from engine.explain.convolution import (
    CLASSIC_FILTER,
    CLASSIC_INPUT,
    DTYPE,
    PRESET_FILTERS,
    Convolution,
    ConvSettings,
    ExplainError,
    after_convolution,
    demo_input,
    format_value,
    formula_text,
    grey_grid,
    learned_filter,
    load_grey_image,
    output_length,
    preset_filter,
)

from ..labels import heading, muted
from ..shell.geometry import fit_to_screen
from ..theme import set_style_property
from ..training.feature_maps import IMAGE_FILTER
from .grids import CURRENT, PENDING, WINDOW, WINDOW_PADDING, diverging_lut, is_palette_change
from .step_view import StepView
from .widgets import GridPanel, operator_label, spin_box

#: Inputs (with padding) larger than this a side are drawn as heat maps, without per-cell numbers.
NUMBERS_MAX_SIDE = 16
MAX_INPUT_SIDE, MAX_FILTER_SIDE, MAX_SETTING = 10, 7, 4
SPEEDS = (0.5, 1, 2, 4, 8, 16, 32, 64)  # steps per second
DEFAULT_SPEED = 2
POOL_SIZE = 2
PREFERRED_SIZE = QSize(1240, 820)  # logical px; less where the screen is smaller
MAIN_CELL, MIN_CELL = 56, 30  # px: the main grids' cells, as large as the room allows
CUSTOM, LEARNED = "custom", "learned"
GREY_LUT = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
ProbeLoader = Callable[[], tuple[object, str]]
ProbeCheck = Callable[[], bool]


class ConvolutionExplainer(QDialog):
    """The explainer window; ``show_convolution_explainer`` (``app.explainer``) opens it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("convolutionExplainer")
        self.setWindowTitle("Learn Convolution")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.image = torch.tensor(CLASSIC_INPUT, dtype=DTYPE)
        self.image_caption: str | None = None  # None: numbers typed in; else where the image came from
        self.kernel = torch.tensor(CLASSIC_FILTER, dtype=DTYPE)
        self.filter_choice = "Vertical edge"
        self.learned_name: str | None = None
        self.learned_weights: np.ndarray | None = None
        self.probe_loader: ProbeLoader | None = None
        self.probe_available: ProbeCheck = lambda: False
        self.conv: Convolution | None = None
        self.result: torch.Tensor | None = None
        self.step_index = 0
        self._updating = False
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._tick)
        self._build()
        self._connect()
        fit_to_screen(self, PREFERRED_SIZE)
        self.load_classic()
        self.forward_button.setFocus()

    # --- construction ---------------------------------------------------------------------------

    def _build(self) -> None:
        sidebar = QWidget()
        sidebar.setObjectName("explainerControls")
        sidebar.setFixedWidth(280)
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(0, 0, 8, 0)
        side.setSpacing(6)

        self.input_size_box = spin_box(3, MAX_INPUT_SIDE, 5, "Rows and columns of the input (numbers only)")
        self.classic_button = QPushButton("Classic example")
        self.classic_button.setToolTip("The 5×5 worked example with the vertical-edge filter, no padding, stride 1")
        self.load_button = QPushButton("Load image…")
        self.load_button.setToolTip("Use a picture (made grey and small) as the input")
        self.probe_button = QPushButton("Use probe image")
        self.probe_button.setToolTip("The image the Feature Maps panel shows, as the input")
        self.probe_button.hide()
        self.input_note = muted()
        side.addWidget(heading("Input"))
        form = self._form(side)
        form.addRow("Size (n × n)", self.input_size_box)
        self.input_form = form
        buttons = QHBoxLayout()
        buttons.addWidget(self.classic_button)
        buttons.addWidget(self.load_button)
        side.addLayout(buttons)
        side.addWidget(self.probe_button)
        side.addWidget(self.input_note)

        self.filter_box = QComboBox()
        for name in PRESET_FILTERS:
            self.filter_box.addItem(name, name)
        self.filter_box.setToolTip("A classic filter, your own edits (Custom), or a trained layer's filter")
        self.filter_size_box = spin_box(1, MAX_FILTER_SIDE, 3, "Rows and columns of the filter")
        self.out_channel_box = spin_box(0, 0, 0, "Which of the layer's filters (output channels)")
        self.in_channel_box = spin_box(0, 0, 0, "Which input channel's slice of that filter")
        self.filter_note = muted()
        side.addWidget(heading("Filter"))
        form = self._form(side)
        form.addRow("Filter", self.filter_box)
        form.addRow("Size (k × k)", self.filter_size_box)
        form.addRow("Filter number", self.out_channel_box)
        form.addRow("Input channel", self.in_channel_box)
        self.filter_form = form
        side.addWidget(self.filter_note)

        self.stride_box = spin_box(1, MAX_SETTING, 1, "Cells the filter moves between steps")
        self.padding_box = spin_box(0, MAX_SETTING, 0, "Rings of zeros added around the input")
        self.dilation_box = spin_box(1, MAX_SETTING, 1, "Spacing between the filter's taps (1 = side by side)")
        self.bias_box = QDoubleSpinBox()
        self.bias_box.setRange(-100.0, 100.0)
        self.bias_box.setSingleStep(0.5)
        self.bias_box.setDecimals(2)
        self.bias_box.setToolTip("Added to every sum")
        self.settings_note = muted()
        self.settings_note.hide()
        side.addWidget(heading("Convolution"))
        form = self._form(side)
        form.addRow("Stride", self.stride_box)
        form.addRow("Padding", self.padding_box)
        form.addRow("Dilation", self.dilation_box)
        form.addRow("Bias", self.bias_box)
        side.addWidget(self.settings_note)

        self.activation_box = QComboBox()
        self.activation_box.addItem("None", "none")
        self.activation_box.addItem("ReLU: max(0, x)", "relu")
        self.pooling_box = QComboBox()
        self.pooling_box.addItem("None", "none")
        self.pooling_box.addItem(f"Max {POOL_SIZE}×{POOL_SIZE}", "max")
        self.pooling_box.addItem(f"Average {POOL_SIZE}×{POOL_SIZE}", "avg")
        self.pooling_box.setToolTip(f"Pools {POOL_SIZE}×{POOL_SIZE} blocks with stride {POOL_SIZE}")
        side.addWidget(heading("After the convolution"))
        form = self._form(side)
        form.addRow("Activation", self.activation_box)
        form.addRow("Pooling", self.pooling_box)

        self.message = QLabel()
        self.message.setObjectName("issueText")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        side.addSpacing(6)
        side.addWidget(self.message)
        side.addStretch(1)

        # The grids: input ∗ filter = feature map → after.
        self.input_panel = GridPanel("Input", editable=True)
        self.filter_panel = GridPanel("Filter", editable=True, signed_tint=True, heat=False)
        self.output_panel = GridPanel("Feature map", signed_tint=True)
        self.after_panel = GridPanel("After", signed_tint=True)
        for panel in (self.input_panel, self.filter_panel, self.output_panel, self.after_panel):
            panel.grid.cell_side = MAIN_CELL
        self.after_operator = operator_label("→")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        for widget in (self.input_panel, operator_label("∗"), self.filter_panel, operator_label("="),
                       self.output_panel, self.after_operator, self.after_panel):
            row.addWidget(widget, 0, Qt.AlignmentFlag.AlignTop if isinstance(widget, GridPanel)
                          else Qt.AlignmentFlag.AlignVCenter)
        row.addStretch(1)
        self.grids_row = row
        self.grids_area = QVBoxLayout()
        self.grids_area.setContentsMargins(0, 0, 0, 0)
        self.grids_area.addLayout(row)
        self.grids_area.addStretch(1)
        grids = QWidget()
        grids.setLayout(self.grids_area)
        scroll = QScrollArea()
        scroll.setWidget(grids)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.grids_scroll = scroll
        # Its size decides the cell size: refit on resize. Kept as a Python reference so the filter
        # never calls into Qt to recognise it: it also sees the events of the viewport's destruction.
        self._grids_viewport = scroll.viewport()
        self._grids_viewport.installEventFilter(self)

        # The output-size formula, filled in.
        self.formula_height = QLabel()
        self.formula_width = QLabel()
        for label in (self.formula_height, self.formula_width):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        formula = QGridLayout()
        formula.setHorizontalSpacing(12)
        formula.setVerticalSpacing(2)
        formula.addWidget(heading("Output size"), 0, 0, 1, 2)
        formula.addWidget(muted("⌊(n + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1, for each side"), 0, 2)
        formula.addWidget(QLabel("Height"), 1, 0)
        formula.addWidget(self.formula_height, 1, 1, 1, 2)
        formula.addWidget(QLabel("Width"), 2, 0)
        formula.addWidget(self.formula_width, 2, 1, 1, 2)
        formula.setColumnStretch(2, 1)

        # This step: the window's values × the filter = the products; their sum lands in the output.
        self.step_title = heading("Step")
        self.step_view = StepView()

        # Transport: back, play/pause, forward, speed.
        self.back_button = QPushButton("◀  Back")
        self.back_button.setToolTip("Previous step (←)")
        self.play_button = QPushButton("▶  Play")
        self.play_button.setToolTip("Slide the filter step by step (Space)")
        self.play_button.setMinimumWidth(96)
        self.forward_button = QPushButton("Forward  ▶")
        self.forward_button.setToolTip("Next step (→)")
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_slider.setRange(0, len(SPEEDS) - 1)
        self.speed_slider.setValue(SPEEDS.index(DEFAULT_SPEED))
        self.speed_slider.setFixedWidth(140)
        self.speed_slider.setToolTip("Animation speed")
        self.speed_slider.setAccessibleName("Animation speed")
        self.speed_label = muted()
        self.speed_label.setWordWrap(False)
        self.speed_label.setMinimumWidth(80)
        self.position_label = QLabel()
        self.close_button = QPushButton("Close")
        transport = QHBoxLayout()
        transport.setSpacing(8)
        for widget in (self.back_button, self.play_button, self.forward_button):
            transport.addWidget(widget)
        transport.addSpacing(16)
        transport.addWidget(QLabel("Speed"))
        transport.addWidget(self.speed_slider)
        transport.addWidget(self.speed_label)
        transport.addSpacing(16)
        transport.addWidget(self.position_label)
        transport.addStretch(1)
        transport.addWidget(self.close_button)

        main = QVBoxLayout()
        main.setSpacing(10)
        main.addWidget(scroll, 1)
        main.addWidget(self._rule())
        main.addLayout(formula)
        main.addWidget(self._rule())
        main.addWidget(self.step_title)
        main.addWidget(self.step_view)
        main.addWidget(self._rule())
        main.addLayout(transport)

        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)  # Enter in a cell or spin box must not press a button
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(12)
        layout.addWidget(sidebar)
        layout.addWidget(self._rule(vertical=True))
        layout.addLayout(main, 1)

    @staticmethod
    def _form(parent_layout: QVBoxLayout) -> QFormLayout:
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(6)
        parent_layout.addLayout(form)
        return form

    @staticmethod
    def _rule(vertical: bool = False) -> QFrame:
        line = QFrame()
        line.setFrameShape(QFrame.Shape.VLine if vertical else QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Plain)
        line.setObjectName("explainerRule")
        line.setStyleSheet("QFrame#explainerRule { color: palette(mid); }")
        return line

    def _connect(self) -> None:
        self.input_size_box.valueChanged.connect(self._input_size_changed)
        self.classic_button.clicked.connect(self.load_classic)
        self.load_button.clicked.connect(self.choose_image)
        self.probe_button.clicked.connect(self.use_probe_image)
        self.filter_box.currentIndexChanged.connect(self._filter_chosen)
        self.filter_size_box.valueChanged.connect(self._filter_size_changed)
        self.out_channel_box.valueChanged.connect(lambda _value: self._filter_chosen())
        self.in_channel_box.valueChanged.connect(lambda _value: self._filter_chosen())
        for box in (self.stride_box, self.padding_box, self.dilation_box):
            box.valueChanged.connect(self._settings_changed)
        self.bias_box.valueChanged.connect(self._settings_changed)
        self.activation_box.currentIndexChanged.connect(self._settings_changed)
        self.pooling_box.currentIndexChanged.connect(self._settings_changed)
        self.input_panel.grid.value_edited.connect(self._input_edited)
        self.filter_panel.grid.value_edited.connect(self._filter_edited)
        for grid in (self.input_panel.grid, self.filter_panel.grid):
            grid.edit_rejected.connect(self.show_message)
        self.output_panel.grid.cell_chosen.connect(self._output_cell_chosen)
        self.output_panel.heat.cell_chosen.connect(self._output_cell_chosen)
        self.back_button.clicked.connect(self.step_back)
        self.forward_button.clicked.connect(self.step_forward)
        self.play_button.clicked.connect(self.toggle_play)
        self.speed_slider.valueChanged.connect(self._speed_changed)
        self.close_button.clicked.connect(self.close)
        for key, slot in ((Qt.Key.Key_Right, self.step_forward), (Qt.Key.Key_Left, self.step_back),
                          (Qt.Key.Key_Space, self.toggle_play), (Qt.Key.Key_Home, lambda: self.go_to_step(0)),
                          (Qt.Key.Key_End, lambda: self.go_to_step(self.step_count - 1))):
            QShortcut(QKeySequence(key), self, slot)
        self._speed_changed(self.speed_slider.value())

    # --- what to explain ---------------------------------------------------------------------------

    def load_classic(self) -> None:
        """The classic worked example: the 5×5 input, the vertical-edge filter, stride 1, no padding."""
        self.pause()
        self.image, self.image_caption = torch.tensor(CLASSIC_INPUT, dtype=DTYPE), None
        self.kernel, self.filter_choice = torch.tensor(CLASSIC_FILTER, dtype=DTYPE), "Vertical edge"
        self.setWindowTitle("Learn Convolution")
        self._set_controls(stride=1, padding=0, dilation=1, bias=0.0, note="")
        self.activation_box.setCurrentIndex(0)
        self.pooling_box.setCurrentIndex(0)
        self.step_index = 0
        self._rebuild()

    def explain_node(self, name: str, settings: ConvSettings, weights: np.ndarray | None = None) -> None:
        """A conv node's geometry; its learned filters (out, in, kh, kw) when it is trained, else a preset."""
        self.pause()
        self.setWindowTitle(f"Learn Convolution — {name}")
        self.set_learned_filters(name if weights is not None else None, weights)
        notes = [settings.note] if settings.note else []
        uneven = [label for label, pair in (("stride", settings.stride), ("padding", settings.padding),
                                            ("dilation", settings.dilation)) if pair[0] != pair[1]]
        if uneven:
            notes.append(f"{name} uses different heights and widths for its {', '.join(uneven)}; "
                         "shown here with the height's value on both sides")
        (kh, kw), stride, padding, dilation = settings.kernel_size, settings.stride[0], settings.padding[0], \
            settings.dilation[0]
        self.image, self.image_caption = demo_input(self._input_side_for(max(kh, kw), stride, padding, dilation)), None
        if weights is not None:
            self.filter_choice = LEARNED
            self.kernel = learned_filter(weights, 0, 0)
        else:
            self.filter_choice = "Vertical edge"
            self.kernel = preset_filter("Vertical edge", (kh, kw))
        self._set_controls(stride=stride, padding=padding, dilation=dilation, bias=0.0, note=" ".join(notes))
        self.step_index = 0
        self._rebuild()

    @staticmethod
    def _input_side_for(kernel: int, stride: int, padding: int, dilation: int) -> int:
        """The smallest input (≥ 5, ≤ the size box's maximum) whose feature map is at least 3×3."""
        for side in range(5, MAX_INPUT_SIDE + 1):
            if output_length(side, kernel, stride, padding, dilation) >= 3:
                return side
        return MAX_INPUT_SIDE

    def set_learned_filters(self, node_name: str | None, weights: np.ndarray | None) -> None:
        """Offers a trained convolution's filters (out, in, kh, kw) in the Filter list (None: none)."""
        self.learned_name, self.learned_weights = node_name, (None if weights is None else np.asarray(weights))
        if self.filter_choice == LEARNED and weights is None:
            self.filter_choice = "Vertical edge"
        self._updating = True
        try:
            if weights is not None:
                self.out_channel_box.setRange(0, self.learned_weights.shape[0] - 1)
                self.in_channel_box.setRange(0, self.learned_weights.shape[1] - 1)
                self.out_channel_box.setValue(0)
                self.in_channel_box.setValue(0)
        finally:
            self._updating = False

    def set_probe_source(self, available: ProbeCheck | None, loader: ProbeLoader | None) -> None:
        """"Use probe image" shows while ``available()``; ``loader()`` returns (image, caption)."""
        self.probe_available = available or (lambda: False)
        self.probe_loader = loader
        self._refresh_probe_button()

    def _refresh_probe_button(self) -> None:
        self.probe_button.setVisible(self.probe_loader is not None and self.probe_available())

    def load_image(self, path: str | Path) -> bool:
        """An image file (made grey, at most 64 a side) as the input; False with the reason shown."""
        try:
            grid = load_grey_image(path)
        except ExplainError as error:
            self.show_message(str(error))
            return False
        self._set_image(grid, Path(path).name)
        return True

    def choose_image(self) -> None:
        dialog = QFileDialog(self, "Load an image", str(Path.home()), IMAGE_FILTER)
        dialog.setObjectName("explainerImageDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        if dialog.exec() and dialog.selectedFiles():
            self.load_image(dialog.selectedFiles()[0])

    def use_probe_image(self) -> bool:
        if self.probe_loader is None:
            return False
        try:
            image, caption = self.probe_loader()
            grid = grey_grid(image)
        except (ExplainError, OSError, ValueError) as error:
            self.show_message(f"Cannot use the probe image: {error}")
            return False
        self._set_image(grid, caption)
        return True

    def _set_image(self, grid: torch.Tensor, caption: str) -> None:
        self.pause()
        self.image, self.image_caption = grid, caption
        self.step_index = 0
        self._rebuild()

    # --- control changes ----------------------------------------------------------------------------

    def _set_controls(self, stride: int, padding: int, dilation: int, bias: float, note: str) -> None:
        self._updating = True
        try:
            self.stride_box.setValue(stride)
            self.padding_box.setValue(padding)
            self.dilation_box.setValue(dilation)
            self.bias_box.setValue(bias)
        finally:
            self._updating = False
        self.settings_note.setText(note)
        self.settings_note.setVisible(bool(note))

    def _input_size_changed(self, side: int) -> None:
        if self._updating or self.image_caption is not None:
            return
        grown = torch.zeros(side, side, dtype=DTYPE)
        keep = min(side, self.image.shape[0]), min(side, self.image.shape[1])
        grown[:keep[0], :keep[1]] = self.image[:keep[0], :keep[1]]
        self.image = grown
        self._rebuild()

    def _filter_chosen(self) -> None:
        if self._updating:
            return
        choice = self.filter_box.currentData()
        if choice == LEARNED and self.learned_weights is not None:
            self.kernel = learned_filter(self.learned_weights, self.out_channel_box.value(),
                                         self.in_channel_box.value())
        elif choice in PRESET_FILTERS:
            self.kernel = preset_filter(choice, tuple(self.kernel.shape))
        elif choice == CUSTOM:
            return
        self.filter_choice = choice
        self._rebuild()

    def _filter_size_changed(self, side: int) -> None:
        if self._updating:
            return
        if self.filter_choice in PRESET_FILTERS:
            self.kernel = preset_filter(self.filter_choice, side)
        else:  # custom: keep what fits, zeros elsewhere
            resized = torch.zeros(side, side, dtype=DTYPE)
            keep = min(side, self.kernel.shape[0]), min(side, self.kernel.shape[1])
            resized[:keep[0], :keep[1]] = self.kernel[:keep[0], :keep[1]]
            self.kernel = resized
        self._rebuild()

    def _settings_changed(self, *_args) -> None:
        if not self._updating:
            self._rebuild()

    def _input_edited(self, row: int, col: int, value: float) -> None:
        self.image = self.image.clone()
        self.image[row, col] = value
        self._rebuild()

    def _filter_edited(self, row: int, col: int, value: float) -> None:
        self.kernel = self.kernel.clone()
        self.kernel[row, col] = value
        self.filter_choice = CUSTOM
        self._rebuild()

    def _output_cell_chosen(self, row: int, col: int) -> None:
        if self.conv is not None:
            self.go_to_step(row * self.conv.output_size[1] + col)

    # --- computing --------------------------------------------------------------------------------------

    @property
    def step_count(self) -> int:
        return self.conv.step_count if self.conv is not None else 0

    @property
    def activation(self) -> str:
        return self.activation_box.currentData()

    @property
    def pooling(self) -> str:
        return self.pooling_box.currentData()

    def _rebuild(self) -> None:
        """Recomputes everything from the current input, filter and settings, and redraws."""
        self.show_message("")
        self.conv = self.result = None
        try:
            self.conv = Convolution(self.image, self.kernel, stride=self.stride_box.value(),
                                    padding=self.padding_box.value(), dilation=self.dilation_box.value(),
                                    bias=self.bias_box.value())
            self.result = after_convolution(self.conv.feature_map, self.activation, self.pooling, POOL_SIZE)
        except ExplainError as error:
            self.show_message(str(error))
            if self.conv is None:
                self.pause()
        self.step_index = max(0, min(self.step_index, self.step_count - 1))
        self._sync_controls()
        self._draw()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        set_style_property(self.message, "severity", "error" if text else "ok")

    def _sync_controls(self) -> None:
        """The input and filter controls agree with the current input and filter."""
        self._updating = True
        try:
            numbers = self.image_caption is None
            self.input_form.setRowVisible(self.input_size_box, numbers)
            self.input_size_box.setValue(self.image.shape[0])
            items = {self.filter_box.itemData(i): i for i in range(self.filter_box.count())}
            for data, text, wanted in ((CUSTOM, "Custom (your edits)", self.filter_choice == CUSTOM),
                                       (LEARNED, f"Learned filter of {self.learned_name}",
                                        self.learned_weights is not None)):
                if wanted and data not in items:
                    self.filter_box.addItem(text, data)
                elif not wanted and data in items:
                    self.filter_box.removeItem(items[data])
                elif wanted:
                    self.filter_box.setItemText(items[data], text)
                items = {self.filter_box.itemData(i): i for i in range(self.filter_box.count())}
            self.filter_box.setCurrentIndex(items.get(self.filter_choice, 0))
            learned = self.filter_choice == LEARNED
            self.filter_size_box.setValue(self.kernel.shape[0])
            self.filter_size_box.setEnabled(not learned)
            for box in (self.out_channel_box, self.in_channel_box):
                self.filter_form.setRowVisible(box, learned)
        finally:
            self._updating = False
        self.input_note.setText(self._input_text())
        self.filter_note.setText(self._filter_text())

    def _input_text(self) -> str:
        height, width = self.image.shape
        if self.image_caption is None:
            return f"{height}×{width} numbers: click a cell and type to change it."
        return f"{self.image_caption}: {height}×{width} grey pixels (0 = black, 1 = white)."

    def _filter_text(self) -> str:
        if self.filter_choice == LEARNED and self.learned_weights is not None:
            outs, ins = self.learned_weights.shape[:2]
            return (f"{self.learned_name} learned {outs} filters over {ins} input channel"
                    f"{'s' * (ins != 1)}. This is filter {self.out_channel_box.value()}'s slice for input "
                    f"channel {self.in_channel_box.value()}; the layer adds every channel's slice and a bias.")
        if self.filter_choice == CUSTOM:
            return "Your own filter: click a cell and type to change it."
        return "Click a filter cell and type to change it."

    # --- drawing ------------------------------------------------------------------------------------------

    def _numbers(self) -> bool:
        padding = self.padding_box.value()
        return max(self.image.shape) + 2 * padding <= NUMBERS_MAX_SIDE

    def _draw(self) -> None:
        numbers = self._numbers()
        padding = self.padding_box.value()
        padded = self.conv.padded_image if self.conv is not None else \
            torch.nn.functional.pad(self.image, (padding,) * 4)
        height, width = self.image.shape
        self.input_panel.title.setText(f"Input {height}×{width}")
        self.input_panel.subtitle.setText(f"padded to {padded.shape[0]}×{padded.shape[1]} with zeros"
                                          if padding else "no padding")
        kh, kw = self.kernel.shape
        dilation = self.dilation_box.value()
        self.filter_panel.title.setText(f"Filter {kh}×{kw}")
        self.filter_panel.subtitle.setText(
            f"spans {dilation * (kh - 1) + 1}×{dilation * (kw - 1) + 1} (dilation {dilation})" if dilation > 1
            else (self.filter_box.currentText() if self.filter_choice != LEARNED else
                  f"{self.learned_name} #{self.out_channel_box.value()}, input {self.in_channel_box.value()}"))
        self.filter_panel.grid.set_grid(self.kernel.numpy())
        for panel in (self.input_panel, self.output_panel, self.after_panel):
            panel.show_numbers(numbers)
        if numbers:
            self.input_panel.grid.set_grid(padded.numpy(), border=padding)
        else:
            levels = (float(min(padded.min(), 0.0)), float(max(padded.max(), 1e-12)))
            self.input_panel.heat.set_values(padded.numpy(), GREY_LUT, levels, (padding, padding))
        self._draw_output(numbers)
        self._draw_formula()
        self._draw_step()
        # Numbers keep their natural size at the top left; heat maps share the space.
        for panel in (self.input_panel, self.filter_panel, self.output_panel, self.after_panel):
            self.grids_row.setAlignment(panel, Qt.AlignmentFlag.AlignTop if numbers or panel is self.filter_panel
                                        else Qt.AlignmentFlag(0))
        self._fit_main_cells()
        self.grids_row.setStretch(self.grids_row.count() - 1, 1 if numbers else 0)
        self.grids_area.setStretch(0, 0 if numbers else 1)
        self.grids_area.setStretch(1, 1 if numbers else 0)

    def _fit_main_cells(self) -> None:
        """Main-grid cells as large as the room allows (MIN_CELL to MAIN_CELL), so all grids fit side by side."""
        panels = [panel for panel in (self.input_panel, self.filter_panel, self.output_panel, self.after_panel)
                  if panel.isVisibleTo(self) and panel.grid.isVisibleTo(self)]
        if not panels:
            return
        operators = 3 * (28 + 2 * self.grids_row.spacing())
        room = self.grids_scroll.viewport().width() - operators - 8
        rows = max(panel.grid.rowCount() for panel in panels)
        height_room = self.grids_scroll.viewport().height() - 2 * self.input_panel.title.sizeHint().height() - 12

        def width_at(side: int) -> int:  # a panel is as wide as its grid or its titles, whichever is wider
            return sum(max(panel.grid.columnCount() * side, panel.title.sizeHint().width(),
                           panel.subtitle.sizeHint().width()) for panel in panels)

        side = min(MAIN_CELL, max(MIN_CELL, height_room // max(1, rows)))
        while side > MIN_CELL and width_at(side) > room:
            side -= 1
        for panel in panels:
            panel.grid.set_cell_side(side)

    def eventFilter(self, watched, event) -> bool:
        # Only a resize is looked at: at shutdown Qt sends the viewport's last events while the scroll
        # area around it is already deleted, and touching that (or this window's base class) from
        # here raised inside the destructor, which crashed the interpreter on its way out.
        if event.type() == QEvent.Type.Resize and watched is self._grids_viewport:
            self._fit_main_cells()
            self.step_view.fit(event.size().width())
        return False

    def _draw_output(self, numbers: bool) -> None:
        conv, result = self.conv, self.result
        show_after = self.activation != "none" or self.pooling != "none"
        self.after_panel.setVisible(show_after)
        self.after_operator.setVisible(show_after)
        for panel, values in ((self.output_panel, conv.feature_map if conv is not None else None),
                              (self.after_panel, result)):
            empty = values is None
            panel.grid.setVisible(numbers and not empty)
            if panel.heat is not None:
                panel.heat.setVisible(not numbers and not empty)
            if empty:
                continue
            if numbers:
                panel.grid.set_grid(values.numpy())
            else:
                bound = float(conv.feature_map.abs().max()) or 1.0
                panel.heat.set_values(values.numpy(), self._diverging_lut(), (-bound, bound))
        if conv is None:
            self.output_panel.title.setText("Feature map")
            self.output_panel.subtitle.setText("the filter does not fit")
        else:
            oh, ow = conv.output_size
            self.output_panel.title.setText(f"Feature map {oh}×{ow}")
            self.output_panel.subtitle.setText(f"{oh * ow} step{'s' * (oh * ow != 1)}, one per cell")
        steps = []
        if self.activation == "relu":
            steps.append("ReLU")
        if self.pooling != "none":
            steps.append(f"{self.pooling_box.currentText().split()[0].lower()} pool {POOL_SIZE}×{POOL_SIZE}")
        self.after_panel.title.setText(f"After {result.shape[0]}×{result.shape[1]}" if result is not None
                                       else "After")
        self.after_panel.subtitle.setText(" → ".join(steps))

    def _diverging_lut(self) -> np.ndarray:
        return diverging_lut(self.palette().color(self.palette().ColorRole.Base))

    def _draw_formula(self) -> None:
        height, width = self.image.shape
        kh, kw = self.kernel.shape
        s, p, d = self.stride_box.value(), self.padding_box.value(), self.dilation_box.value()
        self.formula_height.setText(formula_text(height, kh, s, p, d))
        self.formula_width.setText(formula_text(width, kw, s, p, d))

    def _draw_step(self) -> None:
        conv, count = self.conv, self.step_count
        self.back_button.setEnabled(count > 0 and self.step_index > 0)
        self.forward_button.setEnabled(count > 0 and self.step_index < count - 1)
        self.play_button.setEnabled(count > 1)
        if conv is None:
            self.step_title.setText("Step")
            self.position_label.setText("")
            self.step_view.clear()
            self.input_panel.grid.set_marks({})
            self.input_panel.heat.set_marks()
            return
        step = conv.step(self.step_index)
        ph, pw = conv.padding
        taps = [(r + ph, c + pw) for r, c in step.taps]
        rows = [r for r, _c in taps]
        cols = [c for _r, c in taps]
        where = " of the padded input" if ph or pw else " of the input"
        self.step_title.setText(f"Step {step.index + 1} of {count}: the filter over rows "
                                f"{_span(min(rows), max(rows))}, columns {_span(min(cols), max(cols))}{where}")
        self.position_label.setText(f"Step {step.index + 1} / {count}")
        input_marks = {cell: (WINDOW_PADDING if pad else WINDOW) for cell, pad in zip(taps, step.in_padding)}
        self.input_panel.grid.set_marks(input_marks)
        self.input_panel.heat.set_marks(taps)
        output_marks = {divmod(index, conv.output_size[1]): PENDING for index in range(step.index + 1, count)}
        output_marks[(step.row, step.col)] = CURRENT
        self.output_panel.grid.set_marks(output_marks)
        self.output_panel.heat.set_marks(current=(step.row, step.col))
        self._mark_after(step.row, step.col)
        self.step_view.show_step(step, conv.kernel_size, self.grids_scroll.viewport().width())

    def _mark_after(self, row: int, col: int) -> None:
        """The after-grid cell the current output cell feeds (its pooling block, or itself)."""
        if self.result is None:
            return
        cell = (row // POOL_SIZE, col // POOL_SIZE) if self.pooling != "none" else (row, col)
        inside = cell[0] < self.result.shape[0] and cell[1] < self.result.shape[1]
        self.after_panel.grid.set_marks({cell: CURRENT} if inside else {})
        self.after_panel.heat.set_marks(current=cell if inside else None)

    # --- stepping and animation ------------------------------------------------------------------------

    def go_to_step(self, index: int) -> None:
        if self.step_count and 0 <= index < self.step_count:
            self.step_index = index
            self._draw_step()

    def step_forward(self) -> None:
        self.go_to_step(self.step_index + 1)

    def step_back(self) -> None:
        self.go_to_step(self.step_index - 1)

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        elif self.step_count > 1:
            if self.step_index >= self.step_count - 1:
                self.go_to_step(0)  # from the end, play starts over
            self.timer.start()
            self.play_button.setText("❚❚  Pause")

    def pause(self) -> None:
        self.timer.stop()
        self.play_button.setText("▶  Play")

    def _tick(self) -> None:
        if self.step_index >= self.step_count - 1:
            self.pause()
        else:
            self.step_forward()
            if self.step_index >= self.step_count - 1:
                self.pause()

    def _speed_changed(self, position: int) -> None:
        speed = SPEEDS[position]
        self.timer.setInterval(max(10, round(1000 / speed)))
        self.speed_label.setText(f"{format_value(speed)} step{'s' * (speed != 1)}/s")

    # --- window -------------------------------------------------------------------------------------------

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if is_palette_change(event) and hasattr(self, "input_panel"):
            self._draw()
        elif event.type() == event.Type.ActivationChange and self.isActiveWindow():
            self._refresh_probe_button()  # a run may have finished, or a checkpoint's data loaded

    def closeEvent(self, event) -> None:
        self.pause()
        super().closeEvent(event)

    def reject(self) -> None:  # Escape closes the window; the animation stops with it
        self.pause()
        super().reject()


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"
