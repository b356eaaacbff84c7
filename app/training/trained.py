"""A trained network and using it: from a finished run or a checkpoint file, to probe and predict.

Plain functions over the engine (probe, predict, checkpoints); the UI runs
the slow ones on a background thread.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine.checkpoint import Checkpoint, build_model, load_checkpoint
from engine.compiler import input_shape, input_window
from engine.data import DataSplit, DatasetError
from engine.explain.attributions import attribute
from engine.explain.gradcam import GradCam
from engine.familiarity import REFERENCE_IMAGES, Familiarity
from engine.graph import Graph
from engine.data.image_files import open_image
from engine.predict import Prediction, predict_images
from engine.predict_embeddings import Verification, embed_batches, nearest_neighbours, verify_files
from engine.predict_boxes import predict_boxes
from engine.predict_masks import class_shares, segment_file
from engine.tasks import DEFAULT_TASK
from engine.training import ActivationGrid, probe_activations
from engine.training.probe import PROBE_BOX_SCORE

from .box_drawing import DrawnBoxes

from .worker import RunOutcome, conv_kernels, display_images, preprocess_file, validation_sample


@dataclass
class TrainedModel:
    """A trained network (on the CPU, in eval mode) and what using it needs."""

    model: torch.nn.Module
    graph: Graph
    """The network as trained (node ids match the document's)."""
    class_names: list[str]
    input_shape: tuple[int, int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    checkpoint: Path | None
    """The best checkpoint (what to export), if an epoch finished."""
    data: DataSplit | None = None
    """Its dataset, when loaded (validation images to probe with)."""
    familiarity: Familiarity | None = None
    """What its validation images look like (``familiarity_of`` fills it on first use)."""
    task: str = DEFAULT_TASK
    """The project's task: what predicting with it means (class scores or a mask)."""


@dataclass
class MaskResult:
    """A segmentation network's answer for an image file."""

    path: str
    image: np.ndarray
    """The file as it is: (H, W, 3) uint8."""
    mask: np.ndarray
    """(H, W) class indices at the file's size."""
    shares: list[tuple[str, float]]
    """Each class's share of the pixels, in class order."""


@dataclass
class BoxResult:
    """A detection network's answer for an image file."""

    path: str
    image: np.ndarray
    """The file as it is: (H, W, 3) uint8."""
    boxes: DrawnBoxes
    """Every box scoring at least ``PROBE_BOX_SCORE``, best first, as fractions of the image."""
    class_names: list[str]


def trained_from_run(outcome: RunOutcome) -> TrainedModel:
    result, data = outcome.result, outcome.data
    return TrainedModel(result.model, result.project.graph, list(result.class_names), tuple(data.input_shape),
                        tuple(data.mean), tuple(data.std), result.best_checkpoint or result.last_checkpoint, data,
                        task=result.project.task)


def trained_from_checkpoint(path: str | Path) -> tuple[TrainedModel, Checkpoint]:
    """Loads a checkpoint and builds its network; raises ``CheckpointError`` with a one-line reason."""
    checkpoint = load_checkpoint(path)
    model = build_model(checkpoint)
    graph = checkpoint.project.graph
    trained = TrainedModel(model, graph.copy(), list(checkpoint.class_names), input_shape(graph),
                           checkpoint.mean, checkpoint.std, Path(path), task=checkpoint.project.task)
    return trained, checkpoint


def probe_node(model: torch.nn.Module, node_name: str, image: torch.Tensor) -> tuple[ActivationGrid, np.ndarray | None]:
    """A node's activations for one preprocessed image, and its kernels if it is a convolution."""
    return probe_activations(model, node_name, image), conv_kernels(model, node_name)


def findings_as_prediction(trained: TrainedModel, path: str) -> Prediction:
    """A multi-label network's findings for Try an Image: each finding's own probability (sigmoid, not a
    share of one), most probable first, those at or over 0.5 marked present."""
    from engine.predict_findings import predict_findings

    (found,) = predict_findings(trained.model, [path], input_shape=trained.input_shape, mean=trained.mean,
                                std=trained.std, finding_names=trained.class_names, window=input_window(trained.graph))
    ranked = sorted(found.findings, key=lambda item: -item[1])
    return Prediction(found.path, [(f"{name} (present)" if present else name, p) for name, p, present in ranked],
                      found.error)


def classify_file(trained: TrainedModel, path: str,
                  node_name: str | None) -> tuple[Prediction, ActivationGrid | None, bool | None]:
    """Top-5 classes for an image file, that node's maps for it if ``node_name`` is given, and whether
    the image looks like the training images (None when they are not at hand to compare)."""
    if trained.task == "multilabel":
        prediction = findings_as_prediction(trained, path)
    else:
        (prediction,) = predict_images(trained.model, [path], input_shape=trained.input_shape, mean=trained.mean,
                                       std=trained.std, class_names=trained.class_names,
                                       window=input_window(trained.graph))
    grid = familiar = None
    if prediction.ok:
        image = preprocess_file(path, trained)
        if node_name is not None:
            grid = probe_activations(trained.model, node_name, image)
        familiarity = familiarity_of(trained)
        familiar = familiarity.looks_familiar(image) if familiarity is not None else None
    return prediction, grid, familiar


def segment_image_file(trained: TrainedModel, path: str,
                       node_name: str | None) -> tuple[MaskResult, ActivationGrid | None, bool | None]:
    """A segmentation network's mask for an image file (at the file's size; nothing is written), that
    node's maps for it if ``node_name`` is given, and whether it looks like the training images."""
    mask = segment_file(trained.model, path, input_shape=trained.input_shape, mean=trained.mean, std=trained.std)
    with open_image(path) as original:
        pixels = np.asarray(original.convert("RGB"))
    result = MaskResult(path, pixels, mask.numpy(), class_shares(mask, trained.class_names))
    image = preprocess_file(path, trained)
    grid = probe_activations(trained.model, node_name, image) if node_name is not None else None
    familiarity = familiarity_of(trained)
    return result, grid, familiarity.looks_familiar(image) if familiarity is not None else None


NEIGHBOURS = 5
"""Validation images shown as the first image's nearest neighbours."""


@dataclass
class Neighbour:
    image: np.ndarray
    """(H, W, 3) uint8, as the network sees it (at the Input's size)."""
    identity: str
    similarity: float


def compare_image_files(trained: TrainedModel, first: str, second: str,
                        threshold: float = 0.0) -> tuple[Verification, list[Neighbour]]:
    """An embedding network's cosine similarity of two image files (the UI judges it at its threshold), and
    the first image's nearest neighbours among the validation images (the gallery), when they are at hand."""
    verification = verify_files(trained.model, first, second, trained.input_shape, trained.mean, trained.std,
                                threshold)
    data = trained.data
    gallery = getattr(data.val, "images", None) if data is not None else None
    if gallery is None or len(gallery) == 0:
        return verification, []
    probe = embed_batches(trained.model, preprocess_file(first, trained)[None])[0]
    found = nearest_neighbours(probe, embed_batches(trained.model, gallery), NEIGHBOURS)
    pictures = display_images(gallery[[index for index, _ in found]], trained.mean, trained.std)
    names = data.class_names
    return verification, [Neighbour(picture, names[int(data.val.labels[index])], similarity)
                          for picture, (index, similarity) in zip(pictures, found)]
def detect_image_file(trained: TrainedModel, path: str,
                      node_name: str | None) -> tuple[BoxResult, ActivationGrid | None, bool | None]:
    """A detection network's boxes for an image file (nothing is written; the view applies the user's score
    threshold), that node's maps for it if ``node_name`` is given, and whether it looks like the training
    images. Raises ``DatasetError`` (the file's one-line reason) when the file cannot be used."""
    (found,) = predict_boxes(trained.model, [path], input_shape=trained.input_shape, mean=trained.mean,
                             std=trained.std, class_names=trained.class_names, score_threshold=PROBE_BOX_SCORE,
                             write_pictures=False)
    if not found.ok:
        raise DatasetError(f"{path}: {found.error}")
    with open_image(path) as original:
        pixels = np.asarray(original.convert("RGB"))
    height, width = pixels.shape[:2]
    corners = np.array([[box.x0 / width, box.y0 / height, box.x1 / width, box.y1 / height] for box in found.boxes],
                       np.float32).reshape(-1, 4)
    index = {name: label for label, name in enumerate(trained.class_names)}  # "class 7" beyond the names
    labels = np.array([index.get(box.name, len(index)) for box in found.boxes], np.int64)
    scores = np.array([box.score for box in found.boxes], np.float32)
    result = BoxResult(path, pixels, DrawnBoxes(corners, labels, scores), list(trained.class_names))
    image = preprocess_file(path, trained)
    grid = probe_activations(trained.model, node_name, image) if node_name is not None else None
    familiarity = familiarity_of(trained)
    return result, grid, familiarity.looks_familiar(image) if familiarity is not None else None


def familiarity_of(trained: TrainedModel) -> Familiarity | None:
    """What the validation images look like (computed once per model); None without them."""
    if trained.familiarity is None and trained.data is not None and len(trained.data.val) >= 2:
        val = trained.data.val
        count = min(len(val), REFERENCE_IMAGES)
        images = val.images[:count] if hasattr(val, "images") else torch.stack(
            [validation_sample(trained.data, index)[0] for index in range(count)])
        trained.familiarity = Familiarity.from_images(images)
    return trained.familiarity


def first_conv(graph: Graph) -> str | None:
    convs = graph.nodes_of_type("conv2d")
    return graph.activation_name(convs[0].id) if convs else None


def explain_image(trained: TrainedModel, image: torch.Tensor, node: str | None,
                  class_index: int | None, method: str = "gradcam") -> tuple[np.ndarray, GradCam]:
    """One preprocessed (C, H, W) image as the network sees it (viewable uint8), and its map by ``method``
    (Grad-CAM, or one of captum's pixel attributions: see ``engine.explain.attributions``)."""
    result = attribute(trained.model, trained.graph, image, method, node=node, class_index=class_index)
    return display_images(image.unsqueeze(0), trained.mean, trained.std)[0], result


def validation_image(trained: TrainedModel, index: int) -> torch.Tensor:
    """Validation image ``index`` of the trained model's data, preprocessed (C, H, W)."""
    if trained.data is None:
        raise DatasetError("The validation images of this network are not loaded.")
    return validation_sample(trained.data, index)[0]
