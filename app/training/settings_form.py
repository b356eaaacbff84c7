"""The hyperparameter editors, generated from ``engine.config.TRAINING_SETTINGS``.

One editor per setting (the same editor widgets the inspector uses for block
parameters), except the dataset settings, which have their own chooser.
Settings that do not apply to the current choice (momentum without SGD,
the step schedule's knobs without the step schedule) are disabled rather
than hidden, so the form does not jump around.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QWidget

from app.param_editors import ParamEditor, editor_for
from engine.config import TRAINING_SETTINGS, TrainingConfig

DATASET_SETTINGS = ("dataset", "data_root")
#: settings with their own editors elsewhere: the exclusion list is the Data view's Problems tab (app.data)
NOT_IN_FORM = (*DATASET_SETTINGS, "exclude")


def applies(key: str, config: TrainingConfig) -> bool:
    """Whether setting ``key`` has any effect with the rest of ``config``."""
    if key == "momentum":
        return config.optimizer == "sgd"
    if key in ("step_epochs", "step_gamma"):
        return config.scheduler == "step"
    if key == "mixed_precision":
        return config.device in ("auto", "cuda")
    return True


class SettingsForm(QWidget):
    setting_changed = Signal(str, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editors: dict[str, ParamEditor] = {}
        self.labels: dict[str, QLabel] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        for spec in TRAINING_SETTINGS:
            if spec.name in NOT_IN_FORM:
                continue
            editor = editor_for(spec)
            editor.committed.connect(lambda value, key=spec.name: self.setting_changed.emit(key, value))
            label = QLabel(spec.title)
            label.setToolTip(spec.help)
            label.setBuddy(editor)  # (addRow links a label to its field only when given the label's text)
            form.addRow(label, editor)
            self.editors[spec.name] = editor
            self.labels[spec.name] = label

    def show_settings(self, config: TrainingConfig) -> None:
        for key, editor in self.editors.items():
            editor.set_value(getattr(config, key))
            active = applies(key, config)
            editor.setEnabled(active)
            self.labels[key].setEnabled(active)

    def value(self, key: str) -> Any:
        return self.editors[key].value()
