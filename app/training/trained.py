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
from engine.compiler import input_shape
from engine.data import DataSplit, DatasetError
from engine.explain.attributions import attribute
from engine.explain.gradcam import GradCam
from engine.familiarity import REFERENCE_IMAGES, Familiarity
from engine.graph import Graph
from engine.data.image_files import open_image
from engine.predict import Prediction, predict_images
from engine.predict_masks import class_shares, segment_file
from engine.tasks import DEFAULT_TASK
from engine.training import ActivationGrid, probe_activations

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


def classify_file(trained: TrainedModel, path: str,
                  node_name: str | None) -> tuple[Prediction, ActivationGrid | None, bool | None]:
    """Top-5 classes for an image file, that node's maps for it if ``node_name`` is given, and whether
    the image looks like the training images (None when they are not at hand to compare)."""
    (prediction,) = predict_images(trained.model, [path], input_shape=trained.input_shape, mean=trained.mean,
                                   std=trained.std, class_names=trained.class_names)
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
