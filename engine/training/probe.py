"""Feature-map probes: one node's activations for one image, as small uint8 images.

``probe_activations(model, "conv1", image)`` runs the network only as far as
``conv1`` (a truncated copy of the fx graph sharing the model's weights,
built once per node and cached), in eval mode and without gradients, and
returns an ``ActivationGrid``:

* the first ``max_channels`` channels (64 by default), one image each;
* each image shrunk by average pooling when a side exceeds ``max_side``;
* scaled to 0..255 with one ``vmin``/``vmax`` for the whole call: the
  minimum and maximum over the channels shown, so channels compare with
  each other within a frame (the range may change from frame to frame).

Flat activations (after Flatten or Dense) come back as one 1×F image.

A probe leaves training undisturbed: the modules' train/eval modes are put
back as they were, BatchNorm running statistics are not updated (eval
mode), and the random number generators' states are restored.

``ProbeMailbox`` lets a GUI *pull* frames from a running ``Trainer``: the GUI
names the node it shows (``watch``) and reads ``latest()`` whenever it
repaints; the training loop fills the single slot between batches, at most
once per ``interval`` seconds, so frames never queue up.
"""
from __future__ import annotations

import contextlib
import math
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import fx, nn

MAX_CHANNELS = 64
MAX_SIDE = 64
MAX_FEATURES = 1024


class ProbeError(ValueError):
    """The node cannot be probed (unknown name, or no activations such as the Output)."""


@dataclass(frozen=True)
class ActivationGrid:
    node: str
    shape: tuple[int, ...]
    """The full activation shape for one image: (C, H, W) or (F,)."""
    images: np.ndarray
    """uint8 (channels shown, h, w)."""
    vmin: float
    vmax: float

    @property
    def channels_shown(self) -> int:
        return self.images.shape[0]


# GraphModule -> {node name: truncated GraphModule}; dropped with the model.
_truncated_cache: weakref.WeakKeyDictionary[fx.GraphModule, dict[str, fx.GraphModule]] = weakref.WeakKeyDictionary()


def _find_fx_node(graph: fx.Graph, node_name: str) -> fx.Node:
    for node in graph.nodes:
        if node.op == "call_module" and node.target == node_name:
            return node
        if node.op in ("call_function", "placeholder") and node.name == node_name:
            return node
    known = [n.target if n.op == "call_module" else n.name for n in graph.nodes if n.op != "output"]
    raise ProbeError(f"no node named {node_name!r} has activations in this network (known: {', '.join(known)})")


def truncated_module(model: fx.GraphModule, node_name: str) -> fx.GraphModule:
    """A module computing ``model`` up to ``node_name`` only, sharing ``model``'s submodules."""
    cached = _truncated_cache.setdefault(model, {})
    if node_name not in cached:
        target = _find_fx_node(model.graph, node_name)
        graph = fx.Graph()
        mapping: dict[fx.Node, fx.Node] = {}
        graph.graph_copy(model.graph, mapping)
        graph.output(mapping[target])
        probe = fx.GraphModule(model, graph, class_name="Probe")
        probe.graph.eliminate_dead_code()  # drop what comes after the node
        probe.recompile()
        cached[node_name] = probe
    return cached[node_name]


def _device_of(model: nn.Module) -> torch.device:
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return torch.device("cpu")


def _shrink(maps: torch.Tensor, max_side: int) -> torch.Tensor:
    height, width = maps.shape[-2:]
    factor = math.ceil(max(height, width) / max_side)
    if factor <= 1:
        return maps
    return F.adaptive_avg_pool2d(maps, (math.ceil(height / factor), math.ceil(width / factor)))


def to_grid(node_name: str, activation: torch.Tensor, *, max_channels: int = MAX_CHANNELS,
            max_side: int = MAX_SIDE) -> ActivationGrid:
    """One sample's activation (C, H, W) or (F,) as scaled uint8 images."""
    shape = tuple(activation.shape)
    values = activation.detach().float()
    if values.dim() == 3:
        maps = _shrink(values[:max_channels], max_side)
    else:
        maps = values.reshape(1, 1, -1)[..., :MAX_FEATURES]
    vmin, vmax = float(maps.min()), float(maps.max())
    span = vmax - vmin
    scaled = (maps - vmin) * (255.0 / span) if span > 0 else torch.zeros_like(maps)
    images = scaled.round_().clamp_(0, 255).to(torch.uint8).cpu().numpy()
    return ActivationGrid(node_name, shape, images, vmin, vmax)


