"""Runs the engine's ``Trainer`` on a worker thread and reports to the GUI with Qt signals.

The GUI owns a ``TrainingRun`` (see ``run.py``), which moves a
``TrainingWorker`` onto a ``QThread``. What crosses threads is kept small:

* metrics: the trainer calls ``on_batch_end`` at most every
  ``REPORT_INTERVAL`` seconds (plus after each epoch's last batch); each call
  becomes one small dict on ``progress``. Epoch ends and the final outcome
  are always delivered.
* feature maps are *pulled*: the GUI names the node it shows
  (``set_probe_node``, thread-safe); between batches the trainer fills the
  engine's single-slot ``ProbeMailbox`` at most a few times a second, and the
  worker then emits the argument-less ``frame_ready``. The GUI takes the
  newest frame when it repaints; frames never queue up in signals.
* gradient flow is pulled the same way: while the Gradients view is open
  (``watch_gradients``) the trainer captures one step's statistics every
  ``GRADIENT_INTERVAL`` seconds into the engine's ``GradientMailbox`` and the
  worker emits ``gradients_ready``; with the view closed no step is touched.

Stop sets the stop token (the trainer returns after the current batch); pause
and resume use the pause token. Every failure arrives as one message on
``failed``; the last good checkpoint stays in the run folder.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine.checkpoint import CheckpointError
from engine.compiler import InvalidGraphError, input_window
from engine.config import TrainingConfig
from engine.data import DatasetError, DataSplit, StreamData
from engine.experiments.recorder import RunRecorder
from engine.fileio import WriteError
from engine.insight.gradients import DEFAULT_INTERVAL as GRADIENT_INTERVAL
from engine.insight.gradients import GradientFrame, GradientMailbox
from engine.predict import load_image_file
from engine.project import Project
from engine.tasks import task_for
from engine.tasks.clinical import CLINICAL_METRIC_NAMES
from engine.tasks.detection import LOSS_PART_KEYS
from engine.tasks.embedding import metric_names as embedding_metric_names
from engine.training import (
    ActivationGrid,
    Callback,
    FitResult,
    PauseToken,
    ProbeMailbox,
    StopToken,
    Trainer,
    TrainingError,
    TrainingState,
    probe_boxes,
    probe_mask,
)
from engine.training.data_setup import load_project_data

from .warm_up import wait_for_torch_warm_up

#: Seconds between progress reports (the trainer throttles its batch hook to this).
REPORT_INTERVAL = 0.05
#: Seconds between feature-map probes (a few frames per second at most).
PROBE_INTERVAL = 0.2
#: Validation images whose predictions the gallery gets after a run.
GALLERY_IMAGES = 1000


@dataclass(frozen=True)
class ProbeFrame:
    """What the mailbox holds: one node's activations and, for a convolution, its kernels."""

    grid: ActivationGrid
    kernels: np.ndarray | None = None


@dataclass
class RunRequest:
    """Everything a run needs, prepared on the GUI thread (the graph is already a snapshot)."""

    project: Project
    config: TrainingConfig
    run_dir: Path
    download: bool = False
    data: DataSplit | None = None
    """Data loaded by an earlier run with the same settings (loading is skipped)."""
    resume: Path | None = None
    threads: int | None = None
    """Torch's intra-op threads for this run (see ``threads.py``); None keeps torch's count."""


@dataclass
class RunOutcome:
    """Sent on ``TrainingWorker.finished`` once the run has ended (stopped or not)."""

    result: FitResult
    data: DataSplit
    run_dir: Path
    gallery: dict[str, Any] = field(default_factory=dict)


