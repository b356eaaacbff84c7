"""What the Feature maps and Filters views show: the selected node, during a run and after it.

During a run the worker probes (the GUI only names the node and the probe
image, and takes the newest frame when it repaints, at most a few times a
second). Without a run, the trained model (a finished run's, or an opened
checkpoint's) is probed on a background thread when the selection or the
probe image changes.

Both views are built when first seen (``LazyView``): what the probe shows them before is kept for them
(of a run's frames only the newest; of the kernels or the hint only the last).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from engine.data import DatasetError, DataSplit
from engine.graph import Graph

from .background import BackgroundJobs
from .feature_maps import FeatureFrame, FeatureMapView
from .lazy_view import LazyView
from .throttle import Throttle

# These import torch: imported where a run or a trained model is probed, never on the way to the
# first window (issue 19).
if TYPE_CHECKING:
    import torch

    from .trained import TrainedModel
    from .worker import TrainingWorker

#: Feature maps are redrawn at most this often while training (a few frames per second).
FRAME_INTERVAL_MS = 200
NO_MODEL_HINT = "Train the network (or open a checkpoint) to see what this layer computes."
FILTERS_HINT = "Click a Conv2d layer on the canvas to see its learned kernels."


class FeatureProbe(QObject):
    def __init__(self, feature_maps: LazyView, filters: LazyView, jobs: BackgroundJobs,
                 parent: QObject | None = None) -> None:
        """``feature_maps`` and ``filters`` hold a ``FeatureMapView`` and a ``FiltersView``."""
        super().__init__(parent)
        self.feature_maps_host, self.filters_host, self.jobs = feature_maps, filters, jobs
        self.node_id: str | None = None
        self.probe_index = 0
        self.probe_file: str | None = None
        # Exactly one source at a time: a running worker (with the graph it trains), or a trained model.
        self.worker: TrainingWorker | None = None
        self.run_graph: Graph | None = None
        self.run_data: DataSplit | None = None
        self.trained: TrainedModel | None = None
        self.frame_throttle = Throttle(FRAME_INTERVAL_MS, self._show_latest_frame, self)
        feature_maps.when_built(self._connect_feature_maps)

    def _connect_feature_maps(self, view: FeatureMapView) -> None:
        view.probe_index_changed.connect(self._on_probe_index)
        view.probe_file_chosen.connect(self._on_probe_file)

    def _maps(self, call, key: str) -> None:
        # Replaces only the same kind of call just before it (a run's frames): the view's answer to a node
        # named again depends on what it showed before, so every other call is kept, in order.
        self.feature_maps_host.apply(call, key)

    def _show_node(self, name: str | None) -> None:
        self._maps(lambda view: view.show_node(name), "node")

    def _show_placeholder(self, text: str) -> None:
        self._maps(lambda view: view.show_placeholder(text), "placeholder")

    def _set_probe_count(self, count: int) -> None:
        self._maps(lambda view: view.set_probe_count(count), "count")

    # --- sources ------------------------------------------------------------------------

    def attach_run(self, worker: TrainingWorker, graph: Graph) -> None:
        self.worker, self.run_graph, self.run_data = worker, graph, None
        worker.frame_ready.connect(self.frame_throttle.request)
        self.refresh()

    def set_run_data(self, data: DataSplit) -> None:
        self.run_data = data
        self._set_probe_count(len(data.val))
        self.refresh()

    def finish_run(self, trained: TrainedModel | None) -> None:
        """The run has ended: from now on the trained model (if any) is probed."""
        self.frame_throttle.flush()
        self.worker = self.run_graph = self.run_data = None
        self.set_trained(trained)

    def set_trained(self, trained: TrainedModel | None) -> None:
        self.trained = trained
        if trained is None:
            self._show_node(None)
            self.filters_host.apply(lambda view: view.show_placeholder(FILTERS_HINT), "filters",
                                   anywhere=True)
        elif trained.data is not None:
            self._set_probe_count(len(trained.data.val))
        self.refresh()

    # --- choices ----------------------------------------------------------------------------

    def select(self, node_id: str) -> None:
        self.node_id = node_id
        self.refresh()

    def _on_probe_index(self, index: int) -> None:
        self.probe_index, self.probe_file = index, None
        self.refresh()

    def _on_probe_file(self, path: str) -> None:
        self.probe_file = path
        self.refresh()

    # --- probing ------------------------------------------------------------------------------

    def node_name(self, graph: Graph | None) -> str | None:
        """The selected node's name in ``graph`` (None if it is not there or has no activations)."""
        if self.node_id is None or graph is None or self.node_id not in graph.nodes:
            return None
        node = graph.nodes[self.node_id]
        # The Input has no activations of its own (its picture is the image): the first convolution stands in.
        return None if node.type in ("input", "output") else graph.activation_name(node.id)

    def refresh(self) -> None:
        """Tells the running worker, or probes the trained model, for the selected node and image."""
        if self.worker is not None:
            name = self.node_name(self.run_graph)
            self._show_node(name)
            image = self._probe_image(self.run_data)
            self.worker.set_probe_node(name, image)
            self._show_receptive_field(self.run_graph, image, self.run_data)
            return
        if self.trained is None:
            if self.node_id is not None:
                self._show_placeholder(NO_MODEL_HINT)
            return
        name = self.node_name(self.trained.graph)
        self._show_node(name)
        if name is None:
            return
        image = self._probe_image(self.trained.data)
        self._show_receptive_field(self.trained.graph, image, self.trained)
        if image is None:
            self._show_placeholder("Load an image (below) to see this layer's feature maps.")
            return
        from .trained import probe_node

        model, caption = self.trained.model, self._caption()
        self.jobs.run(lambda: probe_node(model, name, image),
                      lambda result: self._show(name, caption, *result),
                      lambda error: self._show_placeholder(_message(error)))

    def _show_receptive_field(self, graph: Graph | None, image: torch.Tensor | None, prepared_like) -> None:
        """The middle unit's receptive field of the selected node, on the probe image."""
        from engine.analysis import analyze
        from engine.insight.receptive_field import receptive_fields

        def clear(text: str = "") -> None:
            self._maps(lambda view: view.receptive.clear(text), "receptive")

        if self.node_id is None or graph is None or self.node_id not in graph.nodes:
            clear()
            return
        analysis = analyze(graph)
        field = receptive_fields(graph, analysis).get(self.node_id)
        if field is None:
            clear()
            return
        shape = analysis.nodes[self.node_id].output_shape
        row, column = (shape[1] // 2, shape[2] // 2) if len(shape) == 3 and not field.whole_input else (0, 0)
        text = field.describe().capitalize() + ("." if field.whole_input else f" (box: unit {row}, {column}).")
        if image is None or prepared_like is None:
            clear(text)
            return
        from .worker import display_images

        pixels = display_images(image[None], prepared_like.mean, prepared_like.std)[0]
        box = field.clipped_box(row, column)
        self._maps(lambda view: view.receptive.show_field(pixels, box, text), "receptive")

    def _show_latest_frame(self) -> None:
        if self.worker is None:
            return
        frame = self.worker.take_frame()
        if frame is None:
            if self.worker.probe_error:
                self._show_placeholder(self.worker.probe_error)
            return
        self._show(frame.grid.node, self._caption(), frame.grid, frame.kernels)

    def _show(self, name: str, caption: str, grid, kernels) -> None:
        frame = FeatureFrame(name, grid.images, caption)
        self._maps(lambda view: view.show_frame(frame), "frame")
        if kernels is not None:
            self.filters_host.apply(lambda view: view.show_kernels(name, kernels), "filters",
                                   anywhere=True)

    def _probe_image(self, data: DataSplit | None) -> torch.Tensor | None:
        """The image to probe with: a chosen file, else the chosen validation image."""
        from .worker import preprocess_file, validation_sample

        prepared_like = data if data is not None else self.trained
        if self.probe_file is not None and prepared_like is not None:
            try:
                return preprocess_file(self.probe_file, prepared_like)
            except (DatasetError, OSError, ValueError) as error:
                self._show_placeholder(f"{self.probe_file}: {_message(error)}")
                self.probe_file = None
        if data is None or len(data.val) == 0:
            return None
        return validation_sample(data, min(self.probe_index, len(data.val) - 1))[0]

    def _caption(self) -> str:
        from .worker import validation_sample

        if self.probe_file is not None:
            return f"for {Path(self.probe_file).name}"
        data = self.run_data if self.worker is not None else (self.trained.data if self.trained else None)
        if data is None:
            return ""
        index = min(self.probe_index, len(data.val) - 1)
        label = validation_sample(data, index)[1]
        if not isinstance(label, int):  # a mask: the Masks view shows it
            return f"for validation image #{index}"
        return f"for validation image #{index} (true class: {data.class_names[label]})"


def _message(error: BaseException) -> str:
    from engine.training import ProbeError  # an error from probing a model: torch is imported

    if isinstance(error, (DatasetError, ProbeError)):
        return str(error)
    return f"{type(error).__name__}: {error}"
