"""ONNX operators translated to the torch calls a traced PyTorch module shows (the table ``OPERATORS``).

Each rule reads the operator's attributes as its opset defines them (with
the defaults of the ONNX specification) and either emits the call through
``OnnxGraphBuilder`` or raises ``NotMapped`` saying what is not supported.
Only what the catalogue has blocks for is translated; the ordinary importer
then maps the calls to blocks and checks them.
"""
from __future__ import annotations

import math
import operator
from typing import Any, Callable

import numpy as np
import torch
from torch import nn

from .building import NotMapped, OnnxGraphBuilder, name


def attributes(node) -> dict[str, Any]:
    from onnx import helper

    return {attribute.name: helper.get_attribute_value(attribute) for attribute in node.attribute}


def _symmetric(pads, what: str) -> tuple[int, int]:
    pads = list(pads or [0, 0, 0, 0])
    if len(pads) != 4:
        raise NotMapped(f"its {what} pads {pads} are not 2-D")
    top, left, bottom, right = pads
    if (top, left) != (bottom, right):
        raise NotMapped(f"it pads unevenly ({pads}: top, left, bottom, right); ConvCanvas's layers pad each side "
                        "alike")
    return top, left


def _padding(attrs: dict, kernel, strides, dilations) -> tuple[int, int]:
    auto = attrs.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto in ("NOTSET", ""):
        return _symmetric(attrs.get("pads"), "")
    if auto == "VALID":
        return 0, 0
    total = [d * (k - 1) for k, d in zip(kernel, dilations)]
    if any(s != 1 for s in strides) or any(t % 2 for t in total):
        raise NotMapped(f"auto_pad={auto} with stride {list(strides)} pads unevenly; ConvCanvas's layers pad each "
                        "side alike")
    return total[0] // 2, total[1] // 2


def _pair(values, default: int, what: str) -> tuple[int, int]:
    values = list(values) if values is not None else [default, default]
    if len(values) != 2:
        raise NotMapped(f"its {what} {values} is not 2-D; ConvCanvas's layers are 2-D")
    return int(values[0]), int(values[1])


def _copy(parameter: torch.Tensor, array: np.ndarray) -> None:
    value = torch.from_numpy(np.array(array, dtype=np.float32))
    if tuple(value.shape) != tuple(parameter.shape):
        raise NotMapped(f"its weight has shape {list(value.shape)} where {list(parameter.shape)} is needed")
    with torch.no_grad():
        parameter.copy_(value)


# --- layers with weights --------------------------------------------------------------------------------


def conv(build: OnnxGraphBuilder, node) -> None:
    attrs = attributes(node)
    weight = build.constant(node.input[1], "weight")
    bias = build.optional_constant(node, 2, "bias")
    if weight.ndim != 4:
        raise NotMapped(f"it is a {weight.ndim - 2}-D convolution; ConvCanvas's Conv2d is 2-D")
    groups = int(attrs.get("group", 1))
    kernel = weight.shape[2:]
    strides = _pair(attrs.get("strides"), 1, "stride")
    dilations = _pair(attrs.get("dilations"), 1, "dilation")
    layer = nn.Conv2d(weight.shape[1] * groups, weight.shape[0], tuple(kernel), stride=strides,
                      padding=_padding(attrs, kernel, strides, dilations), dilation=dilations, groups=groups,
                      bias=bias is not None)
    _copy(layer.weight, weight)
    if bias is not None:
        _copy(layer.bias, bias)
    build.layer(node, layer, node.input[0], weight=node.input[1])


def conv_transpose(build: OnnxGraphBuilder, node) -> None:
    attrs = attributes(node)
    weight = build.constant(node.input[1], "weight")
    bias = build.optional_constant(node, 2, "bias")
    if weight.ndim != 4:
        raise NotMapped(f"it is a {weight.ndim - 2}-D transposed convolution; ConvCanvas's is 2-D")
    if attrs.get("output_shape"):
        raise NotMapped("it sets output_shape; give the transposed convolution padding and output_padding instead")
    groups = int(attrs.get("group", 1))
    strides = _pair(attrs.get("strides"), 1, "stride")
    dilations = _pair(attrs.get("dilations"), 1, "dilation")
    layer = nn.ConvTranspose2d(weight.shape[0], weight.shape[1] * groups, tuple(weight.shape[2:]), stride=strides,
                               padding=_symmetric(attrs.get("pads"), ""),
                               output_padding=_pair(attrs.get("output_padding"), 0, "output padding"),
                               groups=groups, bias=bias is not None, dilation=dilations)
    _copy(layer.weight, weight)
    if bias is not None:
        _copy(layer.bias, bias)
    build.layer(node, layer, node.input[0], weight=node.input[1])