class _SignallingMailbox(ProbeMailbox):
    """The engine's mailbox, plus a kernel copy and a wake-up call when a frame lands."""

    def __init__(self, on_frame, interval: float) -> None:
        super().__init__(interval)
        self._on_frame = on_frame
        self._kernels: np.ndarray | None = None
        self._kernel_lock = threading.Lock()
        self._output_image: torch.Tensor | None = None
        self._output_probe: Callable[[torch.nn.Module, torch.Tensor], Any] | None = None
        self._output: Any = None
        self._output_due = 0.0

    def serve(self, model, default_image) -> bool:
        output_served = self._serve_output(model)
        served = super().serve(model, default_image)
        if served:
            frame = self.latest()
            kernels = conv_kernels(model, frame.node) if frame is not None else None
            with self._kernel_lock:
                self._kernels = kernels
        if served or output_served:
            self._on_frame()
        return served

    # The task's live view: what the network predicts for one probe image (a segmentation run's mask, a
    # detection run's boxes), on the frames' schedule.

    def watch_output(self, image: torch.Tensor | None, probe=None) -> None:
        """Predict ``image`` (C, H, W, preprocessed) with ``probe(model, image)`` from now on; None stops."""
        with self._kernel_lock:
            self._output_image = image.detach().cpu() if image is not None else None
            self._output_probe = probe
            self._output_due = 0.0

    def _serve_output(self, model) -> bool:
        now = time.monotonic()
        with self._kernel_lock:
            image, probe = self._output_image, self._output_probe
            if image is None or probe is None or now < self._output_due:
                return False
            self._output_due = now + self.interval
        output = probe(model, image)
        with self._kernel_lock:
            self._output = output
        return True

    def take_output(self) -> Any:
        """The newest prediction for the probe image, or None when none arrived since the last call."""
        with self._kernel_lock:
            output, self._output = self._output, None
        return output

    def take_frame(self) -> ProbeFrame | None:
        grid = self.take()
        if grid is None:
            return None
        with self._kernel_lock:
            kernels = self._kernels
        return ProbeFrame(grid, kernels if kernels is not None and _kernels_belong(grid, kernels) else None)


def _kernels_belong(grid: ActivationGrid, kernels: np.ndarray) -> bool:
    # A convolution's output channels are its filters.
    return len(grid.shape) == 3 and kernels.shape[0] == grid.shape[0]


def conv_kernels(model: torch.nn.Module, node_name: str) -> np.ndarray | None:
    """A copy of a convolution's (out, in, kh, kw) weights, or None for other nodes."""
    try:
        module = model.get_submodule(node_name)
    except AttributeError:
        return None
    if not isinstance(module, torch.nn.Conv2d):
        return None
    return module.weight.detach().float().cpu().numpy().copy()


class _Reporter(Callback):
    """Turns trainer hooks into the worker's signals (called on the worker thread)."""

    def __init__(self, worker: TrainingWorker, train_size: int, batch_size: int) -> None:
        self.worker = worker
        self.train_size, self.batch_size = train_size, batch_size
        self._last = (0, 0.0, 0.0)  # samples, loss sum, correct at the previous report of this epoch

    def on_fit_start(self, state: TrainingState) -> None:
        self.worker.started.emit({
            "device": state.device, "notes": list(state.notes), "class_names": list(state.class_names),
            "epochs": state.epochs, "batches_per_epoch": state.batches_per_epoch,
            "first_epoch": len(state.history) + 1, "history": [dict(entry) for entry in state.history],
        })

    def on_epoch_start(self, state: TrainingState) -> None:
        self._last = (0, 0.0, 0.0)

    def on_batch_end(self, state: TrainingState, metrics: dict[str, Any]) -> None:
        # The trainer reports running means over the epoch so far; the curves want the mean of
        # the batches since the previous report, which the running sums give exactly.
        samples = min(metrics["batch"] * self.batch_size, self.train_size)
        loss_sum, correct = metrics["loss"] * samples, metrics["accuracy"] * samples
        last_samples, last_loss, last_correct = self._last
        self._last = (samples, loss_sum, correct)
        new = samples - last_samples
        recent_loss = (loss_sum - last_loss) / new if new > 0 else metrics["loss"]
        recent_accuracy = (correct - last_correct) / new if new > 0 else metrics["accuracy"]
        self.worker.progress.emit({
            "epoch": metrics["epoch"], "epochs": metrics["epochs"], "batch": metrics["batch"],
            "batches_per_epoch": metrics["batches_per_epoch"], "loss": recent_loss, "accuracy": recent_accuracy,
            "epoch_loss": metrics["loss"], "epoch_accuracy": metrics["accuracy"],
            "images_per_second": metrics["images_per_second"], "eta_seconds": metrics["eta_seconds"],
            "lr": metrics["lr"],
        })

    def on_epoch_end(self, state: TrainingState, metrics: dict[str, Any]) -> None:
        keys = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "confusion",
                "per_class_accuracy", "best_epoch", "best_val_accuracy", "checkpoint", "seconds",
                "images_per_second", "val_iou", "val_miou", "val_pixel_accuracy", *embedding_metric_names(),
                "val_map50", "val_map", "val_ap", "val_pr", *LOSS_PART_KEYS, *CLINICAL_METRIC_NAMES)
        keys = tuple(dict.fromkeys(keys))  # tasks share some names (val_auc, val_ap, val_threshold)
        self.worker.epoch_finished.emit({key: metrics.get(key) for key in keys})


