"""``TrainingUi``: the training docks, and the controller that connects them to runs.

It owns the Training panel and the dashboards (curves, feature maps,
filters, confusion matrix, prediction gallery, try-an-image), starts a
``TrainingRun`` on a snapshot of the document's graph, routes the run's
signals to the dashboards, and keeps the trained model afterwards (or the
model of an opened checkpoint) for feature maps, predictions, Grad-CAM heat maps and export.
The window creates it with ``install_training_ui`` (see ``app.training``).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox, QWidget

from engine.compiler import input_normalisation, input_shape, input_window
from engine.data import DatasetError, DataSplit
from engine.experiments.folders import new_run_folder
from engine.graph import Graph
from engine.project import Project
from engine.tasks import CLASSIFICATION, DETECTION, EMBEDDING, MULTILABEL, SEGMENTATION
from engine.tasks.clinical import clinical_table
from engine.training import FitError, TrainingError

from .adapt import adapt_document
from .background import BackgroundJobs
from .boxes import BoxView
from .clinical_view import ClinicalView
from .confusion import ConfusionView
from .curves import CurvesView
from .embeddings import EmbeddingView
from .explaining import GradCamExplainer
from .feature_maps import FeatureFrame, FeatureMapView
from .filters import FiltersView
from .gallery import GalleryView
from .gradients import GradientsView
from .lazy_view import LazyView
from .masks import MaskView
from .panel import (
    IDLE,
    PAUSED,
    PREPARING_TORCH_TIP,
    RUNNING,
    STOPPING,
    TrainingPanel,
    format_duration,
    progress_text,
)
from .predict_view import PredictView
from .probing import FeatureProbe
from .run import TrainingRun
from .runs_folder import UNSAVED, RunsFolder
from .threads import in_app_threads
from .throttle import Throttle
from ..labels import SteadyLabel
from ..shell.docks import add_dock
from ..shell.first_paint import after_first_paint
from .warm_up import torch_ready, wait_for_torch_warm_up, warm_up_torch

# The modules below import torch: this one imports them where a run, a trained model or an export
# needs them (torch is ready by then), so the first window never waits for torch (issue 19).
if TYPE_CHECKING:
    from .export_dialog import ExportDialog
    from .trained import TrainedModel
    from .worker import RunOutcome, RunRequest

#: Progress text and bar: people read them, a few updates a second is plenty.
PROGRESS_INTERVAL_MS = 200
#: The live predicted mask or boxes: a few frames a second shows them sharpen (the worker predicts no more often).
OUTPUT_INTERVAL_MS = 250
#: The dock of each task's live view (classification's views are the common ones).
TASK_DOCKS = {SEGMENTATION.name: "masksDock", DETECTION.name: "boxesDock"}
#: What the curves plot for each task: the loss, and the "accuracy" the trainer counts.
CURVE_TITLES = {SEGMENTATION.name: ("Loss (cross-entropy per pixel)", "Pixel accuracy"),
                DETECTION.name: ("Loss (heat-map focal + box)", "Centre recall")}
DEFAULT_CURVE_TITLES = ("Loss (cross-entropy)", "Accuracy")
#: The gradient flow view: the worker captures a step once a second at most; a redraw waits no longer than this.
GRADIENT_INTERVAL_MS = 250
PREPARING_TORCH = "Preparing PyTorch…"
PREPARING_TORCH_ACTION_TIP = "Preparing PyTorch… available in a moment."
TORCH_POLL_MS = 100  # how soon Train enables once the warm-up's imports are done
CHECKPOINT_FILTER = "ConvCanvas checkpoints (*.pt);;All files (*)"
READ_ONLY_NOTE = "Training: the network is read-only until the run ends"
NO_MODEL_HINT = "Train a network (or open a checkpoint) to try it on your own images."


def _data_key(config, graph: Graph, task: str) -> tuple:
    """Runs with equal keys can share loaded data (a folder reads as classes or identities, by task)."""
    return (config.dataset, config.data_root, input_shape(graph), input_window(graph), input_normalisation(graph),
            config.val_fraction, config.seed, config.exclude, task)


class TrainingUi(QObject):
    """What the main window talks to: ``docks``, ``actions``, ``is_training``, ``stop_and_wait``,
    ``confirm_close``, ``shutdown``, ``open_checkpoint``, ``show_node``.

    Every method connected to a signal is a ``@Slot``, a static slot of the class: without it PySide adds
    a dynamic slot per connection, and a call reaching a TrainingUi being torn down failed to find it
    ("Slot 'TrainingUi::' not found", raised in Qt's event loop)."""

    training_started = Signal()
    training_ended = Signal()

    def __init__(self, main_window: QMainWindow, document, canvas_view=None, runs_root: Path | None = None) -> None:
        super().__init__(main_window)
        self.window, self.document, self.canvas = main_window, document, canvas_view
        self.runs_folder = RunsFolder(document, getattr(main_window, "settings", None), runs_root, self)
        self.jobs = BackgroundJobs(self)
        self.run: TrainingRun | None = None
        self.trained: TrainedModel | None = None
        self.opened_checkpoint: Path | None = None
        self._data_cache: tuple[tuple, DataSplit] | None = None
        self._run_data: DataSplit | None = None
        self._run_count = 0
        self._latest_progress: dict | None = None

        self.panel = TrainingPanel(document, self.jobs)
        # Views behind a tab at start-up, and views a user rarely opens, are built when first seen (or
        # asked for): see lazy_view.py. The curves are built at the latest when a run begins.
        self.curves_host = LazyView(CurvesView, "curvesHost")
        self.feature_maps_host = LazyView(FeatureMapView, "featureMapsHost")
        self.filters_host = LazyView(FiltersView, "filtersHost")
        self.confusion_host = LazyView(ConfusionView, "confusionHost")
        self.clinical_host = LazyView(ClinicalView, "clinicalHost")
        self.gallery_host = LazyView(GalleryView, "galleryHost")
        self.predict_host = LazyView(PredictView, "predictHost")
        self.masks_host = LazyView(MaskView, "masksHost")
        self.embeddings_host = LazyView(EmbeddingView, "embeddingsHost")
        self.boxes_host = LazyView(BoxView, "boxesHost")
        self.output_throttle = Throttle(OUTPUT_INTERVAL_MS, self._show_latest_output, self)
        self.gradients_host = LazyView(GradientsView, "gradientsHost")
        self.gradient_throttle = Throttle(GRADIENT_INTERVAL_MS, self._show_latest_gradients, self)
        self._flagged_nodes: set[str] = set()
        self.probe = FeatureProbe(self.feature_maps_host, self.filters_host, self.jobs, self)
        self._predict_explainer: GradCamExplainer | None = None  # made with its view (see _connect)
        self._gallery_explainer: GradCamExplainer | None = None
        self.status_label = SteadyLabel()  # a run's progress: updated five times a second
        self.status_label.setObjectName("statusTraining")
        self.status_label.hide()
        main_window.statusBar().addPermanentWidget(self.status_label)
        self.torch_label = QLabel(PREPARING_TORCH)
        self.torch_label.setObjectName("statusPreparingTorch")
        self.torch_label.setToolTip(PREPARING_TORCH_TIP)
        self.torch_label.hide()
        main_window.statusBar().addPermanentWidget(self.torch_label)
        self.torch_poll = QTimer(self)
        self.torch_poll.setInterval(TORCH_POLL_MS)
        self.torch_poll.timeout.connect(self._check_torch_ready)
        self._torch_actions: dict[QAction, tuple[str, str]] = {}  # action -> its own tips (see needs_torch)
        self.progress_throttle = Throttle(PROGRESS_INTERVAL_MS, self._show_latest_progress, self)
        self.docks = self._build_docks()
        self.open_checkpoint_action = QAction("Open Checkpoint…", self)
        self.open_checkpoint_action.setStatusTip("Open a trained network (.pt) to predict with it, export it or "
                                                 "continue training it")
        self.open_checkpoint_action.triggered.connect(self._open_checkpoint_triggered)
        self.export_action = QAction("E&xport Trained Network…", self)
        self.export_action.setStatusTip("Write the trained network as a checkpoint, TorchScript, ONNX or Python")
        self.export_action.triggered.connect(self.show_export_dialog)
        self.actions = [self.open_checkpoint_action, self.export_action]
        self.needs_torch(self.open_checkpoint_action)
        self._watch_torch()  # a warm-up scheduled by the window (or another window's) ends with Train enabled
        self._connect()
        self._update_availability()
        self._show_task_views()

    # The views built on first use: asking for one builds it (see lazy_view.py).
    clinical = property(lambda self: self.clinical_host.view, doc="The Clinical view (built on first use).")
    masks = property(lambda self: self.masks_host.view, doc="The Masks view (built on first use).")
    embeddings = property(lambda self: self.embeddings_host.view, doc="The Embeddings view (built on first use).")
    boxes = property(lambda self: self.boxes_host.view, doc="The Boxes view (built on first use).")
    gradients = property(lambda self: self.gradients_host.view, doc="The Gradients view (built on first use).")
    curves = property(lambda self: self.curves_host.view, doc="The Curves view (built on first use).")
    feature_maps = property(lambda self: self.feature_maps_host.view, doc="Feature Maps (built on first use).")
    filters = property(lambda self: self.filters_host.view, doc="The Filters view (built on first use).")
    confusion = property(lambda self: self.confusion_host.view, doc="The Confusion view (built on first use).")
    gallery = property(lambda self: self.gallery_host.view, doc="The Predictions view (built on first use).")
    predict_view = property(lambda self: self.predict_host.view, doc="Try an Image (built on first use).")

    @property
    def predict_explainer(self) -> GradCamExplainer:
        self.predict_host.view  # noqa: B018 - builds the view, and its explainer with it
        return self._predict_explainer

    @property
    def gallery_explainer(self) -> GradCamExplainer:
        self.gallery_host.view  # noqa: B018 - builds the view, and its explainer with it
        return self._gallery_explainer

    # --- PyTorch, imported behind the shown window --------------------------------------------

    def start_warm_up(self) -> None:
        """Imports PyTorch on the warm-up thread once the window has painted (the window never waits
        for it); until it is done Train and ``needs_torch``'s actions are disabled and the status bar
        says so. Whatever needs torch sooner starts the warm-up itself (``wait_for_torch_warm_up``)."""
        after_first_paint(self.window, warm_up_torch)
        self._watch_torch()

    def _watch_torch(self) -> None:
        self._check_torch_ready()
        if not self.panel.torch_ready:
            self.torch_poll.start()

    def needs_torch(self, *actions: QAction) -> None:
        """``actions`` use PyTorch on the GUI thread (import, pretrained weights, opening a checkpoint):
        while the warm-up imports it they are disabled and say so, as Train does, instead of freezing
        the window until it is done."""
        for action in actions:
            self._torch_actions[action] = action.statusTip(), action.toolTip()
            self._show_torch_state(action, self.panel.torch_ready)

    @Slot()
    def _check_torch_ready(self) -> None:
        if self._emptied():
            return
        ready = torch_ready()
        if ready:
            self.torch_poll.stop()
        self.torch_label.setVisible(not ready)
        if ready != self.panel.torch_ready:
            self.panel.set_torch_ready(ready)
            for action in self._torch_actions:
                self._show_torch_state(action, ready)

    def _show_torch_state(self, action: QAction, ready: bool) -> None:
        status_tip, tool_tip = self._torch_actions[action] if ready else (PREPARING_TORCH_ACTION_TIP,) * 2
        action.setEnabled(ready)
        action.setStatusTip(status_tip)
        action.setToolTip(tool_tip)

    # --- construction -------------------------------------------------------------------

    def _build_docks(self) -> list[QDockWidget]:
        right, bottom = Qt.DockWidgetArea.RightDockWidgetArea, Qt.DockWidgetArea.BottomDockWidgetArea
        specs = (
            ("Training", "trainingDock", self.panel, right),
            ("Curves", "curvesDock", self.curves_host, bottom),
            ("Confusion", "confusionDock", self.confusion_host, bottom),
            ("Clinical", "clinicalDock", self.clinical_host, bottom),
            ("Predictions", "galleryDock", self.gallery_host, bottom),
            ("Try an Image", "predictDock", self.predict_host, bottom),
            ("Feature Maps", "featureMapsDock", self.feature_maps_host, bottom),
            ("Filters", "filtersDock", self.filters_host, bottom),
            ("Masks", "masksDock", self.masks_host, bottom),
            ("Embeddings", "embeddingsDock", self.embeddings_host, bottom),
            ("Boxes", "boxesDock", self.boxes_host, bottom),
            ("Gradients", "gradientsDock", self.gradients_host, bottom),
        )
        docks = {}
        for title, name, widget, area in specs:
            docks[name] = add_dock(self.window, title, name, widget, area)
        # Curves and feature maps side by side; the after-training views are tabs behind the curves.
        for name in ("confusionDock", "clinicalDock", "galleryDock", "predictDock", "gradientsDock"):
            self.window.tabifyDockWidget(docks["curvesDock"], docks[name])
        self.window.tabifyDockWidget(docks["featureMapsDock"], docks["filtersDock"])
        self.window.tabifyDockWidget(docks["featureMapsDock"], docks["masksDock"])
        # Views behind a tab keep their updates until their tab comes to the front (see on_screen.py).
        for name, host in (("curvesDock", self.curves_host), ("confusionDock", self.confusion_host),
                           ("galleryDock", self.gallery_host), ("filtersDock", self.filters_host)):
            host.when_built(lambda view, dock=docks[name]: dock.visibilityChanged.connect(view.show_pending))
        # The Embeddings dock stays out of tab groups: hidden (any project but an embedding one), a group
        # of hidden docks would leave an empty, unnamed tab bar in the window.
        # The Boxes dock stays in a column of its own: tabbed with the Masks, the two hidden docks of a
        # classification project left an empty tab bar once a laptop's layout moved the feature maps away.
        docks["curvesDock"].raise_()
        docks["featureMapsDock"].raise_()
        self.window.resizeDocks([docks["curvesDock"], docks["featureMapsDock"]], [280, 280], Qt.Orientation.Vertical)
        return list(docks.values())

    def _connect(self) -> None:
        self.panel.train_requested.connect(self.start_training)
        self.panel.pause_requested.connect(self.pause)
        self.panel.resume_requested.connect(self.resume)
        self.panel.stop_requested.connect(self.stop)
        self.panel.adapt_requested.connect(self.adapt_network)
        self.predict_host.when_built(self._connect_predict_view)
        self.embeddings_host.when_built(
            lambda embeddings: self.predict_host.when_built(lambda predict: _follow_threshold(embeddings, predict)))
        self.gallery_host.when_built(self._connect_gallery)
        self.document.project_replaced.connect(self._on_project_replaced)
        self.document.project_replaced.connect(self._show_task_views)
        self.document.graph_changed.connect(self._show_task_views)  # a task change is an undoable edit
        # The gradient flow is captured only while its view can be seen (pull-based, like feature maps).
        self.dock("gradientsDock").visibilityChanged.connect(self._watch_gradients)
        if self.canvas is not None:
            self.canvas.selection_changed.connect(self._on_selection_changed)
            self.canvas.node_clicked.connect(self.show_node)

    def _connect_predict_view(self, view: PredictView) -> None:
        view.image_chosen.connect(self.predict_file)
        view.compare.pair_chosen.connect(self.compare_files)
        self._predict_explainer = GradCamExplainer(view.gradcam, self.jobs, lambda: self.trained, self)

    def _connect_gallery(self, view: GalleryView) -> None:
        view.image_chosen.connect(self._explain_validation_image)
        self._gallery_explainer = GradCamExplainer(view.gradcam, self.jobs, lambda: self.trained, self)

    @Slot()
    def _show_task_views(self) -> None:
        """The Masks view is a segmentation project's, the Boxes view a detection project's, the Embeddings view
        an embedding project's (the app picks its views from the task)."""
        titles = CURVE_TITLES.get(self.document.project.task, DEFAULT_CURVE_TITLES)
        self.curves_host.apply(lambda view: view.set_titles(*titles), key="titles", anywhere=True)
        for task, name in {**TASK_DOCKS, EMBEDDING.name: "embeddingsDock"}.items():
            shown = self.document.project.task == task
            dock = self.dock(name)
            if dock.toggleViewAction().isEnabled() != shown:
                dock.toggleViewAction().setEnabled(shown)  # View ▸ Masks only where it shows something
                dock.setVisible(shown)
                if shown:
                    dock.raise_()

    def dock(self, object_name: str) -> QDockWidget:
        """One of ``docks`` by object name (``trainingDock``, ``curvesDock``, ``featureMapsDock``…)."""
        return next(dock for dock in self.docks if dock.objectName() == object_name)

    # --- the run ---------------------------------------------------------------------------

    @property
    def runs_root(self) -> Path:
        """Where the next run's folder goes (``runs_folder``: beside the project, chosen, or per-user)."""
        return self.runs_folder.root

    def is_training(self) -> bool:
        return self.run is not None and self.run.running

    @Slot()
    def start_training(self) -> bool:
        """Trains a snapshot of the document's network; False (with the reason shown) if it cannot start."""
        if self.run is not None:
            return False
        wait_for_torch_warm_up()  # a caller other than Train (disabled until then): never beside the warm-up
        analysis = self.document.refresh_analysis()
        if not analysis.valid:
            first = analysis.errors[0]
            more = f" (and {len(analysis.errors) - 1} more; see Problems)" if len(analysis.errors) > 1 else ""
            return self._refuse(f"The network cannot be trained yet: {first}{more}")
        if not self.panel.fit_ok and self.panel.dataset_info is not None:
            return self._refuse(self.panel.fit_label.text() + " Click “Adapt network” to fix it.")
        project = self.document.project
        config = project.training
        snapshot = replace(project, graph=self.document.graph.copy(), training=config)  # keeps initial weights
        resume = self.opened_checkpoint if not self.panel.resume_box.isHidden() and \
            self.panel.resume_box.isChecked() else None
        try:
            run_dir = new_run_folder(self.runs_root, project.name)
        except OSError as error:
            return self._refuse(f"Cannot create a folder for the checkpoints in {self.runs_root}: "
                                f"{error.strerror or error}. Choose another folder in the Runs panel.")
        from .worker import RunRequest

        key = _data_key(config, snapshot.graph, snapshot.task)
        cached = self._data_cache[1] if self._data_cache and self._data_cache[0] == key else None
        self._start_run(RunRequest(snapshot, config, run_dir, download=self.panel.dataset.download, data=cached,
                                   resume=resume, threads=in_app_threads(getattr(self.window, "settings", None))))
        return True

    def _start_run(self, request: RunRequest) -> None:
        self.run = TrainingRun(request, self)
        worker = self.run.worker
        # Receivers are methods of QObjects on the GUI thread, so Qt queues the calls there.
        worker.started.connect(self._on_run_started)
        worker.data_ready.connect(self._on_data_ready)
        worker.progress.connect(self._on_progress)
        worker.epoch_finished.connect(self._on_epoch_finished)
        worker.finished.connect(self._on_run_finished)
        worker.failed.connect(self._on_run_failed)
        self.run.ended.connect(self._on_run_ended)
        self._run_count += 1
        self._run_data = None
        self.curves.begin_run(f"run {self._run_count}", request.config.epochs)
        self.document.read_only = True
        self.panel.set_state(RUNNING)
        self.panel.reset_progress()
        self.panel.show_message("")
        unsaved = self.runs_folder.kind() == UNSAVED
        self.panel.show_run_folder(request.run_dir, self.runs_folder.note() if unsaved else "")
        self.panel.show_status("Loading the data…")
        self._show_status(f"{READ_ONLY_NOTE} · loading the data…")
        self.probe.attach_run(worker, request.project.graph)
        label = f"run {self._run_count}: {request.project.name}"
        self.gradients_host.apply(lambda view: view.begin_run(label), key="begin_run")
        self._clear_gradient_flags()
        worker.gradients_ready.connect(self.gradient_throttle.request)
        self._watch_gradients(self.gradients_shown())
        self.masks_host.apply(MaskView.clear, key="clear")
        self.embeddings_host.apply(EmbeddingView.clear, key="clear")
        if request.project.task == EMBEDDING.name:
            self.dock("embeddingsDock").raise_()  # the identities pulling apart is what the run is watched for
        self.boxes_host.apply(BoxView.clear, key="clear")
        if request.project.task in TASK_DOCKS:
            worker.frame_ready.connect(self.output_throttle.request)
            # The mask sharpening, the boxes tightening: what such a run is watched for.
            self.dock(TASK_DOCKS[request.project.task]).raise_()
        curves = self.dock("curvesDock")
        watching_gradients = self.gradients_shown()  # the user's choice of what to watch stays
        if not watching_gradients and (curves.isVisible() or self.window.tabifiedDockWidgets(curves)):
            curves.raise_()  # the live curves come to the front of their tab group
        self.run.start()
        self.training_started.emit()

    @Slot()
    def pause(self) -> None:
        if self.run is not None and self.run.running:
            self.run.pause()
            self.panel.set_state(PAUSED)
            self.panel.show_status("Paused (after the current batch). Resume to go on.")
            self._show_status(f"{READ_ONLY_NOTE} · paused")

    @Slot()
    def resume(self) -> None:
        if self.run is not None and self.run.running:
            self.run.resume()
            self.panel.set_state(RUNNING)
            self.panel.show_status("Resumed.")

    @Slot()
    def stop(self) -> None:
        """Asks the run to stop after the current batch (returns at once; ``training_ended`` follows)."""
        if self.run is not None and self.run.running:
            self.run.stop()
            self.panel.set_state(STOPPING)
            self.panel.show_status("Stopping after the current batch…")

    def stop_and_wait(self, timeout_ms: int = 10_000) -> bool:
        """Stops any run and waits for its thread (and background jobs) to end; False on timeout."""
        stopped = self.run.stop_and_wait(timeout_ms) if self.run is not None else True
        return self.jobs.wait(timeout_ms) and stopped

    def shutdown(self) -> None:
        """For a window that is going: stops any run, waits for the background jobs, and drops their answers
        still queued (``BackgroundJobs.close``), so nothing reaches the panel once the window is gone."""
        self.stop_and_wait()
        self.jobs.close()

    def confirm_close(self, parent: QWidget | None = None) -> bool:
        """For the window's closeEvent: asks whether to stop a running training, then stops it cleanly.

        Returns False when the user wants to keep training (the close must be ignored).
        """
        if self.is_training():
            answer = QMessageBox.question(
                parent or self.window, "Training is running",
                "A network is training. Stop it and close? The checkpoints written so far are kept.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return False
        self.stop_and_wait()
        return True

    # --- run signals (GUI thread) ---------------------------------------------------------------

    @Slot(dict)
    def _on_run_started(self, info: dict) -> None:
        from engine.training.pretrained import NOTE_PREFIX as WEIGHTS_NOTE

        self.panel.show_status(f"Training on {info['device']}…")
        weights = [note for note in info.get("notes", []) if note.startswith(WEIGHTS_NOTE)]
        if weights:  # which tensors were loaded and which re-initialised: never silently
            self.panel.show_message("\n".join(note.removeprefix(WEIGHTS_NOTE + ": ") for note in weights))
        self._show_status(f"{READ_ONLY_NOTE} · {info['device']}")
        for entry in info.get("history", []):  # a resumed run: show the epochs it already has
            self.curves.add_validation_point(entry["epoch"], entry["val_loss"], entry["val_accuracy"])

    @Slot(object)
    def _on_data_ready(self, data: DataSplit) -> None:
        from engine.data import StreamData

        self._run_data = data
        if self.run is not None and not isinstance(data.train, StreamData):
            self._data_cache = (_data_key(self.run.request.config, self.run.request.project.graph,
                                          self.run.request.project.task), data)
        self.probe.set_run_data(data)
        if data.target in ("mask", "boxes") and self.run is not None:
            self._watch_probe_output(data)

    def _watch_probe_output(self, data: DataSplit) -> None:
        """The first validation image is the live view's probe: the worker predicts its mask, or its
        boxes, from now on."""
        from .worker import display_images, validation_sample

        image, target = validation_sample(data, 0)
        viewable = display_images(image[None], data.mean, data.std)[0]
        if data.target == "mask":
            self.run.worker.set_mask_probe(image)
            self.masks.set_probe(viewable, target.numpy())
        else:
            self.run.worker.set_box_probe(image)
            self.boxes.set_probe(viewable, target.numpy(), data.class_names)

    def _show_latest_output(self) -> None:
        output = self.run.worker.take_output() if self.run is not None else None
        if output is None:
            return
        if self.run.request.project.task == DETECTION.name:
            self.boxes.show_prediction(output)
        else:
            self.masks.show_prediction(output)

    def gradients_shown(self) -> bool:
        """Whether the Gradients view can be seen (a dock behind another tab is moved off-screen, not hidden)."""
        return not self.gradients_host.visibleRegion().isEmpty()

    @Slot(bool)
    def _watch_gradients(self, visible: bool) -> None:
        if not self._emptied() and self.run is not None:
            self.run.worker.watch_gradients(visible)

    def _emptied(self) -> bool:
        """Whether the garbage collector has cleared this object's attributes: a window left to it is deleted
        after that, and its docks' visibility signals and the torch timer still reach this object while Qt
        tears the window down (seen in CI, in a later test's event loop)."""
        return "run" not in vars(self)

    def _show_latest_gradients(self) -> None:
        frame = self.run.worker.take_gradients() if self.run is not None else None
        if frame is None:
            return
        self.gradients.add_frame(frame)
        self._show_gradient_flags(frame, self.run.request.project.graph)

    def _show_gradient_flags(self, frame, graph: Graph) -> None:
        """Dead ReLUs and saturated activations as badges on their cards."""
        from engine.insight.gradient_frame import layer_flags

        if self.canvas is None:
            return
        flags = layer_flags(frame)
        ids = {graph.activation_name(node_id): node_id for node_id in graph.nodes}
        flagged = {ids[name]: text for name, text in flags.items() if name in ids}
        scene = self.canvas.scene()
        for node_id in self._flagged_nodes - set(flagged):
            scene.set_node_badge(node_id, None)
        for node_id, text in flagged.items():
            scene.set_node_badge(node_id, f"⚠ {text}")
        self._flagged_nodes = set(flagged)

    def _clear_gradient_flags(self) -> None:
        if self.canvas is not None:
            for node_id in self._flagged_nodes:
                self.canvas.scene().set_node_badge(node_id, None)
        self._flagged_nodes = set()

    @Slot(dict)
    def _on_progress(self, metrics: dict) -> None:
        position = metrics["epoch"] - 1 + metrics["batch"] / max(1, metrics["batches_per_epoch"])
        self.curves.add_train_point(position, metrics["loss"], metrics["accuracy"])
        self._latest_progress = metrics
        self.progress_throttle.request()

    def _show_latest_progress(self) -> None:
        metrics = self._latest_progress
        if metrics is None or self.run is None:
            return
        self.panel.show_progress(metrics)
        self._show_status(f"{READ_ONLY_NOTE} · {progress_text(metrics)}")

    @Slot(dict)
    def _on_epoch_finished(self, metrics: dict) -> None:
        self.curves.add_validation_point(metrics["epoch"], metrics["val_loss"], metrics["val_accuracy"])
        if metrics.get("confusion") and self._run_data is not None:
            self._show_confusion(metrics["confusion"], list(self._run_data.class_names), f"epoch {metrics['epoch']}")
        if metrics.get("val_iou") and self._run_data is not None:
            self.masks.show_iou(metrics["val_iou"], list(self._run_data.class_names), metrics["epoch"])
        # Tasks share metric names (val_auc, val_ap): each view reads the run of its own task.
        task = self.run.request.project.task if self.run is not None else ""
        if task in (CLASSIFICATION.name, MULTILABEL.name) and metrics.get("val_auc") and self._run_data is not None:
            self._show_clinical(metrics, list(self._run_data.class_names), f"epoch {metrics['epoch']}")
        if task == EMBEDDING.name and metrics.get("val_roc"):  # the ROC and the map of the validation identities
            self.embeddings.show_epoch(metrics, metrics["epoch"])
        if task == DETECTION.name and metrics.get("val_map50") is not None:
            self.boxes.show_map(metrics["val_map50"], metrics["val_map"], metrics.get("val_ap") or [],
                                metrics["epoch"])
        if metrics.get("val_pr") is not None:
            self.boxes.show_precision_recall(metrics["val_pr"], metrics["epoch"])
        if metrics.get("train_loss_heatmap") is not None:  # detection: the heat-map and box parts of the loss
            self.boxes.show_loss_parts(metrics)

    def _show_confusion(self, confusion, class_names: list[str], caption: str) -> None:
        # Each matrix replaces the one kept before it: an unopened view keeps only the newest.
        self.confusion_host.apply(lambda view: view.show_confusion(confusion, class_names, caption), key="confusion",
                                 anywhere=True)

    def _show_clinical(self, metrics: dict, class_names: list[str], where: str) -> None:
        # A table with rows replaces the one kept before it; one without rows changes nothing in the view.
        replaces = bool(clinical_table(metrics, class_names)[1])
        self.clinical_host.apply(lambda view: view.show_metrics(metrics, class_names, where),
                                 key="metrics" if replaces else None)

    @Slot(object)
    def _on_run_finished(self, outcome: RunOutcome) -> None:
        from .trained import trained_from_run

        result = outcome.result
        self.progress_throttle.flush()
        self.output_throttle.flush()
        self.gradient_throttle.flush()
        self.gradients_host.if_built(GradientsView.end_run)  # an unbuilt view has no frames: nothing to keep
        self.curves.redraw()
        trained = trained_from_run(outcome)
        # A run stopped before its first epoch has no checkpoint and a barely trained model: the last
        # usable model (one with a checkpoint: an earlier run's, an opened one's) stays until an epoch
        # finishes. With none before, the stopped run's model is kept to look at, not to export.
        adopted = trained.checkpoint is not None or self.trained is None or self.trained.checkpoint is None
        if adopted:
            self.trained = trained
        if outcome.gallery and adopted:  # the newest run's images replace those kept for an unopened view
            self.gallery_host.apply(lambda view: _show_gallery(view, outcome.gallery), key="gallery",
                                    anywhere=True)
        how = "Stopped" if result.stopped else "Finished"
        headline = f"{how} after {result.epochs_completed} epoch(s) in {format_duration(result.seconds)}"
        if result.best_epoch is not None:  # some epoch was validated (not so with val_every, stopped early)
            headline += "; " + _score_text(result, self.run.request.project.task if self.run else "")
        if result.early_stopped:
            headline += " (early stopping: the validation loss stopped improving)"
        self.panel.show_status(headline + ".")
        if adopted and trained.checkpoint is not None:
            self.panel.show_checkpoint(trained.checkpoint)
        elif not adopted:
            self.panel.show_message("No epoch finished, so no checkpoint was written; the network trained "
                                    "before stays in use.")
            self.panel.show_checkpoint(self.trained.checkpoint)
        else:
            self.panel.show_message("No epoch finished, so no checkpoint was written.")

    @Slot(str)
    def _on_run_failed(self, message: str) -> None:
        self.panel.show_message(message, error=True)
        self.panel.show_status("Training failed.")
        self.window.statusBar().showMessage(f"Training failed: {message}", 15_000)

    @Slot()
    def _on_run_ended(self) -> None:
        run, self.run = self.run, None
        if run is not None:
            run.thread.wait()  # already finished: returns at once, and the QThread may be released
            run.deleteLater()
        self.document.read_only = False
        self.panel.set_state(IDLE)
        self.status_label.hide()
        self.status_label.release()
        self._update_availability()
        self.probe.finish_run(self.trained)
        self.training_ended.emit()

    def _refuse(self, message: str) -> bool:
        self.panel.show_message(message, error=True)
        self.window.statusBar().showMessage(message, 10_000)
        return False

    def _show_status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_label.show()

    # --- the selected node ------------------------------------------------------------------------

    @Slot(list)
    def _on_selection_changed(self, ids: list) -> None:
        if ids:
            self.show_node(ids[-1])

    @Slot(str)
    def show_node(self, node: str) -> None:
        """Shows the feature maps (and, for a convolution, the kernels) of a node, by id or by name."""
        graph = self.document.graph
        node_id = node if node in graph.nodes else next(
            (candidate.id for candidate in graph.nodes.values() if candidate.name == node), None)
        if node_id is not None:
            self.probe.select(node_id)

    # --- after training: predictions, checkpoints, export -------------------------------------------

    @Slot(str)
    def predict_file(self, path: str) -> None:
        """Classifies an image file with the trained network (top 5), or for a segmentation network
        predicts its mask and for a detector its boxes, and shows the selected layer's maps."""
        from .trained import classify_file, detect_image_file, first_conv, segment_image_file

        trained = self.trained
        if trained is None:
            self.predict_view.show_error(NO_MODEL_HINT)
            return
        name = self.probe.node_name(trained.graph) or first_conv(trained.graph)

        def on_error(error: BaseException) -> None:
            self.predict_view.show_error(_message(error))

        if trained.task == SEGMENTATION.name:
            self.jobs.run(lambda: segment_image_file(trained, path, name), self._show_mask_prediction, on_error)
        elif trained.task == DETECTION.name:
            self.jobs.run(lambda: detect_image_file(trained, path, name), self._show_box_prediction, on_error)
        else:
            self.jobs.run(lambda: classify_file(trained, path, name), self._show_prediction, on_error)

    @Slot(str, str)
    def compare_files(self, first: str, second: str) -> None:
        """An embedding network's Try an Image: the two images' cosine similarity (the verdict follows the
        Embeddings view's threshold) and the first image's nearest validation images."""
        from .trained import compare_image_files

        trained = self.trained
        if trained is None:
            self.predict_view.compare.show_error(NO_MODEL_HINT)
            return
        self.jobs.run(lambda: compare_image_files(trained, first, second),
                      lambda found: self.predict_view.compare.show_similarity(found[0].similarity, found[1]),
                      lambda error: self.predict_view.compare.show_error(_message(error)))

    def _show_mask_prediction(self, result) -> None:
        mask, grid, familiar = result
        self.predict_view.show_mask_prediction(mask, FeatureFrame(grid.node, grid.images) if grid else None,
                                               familiar=familiar is not False)

    def _show_box_prediction(self, result) -> None:
        found, grid, familiar = result
        self.predict_view.show_box_prediction(found, FeatureFrame(grid.node, grid.images) if grid else None,
                                              familiar=familiar is not False)

    def _show_prediction(self, result) -> None:
        from .worker import preprocess_file

        prediction, grid, familiar = result
        if not prediction.ok:
            self.predict_view.show_error(f"{prediction.path}: {prediction.error}")
            return
        self.predict_view.show_prediction(prediction, FeatureFrame(grid.node, grid.images) if grid else None,
                                          familiar=familiar is not False)
        self.predict_explainer.explain(lambda trained: preprocess_file(prediction.path, trained))

    @Slot(int)
    def _explain_validation_image(self, index: int) -> None:
        """A gallery thumbnail was clicked: the Grad-CAM map of that validation image."""
        from .trained import validation_image

        self.gallery_explainer.explain(lambda trained: validation_image(trained, index))

    @Slot()
    def _open_checkpoint_triggered(self) -> None:
        maybe_save = getattr(self.window, "maybe_save", None)  # the window asks about unsaved changes
        if maybe_save is None or maybe_save():
            self.choose_checkpoint()

    def choose_checkpoint(self) -> None:
        """Asks for a checkpoint file and opens it (the caller has asked about unsaved changes)."""
        if self.is_training():
            self._refuse("Stop training before opening a checkpoint.")
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Open checkpoint", str(self.runs_root), CHECKPOINT_FILTER)
        if path:
            self.open_checkpoint(path)

    def open_checkpoint(self, path: str | Path) -> bool:
        """Opens a checkpoint's network (replacing the document's) with its trained weights, ready to
        predict, export or continue training. The caller asks about unsaved changes first.
        Returns False, with the reason shown, on failure."""
        if self.is_training():
            return self._refuse("Stop training before opening a checkpoint.")
        wait_for_torch_warm_up()  # a caller other than the menu (disabled until then): never beside the warm-up
        from engine.checkpoint import CheckpointError

        from .trained import trained_from_checkpoint

        try:
            trained, checkpoint = trained_from_checkpoint(path)
        except CheckpointError as error:
            return self._refuse(str(error))
        self.document.new_project(checkpoint.project)  # clears the previous model (project_replaced)
        self.trained, self.opened_checkpoint = trained, Path(path)
        self.panel.resume_box.show()
        self.panel.resume_box.setChecked(False)
        self.panel.resume_box.setText(f"Continue from the opened checkpoint (epoch {checkpoint.epoch})")
        self.curves.begin_run(f"checkpoint {Path(path).name}")
        for entry in checkpoint.history:
            self.curves.add_validation_point(entry["epoch"], entry["val_loss"], entry["val_accuracy"])
        if checkpoint.metrics.get("val_roc"):  # an embedding checkpoint: its last ROC and map, its threshold
            self.embeddings.clear()
            self.embeddings.show_epoch(checkpoint.metrics, checkpoint.epoch)
        if checkpoint.metrics.get("confusion"):
            self._show_confusion(checkpoint.metrics["confusion"], list(checkpoint.class_names),
                                 f"epoch {checkpoint.epoch} of the checkpoint")
        self._show_clinical(checkpoint.metrics, list(checkpoint.class_names),
                            f"epoch {checkpoint.epoch} of the checkpoint")
        self.panel.show_message(f"Opened checkpoint {path} (trained {checkpoint.epoch} epoch(s)).")
        self.window.statusBar().showMessage(f"Opened checkpoint {Path(path).name}", 5000)
        self._update_availability()
        self.probe.set_trained(trained)
        self._load_checkpoint_data(checkpoint.project, trained)
        return True

    def _load_checkpoint_data(self, project: Project, trained: TrainedModel) -> None:
        """Loads the checkpoint's dataset in the background for probe images (best effort: without
        it, feature maps use an image file the user loads)."""
        config = project.training

        def done(data: DataSplit) -> None:
            if self.trained is trained:
                trained.data = data
                self.probe.set_trained(trained)

        def load() -> DataSplit:
            from engine.tasks import task_for
            from engine.training.data_setup import load_project_data

            return load_project_data(project.graph, config, target=task_for(project.task).target_kind)

        self.jobs.run(load, done, lambda _error: None)

    @Slot()
    def _on_project_replaced(self) -> None:
        # Another network: the old model's maps, predictions and gradient flags no longer apply.
        if self.run is None:
            self._clear_gradient_flags()
            self.trained = self.opened_checkpoint = None
            self.panel.resume_box.hide()
            self.probe.set_trained(None)
            self._update_availability()

    @Slot()
    def show_export_dialog(self) -> ExportDialog | None:
        checkpoint = self.trained.checkpoint if self.trained else None
        if checkpoint is None:
            self._refuse("Nothing to export yet: train the network for at least one epoch, or open a checkpoint.")
            return None
        from .export_dialog import ExportDialog

        embedding = self.trained.task == EMBEDDING.name
        dialog = ExportDialog(checkpoint, self.jobs, self.window,
                              threshold=self.embeddings.threshold if embedding else None)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _update_availability(self) -> None:
        has_model = self.trained is not None
        self.export_action.setEnabled(has_model and self.trained.checkpoint is not None)
        if has_model:  # what Try an Image shows follows the model's task (Grad-CAM is classification's)
            task = self.trained.task
            self.predict_host.apply(lambda view: view.set_task(task), key="task", anywhere=True)
        available = has_model and self.run is None
        self.predict_host.apply(lambda view: view.set_available(available, NO_MODEL_HINT), key="available",
                                anywhere=True)

    # --- adapting the network ---------------------------------------------------------------------

    @Slot()
    def adapt_network(self) -> bool:
        """Applies the engine's ``adapt_graph_to_dataset`` to the document as one undoable edit."""
        info = self.panel.dataset_info
        if info is None or self.run is not None:
            return False
        try:
            changes = adapt_document(self.document, info)
        except (FitError, TrainingError) as error:
            return self._refuse(str(error))
        if not changes:
            return False
        summary = "Adapted the network: " + "; ".join(changes)
        self.window.statusBar().showMessage(summary, 10_000)
        self.panel.show_message(summary)
        self.document.refresh_analysis()
        return True


def _show_gallery(view: GalleryView, gallery: dict) -> None:
    """A run's validation images in the Predictions view, the worst first, as the task measures them."""
    if "iou" in gallery:  # a segmentation run: the worst masks first
        view.show_masks(gallery["images"], gallery["predicted_masks"], gallery["iou"], gallery["class_names"])
    elif "box_f1" in gallery:  # a detection run: the images whose boxes match worst first
        view.show_boxes(gallery["images"], gallery["predicted_boxes"], gallery["true_boxes"], gallery["box_f1"],
                        gallery["class_names"])
    elif "true_findings" in gallery:  # a multi-label run: the images with wrong findings first
        view.show_findings(gallery["images"], gallery["true_findings"], gallery["found_findings"],
                           gallery["probabilities"], gallery["class_names"])
    else:
        view.show_predictions(gallery["images"], gallery["true"], gallery["predicted"], gallery["confidence"],
                              gallery["class_names"])


def _follow_threshold(embeddings: EmbeddingView, predict: PredictView) -> None:
    """Try an Image's verdict follows the Embeddings view's threshold, from whichever was built last."""
    embeddings.threshold_changed.connect(predict.compare.set_threshold)
    predict.compare.set_threshold(embeddings.threshold)


def _score_text(result, task: str) -> str:
    """The run headline's validation figure, in the task's own measure."""
    if task == SEGMENTATION.name:
        return f"validation mean IoU {result.val_miou:.3f}"
    if task == EMBEDDING.name and result.metrics.get("val_auc") is not None:
        return f"verification AUC {result.metrics['val_auc']:.3f} on unseen identities"
    if task == DETECTION.name:
        if result.val_map50 != result.val_map50:  # nan: no COCO evaluator, so no mAP
            return f"validation centre recall {100 * result.val_accuracy:.1f} %"
        return f"validation mAP@0.5 {result.val_map50:.3f} (mAP@[.5:.95] {result.val_map:.3f})"
    return f"validation accuracy {100 * result.val_accuracy:.1f} %"


def _message(error: BaseException) -> str:
    from engine.checkpoint import CheckpointError  # an error from a trained model: torch is imported
    from engine.training import ProbeError

    if isinstance(error, (DatasetError, ProbeError, CheckpointError, TrainingError)):
        return str(error)
    return f"{type(error).__name__}: {error}"
