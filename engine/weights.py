"""Pretrained weights: read them, see how they fit a network, load what fits.

Weights come from a local file (a plain ``state_dict``, a ConvCanvas
checkpoint, or a torchvision-style file) or from torchvision, downloaded
into the normal torch cache (``$TORCH_HOME/hub/checkpoints``) so other
tools find them too. Files load with ``torch.load(weights_only=True)``:
a file that hides Python code is refused, never run.

``match_weights`` compares a file with the network a graph compiles to:
keys first as they are, then in torchvision's spelling (``features.0.weight``
is the node ``features_0``; the ResNet presets already use torchvision's
keys). Tensors whose shapes differ — typically a classifier head replaced
to fit another dataset — are reported and left as initialised, never
loaded silently or half-way.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .compiler import InvalidGraphError, compile_graph
from .fileio import atomic_write
from .graph import Graph
from .tensor_files import load_tensors_file

DOWNLOAD_TIMEOUT = 20.0
"""Seconds without an answer before a download gives up (offline machines fail at once anyway)."""
LISTED = 6
"""How many tensor names a message lists before "… and N more"."""
_NESTED_KEYS = ("model_state", "state_dict", "model_state_dict", "model")
_CHECKPOINT_FORMAT = "convcanvas.checkpoint"  # engine.checkpoint.FORMAT (not imported: it imports project)


class WeightsError(ValueError):
    """Weights that cannot be read, downloaded or used; the message is one line for people."""


# --- reading ------------------------------------------------------------------------------


def read_weights_file(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The tensors of a weights file: a plain ``state_dict``, a ConvCanvas checkpoint's weights, or a
    dict holding one under ``state_dict``/``model``; raises ``WeightsError`` with a one-line reason."""
    path = Path(path).expanduser()
    payload = load_tensors_file(path, WeightsError, "a PyTorch weights file",
                                "a whole pickled model? Save model.state_dict() instead, and open only files you trust")
    return _state_of(payload, path)


def _state_of(payload: Any, path: Path) -> dict[str, torch.Tensor]:
    if isinstance(payload, Mapping) and payload.get("format") == _CHECKPOINT_FORMAT:
        payload = payload.get("model_state")
    elif isinstance(payload, Mapping) and not any(isinstance(v, torch.Tensor) for v in payload.values()):
        payload = next((payload[key] for key in _NESTED_KEYS if isinstance(payload.get(key), Mapping)), payload)
    if not isinstance(payload, Mapping) or not payload:
        raise WeightsError(f"{path}: holds no tensors by name (expected a state_dict: a dict of name → tensor)")
    for key, value in payload.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise WeightsError(f"{path}: is not a state_dict: the entry {str(key)[:60]!r} is "
                               f"{type(value).__name__}, not a tensor")
    return dict(payload)


# --- torchvision ----------------------------------------------------------------------------


def classification_models() -> list[str]:
    """torchvision's image classifiers (``resnet18``, ``vgg11``, …), whose weights this can load."""
    import torchvision

    return sorted(torchvision.models.list_models(module=torchvision.models))


def available_weights(model_name: str) -> list[str]:
    """The weights torchvision offers for a model (``IMAGENET1K_V1``, …), the default first."""
    enum = _weights_enum(model_name)
    names = [member.name for member in enum]
    default = enum["DEFAULT"].name
    return [default, *(name for name in names if name != default)]


def torchvision_name_for(title: str) -> str | None:
    """The torchvision model a preset title names (``ResNet-18`` → ``resnet18``), or None."""
    wanted = "".join(ch for ch in title.lower() if ch.isalnum())
    return wanted if wanted in classification_models() else None


def _weights_enum(model_name: str):
    import torchvision

    try:
        return torchvision.models.get_model_weights(model_name)
    except (ValueError, KeyError):
        known = classification_models()
        close = difflib.get_close_matches(model_name, known, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(known[:8])}, …"
        raise WeightsError(f"torchvision has no model {model_name!r} ({hint})") from None


def torchvision_cache() -> Path:
    """Where torch keeps downloaded weights (``$TORCH_HOME/hub/checkpoints``)."""
    return Path(torch.hub.get_dir()) / "checkpoints"


@dataclass(frozen=True)
class TorchvisionWeights:
    path: Path
    """The file in the torch cache (downloaded if it was not there)."""
    source: str
    """For people and project files: ``torchvision resnet18 IMAGENET1K_V1``."""
    url: str