class TrainingWorker(QObject):
    """Lives on a worker thread; ``run`` trains once and ends with ``finished`` or ``failed``."""

    started = Signal(dict)
    progress = Signal(dict)
    epoch_finished = Signal(dict)
    frame_ready = Signal()
    gradients_ready = Signal()
    data_ready = Signal(object)  # the DataSplit, once loaded (for the probe image chooser)
    finished = Signal(object)  # RunOutcome
    failed = Signal(str)

    def __init__(self, request: RunRequest) -> None:
        super().__init__()
        self.request = request
        self.stop_token = StopToken()
        self.pause_token = PauseToken()
        self.mailbox = _SignallingMailbox(self.frame_ready.emit, PROBE_INTERVAL)
        self.gradients = GradientMailbox(GRADIENT_INTERVAL, on_frame=self.gradients_ready.emit)

    # --- called from the GUI thread (thread-safe) ------------------------------------

    def stop(self) -> None:
        self.stop_token.stop()

    def pause(self) -> None:
        self.pause_token.pause()

    def resume(self) -> None:
        self.pause_token.resume()

    @property
    def paused(self) -> bool:
        return self.pause_token.paused

    def set_probe_node(self, node_name: str | None, image: torch.Tensor | None = None) -> None:
        """Which node's feature maps to compute from now on (None: none), optionally for ``image``
        (one preprocessed (C, H, W) tensor)."""
        self.mailbox.watch(node_name, image)

    def take_frame(self) -> ProbeFrame | None:
        """The newest feature-map frame, or None when none arrived since the last call."""
        return self.mailbox.take_frame()

    def watch_gradients(self, on: bool) -> None:
        """Capture the gradient flow from now on (the Gradients view is open), or stop (closed)."""
        self.gradients.watch(on)

    def take_gradients(self) -> GradientFrame | None:
        """The newest gradient-flow frame, or None when none arrived since the last call."""
        return self.gradients.take()

    def set_mask_probe(self, image: torch.Tensor | None) -> None:
        """A segmentation run: predict ``image``'s mask (C, H, W, preprocessed) a few times a second
        (``take_output`` gives it, (H, W) uint8)."""
        self.mailbox.watch_output(image, probe_mask)

    def set_box_probe(self, image: torch.Tensor | None) -> None:
        """A detection run: predict ``image``'s boxes (C, H, W, preprocessed) a few times a second
        (``take_output`` gives them: see ``engine.training.probe_boxes``)."""
        self.mailbox.watch_output(image, probe_boxes)

    def take_output(self) -> Any:
        """The newest live prediction for the probe image (a mask, or boxes), or None."""
        return self.mailbox.take_output()

    @property
    def probe_error(self) -> str | None:
        return self.mailbox.error

    # --- the run (worker thread) ----------------------------------------------------------

    @Slot()
    def run(self) -> None:
        try:
            wait_for_torch_warm_up()  # torch's first optimiser step imports what the warm-up may be importing
            outcome = self._train()
        except (TrainingError, DatasetError, InvalidGraphError, CheckpointError, WriteError) as error:
            self.failed.emit(_one_message(error))
        except Exception as error:  # noqa: BLE001 - the app must survive any failure of a run
            self.failed.emit(f"Training failed unexpectedly: {type(error).__name__}: {_one_message(error)}")
        else:
            self.finished.emit(outcome)
        finally:
            # End the thread from inside: stopping must not depend on the GUI's event queue
            # (the GUI may be blocked in QThread.wait()).
            QThread.currentThread().quit()

    def _train(self) -> RunOutcome:
        request = self.request
        # Torch keeps the count per thread, and threads started later inherit the last one set,
        # so the run sets it here, on its own thread, and puts the previous count back after.
        previous_threads = torch.get_num_threads()
        if request.threads:
            torch.set_num_threads(request.threads)
        try:
            return self._train_with(request)
        finally:
            torch.set_num_threads(previous_threads)

    def _train_with(self, request: RunRequest) -> RunOutcome:
        data = request.data or self._load_data()
        try:
            self.data_ready.emit(data)
            trainer = Trainer(
                request.project, request.config,
                # The run folder (metrics, run.json, TensorBoard) is kept by the engine's one recorder.
                callbacks=[_Reporter(self, len(data.train), request.config.batch_size),
                           RunRecorder(request.run_dir, request.project, request.config, probe=self.mailbox)],
                stop=self.stop_token, pause=self.pause_token, probe=self.mailbox, gradients=self.gradients,
                out=request.run_dir,
                report_interval=REPORT_INTERVAL,
            )
            result = trainer.fit(data, resume=request.resume)
            result.model.to("cpu")  # the GUI probes and predicts on the CPU (engine.predict expects it)
            # Guesses for a classifier; for a segmentation network, masks and each image's IoU; for a detector,
            # boxes and how well each image's match; for a multi-label one, the findings found at the run's
            # operating thresholds (an embedding has no per-image guess: its own view shows the run).
            thresholds = (result.metrics or {}).get("val_threshold")
            predictions = {"label": validation_predictions, "mask": validation_mask_predictions,
                           "boxes": validation_box_predictions,
                           "findings": lambda model, split, limit: validation_findings_predictions(
                               model, split, limit, thresholds)}.get(data.target)
            gallery = {} if self.stop_token.stopped or predictions is None else predictions(result.model, data,
                                                                                           GALLERY_IMAGES)
            return RunOutcome(result, data, request.run_dir, gallery)
        finally:
            # A run's data workers (and the forkserver) end with the run, finished, stopped or
            # failed; the data stays cached for the next run, which starts new workers.
            data.close()

    def _load_data(self) -> DataSplit:
        request = self.request
        # The project's exclusions and the Input's normalisation apply here as in `convcanvas train`.
        data = load_project_data(request.project.graph, request.config, download=request.download,
                                 target=task_for(request.project.task).target_kind)
        for split in (data.train, data.val):
            if isinstance(split, StreamData):
                # DataLoader workers must not fork a process that runs Qt threads.
                split.multiprocessing_context = "forkserver"
        return data


