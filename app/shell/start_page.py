"""The start page: what the window shows when there is nothing to open yet.

Instead of an Input and an Output with no layers between them (which greets
the user with an error), it offers the presets as pictures, the steps to
build LeNet-5 by hand, and the recent files. It closes as soon as the user
opens a preset or a file or starts a blank network.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..formatting import compact_text
from ..labels import heading
from ..presets_menu import PresetInfo, preset_infos
from .thumbnails import THUMBNAIL_SIZE, preset_thumbnail

COLUMNS = 3

LENET_STEPS = """<ol style="margin-left: 0px; -qt-list-indent: 1;">
<li><b>New blank network</b> (above): an Input and an Output.</li>
<li>Set the Input to 1 channel, 32×32, in the Inspector.</li>
<li>From the <b>Blocks</b> panel add Conv2d (6 channels, kernel 5), Activation (Tanh) and AvgPool2d (2×2):
double-click a block to add it after the selected card.</li>
<li>Repeat with Conv2d (16 channels, kernel 5), Activation, AvgPool2d.</li>
<li>Add Flatten, then Dense 120, Activation, Dense 84, Activation, Dense 10, and connect the last one to the
Output.</li>
<li>Each card shows its output shape; the Problems panel says what to fix. Press <b>Train</b> (F5).</li>
</ol>"""


class StartPage(QScrollArea):
    preset_chosen = Signal(Path)
    recent_chosen = Signal(Path)
    blank_requested = Signal()
    open_requested = Signal()
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startPage")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.preset_buttons: dict[str, QToolButton] = {}
        self._pending: list[PresetInfo] = []
        self._returnable = False

        self.blank_button = QPushButton("New blank network")
        self.blank_button.setObjectName("startBlank")
        self.blank_button.clicked.connect(self.blank_requested)
        self.open_button = QPushButton("Open file…")
        self.open_button.setObjectName("startOpen")
        self.open_button.clicked.connect(self.open_requested)
        self.back_button = QPushButton("Back to the network")
        self.back_button.setObjectName("startBack")
        self.back_button.clicked.connect(self.back_requested)
        self.back_button.hide()
        buttons = QHBoxLayout()
        for button in (self.blank_button, self.open_button, self.back_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.presets_grid = QGridLayout()
        self.steps = QLabel(LENET_STEPS)
        self.steps.setObjectName("startSteps")
        self.steps.setWordWrap(True)
        self.recent_box = QVBoxLayout()

        lower = QHBoxLayout()
        steps_column = QVBoxLayout()
        steps_column.addWidget(heading("Build LeNet-5 yourself"))
        steps_column.addWidget(self.steps)
        steps_column.addStretch(1)
        recent_column = QVBoxLayout()
        recent_column.addWidget(heading("Recent files"))
        recent_column.addLayout(self.recent_box)
        recent_column.addStretch(1)
        lower.addLayout(steps_column, 3)
        lower.addSpacing(24)
        lower.addLayout(recent_column, 2)
        lower.addStretch(1)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(32, 24, 32, 24)
        title = QLabel("Start")
        title.setObjectName("startTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        layout.addLayout(buttons)
        layout.addSpacing(8)
        layout.addWidget(heading("Presets"))
        presets_row = QHBoxLayout()
        presets_row.addLayout(self.presets_grid)
        presets_row.addStretch(1)  # on a wide screen the pictures stay together at the left
        layout.addLayout(presets_row)
        layout.addSpacing(8)
        layout.addLayout(lower)
        layout.addStretch(1)
        self.setWidget(content)
        # The preset tiles are made when the page first shows: listing them loads and analyses every
        # preset (ResNet-152 among them): 0.3-0.4 s of CPU, measured, in a start-up that opens a file
        # and never shows the page.
        self._filled = False

    # --- presets ------------------------------------------------------------------------

    def _fill_presets(self) -> None:
        placeholder = QPixmap(THUMBNAIL_SIZE)
        placeholder.fill(Qt.GlobalColor.transparent)
        for index, info in enumerate(preset_infos()):
            button = QToolButton()
            button.setObjectName(f"preset:{info.path.name.split('.')[0]}")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setIconSize(THUMBNAIL_SIZE)
            button.setIcon(QIcon(placeholder))
            button.setText(f"{info.name} · {compact_text(info.params)} params")
            button.setToolTip(f"<p><b>{info.name}</b> · {info.params:,} parameters</p><p>{info.description}</p>")
            button.setAutoRaise(True)
            button.clicked.connect(lambda _checked=False, path=info.path: self.preset_chosen.emit(path))
            self.presets_grid.addWidget(button, index // COLUMNS, index % COLUMNS)
            self.preset_buttons[info.path.name.split(".")[0]] = button
        self._columns = COLUMNS
        # Drawn once the page shows, one per event-loop turn: the window is usable while they come.
        self._pending = list(preset_infos())

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if not self._filled:
            self._filled = True
            self._fill_presets()
            self._reflow()
        # Drawn when first shown, all at once: ~0.3 s once, then from the cache folder. (Drawing one
        # per timer tick kept the window livelier, but under X11 those timers did not fire.)
        while self._pending:
            info = self._pending.pop(0)
            self.preset_buttons[info.path.name.split(".")[0]].setIcon(
                QIcon(QPixmap.fromImage(preset_thumbnail(info.path, ratio=self.devicePixelRatioF()))))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._reflow()

    def _reflow(self) -> None:
        """As many pictures to a row as the page's width holds (up to COLUMNS): never a sideways scroll."""
        buttons = list(self.preset_buttons.values())
        if not buttons:
            return
        margins = self.widget().layout().contentsMargins()
        room = self.viewport().width() - margins.left() - margins.right()
        # The widest tile sets the step: titles differ ("Detector ResNet-18 · 15.1M params" is long).
        step = max(button.sizeHint().width() for button in buttons) + self.presets_grid.horizontalSpacing()
        columns = max(1, min(COLUMNS, room // max(1, step)))
        if columns == self._columns:
            return
        self._columns = columns
        for button in buttons:
            self.presets_grid.removeWidget(button)
        for index, button in enumerate(buttons):
            self.presets_grid.addWidget(button, index // columns, index % columns)

    def thumbnails_ready(self) -> bool:
        return self._filled and not self._pending

    # --- recent files -----------------------------------------------------------------------

    def show_recent(self, paths: list[Path]) -> None:
        while self.recent_box.count():
            item = self.recent_box.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        if not paths:
            none = QLabel("No recent files yet.")
            none.setEnabled(False)
            self.recent_box.addWidget(none)
        for path in paths:
            button = QPushButton(path.name)
            button.setObjectName("startRecent")
            button.setFlat(True)
            button.setToolTip(str(path))
            button.setStyleSheet("text-align: left;")
            button.clicked.connect(lambda _checked=False, p=path: self.recent_chosen.emit(p))
            self.recent_box.addWidget(button)

    def set_returnable(self, returnable: bool) -> None:
        """Shows "Back to the network" when a network is open behind the page."""
        self._returnable = returnable
        self.back_button.setVisible(returnable)

    @property
    def returnable(self) -> bool:
        return self._returnable

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(640, 480)
