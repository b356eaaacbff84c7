"""Training in the desktop app: the Training dock, live dashboards, checkpoints and export.

Qt only wraps the engine here (``engine.training``, ``engine.data``,
``engine.export``): no ML logic lives in this package. The main window
calls one function::

    self.training_ui = install_training_ui(self, self.document, self.canvas)
    self.training_docks = self.training_ui.docks          # for the View menu and saveState
    file_menu.addActions(self.training_ui.actions)        # Open Checkpoint…, Export Trained Network…

and, first thing in ``closeEvent``::

    if not self.training_ui.confirm_close(self):           # asks while training, then stops cleanly
        event.ignore()
        return

``TrainingUi.is_training()`` and ``TrainingUi.stop_and_wait(timeout_ms)`` are
there for anything else that must not leave a run behind;
``TrainingUi.open_checkpoint(path)`` opens a trained network (the caller asks
about unsaved changes first).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMainWindow

from .run import default_runs_root
from .ui import TrainingUi

__all__ = ["TrainedModel", "TrainingUi", "default_runs_root", "install_training_ui"]


def __getattr__(name: str):
    """``TrainedModel`` on first use: its module imports torch, which the first window never waits for."""
    if name == "TrainedModel":
        from .trained import TrainedModel

        return TrainedModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def install_training_ui(main_window: QMainWindow, document, canvas_view=None,
                        runs_root: Path | None = None) -> TrainingUi:
    """Creates the training docks in ``main_window``, connects the canvas's selection to the feature
    maps, and returns the controller. ``runs_root`` is where runs write checkpoints (default: the
    per-user data folder, see ``default_runs_root``)."""
    return TrainingUi(main_window, document, canvas_view, runs_root)
