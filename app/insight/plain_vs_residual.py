"""File ▸ Open Example ▸ Plain vs residual: trains a 20-layer plain network, then the same with
shortcuts, with the Gradients view open, and explains the difference with the runs' own numbers.

The experiment drives the window as a user would: it opens each network as a new project, starts
training, and when the run ends keeps its validation accuracy and last gradient frame, then opens
the next. The explanation (``engine.insight.plain_vs_residual.comparison_text``) appears under the
Gradients plots, where the plain run's line shows its early layers' gradients fading.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction

from engine.insight.plain_vs_residual import EXPLANATION, RunSummary, comparison_text, deep_network


class PlainVsResidualExample(QObject):
    """``action`` starts it; ``finished`` carries the explanation once both networks have trained."""

    finished = Signal(str)

    def __init__(self, window, epochs: int = 4) -> None:
        super().__init__(window)
        self.window, self.epochs = window, epochs
        self.ui = window.training_ui
        self.action = QAction("Plain vs residual", self)
        self.action.setStatusTip("Train a 20-layer network without and then with residual connections, and "
                                 "watch the gradients flow (about a minute each)")
        self.action.triggered.connect(self.start)
        self.active = False
        self._queue = []
        self._summaries: list[RunSummary] = []
        self._accuracy: float | None = None
        self.ui.training_ended.connect(self._run_ended)

    def start(self) -> bool:
        if self.active or self.ui.is_training():
            self.window.statusBar().showMessage("Stop the current run before starting the example.", 10_000)
            return False
        if not self.window.maybe_save():
            return False
        self._queue = [deep_network(False, self.epochs), deep_network(True, self.epochs)]
        self._summaries = []
        self.active = True
        dock = self.ui.dock("gradientsDock")
        dock.show()
        dock.raise_()  # the gradients are what this example is about: captured only while shown
        self.ui.gradients.set_note(EXPLANATION)
        return self._next()

    def _next(self) -> bool:
        project = self._queue.pop(0)
        self.window.document.new_project(project)
        self._accuracy = None
        if not self.ui.start_training():
            self._stop(f"The example could not start training {project.name}: "
                       f"{self.ui.panel.message_label.text()}")
            return False
        self.ui.run.worker.finished.connect(self._keep_result)
        self.ui.gradients.set_note(f"{EXPLANATION}\n\nTraining {project.name} "
                                   f"({2 - len(self._queue)} of 2)…")
        return True

    def _keep_result(self, outcome) -> None:
        self._accuracy = outcome.result.val_accuracy

    def _run_ended(self) -> None:
        if not self.active:
            return
        runs = self.ui.gradients.runs
        name = self.window.document.project.name
        frame = runs[-1][1] if runs and runs[-1][0].endswith(name) else None
        if self._accuracy is None:  # stopped or failed: the comparison would be made up
            self._stop(f"The example stopped: {name} did not finish training.")
            return
        self._summaries.append(RunSummary(name, self._accuracy, frame))
        if self._queue:
            QTimer.singleShot(0, self._next)  # after the ended run has let go of the window
            return
        text = comparison_text(*self._summaries)
        self._stop(text)
        self.finished.emit(text)

    def _stop(self, note: str) -> None:
        self.active = False
        self._queue = []
        self.ui.gradients.set_note(note)