def batch_norm(build: OnnxGraphBuilder, node) -> None:
    attrs = attributes(node)
    scale, shift, mean, variance = (build.constant(node.input[i], what)
                                    for i, what in enumerate(("scale", "bias", "mean", "variance"), start=1))
    if build.value(node.input[0]).dim() != 4:
        raise NotMapped("it normalises a tensor that is not C×H×W maps; ConvCanvas's BatchNorm2d normalises maps")
    layer = nn.BatchNorm2d(scale.shape[0], eps=float(attrs.get("epsilon", 1e-5)),
                           momentum=1.0 - float(attrs.get("momentum", 0.9)))
    for parameter, array in ((layer.weight, scale), (layer.bias, shift), (layer.running_mean, mean),
                             (layer.running_var, variance)):
        _copy(parameter, array)
    build.layer(node, layer, node.input[0], weight=node.input[1])


def gemm(build: OnnxGraphBuilder, node) -> None:
    attrs = attributes(node)
    if attrs.get("transA", 0):
        raise NotMapped("it transposes its input (transA=1)")
    weight = build.constant(node.input[1], "weight").astype(np.float32)
    bias = build.optional_constant(node, 2, "bias")
    weight = weight if attrs.get("transB", 0) else weight.T
    weight = weight * float(attrs.get("alpha", 1.0))
    if build.value(node.input[0]).dim() != 2:
        raise NotMapped("its input is not one vector per image")
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    _copy(layer.weight, weight)
    if bias is not None:
        bias = np.broadcast_to(np.asarray(bias, dtype=np.float32) * float(attrs.get("beta", 1.0)),
                               (1, weight.shape[0]))[0]
        _copy(layer.bias, bias)
    build.layer(node, layer, node.input[0], weight=node.input[1])


def matmul(build: OnnxGraphBuilder, node) -> None:
    """``x @ W`` with a fixed W: a Linear (its bias folded in when the only use is ``+ b``)."""
    weight = build.constant(node.input[1], "weight matrix")
    if weight.ndim != 2:
        raise NotMapped("it multiplies by a matrix that is not 2-D")
    bias_node, bias = _bias_after(build, node, weight.shape[1])
    layer = nn.Linear(weight.shape[0], weight.shape[1], bias=bias is not None)
    _copy(layer.weight, weight.T)
    if bias is not None:
        _copy(layer.bias, bias)
        build.skipped.add(id(bias_node))
    build.layer(node, layer, node.input[0], weight=node.input[1])
    if bias_node is not None:
        build.nodes[bias_node.output[0]] = build.nodes[node.output[0]]
        build.values[bias_node.output[0]] = build.values[node.output[0]]


def _bias_after(build: OnnxGraphBuilder, node, features: int):
    output = node.output[0]
    users = [user for user in build.model.graph.node if output in user.input]
    if len(users) != 1 or users[0].op_type != "Add":
        return None, None
    other = [value for value in users[0].input if value != output]
    if len(other) != 1 or other[0] not in build.constants:
        return None, None
    bias = build.constants[other[0]]
    if bias.size != features:
        return None, None
    return users[0], bias.reshape(features)


def prelu(build: OnnxGraphBuilder, node) -> None:
    slope = build.constant(node.input[1], "slope")
    channels = build.value(node.input[0]).shape[1] if build.value(node.input[0]).dim() > 1 else 1
    if slope.size not in (1, channels) or (slope.size > 1 and slope.squeeze().ndim != 1):
        raise NotMapped(f"its slope has shape {list(slope.shape)}; PReLU learns one slope or one per channel")
    layer = nn.PReLU(int(slope.size))
    _copy(layer.weight, slope.reshape(-1))
    build.layer(node, layer, node.input[0], weight=node.input[1])


def layer_norm(build: OnnxGraphBuilder, node) -> None:
    attrs = attributes(node)
    scale = build.constant(node.input[1], "scale")
    shift = build.optional_constant(node, 2, "bias")
    rank = build.value(node.input[0]).dim()
    axis = int(attrs.get("axis", -1))
    if (axis % rank) != rank - 1 or scale.ndim != 1:
        raise NotMapped(f"it normalises over axes from {axis}; ConvCanvas's LayerNorm normalises the last axis")
    layer = nn.LayerNorm(scale.shape[0], eps=float(attrs.get("epsilon", 1e-5)), bias=shift is not None)
    _copy(layer.weight, scale)
    if shift is not None:
        _copy(layer.bias, shift)
    build.layer(node, layer, node.input[0], weight=node.input[1])


# --- layers without weights ---------------------------------------------------------------------------


def _simple(factory: Callable[[dict], nn.Module]) -> Callable:
    def rule(build: OnnxGraphBuilder, node) -> None:
        build.layer(node, factory(attributes(node)), node.input[0])
    return rule


