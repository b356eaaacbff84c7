"""The Training dock: dataset, fit check, hyperparameters, device, and the run controls.

The panel shows and edits; it does not train. Its buttons emit requests
that ``TrainingUi`` carries out, and ``TrainingUi`` tells it what is going
on (``set_state``, ``show_progress``, ``show_message``). Settings are the
project's (``document.project.training``): every change is an undoable
edit of the document (see ``settings_command``).
"""
from __future__ import annotations

import dataclasses
import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from engine.config import TrainingConfig
from engine.data import DatasetInfo
from engine.project import Project, weights_path
from engine.tasks import TASKS
from engine.training import TrainingError, fit_problems

from ..accessibility import announce
from ..theme import set_style_property
from .background import BackgroundJobs
from .dataset_chooser import DatasetChooser
from .settings_command import set_task, set_training_setting
from .settings_form import SettingsForm
from .warm_up import torch_ready

IDLE, RUNNING, PAUSED, STOPPING = "idle", "running", "paused", "stopping"
_ERROR_STYLE = "color: palette(bright-text);"  # the theme's error colour, readable in both
PREPARING_TORCH_TIP = "Preparing PyTorch… Train is available in a moment."
DEVICE_AFTER_TORCH = "(known once PyTorch is ready)"  # asking torch before then would import it


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def progress_text(metrics: dict[str, Any]) -> str:
    """"Epoch 2/10 · batch 14/23 · 1,234 images/s · 0:42 left" from a progress report."""
    return (f"Epoch {metrics['epoch']}/{metrics['epochs']} · batch {metrics['batch']}/{metrics['batches_per_epoch']}"
            f" · {metrics['images_per_second']:,.0f} images/s · {format_duration(metrics['eta_seconds'])} left")


def starting_point(project: Project) -> tuple[str, bool]:
    """What a run starts from, for the training panel ("Starts from: …"), and whether it can."""
    frozen = sum(node.frozen for node in project.graph.nodes.values())
    frozen_text = f" · {frozen} frozen layer{'s' * (frozen != 1)}" if frozen else ""
    path = weights_path(project)
    if path is None:
        return f"Starts from: random weights{frozen_text}", True
    name = project.weights_source or path.name
    if not path.is_file():
        return f"Starts from: {name} — the file {path} is missing", False
    return f"Starts from: {name}{frozen_text}", True


def describe_device(requested: str) -> tuple[str, bool]:
    """What ``requested`` would train on ("CPU (2 threads)", a CUDA GPU's name, MPS), and whether it can."""
    from engine.training import choose_device  # imports torch: asked only once torch is ready

    try:
        return choose_device(requested).description, True
    except TrainingError as error:
        return str(error), False