def _one_message(error: BaseException) -> str:
    if isinstance(error, InvalidGraphError):
        first = error.issues[0] if error.issues else "unknown problem"
        more = f" (and {len(error.issues) - 1} more problem(s); see the Issues panel)" if len(error.issues) > 1 else ""
        return f"The network cannot be built: {first}{more}"
    text = str(error).strip() or type(error).__name__
    return text


def validation_sample(data: DataSplit, index: int) -> tuple[torch.Tensor, int | torch.Tensor]:
    """One preprocessed validation image (C, H, W) and its label (a class index, an (H, W) mask, or a
    multi-label run's (K,) findings)."""
    val = data.val
    if hasattr(val, "images"):
        image, target = val.images[index], val.labels[index]
    else:
        image, target = val.dataset[index]
    return image, (target if isinstance(target, torch.Tensor) and target.dim() >= 1 else int(target))


def display_images(images: torch.Tensor, mean, std) -> np.ndarray:
    """Preprocessed (N, C, H, W) images back to viewable uint8 (N, H, W) or (N, H, W, 3)."""
    m = torch.tensor(mean, dtype=images.dtype).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=images.dtype).view(1, -1, 1, 1)
    pixels = (images * s + m).clamp_(0, 1).mul_(255).round_().to(torch.uint8)
    return pixels[:, 0].numpy() if pixels.shape[1] == 1 else pixels.permute(0, 2, 3, 1).numpy()


def validation_predictions(model: torch.nn.Module, data: DataSplit, limit: int) -> dict[str, Any]:
    """The first ``limit`` validation images (viewable), their labels, guesses and confidences."""
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    images, labels, guesses, confidences = [], [], [], []
    seen = 0
    model.eval()
    with torch.inference_mode():
        for batch, batch_labels in data.val.iter_batches(256):
            batch, batch_labels = batch[: limit - seen], batch_labels[: limit - seen]
            probabilities = torch.softmax(model(batch.to(device)).float(), dim=1).cpu()
            confidence, guess = probabilities.max(dim=1)
            images.append(display_images(batch, data.mean, data.std))
            labels.append(batch_labels.numpy())
            guesses.append(guess.numpy())
            confidences.append(confidence.numpy())
            seen += batch.shape[0]
            if seen >= limit:
                break
    if not images:
        return {}
    return {"images": np.concatenate(images), "true": np.concatenate(labels), "predicted": np.concatenate(guesses),
            "confidence": np.concatenate(confidences), "class_names": list(data.class_names)}


