"""Keeps a ``GradCamPanel`` explaining its current image, with the map computed off the GUI thread.

The owner says which image to explain (``explain``, with a function that
prepares it for a trained model); a new class or layer chosen in the panel
recomputes the map for the same image. Only the latest request is shown:
answers to earlier ones (the user clicked on) are dropped.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from engine.analysis import analyze
from engine.data import DatasetError

from .background import BackgroundJobs
from .gradcam_view import GradCamPanel

# These import torch: imported where a trained model is explained, never on the way to the first
# window (issue 19).
if TYPE_CHECKING:
    import torch

    from .trained import TrainedModel

ImageLoader = Callable[["TrainedModel"], "torch.Tensor"]
"""Prepares the image to explain, (C, H, W), for a trained model (runs on the background thread)."""

NO_MODEL = "Train a network (or open a checkpoint) to see what it looks at."


def class_labels(trained: TrainedModel) -> list[str]:
    """One label per class score (a checkpoint may name fewer classes than its network has)."""
    analysis = analyze(trained.graph)
    (output,) = trained.graph.nodes_of_type("output")
    count = analysis.nodes[output.id].output_shape[0]
    return [trained.class_names[i] if i < len(trained.class_names) else f"class {i}" for i in range(count)]


class GradCamExplainer(QObject):
    def __init__(self, panel: GradCamPanel, jobs: BackgroundJobs, trained: Callable[[], TrainedModel | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel, self.jobs, self._trained = panel, jobs, trained
        self._network: TrainedModel | None = None  # the model the panel's choosers were filled for
        self._load: ImageLoader | None = None
        self._latest = 0
        panel.choice_changed.connect(self.refresh)

    def explain(self, load: ImageLoader) -> None:
        """A new image: its map for the predicted class, at the chosen layer."""
        self._load = load
        self._request(None)

    def refresh(self) -> None:
        """The same image again, for the class and layer chosen in the panel."""
        if self._load is not None:
            self._request(self.panel.chosen_class())

    def _request(self, class_index: int | None) -> None:
        trained = self._trained()
        if trained is None:
            self.panel.show_message(NO_MODEL)
            return
        from engine.explain.gradcam import conv_nodes  # a trained model: torch is imported

        from .trained import explain_image

        if trained is not self._network:
            self._network = trained
            self.panel.set_network(class_labels(trained), conv_nodes(trained.graph))
            class_index = None
        node = self.panel.chosen_node()
        if node is None:
            self.panel.show_message("This network has no convolution to explain.")
            return
        self._latest += 1
        request, load = self._latest, self._load
        method = self.panel.chosen_method()
        self.jobs.run(lambda: explain_image(trained, load(trained), node, class_index, method),
                      lambda answer: self._show(request, answer), lambda error: self._fail(request, error))

    def _show(self, request: int, answer) -> None:
        if request == self._latest:
            self.panel.show_result(*answer)

    def _fail(self, request: int, error: BaseException) -> None:
        if request == self._latest:
            from engine.explain.gradcam import GradCamError  # attributions raise it too

            known = isinstance(error, (GradCamError, DatasetError))
            self.panel.show_message(str(error) if known else f"{type(error).__name__}: {error}")
