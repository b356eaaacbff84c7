"""File ▸ Presets: every ``presets/*.cnn.json``, with its description and parameter count.

Reading and analysing all presets costs a little (ResNet-50 has 177 nodes),
so it happens once, the first time the menu opens, and is cached.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMenu, QWidget

from engine.analysis import analyze
from engine.project import EXTENSION, ProjectError, load_project

from .formatting import compact_text

FIRST_LAUNCH_PRESET = "lenet5" + EXTENSION


@dataclass(frozen=True)
class PresetInfo:
    path: Path
    name: str
    description: str
    params: int


def presets_folder() -> Path:
    return Path(str(files("presets")))


@cache
def preset_infos() -> tuple[PresetInfo, ...]:
    """All presets, smallest network first. A broken preset is left out (its test fails)."""
    found = []
    for path in sorted(presets_folder().glob(f"*{EXTENSION}")):
        try:
            project = load_project(path)
        except (OSError, ProjectError):
            continue
        found.append(PresetInfo(path, project.name, project.description, analyze(project.graph).total_params))
    return tuple(sorted(found, key=lambda info: (info.params, info.name)))


def first_launch_preset() -> Path:
    return presets_folder() / FIRST_LAUNCH_PRESET


class PresetsMenu(QMenu):
    preset_chosen = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("&Presets", parent)
        self.setObjectName("presetsMenu")
        self.setToolTipsVisible(True)
        self.aboutToShow.connect(self.populate)

    def populate(self) -> None:
        if self.actions():
            return
        for info in preset_infos():
            # The tab puts the parameter count in the right-hand (shortcut) column.
            action = self.addAction(f"{info.name}\t{compact_text(info.params)} params")
            action.setToolTip(f"<p><b>{info.name}</b> · {info.params:,} parameters</p><p>{info.description}</p>")
            action.setStatusTip(f"{info.params:,} parameters. {info.description}")
            action.setData(str(info.path))
            action.triggered.connect(lambda _checked=False, path=info.path: self.preset_chosen.emit(path))
