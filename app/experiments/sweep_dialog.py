"""Training ▸ Sweep…: choose what to vary and how long to search, watch the trials and their trade-off live.

The sweep runs on a worker thread (``sweep_worker``) on a snapshot of the project; Stop ends the running
trial after its current batch. Each sweep is an Optuna study in the runs folder's ``sweeps.db``: opening
the dialog again offers to continue the project's sweeps where they stopped (``sweep_studies``). Each trial's network opens on the canvas as a new, unsaved document
(the way File ▸ Open Preset does, after the usual question about unsaved changes).
"""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QListWidget, QPushButton, QSpinBox,
                               QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ..training.threads import in_app_threads
from .pareto_view import ParetoView
from .sweep_studies import WINDOW_ATTR, SavedSweep, project_key, saved_sweeps, window_settings
from .sweep_worker import SweepWorker, start_worker

OBJECTIVES = (("Best metric", ("accuracy",)), ("Metric against MACs (Pareto front)", ("accuracy", "macs")),
              ("Metric against parameters (Pareto front)", ("accuracy", "params")),
              ("Metric against latency (Pareto front)", ("accuracy", "latency")))
COLUMNS = ("Trial", "State", "Metric", "MACs", "Parameters", "Swept values")
#: objectives the table has columns of (the others, e.g. latency, are written beside the swept values)
IN_COLUMNS = ("accuracy", "macs", "params")
#: suggested ranges for the training settings people sweep most
SUGGESTED = {"lr": "1e-4..1e-1", "weight_decay": "1e-6..1e-2", "batch_size": "32,64,128",
             "optimizer": "sgd,adam,adamw", "augment": "none,crop,flip,crop+flip", "momentum": "0.5..0.99",
             "label_smoothing": "0.0..0.2"}


def suggested_range(spec, value) -> str:
    """A starting range for a parameter: its choices, or half to twice its current value."""
    if spec.kind == "choice":
        return ",".join(spec.choices)
    if spec.kind == "bool":
        return "off,on"
    if spec.kind in ("int", "pair") and isinstance(value, int) and value > 0:
        return f"{max(1, value // 2)}..{max(value * 2, value + 1)}"
    if spec.kind == "float" and isinstance(value, (int, float)):
        low = spec.minimum if spec.minimum is not None else 0.0
        return f"{low:g}..{max(float(value) * 2, low + 0.5):g}" if spec.maximum is None else \
            f"{low:g}..{min(spec.maximum * (0.9 if spec.exclusive_maximum else 1), max(float(value) * 2, low + 0.5)):g}"
    return ""


def objective_index(objectives) -> int:
    """The ``OBJECTIVES`` entry of ``objectives`` (a list read back from the study), else the first.
    (QComboBox.findData cannot match a Python tuple: it found none, and a continued Pareto sweep showed
    "Best metric".)"""
    wanted = tuple(objectives)
    return next((index for index, (_, names) in enumerate(OBJECTIVES) if names == wanted), 0)


