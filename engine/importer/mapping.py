"""Which catalogue block computes each operation of a traced network, with which parameters.

``map_node`` looks at one torch.fx node (its shapes recorded by
``tracing.propagate_shapes``) and answers with a ``Block`` (a catalogue
type, its parameters and its tensor inputs), a ``PassThrough`` (an
operation that changes nothing, such as ``nn.Identity``), ``SHAPE_QUERY``
(``x.size(0)`` and friends, which only feed a flatten), or an
``Unsupported`` saying what no block can do. A layer is only mapped when
its configuration is one the block reproduces exactly (zero padding,
running statistics, ...); anything else is reported, never approximated.
"""
from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

from ..catalogue import ParamError, block
from ..catalogue.layers import L2Normalize
from ..catalogue.spec import as_pair
from .errors import Unsupported

SHAPE_QUERY = "shape query"
"""The answer for ``x.size(0)``, ``x.shape``, ``x.shape[0]``: no block, only an argument of a flatten."""


@dataclass(frozen=True)
class Block:
    """An operation a catalogue block computes."""

    type_id: str
    params: dict[str, Any]
    inputs: tuple[fx.Node, ...]
    """The tensors it reads, in connection order (an Add's main branch first)."""
    module_path: str | None = None
    """For a layer: its path in the original module, where its weights are."""
    name_path: str | None = None
    """For a block with no weights that stands for part of a layer (a Conv2dSame's pad): the dotted path its
    name comes from, next to the layer's (``conv_stem_pad``)."""


@dataclass(frozen=True)
class Chain:
    """One layer that is several blocks in a row (timm's ``BatchNormAct2d``: BatchNorm2d, then an activation).
    The first block reads the layer's input; each next one reads the one before (its input is the layer's
    own fx node, which stands for the latest block's result)."""

    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class PassThrough:
    """An operation that returns its input unchanged (``nn.Identity``, ``x.contiguous()``)."""

    source: fx.Node


class _Refusal(Exception):
    def __init__(self, what: str, name: str | None = None) -> None:
        super().__init__(what)
        self.what, self.name = what, name


# --- names and places -------------------------------------------------------------------------


def layer_called(node: fx.Node, traced: fx.GraphModule) -> nn.Module:
    """The layer a ``call_module`` node calls, from a table of ``traced``'s layers made on first use
    (``get_submodule`` walks the path attribute by attribute: slow for a network's thousands of layers)."""
    layers = traced.meta.get("convcanvas_layers")
    if layers is None:
        layers = traced.meta["convcanvas_layers"] = dict(traced.named_modules(remove_duplicate=False))
    layer = layers.get(node.target)
    return layer if layer is not None else traced.get_submodule(node.target)


def operation_name(node: fx.Node, traced: fx.GraphModule) -> str:
    """How people know the operation: ``nn.Conv2d``, ``F.relu``, ``torch.sigmoid``, ``Tensor.mean``."""
    if node.op == "call_module":
        kind = type(layer_called(node, traced))
        return f"nn.{kind.__name__}" if kind.__module__.startswith("torch.nn") else kind.__name__
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    if node.op == "call_function":
        module = getattr(node.target, "__module__", None) or ""
        name = getattr(node.target, "__name__", str(node.target))
        module = {"_operator": "operator", "torch._C._nn": "F", "torch.nn.functional": "F",
                  "torch._C._VariableFunctions": "torch"}.get(module, module)
        return f"{module}.{name}" if module else name
    if node.op == "get_attr":
        return f"attribute {node.target}"
    return node.op


def owner_path(node: fx.Node) -> str:
    """The module whose forward() made this node: a layer's own path, or the enclosing module's."""
    if node.op == "call_module":
        return str(node.target)
    stack = node.meta.get("nn_module_stack") or {}
    return next(reversed(stack.values()))[0] if stack else ""


def location(node: fx.Node) -> str:
    path = owner_path(node)
    return f"{path} (node {node.name})" if path else f"the top-level forward() (node {node.name})"


# --- shapes and arguments -------------------------------------------------------------------------


def shape_of(value: Any) -> tuple[int, ...] | None:
    """The recorded shape of a tensor-valued node (batch first), or None for anything else."""
    meta = value.meta.get("tensor_meta") if isinstance(value, fx.Node) else None
    shape = getattr(meta, "shape", None)
    return tuple(shape) if shape is not None else None


def _argument(node: fx.Node, index: int, name: str, default: Any = None) -> Any:
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(name, default)


def _tensor(value: Any, what: str = "input") -> fx.Node:
    if not isinstance(value, fx.Node) or shape_of(value) is None:
        raise _Refusal(f"its {what} is not a tensor computed by the network ({value!r})")
    _check_rank(value)
    return value


def _check_rank(value: fx.Node) -> None:
    shape = shape_of(value)
    if len(shape) not in (2, 4):
        raise _Refusal(f"it works on a {len(shape)}-D tensor ({'×'.join(map(str, shape))}); ConvCanvas blocks "
                       "work on images (batch×channels×height×width) or flat vectors (batch×features)")


def _need_rank(value: fx.Node, rank: int, block_title: str) -> None:
    shape = shape_of(value)
    if len(shape) != rank:
        wanted = "batch×channels×height×width images" if rank == 4 else "flat batch×features vectors"
        raise _Refusal(f"it gets a {len(shape)}-D input ({'×'.join(map(str, shape))}); the {block_title} block "
                       f"takes {wanted}")


def _dim(dim: Any, rank: int) -> int:
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise _Refusal(f"its dimension {dim!r} is not a fixed number")
    return dim + rank if dim < 0 else dim


def _constant(value: Any, what: str) -> Any:
    if isinstance(value, fx.Node):
        raise _Refusal(f"its {what} is computed while the network runs; ConvCanvas needs a fixed value")
    return value


def _pair(value: Any, what: str) -> list[int] | int:
    value = _constant(value, what)
    if value is None:
        raise _Refusal(f"its {what} is not set")
    height, width = as_pair(value)
    return height if height == width else [height, width]


def _validated(type_id: str, params: dict[str, Any]) -> dict[str, Any]:
    spec = block(type_id)
    for key, value in params.items():
        try:
            params[key] = spec.param(key).validate(value)
        except ParamError as error:
            raise _Refusal(f"its {key} {value!r} is outside what the {spec.title} block allows: {error}") from None
    return params


