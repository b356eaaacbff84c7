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
_ELEMENTWISE = frozenset({
    F.relu, F.relu6, F.hardtanh, F.hardswish, F.hardsigmoid, F.silu, F.mish, F.gelu, F.elu, F.leaky_relu,
    F.sigmoid, F.tanh, F.dropout, F.dropout2d, F.alpha_dropout, torch.relu, torch.sigmoid, torch.tanh,
    torch.Tensor.relu, torch.Tensor.sigmoid, torch.Tensor.tanh, torch.clamp,
    torch.Tensor.clamp, torch.Tensor.clamp_min, torch.clamp_min,
})
"""Element-wise functions of one tensor: on a meta tensor, the answer is a tensor like it (torch would run
its Python reference implementation, with its broadcasting and type promotion, for each call)."""
_BROADCASTING = frozenset({
    torch.add, torch.mul, torch.sub, torch.div, torch.Tensor.add, torch.Tensor.mul, torch.Tensor.sub,
    torch.Tensor.div, torch.Tensor.__add__, torch.Tensor.__radd__, torch.Tensor.__mul__, torch.Tensor.__rmul__,
    torch.Tensor.__sub__, torch.Tensor.__rsub__, torch.Tensor.__truediv__,
})
"""Binary element-wise arithmetic: the answer has the broadcast shape and the promoted dtype."""
_DIVISIONS = frozenset({torch.div, torch.Tensor.div, torch.Tensor.__truediv__})
_IN_PLACE = frozenset({torch.relu_, torch.Tensor.relu_, torch.Tensor.add_, torch.Tensor.mul_, torch.Tensor.__iadd__,
                       torch.Tensor.__imul__, torch.Tensor.sigmoid_, torch.Tensor.clamp_})
"""In-place element-wise functions whose other operand broadcasts into the first: the first is the answer."""


def _empty(shape, dtype: torch.dtype) -> torch.Tensor:
    # torch.empty_like on a meta tensor runs a Python reference (~100× slower than torch.empty).
    return torch.empty(tuple(shape), dtype=dtype, device="meta")


def _conv_shape(args, kwargs) -> tuple[int, ...] | None:
    """F.conv2d's output shape, for numeric padding (None: let torch work it out)."""
    names = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
    given = {**dict(zip(names, args)), **kwargs}
    x, weight = given["input"], given.get("weight")
    padding = given.get("padding", 0)
    if not isinstance(weight, torch.Tensor) or isinstance(padding, str) or x.dim() != 4 or weight.dim() != 4 \
            or x.shape[1] != weight.shape[1] * given.get("groups", 1):
        return None  # torch checks it and says what is wrong
    pair = lambda value: (value, value) if isinstance(value, int) else tuple(value)  # noqa: E731
    stride, padding, dilation = pair(given.get("stride", 1)), pair(padding), pair(given.get("dilation", 1))
    sides = [(size + 2 * p - d * (k - 1) - 1) // s + 1
             for size, k, s, p, d in zip(x.shape[2:], weight.shape[2:], stride, padding, dilation)]
    return (x.shape[0], weight.shape[0], *sides) if min(sides) > 0 else None


def _pooled_shape(args, kwargs) -> tuple[int, ...] | None:
    """F.adaptive_avg_pool2d's output shape (None: let torch check the arguments)."""
    given = {**dict(zip(("input", "output_size"), args)), **kwargs}
    x, size = given["input"], given.get("output_size")
    if x.dim() not in (3, 4) or len(given) != 2:
        return None
    size = (size, size) if isinstance(size, int) or size is None else tuple(size)
    if len(size) != 2 or not all(side is None or isinstance(side, int) and side > 0 for side in size):
        return None
    return (*x.shape[:-2], *(x.shape[-2 + i] if side is None else side for i, side in enumerate(size)))


def _kind_of(func) -> str | None:
    """Which answer ``_meta_answer`` gives ``func`` (None: torch runs it)."""
    if getattr(func, "__module__", None) == "torch.nn.init" and func.__name__.endswith("_") \
            or getattr(func, "__name__", "") in _INITIALISERS:
        return "initialiser"  # nn.init's functions call others, which this mode does not see
    for kind, functions in (("normalisation", _NORMALISATIONS), ("element-wise", _ELEMENTWISE),
                            ("in place", _IN_PLACE), ("broadcasting", _BROADCASTING)):
        if func in functions:
            return kind
    return {F.conv2d: "conv", torch.conv2d: "conv", F.linear: "linear",
            F.adaptive_avg_pool2d: "adaptive pool"}.get(func)


_KINDS: dict = {}
"""Each function's kind, worked out on its first call: most calls the mode sees are of a few functions, and
most of those (``Tensor.shape``, ``dim``, ``torch.no_grad``'s) are not answered here."""


def _meta_answer(func, args, kwargs):
    """What ``func(*args, **kwargs)`` gives on meta tensors, when that is known without running it; else
    ``NotImplemented``."""
    try:
        kind = _KINDS[func]
    except KeyError:
        kind = _KINDS[func] = _kind_of(func)
    except TypeError:  # an unhashable callable
        kind = _kind_of(func)
    if kind is None:
        return NotImplemented
    first = args[0] if args else kwargs.get("input", kwargs.get("tensor"))
    if not (isinstance(first, torch.Tensor) and first.is_meta):
        return NotImplemented
    if kind == "initialiser" or kind == "in place":
        return first
    if kind == "normalisation":
        return _empty(first.shape, first.dtype)
    if kind == "element-wise":
        in_place = kwargs.get("inplace") or (len(args) > 1 and args[-1] is True and func in _INPLACE_LAST)
        return first if in_place else _empty(first.shape, first.dtype)
    if kind == "broadcasting":
        if len(args) != 2 or kwargs:
            return NotImplemented
        other = args[1]
        if isinstance(other, torch.Tensor) and not other.is_meta:
            return NotImplemented
        shape = torch.broadcast_shapes(first.shape, other.shape) if isinstance(other, torch.Tensor) else first.shape
        dtype = torch.result_type(first, other)
        if func in _DIVISIONS and not dtype.is_floating_point:
            return NotImplemented  # integers divided give floats: torch knows which
        return _empty(shape, dtype)
    if kind == "conv":
        shape = _conv_shape(args, kwargs)
        return NotImplemented if shape is None else _empty(shape, first.dtype)
    if kind == "adaptive pool":
        shape = _pooled_shape(args, kwargs)
        return NotImplemented if shape is None else _empty(shape, first.dtype)
    if len(args) >= 2 and isinstance(args[1], torch.Tensor) and args[1].dim() == 2 and first.dim() >= 1 \
            and first.shape[-1] == args[1].shape[1]:  # linear
        return _empty((*first.shape[:-1], args[1].shape[0]), first.dtype)
    return NotImplemented


_INPLACE_LAST = frozenset({F.relu, F.relu6, F.hardswish, F.hardsigmoid, F.silu, F.mish, F.elu})
"""Functions whose last positional argument is ``inplace``."""


class MetaShortcuts(TorchFunctionMode):
    """Answers, on meta tensors, the calls whose result is known without running them (see the module)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        answer = _meta_answer(func, args, kwargs)
        return func(*args, **kwargs) if answer is NotImplemented else answer


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