def probe_activations(model: fx.GraphModule, node_name: str, image: torch.Tensor, *,
                      max_channels: int = MAX_CHANNELS, max_side: int = MAX_SIDE) -> ActivationGrid:
    """``node_name``'s activations for ``image`` (C, H, W, preprocessed like the training data)."""
    if image.dim() == 3:
        image = image.unsqueeze(0)
    probe = truncated_module(model, node_name)
    with _evaluating(model) as device:
        activation = probe(image[:1].to(device))
    return to_grid(node_name, activation[0], max_channels=max_channels, max_side=max_side)


def probe_mask(model: nn.Module, image: torch.Tensor) -> np.ndarray:
    """The segmentation network's predicted mask for ``image`` (C, H, W, preprocessed like the training
    data): (H, W) uint8 class indices, for the live mask view."""
    with _evaluating(model) as device:
        scores = model(image.unsqueeze(0).to(device))
    return scores.argmax(dim=1)[0].to(torch.uint8).cpu().numpy()


#: The live box view decodes down to this score; its slider hides what falls below the user's threshold.
PROBE_BOX_SCORE = 0.05


def probe_boxes(model: nn.Module, image: torch.Tensor) -> dict[str, np.ndarray]:
    """The detection network's boxes for ``image`` (C, H, W, preprocessed like the training data), for the live
    box view: ``boxes`` (B, 4) x0 y0 x1 y1 as fractions of the image, ``scores`` (B,), ``labels`` (B,), best
    first, every box scoring at least ``PROBE_BOX_SCORE`` (the view applies the user's threshold), and ``heat``
    (K, h, w): each class's heat map (sigmoid), from the same forward pass, for the view's class heat map."""
    from ..tasks import DETECTION
    from ..tasks.detection import BOX_CHANNELS

    with _evaluating(model) as device:
        maps = model(image.unsqueeze(0).to(device))
    (found,) = DETECTION.decode(maps, score_threshold=PROBE_BOX_SCORE)
    found["heat"] = maps[0, :maps.shape[1] - BOX_CHANNELS].float().sigmoid()
    return {key: value.cpu().numpy() for key, value in found.items()}


@contextlib.contextmanager
def _evaluating(model: nn.Module):
    """Runs a probe mid-training: eval mode (BatchNorm's running statistics untouched), no gradients, the
    random stream left as the training loop had it, and every module's own mode restored after (frozen
    layers may be in eval mode while the others train). Yields the model's device."""
    device = _device_of(model)
    modes = [(module, module.training) for module in model.modules()]
    rng_devices = [device.index or 0] if device.type == "cuda" else []
    try:
        with torch.random.fork_rng(devices=rng_devices), torch.no_grad():
            model.eval()
            yield device
    finally:
        for module, training in modes:
            module.training = training


class ProbeMailbox:
    """A single-slot mailbox of feature-map frames, filled by the training loop, pulled by a GUI.

    Thread-safe: ``watch``/``latest``/``take`` may be called from any thread;
    ``serve`` is called by the trainer on its own thread between batches.
    """

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._node: str | None = None
        self._image: torch.Tensor | None = None
        self._frame: ActivationGrid | None = None
        self._error: str | None = None
        self._next_due = 0.0

    # --- GUI side -----------------------------------------------------------

    def watch(self, node_name: str | None, image: torch.Tensor | None = None) -> None:
        """Probe ``node_name`` from now on (None stops probing); ``image`` replaces the probe image."""
        with self._lock:
            self._node = node_name
            if image is not None:
                self._image = image.detach().cpu()
            self._error = None
            self._next_due = 0.0  # the first frame of a new choice comes at the next batch

    @property
    def node(self) -> str | None:
        return self._node

    @property
    def error(self) -> str | None:
        """Why the watched node could not be probed (it is then no longer watched)."""
        return self._error

    def latest(self) -> ActivationGrid | None:
        with self._lock:
            return self._frame

    def take(self) -> ActivationGrid | None:
        """The newest frame, emptying the slot (None when nothing new arrived)."""
        with self._lock:
            frame, self._frame = self._frame, None
            return frame

    # --- training side --------------------------------------------------------

    def due(self, now: float | None = None) -> bool:
        return self._node is not None and (time.monotonic() if now is None else now) >= self._next_due

    def serve(self, model: fx.GraphModule, default_image: Callable[[], torch.Tensor]) -> bool:
        """Fills the slot if a frame is due; returns whether it did. ``default_image`` is called only
        when no probe image was given."""
        now = time.monotonic()
        if not self.due(now):
            return False
        with self._lock:
            node, image = self._node, self._image
            self._next_due = now + self.interval
        if node is None:
            return False
        if image is None:
            image = default_image()
            with self._lock:
                self._image = image
        try:
            frame = probe_activations(model, node, image)
        except ProbeError as error:
            with self._lock:
                self._error, self._node = str(error), None
            return False
        with self._lock:
            if self._node == node:  # the GUI may have switched nodes meanwhile
                self._frame = frame
        return True