def validation_findings_predictions(model: torch.nn.Module, data: DataSplit, limit: int,
                                    thresholds=None) -> dict[str, Any]:
    """The first ``limit`` validation images (viewable), their true findings, each finding's probability and
    the findings found: over the run's operating ``thresholds`` (one per finding), else over 0.5."""
    from engine.tasks.multilabel import DECISION_THRESHOLD

    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    names = list(data.class_names)
    limits = np.asarray(thresholds if isinstance(thresholds, (list, tuple)) and len(thresholds) == len(names)
                        else [DECISION_THRESHOLD] * len(names), dtype=np.float64)
    images, truths, probabilities = [], [], []
    seen = 0
    model.eval()
    with torch.inference_mode():
        for batch, targets in data.val.iter_batches(256):
            batch, targets = batch[: limit - seen], targets[: limit - seen]
            probabilities.append(torch.sigmoid(model(batch.to(device)).float()).cpu().numpy())
            images.append(display_images(batch, data.mean, data.std))
            truths.append(targets.numpy() > 0.5)
            seen += batch.shape[0]
            if seen >= limit:
                break
    if not images:
        return {}
    probability = np.concatenate(probabilities).astype(np.float64)
    return {"images": np.concatenate(images), "true_findings": np.concatenate(truths),
            "found_findings": probability >= limits, "probabilities": probability, "class_names": names}


def validation_mask_predictions(model: torch.nn.Module, data: DataSplit, limit: int) -> dict[str, Any]:
    """The first ``limit`` validation images (viewable), their predicted masks (uint8) and each
    image's mean IoU (torchmetrics' macro Jaccard index: classes in neither mask are left out, unlabelled
    pixels ignored)."""
    from torchmetrics.functional.classification import multiclass_jaccard_index

    from engine.tasks.segmentation import IGNORE_INDEX

    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    classes = len(data.class_names)
    images, predicted, ious = [], [], []
    seen = 0
    model.eval()
    with torch.inference_mode():
        for batch, masks in data.val.iter_batches(64):
            batch, masks = batch[: limit - seen], masks[: limit - seen]
            guesses = model(batch.to(device)).argmax(1).cpu()
            ious.extend(float(multiclass_jaccard_index(guess[None], mask[None], classes, average="macro",
                                                       ignore_index=IGNORE_INDEX))
                        for guess, mask in zip(guesses, masks))
            images.append(display_images(batch, data.mean, data.std))
            predicted.append(guesses.to(torch.uint8).numpy())
            seen += batch.shape[0]
            if seen >= limit:
                break
    if not images:
        return {}
    return {"images": np.concatenate(images), "predicted_masks": np.concatenate(predicted), "iou": np.array(ious), "class_names": list(data.class_names)}


def validation_box_predictions(model: torch.nn.Module, data: DataSplit, limit: int) -> dict[str, Any]:
    """The first ``limit`` validation images (viewable), their predicted boxes (scoring at least the
    threshold ``convcanvas predict`` draws with) and true boxes, as ``engine.training.probe_boxes`` dicts
    and (M, 5) rows, and each image's F1 of found boxes (``box_matching``)."""
    from engine.predict_boxes import DEFAULT_SCORE_THRESHOLD
    from engine.tasks import DETECTION

    from .box_matching import match_boxes

    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    images, predicted, true, scores = [], [], [], []
    seen = 0
    model.eval()
    with torch.inference_mode():
        for batch, rows in data.val.iter_batches(64):
            batch, rows = batch[: limit - seen], rows[: limit - seen]
            decoded = DETECTION.decode(model(batch.to(device)), score_threshold=DEFAULT_SCORE_THRESHOLD)
            for found, target in zip(decoded, rows):
                found = {key: value.cpu().numpy() for key, value in found.items()}
                target = target[target[:, 0] >= 0].numpy()
                predicted.append(found)
                true.append(target)
                scores.append(match_boxes(found["boxes"], found["labels"], target[:, 1:],
                                          target[:, 0].astype(np.int64)).f1)
            images.append(display_images(batch, data.mean, data.std))
            seen += batch.shape[0]
            if seen >= limit:
                break
    if not images:
        return {}
    return {"images": np.concatenate(images), "predicted_boxes": predicted, "true_boxes": true,
            "box_f1": np.array(scores), "class_names": list(data.class_names)}


def preprocess_file(path: str, data_like) -> torch.Tensor:
    """An image file prepared exactly like the training images (``data_like`` has input_shape, mean, std);
    raises ``ImageFileError`` (a ``DatasetError``) saying why it cannot be used."""
    # A trained model carries its graph, whose Input holds the window of high-bit-depth images (Grad-CAM and
    # Try an Image see DICOM files as training did).
    graph = getattr(data_like, "graph", None)
    window = input_window(graph) if graph is not None else getattr(data_like, "window", None)
    return load_image_file(path, data_like.input_shape, data_like.mean, data_like.std, window)[0]