def torchvision_weights_file(model_name: str, weights: str = "DEFAULT", *,
                             timeout: float = DOWNLOAD_TIMEOUT) -> TorchvisionWeights:
    """Makes sure torchvision's weights for ``model_name`` are in the torch cache (downloading them if
    needed) and says where; raises ``WeightsError`` naming the URL and the cache folder when offline."""
    entry = _weights_entry(model_name, weights)
    target = torchvision_cache() / Path(entry.url).name
    source = f"torchvision {model_name} {entry.name}"
    if not target.is_file():
        _download(entry.url, target, source, timeout)
    return TorchvisionWeights(target, source, entry.url)


def _weights_entry(model_name: str, weights: str):
    try:
        return _weights_enum(model_name)[weights.upper()]
    except KeyError:
        raise WeightsError(f"torchvision's {model_name} has no weights {weights!r} (it has: "
                           f"{', '.join(available_weights(model_name))})") from None


def torchvision_cached(model_name: str, weights: str = "DEFAULT") -> bool:
    """True when torchvision's weights are already in the torch cache (no download needed)."""
    try:
        return (torchvision_cache() / Path(_weights_entry(model_name, weights).url).name).is_file()
    except WeightsError:
        return False


def torchvision_state_dict(model_name: str, weights: str = "DEFAULT", *,
                           timeout: float = DOWNLOAD_TIMEOUT) -> dict[str, torch.Tensor]:
    """torchvision's pretrained ``state_dict`` for ``model_name`` (downloaded into the torch cache once)."""
    return read_weights_file(torchvision_weights_file(model_name, weights, timeout=timeout).path)


def _download(url: str, target: Path, source: str, timeout: float) -> None:
    """Like ``torch.hub.download_url_to_file``, with a timeout, and checking the hash in the file name."""
    def failed(reason: str) -> WeightsError:
        return WeightsError(f"cannot download the {source} weights from {url} ({reason}); when offline, "
                            f"download that file elsewhere and put it in {target.parent}, or pick a local "
                            "weights file")

    hasher = hashlib.sha256()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - https URL from torchvision
            def write(temp: Path) -> None:
                with open(temp, "wb") as out:
                    while chunk := response.read(1 << 20):
                        hasher.update(chunk)
                        out.write(chunk)
                match = torch.hub.HASH_REGEX.search(target.name)
                if match and not hasher.hexdigest().startswith(match.group(1)):
                    raise WeightsError(f"the download of {url} is damaged (its checksum does not match); "
                                       "try again")
            atomic_write(target, write)
    except urllib.error.URLError as error:
        raise failed(str(getattr(error, "reason", error))) from None
    except (TimeoutError, OSError) as error:
        raise failed(getattr(error, "strerror", None) or str(error) or type(error).__name__) from None


# --- matching -----------------------------------------------------------------------------


def format_size(shape: Iterable[int]) -> str:
    """``(1000, 512)`` → ``1000×512``; a scalar is ``scalar``."""
    shape = tuple(shape)
    return "×".join(str(size) for size in shape) if shape else "scalar"


def torchvision_spelling(key: str) -> str:
    """``features.0.weight`` → ``features_0.weight``: torchvision's key as a flat preset names it (node names
    are Python names, so RegNet's ``block1-0`` is ``block1_0``)."""
    path, _, leaf = key.rpartition(".")
    return f"{re.sub(r'[^A-Za-z0-9_]', '_', path)}.{leaf}" if path else key


@dataclass(frozen=True)
class Misfit:
    key: str
    """The network's name for the tensor."""
    expected: tuple[int, ...]
    """Its shape in the network."""
    got: tuple[int, ...]
    """Its shape in the file."""
    file_key: str

    def __str__(self) -> str:
        return f"{self.key}: file {format_size(self.got)}, network {format_size(self.expected)}"