def _hardsigmoid(attrs: dict) -> nn.Module:
    alpha, beta = float(attrs.get("alpha", 0.2)), float(attrs.get("beta", 0.5))
    if not (math.isclose(alpha, 1 / 6, rel_tol=1e-5) and math.isclose(beta, 0.5)):
        raise NotMapped(f"alpha={alpha:g}, beta={beta:g}; ConvCanvas's Hardsigmoid is relu6(x + 3) / 6 "
                        "(alpha=1/6, beta=0.5)")
    return nn.Hardsigmoid()


def _softmax(attrs: dict) -> nn.Module:
    return nn.Softmax(dim=int(attrs.get("axis", 1)))


def _gelu(attrs: dict) -> nn.Module:
    approximate = attrs.get("approximate", b"none")
    return nn.GELU(approximate=approximate.decode() if isinstance(approximate, bytes) else approximate)


def clip(build: OnnxGraphBuilder, node) -> None:
    attrs = attributes(node)
    low = build.optional_constant(node, 1, "minimum")
    high = build.optional_constant(node, 2, "maximum")
    low = float(low) if low is not None else attrs.get("min", -math.inf)
    high = float(high) if high is not None else attrs.get("max", math.inf)
    if low == 0 and high == 6:
        layer = nn.ReLU6()
    elif low == 0 and math.isinf(high):
        layer = nn.ReLU()
    else:
        raise NotMapped(f"it clips to [{low:g}, {high:g}]; ConvCanvas has blocks for ReLU (0, ∞) and ReLU6 (0, 6)")
    build.layer(node, layer, node.input[0])


def max_pool(build: OnnxGraphBuilder, node) -> None:
    attrs = attributes(node)
    if len(node.output) > 1 and node.output[1] and build.consumers[node.output[1]]:
        raise NotMapped("the network uses its indices; the MaxPool2d block returns the pooled values only")
    kernel = _pair(attrs.get("kernel_shape"), 1, "kernel")
    strides = _pair(attrs.get("strides"), 1, "stride")
    dilations = _pair(attrs.get("dilations"), 1, "dilation")
    layer = nn.MaxPool2d(kernel, strides, _padding(attrs, kernel, strides, dilations), dilations,
                         ceil_mode=bool(attrs.get("ceil_mode", 0)))
    build.layer(node, layer, node.input[0])


def average_pool(build: OnnxGraphBuilder, node) -> None:
    attrs = attributes(node)
    kernel = _pair(attrs.get("kernel_shape"), 1, "kernel")
    strides = _pair(attrs.get("strides"), 1, "stride")
    padding = _padding(attrs, kernel, strides, (1, 1))
    # ONNX counts padding out by default; torch in. Without padding the two agree.
    include = bool(attrs.get("count_include_pad", 0)) or padding == (0, 0)
    layer = nn.AvgPool2d(kernel, strides, padding, ceil_mode=bool(attrs.get("ceil_mode", 0)),
                         count_include_pad=include)
    build.layer(node, layer, node.input[0])


