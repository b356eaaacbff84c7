"""Building a network without its weights, to check whether it imports: no memory, no initialisation.

``torch.device("meta")`` does it for most constructors, but not for those that
compute with tensors while they build (torchvision's RegNets derive their
widths with ``torch.arange(...).tolist()``, which a meta tensor cannot answer).
For those, ``weights_on_meta`` lets the constructor's arithmetic run on the
CPU and moves each parameter and buffer to the meta device as it is
registered, so initialising them costs nothing (``accelerate``'s
``init_empty_weights``, in a few lines: it is not a dependency). Without
this, checking ``regnet_y_128gf`` initialised 644 million random weights.

On the meta device torch still runs its reference implementations in Python
(a meta ``normal_`` or ``batch_norm`` costs tens of milliseconds), so
``MetaShortcuts`` answers the calls whose result on a meta tensor is known
without them: an initialisation leaves the tensor as it is, a normalisation
keeps its input's shape. A check of DenseNet-121 spent most of its time there.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

T = TypeVar("T")

_ACTIVE = threading.local()
_PATCH_LOCK = threading.Lock()
_USERS = 0
_ORIGINAL = (nn.Module.register_parameter, nn.Module.register_buffer)


def _register_parameter(module: nn.Module, name: str, param) -> None:
    _ORIGINAL[0](module, name, param)
    if getattr(_ACTIVE, "on", False) and param is not None and not param.is_meta:
        kind = type(module._parameters[name])
        module._parameters[name] = kind(_on_meta(module._parameters[name]), requires_grad=param.requires_grad)


def _register_buffer(module: nn.Module, name: str, tensor, persistent: bool = True) -> None:
    if getattr(_ACTIVE, "on", False) and isinstance(tensor, torch.Tensor) and not tensor.is_meta:
        tensor = _on_meta(tensor)
    _ORIGINAL[1](module, name, tensor, persistent)


def _on_meta(tensor: torch.Tensor) -> torch.Tensor:
    """A meta tensor like ``tensor`` (``tensor.to("meta")`` copies through torch's Python reference kernels:
    most of the time a RegNet's construction took)."""
    return torch.empty_strided(tensor.shape, tensor.stride(), dtype=tensor.dtype, device="meta")


@contextlib.contextmanager
def weights_on_meta() -> Iterator[None]:
    """Parameters and buffers registered in this thread, inside the block, live on the meta device.
    Other threads (a training run building its network meanwhile) are not affected."""
    global _USERS
    with _PATCH_LOCK:
        if _USERS == 0:
            nn.Module.register_parameter, nn.Module.register_buffer = _register_parameter, _register_buffer
        _USERS += 1
    _ACTIVE.on = True
    try:
        yield
    finally:
        _ACTIVE.on = False
        with _PATCH_LOCK:
            _USERS -= 1
            if _USERS == 0:
                nn.Module.register_parameter, nn.Module.register_buffer = _ORIGINAL


_INITIALISERS = frozenset({"normal_", "uniform_", "fill_", "zero_", "erfinv_", "mul_", "add_", "sub_", "div_",
                           "clamp_", "copy_", "exponential_", "log_normal_", "random_", "bernoulli_"})
"""In-place methods nn.init uses: on a meta tensor they change no shape, so the tensor is their answer."""
_NORMALISATIONS = frozenset({F.batch_norm, F.layer_norm, F.group_norm, F.instance_norm, torch.batch_norm,
                             torch.layer_norm, torch.group_norm})


class MetaShortcuts(TorchFunctionMode):
    """Answers, on meta tensors, the calls whose result is known without running them (see the module)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        first = args[0] if args else kwargs.get("input")
        if isinstance(first, torch.Tensor) and first.is_meta:
            if getattr(func, "__name__", "") in _INITIALISERS:
                return first
            if func in _NORMALISATIONS:
                return torch.empty_like(first)
        return func(*args, **kwargs)


def build_without_weights(constructor: Callable[[], T]) -> T:
    """``constructor()`` with every weight on the meta device: under ``torch.device("meta")`` when the
    constructor allows it, else with its arithmetic on the CPU and its weights moved as they are made."""
    try:
        with torch.device("meta"), MetaShortcuts():
            return constructor()
    except NotImplementedError:  # a constructor that computes with tensors (RegNet's widths)
        pass
    with weights_on_meta(), MetaShortcuts():
        return constructor()