@dataclass
class WeightsMatch:
    """How a file's tensors fit a network. Keys are the network's, except ``unexpected`` (the file's)."""

    state: dict[str, torch.Tensor]
    """What will be loaded: network key → the file's tensor (shapes agree)."""
    total: int
    """How many tensors the network has."""
    missing: list[str] = field(default_factory=list)
    mismatched: list[Misfit] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    renamed: int = 0
    """How many keys matched only in torchvision's spelling."""
    node_of: dict[str, str] = field(default_factory=dict)
    """Network key → the name of the node that owns it."""

    @property
    def loaded(self) -> list[str]:
        return list(self.state)

    @property
    def complete(self) -> bool:
        """Every tensor of the network comes from the file."""
        return not self.missing and not self.mismatched

    @property
    def usable(self) -> bool:
        return bool(self.state)

    def nodes(self, keys: Iterable[str]) -> list[str]:
        """The node names owning ``keys``, once each, in order."""
        return list(dict.fromkeys(self.node_of.get(key, key.rpartition(".")[0]) for key in keys))

    @property
    def reinitialised_nodes(self) -> list[str]:
        """Nodes that keep (some) freshly initialised tensors: not in the file, or shaped differently."""
        return self.nodes([*(m.key for m in self.mismatched), *self.missing])

    def summary(self) -> str:
        """One short line: "loaded 120 of 122 tensors; fc re-initialised"."""
        text = f"loaded {len(self.state)} of {self.total} tensors"
        if self.reinitialised_nodes:
            text += f"; {_listing(self.reinitialised_nodes)} re-initialised"
        return text

    def describe(self) -> str:
        """A paragraph for people naming every tensor that does not fit."""
        if not self.state:
            return (f"None of the file's {len(self.unexpected)} tensors fit this network's {self.total} "
                    f"(the file has e.g. {_listing(self.unexpected, 3)}; the network has e.g. "
                    f"{_listing(self.missing, 3)}). Is it the weights of another network?")
        parts = [f"Loaded {len(self.state)} of the network's {self.total} tensors"
                 + (f" ({self.renamed} found under torchvision's names)." if self.renamed else ".")]
        if self.mismatched:
            parts.append("Shaped differently, so re-initialised: "
                         f"{_listing([str(m) for m in self.mismatched], separator='; ')}.")
        if self.missing:
            parts.append(f"Not in the file, so re-initialised: {_listing(self.missing)}.")
        if self.unexpected:
            parts.append(f"Not used from the file: {_listing(self.unexpected)}.")
        if self.complete:
            parts.append("Every tensor fits.")
        return " ".join(parts)


def _listing(items: list[str], limit: int = LISTED, separator: str = ", ") -> str:
    shown = separator.join(items[:limit])
    return shown + (f" … and {len(items) - limit} more" if len(items) > limit else "")


def network_tensors(graph: Graph) -> dict[str, tuple[int, ...]]:
    """The network's ``state_dict`` keys and shapes, without allocating its weights."""
    try:
        with torch.device("meta"):
            model = compile_graph(graph)
    except InvalidGraphError as error:
        raise WeightsError(f"the network has errors, so weights cannot be matched to it: {error.issues[0]}") from None
    return {key: tuple(value.shape) for key, value in model.state_dict().items()}


def owners(graph: Graph) -> dict[str, str]:
    """Module path (``layer1.0.conv1``) → node name, for every node with a module."""
    return {graph.module_path(node_id): node.name for node_id, node in graph.nodes.items()
            if node.spec.module is not None}


def match_weights(graph: Graph, state: Mapping[str, torch.Tensor], model: nn.Module | None = None) -> WeightsMatch:
    """How ``state`` fits the network ``graph`` compiles to (or ``model``, already compiled from it)."""
    shapes = ({key: tuple(value.shape) for key, value in model.state_dict().items()} if model is not None
              else network_tensors(graph))
    state = _without_prefix(state, shapes)
    module_owner = owners(graph)
    match = WeightsMatch(state={}, total=len(shapes),
                         node_of={key: module_owner.get(key.rpartition(".")[0], key) for key in shapes})
    taken: set[str] = set()
    for file_key, tensor in state.items():
        key = file_key if file_key in shapes else file_key + ".scale" if file_key + ".scale" in shapes \
            else torchvision_spelling(file_key)  # .scale: a LayerScale node holds what torchvision's block does
        if key not in shapes or key in taken:
            match.unexpected.append(file_key)
            continue
        taken.add(key)
        if tuple(tensor.shape) != shapes[key]:
            match.mismatched.append(Misfit(key, shapes[key], tuple(tensor.shape), file_key))
        else:
            match.state[key] = tensor
            match.renamed += key != file_key
    match.missing = [key for key in shapes if key not in taken]
    return match


def _without_prefix(state: Mapping[str, torch.Tensor], shapes: Mapping[str, Any]) -> Mapping[str, torch.Tensor]:
    """Drops the ``module.`` that DataParallel/DDP put before every key, when nothing fits with it."""
    if state and all(key.startswith("module.") for key in state) and not any(key in shapes for key in state):
        return {key.removeprefix("module."): value for key, value in state.items()}
    return state


def apply_weights(model: nn.Module, match: WeightsMatch) -> None:
    """Copies the fitting tensors into ``model`` (in place, on its device and dtype); the rest stay as they are."""
    model.load_state_dict(match.state, strict=False)