class SweepDialog(QDialog):
    trial_shown = Signal(int)
    """A trial's row has been added or updated (tests wait on it)."""
    sweep_ended = Signal()

    def __init__(self, window, document, runs_folder) -> None:
        """``runs_folder``: the window's ``RunsFolder``; the trials go where the project's runs go."""
        super().__init__(window)
        self.window, self.document, self.runs_folder = window, document, runs_folder
        self.setObjectName("sweepDialog")
        self.setWindowTitle("Sweep")
        self.setAccessibleName("Sweep")
        self.worker: SweepWorker | None = None
        self.thread = None
        self.rows: dict[int, object] = {}
        self.study_name = ""  # the study the last Start ran
        self.seed: int | None = None  # the sampler's seed for a repeatable sweep (the README's screenshot)
        self.saved: dict[str, SavedSweep] = {}  # the project's sweeps in the runs folder, by study name
        self._project_key: str | None = None
        self._build()
        self._follow_project()

    # --- layout ------------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.study_choice = self._named(QComboBox(), "sweepStudyChoice", "New sweep or one to continue")
        self.study_choice.currentIndexChanged.connect(self._on_study_chosen)
        self.param_choice = self._named(QComboBox(), "sweepParamChoice", "Parameter to sweep")
        self.param_choice.currentIndexChanged.connect(self._suggest)
        self.range_edit = self._named(QLineEdit(), "sweepRangeEdit", "Range or choices")
        self.range_edit.setPlaceholderText("LOW..HIGH or A,B,C")
        self.range_edit.returnPressed.connect(self.add_parameter)
        self.add_button = self._named(QPushButton("&Add"), "sweepAddParam", "Add the parameter to the sweep")
        self.add_button.clicked.connect(self.add_parameter)
        self.param_list = self._named(QListWidget(), "sweepParamList", "Swept parameters")
        # A few lines: the trials and their front below get the dialog's height.
        self.param_list.setMaximumHeight(self.param_list.fontMetrics().lineSpacing() * 5
                                         + 2 * self.param_list.frameWidth() + 4)
        self.remove_button = self._named(QPushButton("&Remove"), "sweepRemoveParam", "Remove the selected parameter")
        self.remove_button.clicked.connect(self._remove_parameter)
        self.trials_spin = self._spin("sweepTrials", "Number of trials", 1, 10_000, 12)
        self.minutes_spin = self._spin("sweepMinutes", "Time limit in minutes", 0, 100_000, 0)
        self.minutes_spin.setSpecialValueText("no limit")
        self.epochs_spin = self._spin("sweepEpochs", "Epochs per trial", 1, 100_000,
                                      self.document.project.training.epochs)
        self.objective_choice = self._named(QComboBox(), "sweepObjective", "Objective")
        for text, objectives in OBJECTIVES:
            self.objective_choice.addItem(text, objectives)
        self.pruning_check = self._named(QCheckBox("&Prune poor trials"), "sweepPruning",
                                         "Prune poor trials from their validation metric")
        self.pruning_check.setChecked(True)
        self.objective_choice.currentIndexChanged.connect(self._update_form)
        self.start_button = self._named(QPushButton("&Start"), "sweepStart", "Start the sweep")
        self.start_button.clicked.connect(self.start)
        self.stop_button = self._named(QPushButton("S&top"), "sweepStop", "Stop the sweep")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.message = self._named(QLabel(), "sweepMessage", "Sweep status")
        self.message.setWordWrap(True)
        self.table = self._named(QTableWidget(0, len(COLUMNS)), "sweepTrials", "Trials")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()  # the Trial column numbers the rows
        self.table.setWordWrap(False)  # one line a trial; the whole text is the cell's tooltip
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.activated.connect(lambda index: self.open_trial(self._number_at(index.row())))
        self.pareto = ParetoView()
        self.pareto.open_requested.connect(self.open_trial)
        self.importances = self._named(QLabel(), "sweepImportances", "Parameter importances")
        self.importances.setWordWrap(True)

        adding = QHBoxLayout()
        adding.addWidget(self.param_choice, 2)
        adding.addWidget(self.range_edit, 2)
        adding.addWidget(self.add_button)
        listing = QHBoxLayout()
        listing.addWidget(self.param_list, 1)
        listing.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        form = QFormLayout()
        for text, buddy, field in (("St&udy:", self.study_choice, self.study_choice),
                                   ("&Parameter:", self.param_choice, adding), ("S&wept:", self.param_list, listing),
                                   ("T&rials:", self.trials_spin, self.trials_spin),
                                   ("Time &limit (min):", self.minutes_spin, self.minutes_spin),
                                   ("&Epochs per trial:", self.epochs_spin, self.epochs_spin),
                                   ("&Objective:", self.objective_choice, self.objective_choice)):
            label = QLabel(text)
            label.setBuddy(buddy)
            form.addRow(label, field)
        form.addRow("", self.pruning_check)
        controls = QWidget()
        controls_layout = QVBoxLayout(controls)
        controls_layout.addLayout(form)
        run_row = QHBoxLayout()
        run_row.addWidget(self.start_button)
        run_row.addWidget(self.stop_button)
        run_row.addStretch(1)
        controls_layout.addLayout(run_row)
        controls_layout.addWidget(self.message)
        results = QSplitter(Qt.Orientation.Horizontal)
        results.addWidget(self.table)
        results.addWidget(self.pareto)
        results.setSizes([500, 500])  # halves: the table's columns, values included, beside the front
        results.setChildrenCollapsible(False)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(controls)
        layout.addWidget(results, 1)
        layout.addWidget(self.importances)
        layout.addWidget(close)
        self.resize(900, 640)

    def _named(self, widget, name: str, accessible: str):
        widget.setObjectName(name)
        widget.setAccessibleName(accessible)
        return widget

    def _spin(self, name: str, accessible: str, low: int, high: int, value: int) -> QSpinBox:
        spin = self._named(QSpinBox(), name, accessible)
        spin.setRange(low, high)
        spin.setValue(value)
        return spin

    # --- the sweep to run: a new one, or one of the project's to continue ------------------------------------

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        # Shown again (Training ▸ Sweep…): the project or its runs folder may have changed meanwhile.
        super().showEvent(event)
        if not self.running:
            self._follow_project()

    def _follow_project(self) -> None:
        """Another project than last time: its parameters, its epochs, no swept parameter; then its sweeps."""
        key = self.project_key()
        if key != self._project_key:
            self._project_key = key
            self.param_list.clear()
            self.epochs_spin.setValue(self.document.project.training.epochs)
            self.fill_parameters()
        self.refresh_studies()

    def refresh_studies(self, select: str | None = None) -> None:
        """Lists "New sweep" and the project's sweeps in the runs folder; selects ``select``, else the newest
        one with trials left to run, else "New sweep"."""
        from engine.experiments.sweeps import SweepError

        try:
            saved = saved_sweeps(self.runs_folder.root, self.project_key())
        except SweepError as error:
            saved = []
            self.message.setText(f"Earlier sweeps cannot be read: {error}")
        self.saved = {sweep.name: sweep for sweep in saved}
        if select not in self.saved:
            select = next((sweep.name for sweep in saved if sweep.done < sweep.target), None)
        self.study_choice.blockSignals(True)
        self.study_choice.clear()
        self.study_choice.addItem("New sweep", None)
        for sweep in saved:
            self.study_choice.addItem(sweep.label(), sweep.name)
        self.study_choice.setCurrentIndex(max(0, self.study_choice.findData(select)) if select else 0)
        self.study_choice.blockSignals(False)
        self._on_study_chosen()

    def project_key(self) -> str:
        return project_key(self.document.path, self.document.project.name)

    def _update_form(self, *_args) -> None:
        """A continued sweep keeps what defines its study; pruning is for one objective only (Optuna prunes
        single-objective studies: a Pareto sweep trains every trial to its last epoch)."""
        new = self.chosen_sweep() is None
        for widget in (self.param_choice, self.range_edit, self.add_button, self.param_list, self.remove_button,
                       self.epochs_spin, self.objective_choice):
            widget.setEnabled(new)
        single = len(self.objective_choice.currentData() or ()) == 1
        self.pruning_check.setEnabled(new and single)
        self.pruning_check.setToolTip("" if single else "Pareto sweeps train every trial to its last epoch: "
                                                        "Optuna prunes sweeps of one objective only")

    def chosen_sweep(self) -> SavedSweep | None:
        return self.saved.get(self.study_choice.currentData())

    def _on_study_chosen(self, *_args) -> None:
        """A sweep to continue fills the dialog as it was and shows its trials; its parameters, epochs,
        objective and pruning stay as they were (Optuna refuses other ranges in one study)."""
        saved = self.chosen_sweep()
        self.rows.clear()
        self.table.setRowCount(0)
        self.pareto.show_rows([])
        self.importances.setText("")
        if saved is None:
            self._update_form()
            return
        settings = saved.settings
        self.param_list.clear()
        self.param_list.addItems([str(text) for text in settings.get("params", [])])
        self.trials_spin.setValue(max(saved.target, 1))
        self.minutes_spin.setValue(int(settings.get("minutes", 0)))
        self.epochs_spin.setValue(int(settings.get("epochs", self.epochs_spin.value())))
        self.objective_choice.setCurrentIndex(objective_index(settings.get("objectives", ())))
        self.pruning_check.setChecked(bool(settings.get("pruning", True)))
        self._update_form()
        for row in saved.rows:
            self.show_trial(row)
        left = saved.target - saved.done
        self.message.setText(f"Start continues sweep '{saved.name}': {left} more trial(s) to run." if left > 0 else
                             f"Sweep '{saved.name}' has run its {saved.target} trials: raise Trials to run more.")

    # --- parameters -----------------------------------------------------------------------------------------

    def fill_parameters(self) -> None:
        """The current project's sweepable training settings, every node's parameters, then the repeat count
        of every stage whose blocks chain (``layer2.repeat``)."""
        from engine.experiments.sweeps.space import sweepable_node_params, sweepable_repeats, sweepable_settings

        project = self.document.project
        self.param_choice.clear()
        for spec in sweepable_settings():
            value = getattr(project.training, spec.name, None)
            self.param_choice.addItem(spec.name, SUGGESTED.get(spec.name) or suggested_range(spec, value))
        for node_name, spec in sweepable_node_params(project):
            value = project.graph.node_by_name(node_name).params.get(spec.name)
            self.param_choice.addItem(f"{node_name}.{spec.name}", suggested_range(spec, value))
        for stage_name, count in sweepable_repeats(project):
            self.param_choice.addItem(f"{stage_name}.repeat", f"1..{max(count * 2, 2)}")

    def _suggest(self) -> None:
        self.range_edit.setText(self.param_choice.currentData() or "")

    def parameter_texts(self) -> list[str]:
        return [self.param_list.item(index).text() for index in range(self.param_list.count())]

    def add_parameter(self) -> bool:
        """Adds ``name=range`` after the engine's parser accepts it; else its message says what is wrong."""
        from engine.experiments.sweeps import SweepError, parse_param

        name = self.param_choice.currentText()
        text = f"{name}={self.range_edit.text().strip()}"
        try:
            parse_param(text, self.document.project)
        except SweepError as error:
            self.message.setText(str(error))
            return False
        existing = [i for i, line in enumerate(self.parameter_texts()) if line.partition("=")[0] == name]
        if existing:
            self.param_list.item(existing[0]).setText(text)
        else:
            self.param_list.addItem(text)
        self.message.setText("")
        return True

    def _remove_parameter(self) -> None:
        row = self.param_list.currentRow()
        if row >= 0:
            self.param_list.takeItem(row)

    # --- running ----------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.thread is not None

    def start(self) -> bool:
        """Starts a new sweep, or continues the chosen one where it stopped."""
        from engine.experiments.sweeps import SweepError, parse_params
        from engine.project import dumps_project, loads_project

        if self.running:
            return False
        if self.project_key() != self._project_key:
            # Another network on the canvas since the dialog read its sweeps (a trial opened from the front):
            # continuing would train it in a study, and a runs folder, made for the other one.
            self._follow_project()
            self.message.setText("The canvas shows another network now: the dialog shows its sweeps instead. "
                                 "Check the parameters and press Start again.")
            return False
        project = loads_project(dumps_project(self.document.project), "project")
        project.path = self.document.path
        project.training = project.training.replace(epochs=self.epochs_spin.value())
        try:
            space = parse_params(self.parameter_texts(), project)
        except SweepError as error:
            self.message.setText(str(error))
            return False
        objectives = self.objective_choice.currentData()
        continued = self.chosen_sweep()
        if continued is not None:
            study = continued.name
        else:
            study = "".join(ch if ch.isalnum() else "-" for ch in project.name).strip("-") or "sweep"
            study = f"{study}-{time.strftime('%Y%m%d-%H%M%S')}"
        runs_root, pruning, seed = self.runs_folder.root, self.pruning_check.isChecked(), self.seed
        minutes, trials = self.minutes_spin.value(), self.trials_spin.value()
        # What the dialog is set to, kept with the study: opening the dialog again can continue it.
        remembered = window_settings(self.project_key(), self.parameter_texts(), trials, minutes,
                                     self.epochs_spin.value(), objectives, pruning)

        def make_sweep(on_trial):
            from engine.experiments.sweeps.runner import Sweep

            sweep = Sweep(project, space, objectives=objectives, runs_root=runs_root, study_name=study,
                          pruning=pruning, seed=seed, on_trial=on_trial)
            sweep.open().set_user_attr(WINDOW_ATTR, remembered)
            return sweep

        threads = in_app_threads(getattr(self.window, "settings", None))
        self.worker = SweepWorker(make_sweep, trials, minutes * 60 if minutes else None, threads)
        self.worker.trial_done.connect(self.show_trial)
        self.worker.finished.connect(self._finished)
        self.worker.failed.connect(self._failed)
        if continued is None:
            self.rows.clear()
            self.table.setRowCount(0)
            self.pareto.show_rows([])
        self.importances.setText("")
        self.study_name = study
        self.thread = start_worker(self.worker, self)
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.study_choice.setEnabled(False)
        verb = "Continuing" if continued is not None else "Sweeping"
        self.message.setText(f"{verb} {len(space)} parameter(s): study {study} in {runs_root / 'sweeps.db'}")
        return True

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.message.setText("Stopping after the current batch…")

    def show_trial(self, row) -> None:
        from engine.experiments.sweeps.objectives import LABELS

        self.rows[row.number] = row
        numbers = sorted(self.rows)
        self.table.setRowCount(len(numbers))
        index = numbers.index(row.number)
        values = "  ".join(f"{LABELS[name]} {value:.4g}" for name, value in row.values.items()
                           if name not in IN_COLUMNS) or (row.message if row.state != "complete" else "")
        params = " ".join(f"{name}={value:.4g}" if isinstance(value, float) else f"{name}={value}"
                          for name, value in row.params.items())
        cells = (str(row.number), row.state, "" if row.metric is None else f"{row.metric:.4f}",
                 "" if row.macs is None else f"{row.macs:,}", "" if row.parameters is None else f"{row.parameters:,}",
                 f"{params}   {values}".strip())
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            self.table.setItem(index, column, item)
        self.pareto.show_rows(list(self.rows.values()))
        self.trial_shown.emit(row.number)

    def _finished(self, summary) -> None:
        for row in summary.rows:
            if self.rows.get(row.number) is None or self.rows[row.number].state != row.state:
                self.show_trial(row)
        text = ", ".join(f"{name} {value:.2f}" for name, value in summary.importances.items())
        self.importances.setText(f"Importances: {text}" if text else "Importances: too few complete trials to say")
        self.message.setText(summary.lines()[0])
        self._end()

    def _failed(self, message: str) -> None:
        self.message.setText(message)
        self._end()

    def _end(self) -> None:
        self._release_thread()
        message, importances = self.message.text(), self.importances.text()
        self.refresh_studies(select=self.study_name)  # "Continue sweep 'X' (7 of 12 trials done)"
        self.message.setText(message)  # the sweep's own last words stay in view
        self.importances.setText(importances)
        self.sweep_ended.emit()

    def shut_down(self) -> None:
        """Stops a running sweep and waits for its thread (closing the dialog or the window)."""
        if self.worker is not None:
            self.worker.stop()
        if self.thread is not None:
            self._release_thread()

    def _release_thread(self) -> None:
        """Waits for the sweep's thread to end and makes the dialog ready for the next sweep."""
        if self.thread is not None:
            self.thread.quit()
            self.thread.wait()
            self.thread.deleteLater()
        self.thread, self.worker = None, None
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self.study_choice.setEnabled(True)

    def reject(self) -> None:
        self.shut_down()
        super().reject()

    # --- opening a trial ----------------------------------------------------------------------------------

    def _number_at(self, table_row: int) -> int:
        item = self.table.item(table_row, 0)
        return int(item.text()) if item is not None else -1

    def open_trial(self, number: int) -> bool:
        """Opens the trial's network on the canvas as a new document; says why when it cannot."""
        from engine.experiments.sweeps.trial import NETWORK_FILE

        row = self.rows.get(number)
        path = Path(row.folder) / NETWORK_FILE if row is not None and row.folder else None
        if path is None or not path.is_file():
            self.message.setText(f"Trial {number} has no network to open (it was never trained).")
            return False
        self.window.open_preset(path)
        return True
