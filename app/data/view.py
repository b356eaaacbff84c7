"""The Data view: the project's dataset as training will split it, looked at before training.

A grid of samples (virtualised; filter by class and split) beside tabs: Balance (counts per class and
split, the remedies), Network input (a sample as stored, as the Input receives it, augmented), Statistics
(mean/std, offered as the normalisation), Problems (and the exclusion list) and Hardest (after training).
Every change it makes to the project is a training setting, so it is saved and undoable like the others.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QSplitter, QTabWidget,
                               QVBoxLayout, QWidget)

from engine.config import TrainingConfig
from engine.data.normalisation_text import format_normalisation, normalisation_of_params
from engine.data.balance import count_classes
from engine.data.sample_index import SPLIT_NAMES, TRAIN, VAL, SampleIndex
from engine.data.windowing import Window, window_of_params

from ..training.background import BackgroundJobs
from ..training.settings_command import set_training_setting
from .balance_chart import BalanceChart
from .hardest_panel import HardestPanel
from .problems_panel import ProblemsPanel
from .received_view import STRIP_COUNT, ReceivedView
from .sample_grid import SampleGrid
from .stats_panel import StatsPanel
from .streamed_job import StreamedJob

#: settings that change which samples are listed, or how they split
LISTING_SETTINGS = ("dataset", "data_root", "val_fraction", "seed", "exclude")
ESTIMATE_IMAGES = 512  # training images the "after" picture's normalisation is estimated from, until computed
RELOAD_DELAY_MS = 300


def listing_key(config: TrainingConfig, graph) -> tuple:
    """What the listing depends on: the settings above and the Input's window (what the pictures show)."""
    return (*(getattr(config, key) for key in LISTING_SETTINGS), graph_window(graph))


def graph_window(graph) -> Window:
    """The Input's window/level: high-bit-depth images are shown through it, as training reads them."""
    node = graph_input_node(graph)
    return window_of_params(node.params) if node is not None else Window()


def graph_input_shape(graph) -> tuple[int, int, int]:
    node = graph_input_node(graph)
    if node is None:
        return (1, 28, 28)
    params = node.params
    return (params["channels"], params["height"], params["width"])


def graph_input_node(graph):
    """The network's one Input node, or None while it has none (or several)."""
    nodes = graph.nodes_of_type("input")
    return nodes[0] if len(nodes) == 1 else None


def _load(config: TrainingConfig, shape: tuple[int, int, int], window: Window):
    """Off the GUI thread: the listing, and a quick normalisation estimate for the "after" picture."""
    import numpy as np

    from engine.data.sample_index import open_samples
    from engine.data.stream_stats import streamed_channel_stats

    samples = open_samples(config.dataset, input_shape=shape, val_fraction=config.val_fraction, seed=config.seed,
                           root=config.data_root or None, exclude=config.excluded_files, window=window)
    train = samples.indices(TRAIN)
    some = train[np.linspace(0, len(train) - 1, min(len(train), ESTIMATE_IMAGES)).astype(int)] if len(train) else train
    subset = SampleIndex(samples.source, samples.class_names, samples.target, samples.split[some],
                         samples.labels[some], [samples.names[i] for i in some],
                         read_image=lambda i: samples.image(some[i]))
    mean, std, _ = streamed_channel_stats(subset, shape)
    return samples, (mean, std)