def _block(type_id: str, params: dict[str, Any], inputs, module_path: str | None = None) -> Block:
    return Block(type_id, _validated(type_id, params), tuple(inputs), module_path)


# --- layers (call_module) -------------------------------------------------------------------------


def _conv(layer: nn.Conv2d) -> tuple[str, dict[str, Any]]:
    if layer.padding_mode != "zeros":
        raise _Refusal(f"padding_mode={layer.padding_mode!r}: the Conv2d block pads with zeros only")
    padding = layer.padding if isinstance(layer.padding, str) else _pair(layer.padding, "padding")
    return "conv2d", {"out_channels": layer.out_channels, "kernel_size": _pair(layer.kernel_size, "kernel size"),
                      "stride": _pair(layer.stride, "stride"), "padding": padding,
                      "dilation": _pair(layer.dilation, "dilation"), "groups": layer.groups,
                      "bias": layer.bias is not None}


def _conv_transpose(layer: nn.ConvTranspose2d) -> tuple[str, dict[str, Any]]:
    if layer.padding_mode != "zeros":
        raise _Refusal(f"padding_mode={layer.padding_mode!r}: the ConvTranspose2d block pads with zeros only")
    return "convtranspose2d", {
        "out_channels": layer.out_channels, "kernel_size": _pair(layer.kernel_size, "kernel size"),
        "stride": _pair(layer.stride, "stride"), "padding": _pair(layer.padding, "padding"),
        "output_padding": _pair(layer.output_padding, "output padding"), "dilation": _pair(layer.dilation, "dilation"),
        "groups": layer.groups, "bias": layer.bias is not None}


def _upsample(layer: nn.Upsample) -> tuple[str, dict[str, Any]]:
    if layer.mode not in ("nearest", "bilinear"):
        raise _Refusal(f"mode={layer.mode!r}: the Upsample block interpolates nearest or bilinear")
    scale = layer.scale_factor
    if isinstance(scale, (tuple, list)):
        if len(set(scale)) != 1:
            raise _Refusal(f"scale_factor={tuple(scale)}: the Upsample block scales height and width alike")
        scale = scale[0]
    params = {"mode": layer.mode, "align_corners": bool(layer.align_corners)}
    if layer.size is not None:
        return "upsample", {**params, "size": _pair(layer.size, "size")}
    return "upsample", {**params, "scale_factor": float(scale)}


def _batchnorm(layer: nn.BatchNorm2d) -> tuple[str, dict[str, Any]]:
    if not layer.track_running_stats:
        raise _Refusal("track_running_stats=False (batch statistics at inference too): the BatchNorm2d block "
                       "keeps running statistics")
    if layer.momentum is None:
        raise _Refusal("momentum=None (a cumulative average): the BatchNorm2d block uses a momentum")
    return "batchnorm2d", {"eps": layer.eps, "momentum": layer.momentum, "affine": layer.affine}


def _activation(function: str, **extra: Any) -> Callable[[nn.Module], tuple[str, dict[str, Any]]]:
    return lambda layer: ("activation", {"function": function, **{k: getattr(layer, v) for k, v in extra.items()}})


def _elu(layer: nn.ELU) -> tuple[str, dict[str, Any]]:
    if layer.alpha != 1.0:
        raise _Refusal(f"alpha={layer.alpha}: the Activation block's ELU has alpha 1")
    return "activation", {"function": "elu"}


def _gelu(layer: nn.GELU) -> tuple[str, dict[str, Any]]:
    if layer.approximate != "none":
        raise _Refusal(f"approximate={layer.approximate!r}: the Activation block's GELU is the exact one")
    return "activation", {"function": "gelu"}


def _softmax(layer: nn.Softmax) -> tuple[str, dict[str, Any]]:
    return "activation", {"function": "softmax", "dim": layer.dim}


def _maxpool(layer: nn.MaxPool2d) -> tuple[str, dict[str, Any]]:
    if layer.return_indices:
        raise _Refusal("return_indices=True: the MaxPool2d block returns the pooled values only")
    return "maxpool2d", {"kernel_size": _pair(layer.kernel_size, "kernel size"),
                         "stride": _pair(layer.stride or layer.kernel_size, "stride"),
                         "padding": _pair(layer.padding, "padding"), "dilation": _pair(layer.dilation, "dilation"),
                         "ceil_mode": bool(layer.ceil_mode)}


def _avgpool(layer: nn.AvgPool2d) -> tuple[str, dict[str, Any]]:
    return _avgpool_params(layer.kernel_size, layer.stride, layer.padding, layer.ceil_mode,
                           layer.count_include_pad, layer.divisor_override)


