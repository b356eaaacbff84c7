"""Where the window's runs go: ``runs/`` beside the saved project (as the command line and sweeps do), a
folder the user chose instead (the QSettings key ``experiments/runsFolder``, set in the Runs panel), or,
for a project never saved, the per-user folder (the run's line in the training panel says so).

Runs already written stay where they are: changing the folder changes where new runs go and what the
Runs panel lists.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from engine.experiments.folders import is_bundled_preset, runs_beside

from .run import default_runs_root

SETTINGS_KEY = "experiments/runsFolder"
CHOSEN, BESIDE, UNSAVED = "chosen", "beside", "unsaved"


class RunsFolder(QObject):
    changed = Signal()
    """The folder moved: the project was saved elsewhere or opened, or the user chose another folder."""

    def __init__(self, document, settings=None, unsaved_root: Path | None = None,
                 parent: QObject | None = None) -> None:
        """``unsaved_root``: where runs of a never-saved project go (default: the per-user folder)."""
        super().__init__(parent)
        self.document, self.settings = document, settings
        self._chosen: Path | None = None  # where there is no QSettings to keep the choice in
        self.unsaved_root = Path(unsaved_root) if unsaved_root is not None else default_runs_root()
        document.path_changed.connect(self._on_path_changed)

    def chosen(self) -> Path | None:
        if self.settings is None:
            return self._chosen
        value = self.settings.value(SETTINGS_KEY, "")
        return Path(str(value)).expanduser() if value else None

    def kind(self) -> str:
        if self.chosen() is not None:
            return CHOSEN
        path = self.document.path
        # A bundled preset opened by its path is a template: its runs never go into the installed package.
        return BESIDE if path is not None and not is_bundled_preset(path) else UNSAVED

    @property
    def root(self) -> Path:
        kind = self.kind()
        if kind == CHOSEN:
            return self.chosen()
        return runs_beside(self.document.path) if kind == BESIDE else self.unsaved_root

    def note(self) -> str:
        """Why the runs go there, in a few words people read beside the folder."""
        return {CHOSEN: "the folder chosen in the Runs panel",
                BESIDE: "beside the project",
                UNSAVED: "the project is not saved yet (or is a bundled preset), so runs go to your "
                         "per-user folder; save it to keep them beside it"}[self.kind()]

    def choose(self, folder: Path | None) -> None:
        """Keeps new runs in ``folder`` from now on; None: back to ``runs/`` beside the project."""
        if self.settings is None:
            self._chosen = Path(folder) if folder is not None else None
        else:
            if folder is None:
                self.settings.remove(SETTINGS_KEY)
            else:
                self.settings.setValue(SETTINGS_KEY, str(Path(folder)))
        self.changed.emit()

    @Slot(object)
    def _on_path_changed(self, _path) -> None:
        self.changed.emit()