def reduce_mean(build: OnnxGraphBuilder, node) -> None:
    attrs = attributes(node)
    axes = attrs.get("axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        axes = build.constant(node.input[1], "axes").tolist()
    if axes is None:
        raise NotMapped("it averages over every axis")
    build.function(node, "mean", (name(node.input[0]), tuple(int(a) for a in axes)),
                   {"keepdim": bool(attrs.get("keepdims", 1))}, method=True)


def flatten(build: OnnxGraphBuilder, node) -> None:
    axis = int(attributes(node).get("axis", 1))
    if axis != 1:
        raise NotMapped(f"it flattens from axis {axis}; ConvCanvas's Flatten keeps the batch axis (axis 1)")
    build.function(node, torch.flatten, (name(node.input[0]), 1))


def reshape(build: OnnxGraphBuilder, node) -> None:
    """Flattening each sample (the exported ``x.view(x.size(0), -1)``) is the reshape ConvCanvas follows."""
    sizes = [int(size) for size in build.constant(node.input[1], "target shape").tolist()]
    source = build.value(node.input[0])
    features = int(np.prod(source.shape[1:]))
    if len(sizes) == 2 and sizes[1] in (-1, features) and sizes[0] in (-1, 0, 1, source.shape[0]):
        build.function(node, "reshape", (name(node.input[0]), -1, features), method=True)
        return
    raise NotMapped(f"it reshapes to {sizes}; ConvCanvas follows a reshape only where it flattens each sample")


def concat(build: OnnxGraphBuilder, node) -> None:
    axis = int(attributes(node)["axis"])
    build.function(node, torch.cat, ([name(value) for value in node.input],), {"dim": axis})


def transpose(build: OnnxGraphBuilder, node) -> None:
    perm = attributes(node).get("perm")
    if perm is None:
        raise NotMapped("it reverses every axis")
    build.function(node, "permute", (name(node.input[0]), *[int(p) for p in perm]), method=True)


def _binary(function: Callable) -> Callable:
    def rule(build: OnnxGraphBuilder, node) -> None:
        first, second = node.input[0], node.input[1]
        if first in build.constants and second in build.constants:
            raise NotMapped("it computes on constants only")
        args = []
        for value in (first, second):
            if value in build.constants:
                array = build.constants[value]
                if array.size == 1:
                    args.append(float(array.reshape(-1)[0]))
                else:
                    args.append(build.parameter(node, value, array.astype(np.float32)))
            else:
                args.append(name(value))
        build.function(node, function, tuple(args))
    return rule


def resize(build: OnnxGraphBuilder, node) -> None:
    """``nn.Upsample``: nearest (floor, asymmetric: torch's) or bilinear (with or without aligned corners)."""
    attrs = attributes(node)
    mode = _text(attrs.get("mode", b"nearest"))
    transform = _text(attrs.get("coordinate_transformation_mode", b"half_pixel"))
    source = build.value(node.input[0])
    scales = sizes = None
    if node.op_type == "Upsample":
        scales = attrs.get("scales") or build.optional_constant(node, 1, "scales")
    else:
        scales = build.optional_constant(node, 2, "scales")
        sizes = build.optional_constant(node, 3, "sizes")
    if mode == "nearest":
        nearest = _text(attrs.get("nearest_mode", b"round_prefer_floor"))
        if node.op_type == "Resize" and (transform != "asymmetric" or nearest != "floor"):
            raise NotMapped(f"nearest resizing with {transform} coordinates rounded {nearest}; ConvCanvas's "
                            "Upsample is torch's (asymmetric, floor)")
        options = {"mode": "nearest"}
    elif mode == "linear" and source.dim() == 4:
        if transform not in ("half_pixel", "pytorch_half_pixel", "align_corners"):
            raise NotMapped(f"bilinear resizing with {transform} coordinates; ConvCanvas's Upsample aligns corners "
                            "or half pixels")
        options = {"mode": "bilinear", "align_corners": transform == "align_corners"}
    else:
        raise NotMapped(f"it resizes with mode {mode}; ConvCanvas's Upsample is nearest or bilinear")
    if sizes is not None and np.size(sizes):
        sizes = [int(size) for size in np.asarray(sizes).tolist()]
        if sizes[:2] != list(source.shape[:2]) and sizes[1] != source.shape[1]:
            raise NotMapped(f"it resizes to {sizes}, changing more than height and width")
        layer = nn.Upsample(size=tuple(sizes[2:]), **options)
    elif scales is not None and np.size(scales) == 4:
        scales = [float(scale) for scale in np.asarray(scales).tolist()]
        if scales[:2] != [1.0, 1.0]:
            raise NotMapped(f"it scales by {scales}, changing more than height and width")
        factor = tuple(int(s) if float(s).is_integer() else s for s in scales[2:])
        layer = nn.Upsample(scale_factor=factor[0] if factor[0] == factor[1] else factor, **options)
    else:
        raise NotMapped("its scale or size is not given as a constant for the four axes")
    build.layer(node, layer, node.input[0])


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def identity(build: OnnxGraphBuilder, node) -> None:
    build.alias(node, node.input[0])


OPERATORS: dict[str, Callable[[OnnxGraphBuilder, Any], None]] = {
    "Conv": conv, "ConvTranspose": conv_transpose, "BatchNormalization": batch_norm, "Gemm": gemm,
    "MatMul": matmul, "PRelu": prelu, "LayerNormalization": layer_norm,
    "Relu": _simple(lambda a: nn.ReLU()), "Sigmoid": _simple(lambda a: nn.Sigmoid()),
    "Tanh": _simple(lambda a: nn.Tanh()), "HardSwish": _simple(lambda a: nn.Hardswish()),
    "HardSigmoid": _simple(_hardsigmoid), "Mish": _simple(lambda a: nn.Mish()), "Gelu": _simple(_gelu),
    "LeakyRelu": _simple(lambda a: nn.LeakyReLU(float(a.get("alpha", 0.01)))),
    "Elu": _simple(lambda a: nn.ELU(float(a.get("alpha", 1.0)))), "Softmax": _simple(_softmax),
    "GlobalAveragePool": _simple(lambda a: nn.AdaptiveAvgPool2d(1)),
    "Clip": clip, "MaxPool": max_pool, "AveragePool": average_pool, "ReduceMean": reduce_mean,
    "Flatten": flatten, "Reshape": reshape, "Concat": concat, "Transpose": transpose,
    "Add": _binary(operator.add), "Mul": _binary(operator.mul), "Sub": _binary(operator.sub),
    "Div": _binary(operator.truediv), "Identity": identity, "Dropout": identity, "Resize": resize,
    "Upsample": resize,
}