class TrainingPanel(QWidget):
    train_requested = Signal()
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()
    adapt_requested = Signal()
    data_view_requested = Signal()  # the Data view (app.data): look at the dataset before training
    buttons_changed = Signal()  # Train/Pause/Stop changed enabled state or text (the toolbar mirrors them)

    def __init__(self, document, jobs: BackgroundJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.state = IDLE
        self.fit_ok = False
        self.torch_ready = torch_ready()  # set_torch_ready(True) once the warm-up has imported PyTorch

        self.task_combo = QComboBox()
        for task in TASKS.values():
            self.task_combo.addItem(task.title, task.name)
        self.task_combo.setToolTip("What the network learns: one class per image (classification) or one class "
                                   "per pixel (segmentation). It decides the loss, the metrics, the datasets "
                                   "offered and the live views.")
        self.task_combo.activated.connect(lambda _index: self._change_task(self.task_combo.currentData()))
        self.dataset = DatasetChooser(jobs)
        self.dataset.add_row_above("Task", self.task_combo)
        self.dataset.setting_changed.connect(self._change_setting)
        self.dataset.info_changed.connect(lambda _info: self.refresh_fit_check())

        self.fit_label = QLabel()
        self.fit_label.setObjectName("issueText")  # the stylesheet's good and bad colours, per theme
        self.fit_label.setWordWrap(True)
        self.adapt_button = QPushButton("Adapt network")
        self.adapt_button.setToolTip("Set the Input's channels and the last Dense's units to fit the dataset "
                                     "(one undoable edit).")
        self.adapt_button.clicked.connect(self.adapt_requested)
        self.data_view_button = QPushButton("View Data…")
        self.data_view_button.setToolTip("Look at the dataset before training: samples, class balance, what the "
                                         "network receives, statistics and problems.")
        self.data_view_button.clicked.connect(self.data_view_requested)
        fit_buttons = QHBoxLayout()
        fit_buttons.addWidget(self.adapt_button)
        fit_buttons.addWidget(self.data_view_button)
        fit_buttons.addStretch(1)
        fit_row = QVBoxLayout()
        fit_row.addWidget(self.fit_label)
        fit_row.addLayout(fit_buttons)

        self.settings = SettingsForm()
        self.settings.setting_changed.connect(self._change_setting)
        self.device_label = QLabel()
        self.device_label.setWordWrap(True)
        self.weights_label = QLabel()  # what a run starts from (Model ▸ Load Pretrained Weights…)
        self.weights_label.setObjectName("startingPoint")
        self.weights_label.setWordWrap(True)

        self.resume_box = QCheckBox("Continue from the opened checkpoint")
        self.resume_box.setToolTip("Start from its weights, optimiser state and history instead of from scratch "
                                   "(ask for more epochs than it has trained).")
        self.resume_box.hide()

        self.train_button = QPushButton("Train")
        self.train_button.setDefault(True)
        self.train_button.clicked.connect(self.train_requested)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("End the run after the current batch; checkpoints written so far are kept.")
        self.stop_button.clicked.connect(self.stop_requested)
        buttons = QHBoxLayout()
        for button in (self.train_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.progress.setAccessibleName("Training progress")  # Qt reports its value changes itself
        self.status_label = QLabel("Ready.")
        self.status_label.setWordWrap(True)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.hide()
        self.run_label = QLabel()
        self.run_label.setObjectName("runFolderLabel")
        self.run_label.setWordWrap(True)
        self._folder_note = ""  # why the run's folder is where it is, when not beside the project
        self.run_label.setOpenExternalLinks(False)
        self.run_label.linkActivated.connect(lambda link: QDesktopServices.openUrl(QUrl(link)))

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(_group("Data", self.dataset, fit_row))
        layout.addWidget(_group("Settings", self.settings, self.device_label, self.weights_label))
        controls = QVBoxLayout()
        controls.addWidget(self.resume_box)
        controls.addLayout(buttons)
        controls.addWidget(self.progress)
        controls.addWidget(self.status_label)
        controls.addWidget(self.message_label)
        controls.addWidget(self.run_label)
        layout.addWidget(_group("Run", controls))
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # wrap, never scroll sideways
        scroll.setWidget(content)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self._shown_config: TrainingConfig | None = None
        document.graph_changed.connect(lambda: self.show_settings(force=False))
        document.project_replaced.connect(self.show_settings)
        document.analysis_changed.connect(lambda _analysis: self.refresh_fit_check())
        self.show_settings()
        self.set_state(IDLE)

    # --- settings ------------------------------------------------------------------

    def show_settings(self, force: bool = True) -> None:
        """Shows the project's training settings (after any edit, undo, redo or load).

        Without ``force`` the editors are set again only when a setting differs from what they show:
        setting some twenty editors after every edit of the network cost more than the rest of the edit."""
        config, task = self.document.project.training, self.document.project.task
        if force or config != self._shown_config or task != self.dataset.task:
            self._shown_config = dataclasses.replace(config)
            self.task_combo.setCurrentIndex(self.task_combo.findData(task))
            self.dataset.show_task(task)
            self.dataset.show_settings(config.dataset, config.data_root)
            self.settings.show_settings(config)
        text, usable = describe_device(config.device) if self.torch_ready else (DEVICE_AFTER_TORCH, True)
        self.device_label.setText(f"Trains on: {text}" if usable else text)
        self.device_label.setStyleSheet("" if usable else _ERROR_STYLE)
        text, usable = starting_point(self.document.project)
        self.weights_label.setText(text)
        self.weights_label.setStyleSheet("" if usable else _ERROR_STYLE)
        self.refresh_fit_check()

    def _change_task(self, task: str) -> None:
        if not set_task(self.document, task):
            self.show_settings()  # refused or unchanged: show the real task again

    def _change_setting(self, key: str, value: Any) -> None:
        if not set_training_setting(self.document, key, value):
            self.show_settings()  # refused or unchanged: show the real value again

    # --- fit check -------------------------------------------------------------------

    @property
    def dataset_info(self) -> DatasetInfo | None:
        return self.dataset.info

    def refresh_fit_check(self) -> None:
        info = self.dataset.info
        if info is None:
            self.fit_ok = False
            self.fit_label.setText("")
            self.adapt_button.hide()
            self._update_buttons()
            return
        if self.document.analysis_pending:
            return  # the analysis of the latest edit is on its way, and analysis_changed calls this again
        problems = fit_problems(self.document.graph, info, self.document.project.task, self.document.analysis)
        self.fit_ok = not problems
        if problems:
            self.fit_label.setText(" ".join(problems))
            set_style_property(self.fit_label, "severity", "error")
        else:
            self.fit_label.setText(f"✓ The network fits '{info.name}'.")
            set_style_property(self.fit_label, "severity", "ok")
        self.adapt_button.setVisible(bool(problems))
        self._update_buttons()

    # --- run state ------------------------------------------------------------------------

    def set_state(self, state: str) -> None:
        self.state = state
        self.pause_button.setText("Resume" if state == PAUSED else "Pause")
        editable = state == IDLE
        self.dataset.setEnabled(editable)
        self.settings.setEnabled(editable)
        self.resume_box.setEnabled(editable)
        self._update_buttons()

    def set_torch_ready(self, ready: bool) -> None:
        """False while PyTorch still imports behind the shown window: Train waits for it, and says so."""
        self.torch_ready = ready
        self.dataset.set_torch_ready(ready)
        if ready:
            self.show_settings()  # the device, known now
        else:
            self._update_buttons()

    def _update_buttons(self) -> None:
        idle = self.state == IDLE
        self.train_button.setEnabled(idle and self.dataset.info is not None and self.fit_ok and self.torch_ready)
        if not self.torch_ready:
            self.train_button.setToolTip(PREPARING_TORCH_TIP)
        else:
            self.train_button.setToolTip("Train a snapshot of the network on the dataset" if self.fit_ok else
                                         "The network does not fit the dataset yet: click “Adapt network” first.")
        self.adapt_button.setEnabled(idle)
        self.pause_button.setEnabled(self.state in (RUNNING, PAUSED))
        self.stop_button.setEnabled(self.state in (RUNNING, PAUSED))
        self.buttons_changed.emit()

    def _pause_or_resume(self) -> None:
        if self.state == PAUSED:
            self.resume_requested.emit()
        else:
            self.pause_requested.emit()

    def show_progress(self, metrics: dict[str, Any]) -> None:
        done = (metrics["epoch"] - 1 + metrics["batch"] / max(1, metrics["batches_per_epoch"])) / metrics["epochs"]
        self.progress.setValue(round(1000 * done))
        self.progress.setFormat(f"{100 * done:.0f} %")
        self.status_label.setText(progress_text(metrics))

    def show_status(self, text: str) -> None:
        self.status_label.setText(text)
        announce(self.status_label, text)  # (per-batch progress is not: the progress bar's value tells it)

    def show_message(self, text: str, error: bool = False) -> None:
        """A message that stays until the next run (an error, or where the checkpoints went)."""
        self.message_label.setVisible(bool(text))
        self.message_label.setText(text)
        self.message_label.setStyleSheet(_ERROR_STYLE if error else "")
        announce(self.message_label, text, urgent=error)

    # A whole path has no place to wrap and would widen the panel past the screen: the link names the
    # run folder, the tooltip gives the whole path.
    def show_run_folder(self, path, note: str = "") -> None:
        """The run's folder (a link); ``note`` says why it is there when that is not beside the project."""
        self._folder_note = f" ({html.escape(note)})" if note else ""
        self.run_label.setText(f"Checkpoints go to {_link(path, Path(path).name)}{self._folder_note}")
        self.run_label.setToolTip(str(path))

    def show_checkpoint(self, path) -> None:
        """Where the best checkpoint of the run went (the folder opens on a click)."""
        path = Path(path)
        self.run_label.setText(f"Best checkpoint: {_link(path.parent, f'{path.parent.name}/{path.name}')}"
                               f"{self._folder_note}")
        self.run_label.setToolTip(str(path))

    def reset_progress(self) -> None:
        self.progress.setValue(0)
        self.progress.setFormat("")


def _link(folder, text: str | None = None) -> str:
    url = QUrl.fromLocalFile(str(folder)).toString()
    return f"<a href='{html.escape(url)}'>{html.escape(text or str(folder))}</a>"


def _group(title: str, *parts) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    for part in parts:
        if isinstance(part, QWidget):
            layout.addWidget(part)
        else:
            layout.addLayout(part)
    return box