class DataView(QWidget):
    def __init__(self, document, jobs: BackgroundJobs, trained=lambda: None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.jobs, self.trained = document, jobs, trained
        self.samples: SampleIndex | None = None
        self.estimate: tuple[tuple[float, ...], tuple[float, ...]] | None = None
        self.input_shape = (1, 28, 28)
        self.current: int | None = None
        self._shown_normalisation = ""  # the Input's normalisation the "after" picture was drawn with
        self.seed = 0
        self.loaded_key: tuple | None = None
        self._loading = False
        self.hardest_names: list[str] | None = None
        self.stats_job = StreamedJob(jobs, self)
        self.scan_job = StreamedJob(jobs, self)

        self.source = QLabel("No data loaded.")
        self.source.setWordWrap(True)
        self.class_filter = QComboBox()
        self.class_filter.setAccessibleName("Show class")
        self.split_filter = QComboBox()
        self.split_filter.setAccessibleName("Show split")
        for title, value in (("Training and validation", None), ("Training", TRAIN), ("Validation", VAL)):
            self.split_filter.addItem(title, value)
        self.reload_button = QPushButton("Reload")
        self.reload_button.setToolTip("List the dataset again (after its files changed).")
        self.reload_button.clicked.connect(self.load)
        self.count = QLabel()
        self.grid = SampleGrid()
        self.balance = BalanceChart()
        self.received = ReceivedView()
        self.stats = StatsPanel()
        self.problems = ProblemsPanel()
        self.hardest = HardestPanel()
        self.tabs = QTabWidget()
        for widget, title in ((self.balance, "Balance"), (self.received, "Network input"), (self.stats, "Statistics"),
                              (self.problems, "Problems"), (self.hardest, "Hardest")):
            self.tabs.addTab(widget, title)

        # The source and the filters above grid and tabs: the grid itself can be narrow.
        top = QHBoxLayout()
        class_label = QLabel("&Class")
        class_label.setBuddy(self.class_filter)
        split_label = QLabel("&Split")
        split_label.setBuddy(self.split_filter)
        self.class_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.split_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for widget in (class_label, self.class_filter, split_label, self.split_filter, self.count):
            top.addWidget(widget)
        top.addStretch(1)
        top.addWidget(self.reload_button)
        self.grid.setMinimumWidth(120)
        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.grid)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.source)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.setAccessibleName("Data")

        self.reload_timer = QTimer(self)
        self.reload_timer.setSingleShot(True)
        self.reload_timer.setInterval(RELOAD_DELAY_MS)
        self.reload_timer.timeout.connect(self.load)
        self.class_filter.currentIndexChanged.connect(self._filter)
        self.split_filter.currentIndexChanged.connect(self._filter)
        self.grid.sample_chosen.connect(self.show_sample)
        self.balance.remedy_chosen.connect(lambda choice: set_training_setting(self.document, "balance", choice))
        self.received.new_seed_requested.connect(self.new_seed)
        self.stats.compute_requested.connect(self.compute_statistics)
        self.stats.cancel_requested.connect(self.stats_job.cancel)
        self.stats.use_requested.connect(self.use_statistics)
        self.stats_job.progressed.connect(self.stats.show_progress)
        self.stats_job.finished.connect(self._statistics_done)
        self.stats_job.cancelled.connect(lambda: self.stats.show_stopped("Cancelled: nothing computed."))
        self.stats_job.failed.connect(self.stats.show_stopped)
        self.problems.scan_requested.connect(self.scan_problems)
        self.problems.cancel_requested.connect(self.scan_job.cancel)
        self.problems.exclude_requested.connect(self.exclude)
        self.problems.include_requested.connect(self.include)
        self.scan_job.progressed.connect(self.problems.show_progress)
        self.scan_job.finished.connect(self._problems_done)
        self.scan_job.cancelled.connect(lambda: self.problems.show_stopped("Cancelled: scan again to see problems."))
        self.scan_job.failed.connect(self.problems.show_stopped)
        self.hardest.find_requested.connect(self.find_hardest)
        self.hardest.export_requested.connect(self.export_hardest)
        self.hardest.sample_chosen.connect(self._show_validation_sample)
        document.graph_changed.connect(self._settings_changed)
        document.project_replaced.connect(self._settings_changed)
        self._show_settings()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not getattr(self, "_sized", False):  # the grid gets two fifths of the width the first time it shows
            self._sized = True
            width = max(self.width(), 400)
            self.splitter.setSizes([int(width * 0.4), int(width * 0.6)])
        super().showEvent(event)

    def cancel_jobs(self) -> None:
        """Asks the statistics and the problem scan to stop at their next batch (the window is closing)."""
        self.stats_job.cancel()
        self.scan_job.cancel()

    # --- the listing -----------------------------------------------------------------------------

    @property
    def config(self) -> TrainingConfig:
        return self.document.project.training

    def load(self) -> None:
        """Lists the project's dataset (off the GUI thread); the grid and the tabs follow."""
        if self._loading:
            self.reload_timer.start()  # one listing at a time: the latest settings are listed after it
            return
        config, shape, window = self.config, graph_input_shape(self.document.graph), graph_window(self.document.graph)
        self._loading = True
        self.loaded_key = listing_key(config, self.document.graph)
        self.source.setText(f"Listing {config.dataset}…")
        self.jobs.run(lambda: _load(config, shape, window), lambda result: self._loaded(result, shape),
                      self._load_failed)

    def _loaded(self, result, shape) -> None:
        self._loading = False
        samples, self.estimate = result
        self.samples, self.input_shape, self.current = samples, shape, None
        self.grid.set_samples(samples)
        self.class_filter.blockSignals(True)
        self.class_filter.clear()
        self.class_filter.addItem("All classes", None)
        if samples.target == "label":
            for index, name in enumerate(samples.class_names):
                self.class_filter.addItem(name, index)
        self.class_filter.setEnabled(samples.target == "label")
        self.class_filter.blockSignals(False)
        self._filter()
        train, val = int((samples.split == TRAIN).sum()), int((samples.split == VAL).sum())
        skipped = f"; {len(samples.unreadable)} unreadable" if samples.unreadable else ""
        excluded = f"; {len(samples.excluded)} excluded" if samples.excluded else ""
        self.source.setText(f"{samples.source}: {train:,} training and {val:,} validation samples, "
                            f"{len(samples.class_names)} classes{skipped}{excluded}."
                            + (f" {samples.window_note}." if samples.window_note
                               else ""))
        counts = count_classes(samples.labels, samples.split, samples.class_names) if samples.target == "label" \
            else None
        self.balance.show_counts(counts)
        self.balance.setEnabled(counts is not None)
        self.problems.can_exclude = samples.root is not None
        self.problems.show_excluded(list(samples.excluded))
        if len(samples):
            self.grid.setCurrentIndex(self.grid.model().index(0, 0))
        if self.loaded_key != listing_key(self.config, self.document.graph):
            self.reload_timer.start()

    def _load_failed(self, error: BaseException) -> None:
        self._loading = False
        self.samples = None
        self.grid.set_samples(None)
        self.balance.show_counts(None)
        self.source.setText(f"Cannot list the data: {error}")

    def _filter(self) -> None:
        self.grid.grid_model.set_filter(self.split_filter.currentData(), self.class_filter.currentData())
        self.count.setText(f"{self.grid.model().rowCount():,} shown")

    # --- settings: the view follows edits, undo and redo -------------------------------------------

    def _settings_changed(self) -> None:
        self._show_settings()
        if self.loaded_key is not None and listing_key(self.config, self.document.graph) != self.loaded_key:
            self.reload_timer.start()

    def _show_settings(self) -> None:
        self.balance.show_remedy(self.config.balance)
        node = graph_input_node(self.document.graph)
        normalisation = node.params.get("normalisation", "") if node is not None else ""
        self.stats.show_current(normalisation)
        if normalisation != self._shown_normalisation:
            self._shown_normalisation = normalisation
            if self.current is not None:  # the "after" picture follows the Input's normalisation (and undo)
                self.show_sample(self.current)

    def input_normalisation(self) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
        """The Input node's own (mean, std), where it has one that fits its channels."""
        node = graph_input_node(self.document.graph)
        values = normalisation_of_params(node.params) if node is not None else None
        return values if values is not None and len(values[0]) == self.input_shape[0] else None

    # --- what the network receives ---------------------------------------------------------------

    def normalisation(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        values = self.input_normalisation()
        if values is not None:
            return values
        return self.estimate or ((0.0,) * self.input_shape[0], (1.0,) * self.input_shape[0])

    def show_sample(self, sample: int) -> None:
        from engine.data import Augment, DatasetError
        from engine.data.network_view import what_the_network_receives

        if self.samples is None:
            return
        self.current = sample
        config = self.config
        augment = Augment(crop_padding=None if config.augment_crop else 0, flip=config.augment_flip,
                          scale=config.augment_scale if self.samples.target == "mask" else 0.0,
                          turn=config.augment_turn and self.input_shape[1] == self.input_shape[2])
        note = "" if not augment.is_identity else ("Augmentation is off in the training settings (Random crop, "
                                                   "Random flip): the network receives each image as above.")
        mean, std = self.normalisation()
        try:
            received = what_the_network_receives(self.samples, sample, self.input_shape, mean, std,
                                                 None if augment.is_identity else augment, self.seed, STRIP_COUNT)
        except DatasetError as error:
            self.received.show_received(None, self.samples.target, str(error))
            return
        how = "the Input's normalisation" if self.input_normalisation() else "an estimate of the training split's"
        self.received.show_received(received, self.samples.target,
                                    f"{self.grid.grid_model.describe(sample)}. {received.describe(mean, std)} "
                                    f"({how}).", note)

    def new_seed(self) -> None:
        self.seed += 1
        if self.current is not None:
            self.show_sample(self.current)

    # --- statistics ------------------------------------------------------------------------------

    def compute_statistics(self) -> None:
        from engine.data.stream_stats import streamed_channel_stats

        if self.samples is None or self.stats_job.running:
            return
        samples, shape = self.samples, self.input_shape
        self.stats.show_running()
        self.stats_job.start(lambda progress, cancelled: (*streamed_channel_stats(
            samples, shape, progress=progress, cancelled=cancelled), shape))

    def _statistics_done(self, result) -> None:
        mean, std, counted, shape = result
        self.stats.show_result(mean, std, counted, shape)

    def use_statistics(self) -> None:
        """The computed mean/std become the Input node's normalisation: one undoable edit of the graph."""
        if self.stats.result is None:
            return
        node = graph_input_node(self.document.graph)
        if node is None:
            self.document.show_status("The statistics cannot become the Input's normalisation: the network needs "
                                      "exactly one Input node.")
            return
        if self.document.set_param(node.id, "normalisation", format_normalisation(*self.stats.result)):
            self._show_settings()

    # --- problems and the exclusion list ---------------------------------------------------------

    def scan_problems(self) -> None:
        from engine.data.data_problems import scan_problems

        if self.samples is None or self.scan_job.running:
            return
        samples = self.samples
        self.problems.show_running()
        self.scan_job.start(lambda progress, cancelled: scan_problems(samples, progress=progress,
                                                                      cancelled=cancelled))

    def _problems_done(self, problems) -> None:
        samples = self.samples
        self.problems.show_problems(problems, self.config.excluded_files, samples is not None and
                                    samples.root is not None)

    def exclude(self, names: list[str]) -> None:
        current = self.config.excluded_files
        added = [name for name in names if name not in current]
        if added:
            set_training_setting(self.document, "exclude", "\n".join(current + added))
            self.problems.show_excluded(self.config.excluded_files)

    def include(self, names: list[str]) -> None:
        kept = [name for name in self.config.excluded_files if name not in names]
        set_training_setting(self.document, "exclude", "\n".join(kept))
        self.problems.show_excluded(self.config.excluded_files)

    # --- after training: the hardest validation samples ------------------------------------------

    def find_hardest(self) -> None:
        from engine.training.hardest import hardest_samples

        trained = self.trained()
        if trained is None or trained.data is None or trained.task != "classification":
            self.hardest.show_message("Train a classification network first (or open a checkpoint): its "
                                      "validation samples are scored here.")
            return
        samples = self.samples
        self.hardest_names = ([samples.names[i] for i in samples.indices(VAL)]
                              if samples is not None and len(samples.indices(VAL)) == len(trained.data.val) else None)
        self.hardest.show_message("Scoring the validation samples…")
        model, data = trained.model, trained.data.val
        self.jobs.run(lambda: hardest_samples(model, data),
                      lambda rows: self.hardest.show_rows(rows, trained.class_names, self.hardest_names),
                      lambda error: self.hardest.show_message(f"Cannot score the validation samples: {error}"))

    def _show_validation_sample(self, position: int) -> None:
        if self.samples is not None and self.hardest_names is not None:
            self.show_sample(int(self.samples.indices(VAL)[position]))
            self.tabs.setCurrentWidget(self.hardest)

    def export_hardest(self, path: str | None = None) -> bool:
        from engine.fileio import WriteError
        from engine.training.hardest import write_hardest_csv

        trained = self.trained()
        if not self.hardest.rows or trained is None:
            return False
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export the hardest samples", "hardest.csv", "CSV (*.csv)")
            if not path:
                return False
        try:
            write_hardest_csv(path, self.hardest.rows, trained.class_names, self.hardest_names)
        except WriteError as error:
            self.hardest.show_message(str(error))
            return False
        self.hardest.show_message(f"Wrote {len(self.hardest.rows):,} rows to {Path(path).name}.")
        return True


__all__ = ["DataView", "SPLIT_NAMES"]
