"""One editor widget per ``ParamSpec`` kind, generated from the catalogue.

Every editor shows a value with ``set_value`` (silently) and emits
``committed(value)`` when the user settles on a new one: spin boxes on
Enter, focus loss or an arrow step (not on every keystroke), check boxes and
combo boxes at once. The owner turns a commit into an undoable edit. Values
are in the catalogue's canonical form (a pair is an int when both sides
agree, else ``[h, w]``).
"""
from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.catalogue import ACTIVATIONS, ParamError, ParamSpec, as_pair

from .icons import icon

INT_LIMIT = 2**31 - 1  # QSpinBox holds a C int
# Floats that may be tiny (eps 1e-5, learning rate 3e-4) or usually start at
# zero (weight decay 5e-4) are typed in scientific notation, not spun: a spin
# box with fixed decimals cannot show them.
TINY = 1e-2
# Friendlier names for choices that are identifiers.
CHOICE_TITLES: dict[str, str] = {**ACTIVATIONS, "adamw": "AdamW", "adam": "Adam", "sgd": "SGD"}


class ParamEditor(QWidget):
    committed = Signal(object)

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.setToolTip(spec.help)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        """Shows ``value`` without emitting ``committed``."""
        blockers = [QSignalBlocker(child) for child in self.findChildren(QWidget)]
        try:
            self._show(value)
        finally:
            for blocker in blockers:
                blocker.unblock()

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def _commit(self, *_args: Any) -> None:
        self.committed.emit(self.value())

    def _inputs(self) -> list[tuple[QWidget, str]]:
        """The editor's inputs, each with the word that tells it from the others ('' when alone)."""
        children = self.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
        return [(child, "") for child in children if child.focusPolicy() != Qt.FocusPolicy.NoFocus]

    def name_inputs(self) -> None:
        """Names each input after the parameter for screen readers (the form's label names only the
        editor around them), with its help as description; the first input takes the editor's focus,
        so the label's buddy and setFocus lead into it."""
        inputs = self._inputs()
        for widget, part in inputs:
            widget.setAccessibleName(f"{self.spec.title} {part}" if part else self.spec.title)
            widget.setAccessibleDescription(self.spec.help)
        if inputs:
            self.setFocusProxy(inputs[0][0])


def _int_spin(spec: ParamSpec) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(int(spec.minimum if spec.minimum is not None else -INT_LIMIT),
                  int(min(spec.maximum, INT_LIMIT) if spec.maximum is not None else INT_LIMIT))
    spin.setKeyboardTracking(False)
    spin.setAccelerated(True)
    spin.setGroupSeparatorShown(spin.maximum() >= 10_000)
    spin.setToolTip(spec.help)
    return spin


class IntEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.spin = _int_spin(spec)
        self._layout.addWidget(self.spin)
        self.spin.valueChanged.connect(self._commit)

    def value(self) -> int:
        return self.spin.value()

    def _show(self, value: int) -> None:
        self.spin.setValue(value)


def _float_step(spec: ParamSpec) -> tuple[int, float]:
    """Decimals and single step that suit the default's magnitude (0.5 → 2 and 0.1)."""
    exponent = min(math.floor(math.log10(abs(spec.default))), 0)
    return max(2, 1 - exponent), 10.0 ** min(exponent, -1)


class FloatEditor(ParamEditor):
    """A spin box for ordinary ranges (dropout 0.5, momentum 0.9)."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        decimals, step = _float_step(spec)
        self.spin = QDoubleSpinBox()
        self.spin.setDecimals(decimals)
        self.spin.setSingleStep(step)
        below = 10.0 ** -decimals if spec.exclusive_maximum else 0.0
        self.spin.setRange(spec.minimum if spec.minimum is not None else -1e12,
                           (spec.maximum - below) if spec.maximum is not None else 1e12)
        self.spin.setKeyboardTracking(False)
        self.spin.setToolTip(spec.help)
        self._layout.addWidget(self.spin)
        self.spin.valueChanged.connect(self._commit)

    def value(self) -> float:
        return self.spin.value()

    def _show(self, value: float) -> None:
        self.spin.setValue(value)


class SmallFloatEditor(ParamEditor):
    """Typed scientific notation for tiny values (eps 1e-5, learning rate 3e-4)."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.line = QLineEdit()
        validator = QDoubleValidator(self.line)
        validator.setNotation(QDoubleValidator.Notation.ScientificNotation)
        validator.setBottom(spec.minimum if spec.minimum is not None else -math.inf)
        validator.setTop(spec.maximum if spec.maximum is not None else math.inf)
        self.line.setValidator(validator)
        self.line.setToolTip(spec.help)
        self._layout.addWidget(self.line)
        self._shown = spec.default
        self.line.editingFinished.connect(self._finish)

    def value(self) -> float:
        try:
            return self.spec.validate(float(self.line.text().replace(",", ".")))
        except (ValueError, ParamError):
            return self._shown

    def _show(self, value: float) -> None:
        self._shown = value
        self.line.setText(f"{value:g}")

    def _finish(self) -> None:
        value = self.value()
        if value != self._shown:
            self._shown = value
            self.committed.emit(value)
        self.line.setText(f"{value:g}")


class BoolEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.check = QCheckBox()
        self.check.setToolTip(spec.help)
        self._layout.addWidget(self.check)
        self._layout.addStretch(1)
        self.check.toggled.connect(self._commit)

    def value(self) -> bool:
        return self.check.isChecked()

    def _show(self, value: bool) -> None:
        self.check.setChecked(value)


class ChoiceEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.combo = QComboBox()
        self.combo.setToolTip(spec.help)
        for choice in spec.choices:
            self.combo.addItem(CHOICE_TITLES.get(choice, choice), choice)
        self._layout.addWidget(self.combo)
        self.combo.activated.connect(self._commit)

    def value(self) -> str:
        return self.combo.currentData()

    def _show(self, value: str) -> None:
        self.combo.setCurrentIndex(self.combo.findData(value))


class TextEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.line = QLineEdit()
        self.line.setToolTip(spec.help)
        if spec.maximum is not None:
            self.line.setMaxLength(int(spec.maximum))
        self._layout.addWidget(self.line)
        self._shown = spec.default
        self.line.editingFinished.connect(self._finish)

    def value(self) -> str:
        return self.line.text()

    def _show(self, value: str) -> None:
        self._shown = value
        self.line.setText(value)

    def _finish(self) -> None:
        if self.value() != self._shown:
            self._shown = self.value()
            self.committed.emit(self._shown)


class PairEditor(ParamEditor):
    """Height and width spin boxes; the link button keeps them equal (a square)."""

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.height_spin, self.width_spin = _int_spin(spec), _int_spin(spec)
        self.height_spin.setToolTip(f"Height. {spec.help}")
        self.width_spin.setToolTip(f"Width. {spec.help}")
        self.link = QToolButton()
        self.link.setObjectName("pairLink")
        self.link.setCheckable(True)
        self.link.setAutoRaise(True)
        self.link.setIcon(icon("link"))
        self.link.setToolTip("Keep height and width equal")
        times = QLabel("×")
        times.setObjectName("muted")
        self._layout.addWidget(self.height_spin, 1)
        self._layout.addWidget(times)
        self._layout.addWidget(self.width_spin, 1)
        self._layout.addWidget(self.link)
        self.height_spin.valueChanged.connect(lambda v: self._side_changed(self.width_spin, v))
        self.width_spin.valueChanged.connect(lambda v: self._side_changed(self.height_spin, v))
        self.link.toggled.connect(self._link_toggled)

    def _inputs(self) -> list[tuple[QWidget, str]]:
        return [(self.height_spin, "height"), (self.width_spin, "width"),
                (self.link, "(keep height and width equal)")]

    @property
    def linked(self) -> bool:
        return self.link.isChecked()

    def value(self) -> int | list[int]:
        height, width = self.height_spin.value(), self.width_spin.value()
        return height if height == width else [height, width]

    def _show(self, value) -> None:
        height, width = as_pair(value)
        self.height_spin.setValue(height)
        self.width_spin.setValue(width)
        self.link.setChecked(height == width)

    def _side_changed(self, other: QSpinBox, value: int) -> None:
        if self.linked:
            with QSignalBlocker(other):
                other.setValue(value)
        self._commit()

    def _link_toggled(self, linked: bool) -> None:
        if linked and self.width_spin.value() != self.height_spin.value():
            with QSignalBlocker(self.width_spin):
                self.width_spin.setValue(self.height_spin.value())
            self._commit()


class PaddingEditor(ParamEditor):
    """A number of pixels (a pair, on a second line), or one of the named modes such as 'same'."""

    NUMBER = "number"

    def __init__(self, spec: ParamSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.mode = QComboBox()
        self.mode.setToolTip(spec.help)
        self.mode.addItem("pixels", self.NUMBER)
        for choice in spec.choices:
            self.mode.addItem(choice, choice)
        self.pixels = PairEditor(spec)
        column = QVBoxLayout()
        column.setSpacing(4)
        column.addWidget(self.mode)
        column.addWidget(self.pixels)
        self._layout.addLayout(column, 1)
        self.mode.activated.connect(self._mode_chosen)
        self.pixels.committed.connect(self._commit)

    def _inputs(self) -> list[tuple[QWidget, str]]:
        return [(self.mode, "mode"), *self.pixels._inputs()]

    def value(self) -> int | list[int] | str:
        mode = self.mode.currentData()
        return self.pixels.value() if mode == self.NUMBER else mode

    def _show(self, value) -> None:
        named = isinstance(value, str)
        self.mode.setCurrentIndex(self.mode.findData(value if named else self.NUMBER))
        if not named:
            self.pixels.set_value(value)
        self.pixels.setVisible(not named)

    def _mode_chosen(self) -> None:
        self.pixels.setVisible(self.mode.currentData() == self.NUMBER)
        self._commit()


def editor_for(spec: ParamSpec, parent: QWidget | None = None) -> ParamEditor:
    """The editor that suits ``spec``, showing its default."""
    if spec.kind == "float":
        tiny = abs(spec.default) < TINY or (spec.minimum is not None and 0 < spec.minimum < TINY)
        editor: ParamEditor = (SmallFloatEditor if tiny else FloatEditor)(spec, parent)
    else:
        kinds = {"int": IntEditor, "bool": BoolEditor, "choice": ChoiceEditor, "text": TextEditor,
                 "pair": PairEditor, "padding": PaddingEditor}
        if spec.kind not in kinds:
            raise ValueError(f"no editor for parameter kind {spec.kind!r} ({spec.name})")
        editor = kinds[spec.kind](spec, parent)
    editor.name_inputs()
    editor.set_value(spec.default)
    return editor