def _avgpool_params(kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
    if divisor_override is not None:
        raise _Refusal("divisor_override is set: the AvgPool2d block divides by the window size")
    return "avgpool2d", {"kernel_size": _pair(kernel, "kernel size"), "stride": _pair(stride or kernel, "stride"),
                         "padding": _pair(padding, "padding"), "ceil_mode": bool(_constant(ceil_mode, "ceil_mode")),
                         "count_include_pad": bool(_constant(count_include_pad, "count_include_pad"))}


def _adaptive(layer: nn.AdaptiveAvgPool2d) -> tuple[str, dict[str, Any]]:
    return _adaptive_params(layer.output_size)


def _adaptive_params(output_size: Any) -> tuple[str, dict[str, Any]]:
    output_size = _constant(output_size, "output size")
    if output_size is None or (isinstance(output_size, (tuple, list)) and None in output_size):
        raise _Refusal("an output size of None (keep the input's size) is not available in the "
                       "AdaptiveAvgPool2d block")
    return "adaptiveavgpool2d", {"output_size": _pair(output_size, "output size")}


def _flatten(layer: nn.Flatten) -> tuple[str, dict[str, Any]]:
    return "flatten", {"start_dim": layer.start_dim, "end_dim": layer.end_dim}


def _linear(layer: nn.Linear) -> tuple[str, dict[str, Any]]:
    return "dense", {"out_features": layer.out_features, "bias": layer.bias is not None}


def _prelu(layer: nn.PReLU) -> tuple[str, dict[str, Any]]:
    return "prelu", {"per_channel": layer.num_parameters != 1}


def _groupnorm(layer: nn.GroupNorm) -> tuple[str, dict[str, Any]]:
    return "groupnorm", {"groups": layer.num_groups, "eps": layer.eps, "affine": layer.affine}


LAYERS: dict[type[nn.Module], Callable[[Any], tuple[str, dict[str, Any]]]] = {
    nn.Conv2d: _conv,
    nn.ConvTranspose2d: _conv_transpose,
    nn.Upsample: _upsample,
    nn.BatchNorm2d: _batchnorm,
    nn.ReLU: _activation("relu"),
    nn.ReLU6: _activation("relu6"),
    nn.LeakyReLU: _activation("leaky_relu", negative_slope="negative_slope"),
    nn.ELU: _elu,
    nn.GELU: _gelu,
    nn.SiLU: _activation("silu"),
    nn.Sigmoid: _activation("sigmoid"),
    nn.Tanh: _activation("tanh"),
    nn.Softmax: _softmax,
    nn.MaxPool2d: _maxpool,
    nn.AvgPool2d: _avgpool,
    nn.AdaptiveAvgPool2d: _adaptive,
    nn.Flatten: _flatten,
    nn.Linear: _linear,
    nn.Dropout: lambda layer: ("dropout", {"p": layer.p}),
    nn.Hardswish: _activation("hardswish"),
    nn.Hardsigmoid: _activation("hardsigmoid"),
    nn.Mish: _activation("mish"),
    nn.PReLU: _prelu,
    nn.GroupNorm: _groupnorm,
    nn.Dropout2d: lambda layer: ("dropout2d", {"p": layer.p}),
    nn.ChannelShuffle: lambda layer: ("channel_shuffle", {"groups": layer.groups}),
    L2Normalize: lambda layer: ("l2_normalize", {"eps": layer.eps}),
}
SPATIAL_TYPES = ("conv2d", "batchnorm2d", "maxpool2d", "avgpool2d", "adaptiveavgpool2d", "groupnorm", "dropout2d",
                 "channel_shuffle", "layernorm2d", "spatial_mean", "layer_scale", "pointwise_dense", "channel_slice")
"""Blocks that take batch×channels×height×width only."""


def _map_layer(node: fx.Node, layer: nn.Module) -> Block | PassThrough:
    if type(layer) is nn.Identity:
        return PassThrough(_tensor(node.args[0]))
    if node.args and channels_last(node.args[0]):
        return _channels_last_layer(node, layer)
    if isinstance(layer, nn.LayerNorm):
        return _layernorm2d(node, layer)
    if isinstance(layer, nn.BatchNorm2d) and type(layer) is not nn.BatchNorm2d and _is_norm_act(layer):
        return _norm_act(node, layer)
    rule = LAYERS.get(type(layer))
    if rule is None:
        base_class = next((kind for kind in LAYERS if isinstance(layer, kind)), None)
        if base_class is not None and _behaves_as(layer, base_class, node):
            rule = LAYERS[base_class]  # e.g. timm's Linear: only its casting differs
        elif base_class is nn.Conv2d:
            same = _conv_same(node, layer)
            if same is not None:
                return same
    if rule is None:
        base = next((kind.__name__ for kind in LAYERS if isinstance(layer, kind)), None)
        if base:
            raise _Refusal(f"a subclass of nn.{base} that may compute something else; only the plain nn.{base} "
                           "is imported")
        raise _Refusal("ConvCanvas has no block for this layer")
    if len(node.args) != 1 or node.kwargs:
        raise _Refusal("it is called with more than one argument")
    source = _tensor(node.args[0])
    type_id, params = rule(layer)
    return _typed_block(type_id, params, source, str(node.target))


def _typed_block(type_id: str, params: dict[str, Any], source: fx.Node, module_path: str | None = None) -> Block:
    """Checks what the block needs of its input's rank, then builds it."""
    rank = len(shape_of(source))
    if type_id in SPATIAL_TYPES:
        _need_rank(source, 4, block(type_id).title)
    elif type_id == "dense":
        _need_rank(source, 2, "Dense")
    elif type_id == "flatten":
        start, end = _dim(params.pop("start_dim"), rank), _dim(params.pop("end_dim"), rank)
        if (start, end) != (1, rank - 1):
            raise _Refusal("it does not flatten everything but the batch (the Flatten block is "
                           "flatten(x, 1))")
    elif type_id == "activation" and params["function"] == "softmax":
        dim = params.pop("dim")
        if dim is not None and _dim(dim, rank) != 1:
            raise _Refusal(f"softmax over dimension {dim}; the Activation block's Softmax is over dimension 1")
    return _block(type_id, params, (source,), module_path)


# --- channels-last stretches (ConvNeXt: permute → LayerNorm → Linear → GELU → Linear → permute) ------------

_TO_CHANNELS_LAST, _TO_CHANNELS_FIRST = (0, 2, 3, 1), (0, 3, 1, 2)
_ELEMENTWISE_LAYERS = (nn.GELU, nn.ReLU, nn.ReLU6, nn.SiLU, nn.Hardswish, nn.Mish, nn.Dropout, nn.Identity)


def _permutation(node: fx.Node) -> tuple[int, ...] | None:
    """The dims of ``x.permute(...)`` / ``torch.permute(x, ...)``, or None for any other node."""
    if not ((node.op == "call_method" and node.target == "permute")
            or (node.op == "call_function" and node.target is torch.permute)):
        return None
    dims = list(node.args[1:]) or list(node.kwargs.get("dims", ()))
    if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
        dims = list(dims[0])
    return tuple(dims) if all(isinstance(d, int) for d in dims) else None


def channels_last(value: Any) -> bool:
    """True for a batch×H×W×C tensor made by permuting a network's C×H×W maps, directly or through
    per-channel-vector operations (LayerNorm over C, Linear, element-wise activations): ConvNeXt
    computes these, and they map to blocks on the C×H×W maps themselves (LayerNorm2d, PointwiseDense)."""
    if not isinstance(value, fx.Node):
        return False
    if "convcanvas_channels_last" not in value.meta:
        value.meta["convcanvas_channels_last"] = _is_channels_last(value)
    return value.meta["convcanvas_channels_last"]


def _is_channels_last(node: fx.Node) -> bool:
    if _permutation(node) == _TO_CHANNELS_LAST:
        return not channels_last(node.args[0])
    if not node.args or not channels_last(node.args[0]) or _permutation(node) is not None:
        return False
    if node.op == "call_module":
        owner = node.graph.owning_module
        layer = owner.get_submodule(node.target) if owner is not None else None
        return isinstance(layer, (nn.LayerNorm, nn.Linear, *_ELEMENTWISE_LAYERS))
    return node.op in ("call_function", "call_method") and (
        node.target in _ACTIVATION_FUNCTIONS or node.target in _ACTIVATION_METHODS) and \
        _ACTIVATION_FUNCTIONS.get(node.target, _ACTIVATION_METHODS.get(node.target)) != "softmax"


def _permute(node: fx.Node) -> PassThrough:
    dims = _permutation(node)
    source = _tensor(node.args[0])
    if dims == _TO_CHANNELS_LAST and not channels_last(source):
        return PassThrough(source)
    if dims == _TO_CHANNELS_FIRST and channels_last(source):
        return PassThrough(source)
    raise _Refusal(f"it permutes the axes as {dims}; ConvCanvas follows channels-last stretches only from "
                   "permute(0, 2, 3, 1) back to permute(0, 3, 1, 2), with per-channel layers between them")


def _channels_last_layer(node: fx.Node, layer: nn.Module) -> Block | PassThrough:
    """A layer applied to each pixel's channel vector (the input is channels-last)."""
    source = _tensor(node.args[0])
    path = str(node.target)
    if type(layer) is nn.LayerNorm or (isinstance(layer, nn.LayerNorm) and _behaves_as_layernorm(layer)):
        if tuple(layer.normalized_shape) != shape_of(source)[-1:]:
            raise _Refusal(f"it normalises over {tuple(layer.normalized_shape)}, not over the channels")
        return _block("layernorm2d", _layernorm_params(layer), (source,), path)
    if type(layer) is nn.Linear:
        return _block("pointwise_dense", {"out_features": layer.out_features, "bias": layer.bias is not None},
                      (source,), path)
    if type(layer) is nn.Identity:
        return PassThrough(source)
    if type(layer) in LAYERS and isinstance(layer, _ELEMENTWISE_LAYERS):
        type_id, params = LAYERS[type(layer)](layer)
        return _block(type_id, params, (source,), path)
    raise _Refusal("it works on a channels-last tensor (after permute(0, 2, 3, 1)), where only LayerNorm, "
                   "Linear and element-wise activations are followed")


def _behaves_as_layernorm(layer: nn.LayerNorm) -> bool:
    """A LayerNorm subclass (timm's) that computes, on a test input, what nn.LayerNorm computes."""
    if list(layer.children()) or len(layer.normalized_shape) != 1:
        return False
    probe, plain = _probe_copy(layer), _probe_copy(layer)
    plain.__class__ = nn.LayerNorm
    x = torch.randn(2, 3, 4, layer.normalized_shape[0], generator=torch.Generator().manual_seed(1))
    try:
        with torch.no_grad():
            return bool(torch.allclose(probe(x), plain(x), atol=1e-5))
    except Exception:  # noqa: BLE001 - a forward that does something else entirely
        return False


def _layernorm_params(layer: nn.LayerNorm) -> dict[str, Any]:
    if (layer.weight is None) != (layer.bias is None):
        raise _Refusal("it has a weight but no bias: the LayerNorm2d block learns both or neither")
    return {"eps": layer.eps, "affine": layer.weight is not None}


def _layernorm2d(node: fx.Node, layer: nn.LayerNorm) -> Block:
    """A LayerNorm subclass on channels-first maps (torchvision's and timm's LayerNorm2d): imported when it
    computes, on a test input, what the LayerNorm2d block does."""
    if len(node.args) != 1 or node.kwargs:
        raise _Refusal("it is called with more than one argument")
    source = _tensor(node.args[0])
    _need_rank(source, 4, "LayerNorm2d")
    if tuple(layer.normalized_shape) != shape_of(source)[1:2] or not _behaves_as_layernorm2d(layer):
        raise _Refusal("a LayerNorm that does not normalise each pixel over its channels (LayerNorm2d)")
    return _block("layernorm2d", _layernorm_params(layer), (source,), str(node.target))


def _behaves_as_layernorm2d(layer: nn.LayerNorm) -> bool:
    import copy

    from ..catalogue.layers import LayerNorm2d

    channels = layer.normalized_shape[0]
    probe = copy.deepcopy(layer)
    if any(p.is_meta for p in probe.parameters()):  # a model built on the meta device: give it values
        probe = probe.to_empty(device="cpu")
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in probe.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
        reference = LayerNorm2d(channels, eps=layer.eps, affine=layer.weight is not None)
        if layer.weight is not None:
            reference.weight.copy_(probe.weight)
            reference.bias.copy_(probe.bias)
        x = torch.randn(2, channels, 3, 4, generator=generator)
        try:
            return bool(torch.allclose(probe.eval()(x), reference(x), atol=1e-5))
        except Exception:  # noqa: BLE001 - a forward that does something else entirely
            return False


def _probe_copy(layer: nn.Module) -> nn.Module:
    """A copy of ``layer`` with values (random, positive for variances) even when it lives on the meta device."""
    import copy

    probe = copy.deepcopy(layer)
    if any(t.is_meta for t in [*probe.parameters(), *probe.buffers()]):
        probe = probe.to_empty(device="cpu")
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for tensor in [*probe.parameters(), *probe.buffers()]:
            if tensor.is_floating_point():
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
    return probe.eval()


def _behaves_as(layer: nn.Module, base: type[nn.Module], node: fx.Node) -> bool:
    """True when a subclass of a mapped layer (with no layers of its own) computes what ``base`` computes with
    the same attributes, on a test input: a layer known by its behaviour, not by its name."""
    if list(layer.children()) or not node.args or shape_of(node.args[0]) is None:
        return False
    probe = _probe_copy(layer)
    plain = _probe_copy(layer)
    plain.__class__ = base
    shape = list(shape_of(node.args[0]))
    shape[0] = 2
    if len(shape) == 4:  # a small image is enough, as long as the window still fits
        shape[2:] = [min(size, 12) for size in shape[2:]]
    x = torch.randn(shape, generator=torch.Generator().manual_seed(1))
    try:
        with torch.no_grad():
            return bool(torch.allclose(probe(x), plain(x), atol=1e-5))
    except Exception:  # noqa: BLE001 - a layer that does not even run like its base
        return False


# --- TensorFlow's "same" padding (timm's Conv2dSame) -------------------------------------------------------


def _same_border(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's "same" border along one axis: enough for ceil(size / stride) outputs, the odd extra at
    the end (bottom, right)."""
    total = max((-(-size // stride) - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def _conv_same(node: fx.Node, layer: nn.Conv2d) -> Chain | Block | None:
    """A Conv2d subclass that pads its input as TensorFlow's "same" does, then convolves unpadded (timm's
    Conv2dSame): a ZeroPad2d (its border computed for this input's size) and a Conv2d. Known by behaviour:
    None when the layer, on a test input of this size, computes something else."""
    if list(layer.children()) or isinstance(layer.padding, str) or as_pair(layer.padding) != (0, 0) \
            or len(node.args) != 1 or node.kwargs or shape_of(node.args[0]) is None:
        return None
    source = _tensor(node.args[0])
    _need_rank(source, 4, "Conv2d")
    (top, bottom), (left, right) = (_same_border(size, k, s, d) for size, k, s, d in zip(
        shape_of(source)[2:], as_pair(layer.kernel_size), as_pair(layer.stride), as_pair(layer.dilation)))
    border = (left, right, top, bottom)
    probe, plain = _probe_copy(layer), _probe_copy(layer)
    plain.__class__ = nn.Conv2d
    x = torch.randn(1, *shape_of(source)[1:], generator=torch.Generator().manual_seed(1))
    try:
        with torch.no_grad():
            same = bool(torch.allclose(probe(x), plain(F.pad(x, border)), atol=1e-5))
    except Exception:  # noqa: BLE001 - a layer that does not even run like a Conv2d
        return None
    if not same:
        return None
    path = str(node.target)
    type_id, params = _conv(layer)
    conv = _block(type_id, params, (node,) if any(border) else (source,), path)
    if not any(border):
        return conv
    pad = Block("zeropad2d", _validated("zeropad2d", dict(zip(("left", "right", "top", "bottom"), border))),
                (source,), name_path=f"{path}_pad")
    return Chain((pad, conv))


# --- normalisation fused with an activation (timm's BatchNormAct2d) ---------------------------------------


def _is_norm_act(layer: nn.BatchNorm2d) -> bool:
    """A BatchNorm2d subclass holding only an activation (``act``) and a dropout (``drop``) that are mapped
    layers: timm's BatchNormAct2d. Whether it computes BatchNorm2d → act is checked on a test input."""
    children = dict(layer.named_children())
    if not children or set(children) - {"act", "drop"}:
        return False
    act, drop = children.get("act", nn.Identity()), children.get("drop", nn.Identity())
    return (type(act) is nn.Identity or type(act) in LAYERS) and type(drop) in (nn.Identity, nn.Dropout)


def _norm_act(node: fx.Node, layer: nn.BatchNorm2d) -> Chain:
    if len(node.args) != 1 or node.kwargs:
        raise _Refusal("it is called with more than one argument")
    source = _tensor(node.args[0])
    path = str(node.target)
    plain = nn.BatchNorm2d(layer.num_features, eps=layer.eps, momentum=layer.momentum, affine=layer.affine,
                           track_running_stats=layer.track_running_stats)
    _, bn_params = _batchnorm(plain)
    blocks = [_typed_block("batchnorm2d", bn_params, source, path)]
    act = dict(layer.named_children()).get("act", nn.Identity())
    if type(act) is not nn.Identity:
        type_id, params = LAYERS[type(act)](act)
        blocks.append(_block(type_id, params, (node,)))
    # Checked by behaviour: the plain BatchNorm2d and the activation give what the layer gives.
    probe = _probe_copy(layer)
    with torch.no_grad():
        plain.load_state_dict(probe.state_dict(), strict=False)
        x = torch.randn(2, layer.num_features, 3, 3, generator=torch.Generator().manual_seed(1))
        try:
            same = torch.allclose(probe.eval()(x), act.eval()(plain.eval()(x)), atol=1e-5)
        except Exception:  # noqa: BLE001 - a forward that does something else entirely
            same = False
    if not same:
        raise _Refusal("a BatchNorm2d with an activation that computes something other than BatchNorm2d "
                       "followed by its activation")
    return Chain(tuple(blocks))


# --- functions and methods ------------------------------------------------------------------------

_ACTIVATION_FUNCTIONS: dict[Any, str] = {
    F.hardswish: "hardswish", F.hardsigmoid: "hardsigmoid", F.mish: "mish",
    F.relu: "relu", torch.relu: "relu", F.relu_: "relu", torch.relu_: "relu", F.relu6: "relu6",
    F.leaky_relu: "leaky_relu", F.elu: "elu", F.gelu: "gelu", F.silu: "silu", torch.sigmoid: "sigmoid",
    F.sigmoid: "sigmoid", torch.tanh: "tanh", F.tanh: "tanh", F.softmax: "softmax", torch.softmax: "softmax",
}
_ACTIVATION_METHODS = {"relu": "relu", "relu_": "relu", "sigmoid": "sigmoid", "sigmoid_": "sigmoid",
                       "tanh": "tanh", "tanh_": "tanh", "softmax": "softmax"}
_ADD_FUNCTIONS = (operator.add, operator.iadd, torch.add)
_CAT_FUNCTIONS = (torch.cat, torch.concat, torch.concatenate)
_RESHAPES = ("view", "reshape")
_NO_OPS = ("contiguous", "clone")


def _function_activation(node: fx.Node, function: str) -> Block:
    source = _tensor(_argument(node, 0, "input"))
    params: dict[str, Any] = {"function": function}
    if function == "leaky_relu":
        params["negative_slope"] = _constant(_argument(node, 1, "negative_slope", 0.01), "negative slope")
    elif function == "elu" and _constant(_argument(node, 1, "alpha", 1.0), "alpha") != 1.0:
        raise _Refusal("alpha is not 1: the Activation block's ELU has alpha 1")
    elif function == "gelu" and _constant(node.kwargs.get("approximate", "none"), "approximate") != "none":
        raise _Refusal("approximate GELU: the Activation block's GELU is the exact one")
    elif function == "softmax":
        params["dim"] = _constant(_argument(node, 1, "dim"), "dimension")
    return _typed_block("activation", params, source)


def _add(node: fx.Node) -> Block:
    first, second = _argument(node, 0, "input"), _argument(node, 1, "other")
    if node.kwargs.get("alpha", 1) != 1:
        raise _Refusal("it scales the second term (alpha); the Add block adds plainly")
    if not isinstance(first, fx.Node) or not isinstance(second, fx.Node):
        raise _Refusal("it adds a constant; the Add block adds tensors the network computes")
    first, second = _tensor(first), _tensor(second)
    if shape_of(first) != shape_of(second):
        raise _Refusal(f"it broadcasts {_shape_text(first)} and {_shape_text(second)}; the Add block adds "
                       "tensors of one shape")
    return _block("add", {}, (first, second))


def _cat(node: fx.Node) -> Block | PassThrough:
    tensors = _argument(node, 0, "tensors")
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise _Refusal("its tensors are not a fixed list")
    tensors = [_tensor(value) for value in tensors]
    rank = len(shape_of(tensors[0]))
    if _dim(_constant(_argument(node, 1, "dim", 0), "dimension"), rank) != 1:
        raise _Refusal("it joins along a dimension other than 1 (channels); the Concat block joins channels")
    if len(tensors) < 2:
        return PassThrough(tensors[0])
    return _block("concat", {}, tensors)


def _is_batch_size(value: Any, source: fx.Node) -> bool:
    """True for ``source.size(0)``, ``source.shape[0]`` and ``source.size()[0]``."""
    if not isinstance(value, fx.Node):
        return False
    if value.op == "call_method" and value.target == "size":
        return value.args[0] is source and _argument(value, 1, "dim") == 0
    if value.op == "call_function" and value.target is operator.getitem and value.args[1] == 0:
        inner = value.args[0]
        return isinstance(inner, fx.Node) and inner.args and inner.args[0] is source and (
            (inner.op == "call_function" and inner.target is getattr and inner.args[1] == "shape")
            or (inner.op == "call_method" and inner.target == "size" and len(inner.args) == 1))
    return False


def _reshape(node: fx.Node) -> Block:
    """``x.view(x.size(0), -1)`` and the like: a flatten, provided the batch stays the first axis."""
    source = _tensor(node.args[0])
    sizes = list(node.args[1:]) or list(node.kwargs.get("shape", ()))
    if len(sizes) == 1 and isinstance(sizes[0], (list, tuple)):
        sizes = list(sizes[0])
    features = 1
    for size in shape_of(source)[1:]:
        features *= size
    batch_kept = len(sizes) == 2 and (
        (_is_batch_size(sizes[0], source) and sizes[1] in (-1, features)) or (sizes[0] == -1 and sizes[1] == features))
    if not batch_kept:
        raise _Refusal("it reshapes in a way other than flattening each sample (x.view(x.size(0), -1))")
    return _typed_block("flatten", {"start_dim": 1, "end_dim": -1}, source)


def _flatten_call(node: fx.Node) -> Block:
    source = _tensor(_argument(node, 0, "input"))
    start = _constant(_argument(node, 1, "start_dim", 0), "start dimension")
    end = _constant(_argument(node, 2, "end_dim", -1), "end dimension")
    return _typed_block("flatten", {"start_dim": start, "end_dim": end}, source)


def _dropout_call(node: fx.Node) -> Block:
    source = _tensor(_argument(node, 0, "input"))
    return _typed_block("dropout", {"p": _constant(_argument(node, 1, "p", 0.5), "probability")}, source)


def _max_pool_call(node: fx.Node) -> Block:
    source = _tensor(_argument(node, 0, "input"))
    kernel = _argument(node, 1, "kernel_size")
    if _constant(_argument(node, 6, "return_indices", False), "return_indices"):
        raise _Refusal("return_indices=True: the MaxPool2d block returns the pooled values only")
    params = {"kernel_size": _pair(kernel, "kernel size"), "stride": _pair(_argument(node, 2, "stride") or kernel,
                                                                         "stride"),
              "padding": _pair(_argument(node, 3, "padding", 0), "padding"),
              "dilation": _pair(_argument(node, 4, "dilation", 1), "dilation"),
              "ceil_mode": bool(_constant(_argument(node, 5, "ceil_mode", False), "ceil_mode"))}
    return _typed_block("maxpool2d", params, source)


def _avg_pool_call(node: fx.Node) -> Block:
    source = _tensor(_argument(node, 0, "input"))
    type_id, params = _avgpool_params(_argument(node, 1, "kernel_size"), _argument(node, 2, "stride"),
                                      _argument(node, 3, "padding", 0), _argument(node, 4, "ceil_mode", False),
                                      _argument(node, 5, "count_include_pad", True),
                                      _argument(node, 6, "divisor_override"))
    return _typed_block(type_id, params, source)


def _adaptive_call(node: fx.Node) -> Block:
    source = _tensor(_argument(node, 0, "input"))
    type_id, params = _adaptive_params(_argument(node, 1, "output_size"))
    return _typed_block(type_id, params, source)


PARAMETER = "parameter"
"""The answer for a layer's own tensor read directly (ConvNeXt's ``self.layer_scale``): no block, only the
weight of the LayerScale block that multiplies by it."""
SPLIT = "split"
"""The answer for ``x.chunk(2, dim=1)``: no block; each part taken from it is a ChannelSlice."""
_MUL_FUNCTIONS = (operator.mul, operator.imul, torch.mul)


def _scale_attribute(value: Any) -> fx.Node | None:
    """The tensor attribute a multiplication scales by: read directly (torchvision's C×1×1 ``layer_scale``),
    or a C-vector reshaped to 1×C×1×1 (timm's ConvNeXt ``gamma.reshape(1, -1, 1, 1)``); None otherwise."""
    if not isinstance(value, fx.Node):
        return None
    if value.op == "get_attr":
        return value
    if value.op == "call_method" and value.target in ("reshape", "view") and isinstance(value.args[0], fx.Node) \
            and value.args[0].op == "get_attr":
        sizes = list(value.args[1:])
        if len(sizes) == 1 and isinstance(sizes[0], (list, tuple)):
            sizes = list(sizes[0])
        if sizes == [1, -1, 1, 1]:
            return value.args[0]
    return None


def _layer_scale(node: fx.Node, attribute: fx.Node, value: Any) -> Block:
    """``self.layer_scale * x``: a learned C×1×1 (or C, reshaped to 1×C×1×1) per-channel scale."""
    source = _tensor(value)
    _need_rank(source, 4, "LayerScale")
    tensor = _attribute_value(attribute)
    channels = shape_of(source)[1]
    if not isinstance(tensor, torch.Tensor) or tuple(tensor.shape) not in ((channels, 1, 1), (channels,)):
        shape = "×".join(map(str, getattr(tensor, "shape", ()))) or "a number"
        raise _Refusal(f"it multiplies by the attribute {attribute.target} of shape {shape}; the LayerScale block "
                       f"scales each of the {channels} channels (a {channels}×1×1 tensor)")
    if not isinstance(tensor, nn.Parameter):
        raise _Refusal(f"it multiplies by {attribute.target}, a tensor that is not learned; LayerScale's scale is")
    return _block("layer_scale", {"init": 1e-6}, (source,), str(attribute.target))


def _attribute_value(node: fx.Node) -> Any:
    owner = node.graph.owning_module
    value: Any = owner
    for part in str(node.target).split("."):
        value = getattr(value, part)
    return value


def _multiply(node: fx.Node) -> Block:
    first, second = _argument(node, 0, "input"), _argument(node, 1, "other")
    for attribute, value in ((first, second), (second, first)):
        if _scale_attribute(attribute) is not None:
            return _layer_scale(node, _scale_attribute(attribute), value)
    if not isinstance(first, fx.Node) or not isinstance(second, fx.Node):
        raise _Refusal("it multiplies by a constant; the Multiply block multiplies tensors the network computes")
    first, second = _tensor(first), _tensor(second)
    from ..catalogue.gating import broadcast_shape

    shapes = [shape_of(first), shape_of(second)]
    if broadcast_shape(shapes) != shapes[0] and broadcast_shape(shapes) != shapes[1]:
        raise _Refusal(f"it broadcasts {_shape_text(first)} and {_shape_text(second)}; the Multiply block takes one "
                       "shape, or a C×1×1 gate over C×H×W maps")
    # The gated maps first, the gate second, as people draw squeeze-and-excite.
    ordered = (first, second) if shapes[0] == broadcast_shape(shapes) else (second, first)
    return _block("multiply", {}, ordered)


def _mean(node: fx.Node) -> Block:
    """``x.mean((2, 3), keepdim=True)``: the squeeze of squeeze-and-excite."""
    source = _tensor(_argument(node, 0, "input"))
    dims = _constant(_argument(node, 1, "dim"), "dimensions")
    keepdim = _constant(_argument(node, 2, "keepdim", False), "keepdim")
    rank = len(shape_of(source))
    dims = sorted(_dim(d, rank) for d in (dims if isinstance(dims, (list, tuple)) else [dims])) if dims is not None \
        else None
    if rank != 4 or dims != [2, 3]:
        raise _Refusal(f"it averages over dimensions {dims}; the Mean H×W block averages over height and width "
                       "(dims (2, 3))")
    if _argument(node, 3, "dtype") is not None:
        raise _Refusal("it changes the dtype while averaging")
    return _typed_block("spatial_mean", {"keepdim": bool(keepdim)}, source)


def _stochastic_depth(node: fx.Node) -> Block:
    source = _tensor(_argument(node, 0, "input"))
    p = _constant(_argument(node, 1, "p"), "drop rate")
    mode = _constant(_argument(node, 2, "mode"), "mode")
    if mode != "row":
        raise _Refusal(f"mode={mode!r}: the StochasticDepth block drops the branch per sample (\"row\")")
    return _block("stochastic_depth", {"p": float(p)}, (source,))


def _channel_shuffle(node: fx.Node) -> Block:
    source = _tensor(_argument(node, 0, "x"))
    groups = _constant(_argument(node, 1, "groups"), "groups")
    return _typed_block("channel_shuffle", {"groups": groups}, source)


def _split_parts(split: fx.Node) -> list[tuple[int, int]]:
    """The channel ranges of ``x.chunk(n, dim=1)`` / ``x.split(size_or_sizes, dim=1)``."""
    source = _tensor(split.args[0])
    rank = len(shape_of(source))
    name = split.target if isinstance(split.target, str) else getattr(split.target, "__name__", "")
    amount = _constant(_argument(split, 1, "chunks" if name == "chunk" else "split_size_or_sections"), "sizes")
    dim = _constant(_argument(split, 2, "dim", 0), "dimension")
    if _dim(dim, rank) != 1:
        raise _Refusal("it splits along a dimension other than 1 (channels); ChannelSlice takes channels")
    channels = shape_of(source)[1]
    if name == "chunk":
        size = -(-channels // amount)
        sizes = [size] * (channels // size) + ([channels % size] if channels % size else [])
    elif isinstance(amount, int):
        sizes = [amount] * (channels // amount) + ([channels % amount] if channels % amount else [])
    else:
        sizes = list(amount)
    starts = [sum(sizes[:index]) for index in range(len(sizes))]
    return [(start, start + size) for start, size in zip(starts, sizes)]


def _is_split(node: Any) -> bool:
    return isinstance(node, fx.Node) and (
        (node.op == "call_method" and node.target in ("chunk", "split"))
        or (node.op == "call_function" and node.target in (torch.chunk, torch.split)))


def _split(node: fx.Node) -> str:
    """A split is mapped through its parts: each ``getitem`` on it becomes a ChannelSlice."""
    _split_parts(node)
    if any(user.op != "call_function" or user.target is not operator.getitem for user in node.users):
        raise _Refusal("its parts are used as a whole (a tuple); ConvCanvas follows parts taken one by one")
    return SPLIT


def _split_part(node: fx.Node) -> Block:
    split, index = node.args
    parts = _split_parts(split)
    if not isinstance(index, int) or not -len(parts) <= index < len(parts):
        raise _Refusal(f"it takes part {index!r} of a split into {len(parts)}")
    start, stop = parts[index]
    return _typed_block("channel_slice", {"start": start, "stop": stop}, _tensor(split.args[0]))


def _channel_index(node: fx.Node) -> Block | PassThrough:
    """``x[:, a:b]`` (also ``x[:, :b, :, :]``, ``x[:, a:]``): a range of channels, everything else whole."""
    source = _tensor(node.args[0])
    index = node.args[1] if isinstance(node.args[1], tuple) else (node.args[1],)
    whole = slice(None)
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (whole,) * (len(shape_of(source)) - len(index) + 1) + index[at + 1:]
    rest = index[2:]
    if len(index) < 2 or index[0] != whole or not isinstance(index[1], slice) or any(i != whole for i in rest):
        raise _Refusal(f"it indexes the tensor as [{', '.join(map(_index_text, index))}]; ConvCanvas takes a range "
                       "of channels only (x[:, a:b], a ChannelSlice)")
    channels = shape_of(source)[1]
    bounds = index[1]
    if any(isinstance(v, fx.Node) for v in (bounds.start, bounds.stop, bounds.step)):
        raise _Refusal("its channel range is computed while the network runs; ChannelSlice needs fixed numbers")
    start, stop, step = bounds.indices(channels)
    if step != 1 or stop <= start:
        raise _Refusal(f"it takes channels {start}:{stop}:{step}; a ChannelSlice takes a range, every channel")
    if (start, stop) == (0, channels):
        return PassThrough(source)
    return _typed_block("channel_slice", {"start": start, "stop": stop}, source)


def _index_text(item: Any) -> str:
    if isinstance(item, slice):
        return ":".join("" if v is None else str(v) for v in (item.start, item.stop)) + (
            f":{item.step}" if item.step is not None else "")
    return "..." if item is Ellipsis else str(item)


def _known_functions() -> dict[Any, Callable[[fx.Node], Any]]:
    """Functions of torchvision that torch.fx keeps as calls (``fx.wrap``, or ``tracing.LEAF_FUNCTIONS``)."""
    import torchvision

    return {torchvision.ops.stochastic_depth: _stochastic_depth,
            torchvision.models.shufflenetv2.channel_shuffle: _channel_shuffle}


_FUNCTIONS: dict[Any, Callable[[fx.Node], Block | PassThrough]] = {
    torch.flatten: _flatten_call, torch.reshape: _reshape, F.dropout: _dropout_call,
    F.max_pool2d: _max_pool_call, F.avg_pool2d: _avg_pool_call, F.adaptive_avg_pool2d: _adaptive_call,
    **{function: _add for function in _ADD_FUNCTIONS}, **{function: _cat for function in _CAT_FUNCTIONS},
    **{function: _multiply for function in _MUL_FUNCTIONS}, torch.mean: _mean, torch.permute: _permute,
    torch.chunk: _split, torch.split: _split, **_known_functions(),
}


def _map_function(node: fx.Node) -> Block | PassThrough | str:
    target = node.target
    if target is getattr and node.args[1] in ("shape", "ndim"):
        return SHAPE_QUERY
    if getattr(target, "__module__", None) in ("_operator", "math") and "tensor_meta" not in node.meta:
        return SHAPE_QUERY  # arithmetic on sizes (x.size(1) // 2): only ever an argument
    if target in _ACTIVATION_FUNCTIONS:
        return _function_activation(node, _ACTIVATION_FUNCTIONS[target])
    if target is operator.getitem and _is_split(node.args[0]):
        return _split_part(node)
    if target is operator.getitem and shape_of(node.args[0]) is not None:
        return _channel_index(node)
    rule = _FUNCTIONS.get(target)
    if rule is None:
        raise _Refusal("ConvCanvas has no block for this operation")
    return rule(node)


def _map_method(node: fx.Node) -> Block | PassThrough | str:
    name = node.target
    if name in ("size", "dim"):
        return SHAPE_QUERY
    if name in _ACTIVATION_METHODS:
        return _function_activation(node, _ACTIVATION_METHODS[name])
    if name in ("add", "add_"):
        return _add(node)
    if name in ("mul", "mul_"):
        return _multiply(node)
    if name == "mean":
        return _mean(node)
    if name == "permute":
        return _permute(node)
    if name in ("chunk", "split"):
        return _split(node)
    if name in _RESHAPES:
        return _reshape(node)
    if name == "flatten":
        return _flatten_call(node)
    if name in _NO_OPS:
        return PassThrough(_tensor(node.args[0]))
    raise _Refusal("ConvCanvas has no block for this operation")


def _shape_text(value: fx.Node) -> str:
    return "×".join(str(size) for size in shape_of(value))


# --- in-place operations ------------------------------------------------------------------------------


def is_in_place(node: fx.Node, traced: fx.GraphModule) -> bool:
    """True for operations that overwrite their input (``relu_``, ``inplace=True``, ``+=``)."""
    if node.op == "call_module":
        return bool(getattr(layer_called(node, traced), "inplace", False))
    if node.op == "call_method":
        return str(node.target).endswith("_") and not str(node.target).endswith("__")
    if node.op == "call_function":
        name = getattr(node.target, "__name__", "")
        return bool(node.kwargs.get("inplace")) or name.endswith("_") or node.target in (operator.iadd,)
    return False


# --- the entry point ---------------------------------------------------------------------------------------


def map_node(node: fx.Node, traced: fx.GraphModule) -> Block | Chain | PassThrough | str | Unsupported:
    """What ``node`` (a call_module/call_function/call_method/get_attr node) becomes."""
    try:
        if node.op in ("call_function", "call_method") and _permutation(node) is None and not channels_last(node) \
                and any(channels_last(source) for source in node.all_input_nodes):
            raise _Refusal("it works on a channels-last tensor (after permute(0, 2, 3, 1)); permute back to "
                           "channels first (permute(0, 3, 1, 2)) before it")
        if node.op == "call_module":
            return _map_layer(node, layer_called(node, traced))
        if node.op == "call_function":
            return _map_function(node)
        if node.op == "call_method" and _scale_attribute(node) is not None and _only_multiplied(node):
            return PARAMETER  # gamma.reshape(1, -1, 1, 1): the multiplication becomes a LayerScale
        if node.op == "call_method":
            return _map_method(node)
        if node.users and all(_is_multiply(user) or (_scale_attribute(user) is node and _only_multiplied(user))
                              for user in node.users):
            return PARAMETER  # the multiplication that reads it becomes a LayerScale (and checks its shape)
        raise _Refusal("the network reads this tensor attribute directly; only layers' own weights can be imported")
    except _Refusal as refusal:
        return Unsupported(refusal.name or operation_name(node, traced), location(node), refusal.what)


def _is_multiply(node: fx.Node) -> bool:
    return node.op in ("call_function", "call_method") and (node.target in _MUL_FUNCTIONS
                                                             or node.target in ("mul", "mul_"))


def _only_multiplied(node: fx.Node) -> bool:
    return bool(node.users) and all(_is_multiply(user) for user in node.users)


def base_name(node: fx.Node) -> str:
    """A function node's name without fx's numbering (``add_3`` → ``add``)."""
    return re.sub(r"_\d+\Z", "", node.name) or node.name
