"""The block types ConvCanvas offers: one ``BlockSpec`` each.

Shape rules follow PyTorch's own formulas (``torch.nn.Conv2d``'s docs, and
``pooling_output_shape`` in ATen) so that inferred shapes equal what torch
produces; a property-based test holds them to that.

Messages may contain ``{node}``, ``{inputs}`` and ``{source}``: the analysis
fills them with the names of the node, its inputs (with shapes) and its
first input, so every message names the nodes involved.
"""
from __future__ import annotations

import math

from ..data.normalisation_text import check_normalisation
from ..data.windowing import FROM_FILE, WINDOW_CHOICES
from .spec import (
    MAX_CHANNELS,
    MAX_FEATURES,
    MAX_KERNEL,
    MAX_SPATIAL,
    BlockSpec,
    Cost,
    ModuleCall,
    Params,
    ParamSpec,
    PortSpec,
    Shape,
    ShapeError,
    as_pair,
)

SINGLE_INPUT = (PortSpec("in"),)
MANY_INPUTS = (PortSpec("in", variadic=True, min_edges=2),)
OUT = ("out",)


def format_shape(shape: Shape) -> str:
    return "×".join(str(d) for d in shape)


def _pair_text(value) -> str:
    height, width = as_pair(value)
    return f"{height}×{width}"


def _spatial_input(block: str, inputs: list[Shape]) -> Shape:
    """The single input, which must be C×H×W."""
    shape = inputs[0]
    if len(shape) != 3:
        raise ShapeError(
            f"{block} needs a channels×height×width input but {{source}} gives a flat "
            f"vector of {shape[0]:,} features",
            f"Move {{node}} before the Flatten, or remove it.",
        )
    return shape


def _flat_input(block: str, inputs: list[Shape]) -> int:
    shape = inputs[0]
    if len(shape) != 1:
        raise ShapeError(
            f"{block} needs a flat input but {{source}} gives {format_shape(shape)}",
            "Insert a Flatten (or an AdaptiveAvgPool2d then Flatten) between {source} and {node}.",
        )
    return shape[0]


def _window_output(
    size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool = False
) -> int:
    """Output length of a sliding window, exactly as ATen computes it."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if ceil_mode:
        out = -(-span // stride) + 1
        # The last window must start inside the input or its left padding.
        if (out - 1) * stride >= size + padding:
            out -= 1
        return out
    return span // stride + 1


def _check_window(
    block: str, in_hw: tuple[int, int], kernel, stride, padding, dilation, ceil_mode=False
) -> tuple[int, int]:
    kernel, stride, padding, dilation = (as_pair(v) for v in (kernel, stride, padding, dilation))
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    padded = tuple(s + 2 * p for s, p in zip(in_hw, padding))
    if any(e > p for e, p in zip(effective, padded)):
        raise ShapeError(
            f"{block} window {effective[0]}×{effective[1]} is larger than its padded input "
            f"{padded[0]}×{padded[1]} from {{source}}",
            "Use a smaller kernel or dilation, add padding, or downsample less before {node}.",
        )
    out = tuple(
        _window_output(s, k, st, p, d, ceil_mode)
        for s, k, st, p, d in zip(in_hw, kernel, stride, padding, dilation)
    )
    if min(out) < 1:
        raise ShapeError(
            f"{block} output would be {out[0]}×{out[1]}: nothing left",
            "Use a smaller kernel or stride, or add padding.",
        )
    return out


# --- Input -------------------------------------------------------------------


def _input_shape(params: Params, inputs: list[Shape]) -> Shape:
    return (params["channels"], params["height"], params["width"])


INPUT = BlockSpec(
    type_id="input",
    title="Input",
    category="structure",
    summary="Where images enter the network.",
    when=(
        "Every network starts with exactly one. Match it to your images: 1 channel for greyscale, "
        "3 for colour, and the size you want to train at (Adapt network in the Training panel sets "
        "it from the dataset)."
    ),
    doc=(
        "The image tensor fed to the network, one sample at a time: channels "
        "(1 for greyscale, 3 for colour), height and width in pixels. The "
        "dataset is resized and converted to fit this shape."
    ),
    params=(
        ParamSpec("channels", "int", 1, "1 for greyscale images, 3 for RGB.", minimum=1, maximum=64),
        ParamSpec("height", "int", 28, "Image height in pixels.", minimum=1, maximum=MAX_SPATIAL),
        ParamSpec("width", "int", 28, "Image width in pixels.", minimum=1, maximum=MAX_SPATIAL),
        ParamSpec("window", "choice", FROM_FILE, "High-bit-depth images (DICOM, NIfTI, 16-bit PNG/TIFF): which "
                  "band of values becomes black to white. 'file': each file's own window (else its full "
                  "range); lung, bone, soft tissue, brain: the radiology presets in Hounsfield units; "
                  "'manual': the centre and width below. 8-bit images are not affected.",
                  choices=WINDOW_CHOICES, saved_when_default=False),
        ParamSpec("window_centre", "float", 40.0, "Manual window: the value shown mid-grey (window level).",
                  label="Window centre", minimum=-1e6, maximum=1e6, saved_when_default=False),
        ParamSpec("window_width", "float", 400.0, "Manual window: the range of values from black to white.",
                  label="Window width", minimum=1e-3, maximum=1e7, saved_when_default=False),
        ParamSpec("normalisation", "text", "", "Per-channel mean and std the images are normalised with, "
                  "'mean,… / std,…' (the Data view computes them over the training split); empty: computed "
                  "from the training split when the data loads.", label="Normalisation", maximum=400,
                  saved_when_default=False, check=check_normalisation),
    ),
    inputs=(),
    outputs=OUT,
    infer_shape=_input_shape,
    describe=lambda p: f"{p['channels']}×{p['height']}×{p['width']}",
    name_prefix="input",
    shape_formula="C×H×W as set",
)


# --- Convolution -------------------------------------------------------------


def _conv_shape(params: Params, inputs: list[Shape]) -> Shape:
    channels, height, width = _spatial_input("Conv2d", inputs)
    groups, out_channels = params["groups"], params["out_channels"]
    if channels % groups or out_channels % groups:
        raise ShapeError(
            f"groups={groups} must divide both the {channels} input channels from {{source}} "
            f"and the {out_channels} output channels",
            f"Pick groups among the common divisors of {channels} and {out_channels} "
            f"(1 always works; {channels} gives a depthwise convolution if out channels is a multiple).",
        )
    padding = params["padding"]
    if padding == "same":
        if as_pair(params["stride"]) != (1, 1):
            raise ShapeError(
                "padding 'same' only works with stride 1 in PyTorch",
                "Set stride to 1, or replace 'same' by a number (kernel // 2 keeps the size at stride 1).",
            )
        # PyTorch pads asymmetrically as needed, so any input size works.
        return (out_channels, height, width)
    padding = 0 if padding == "valid" else padding
    out_hw = _check_window(
        "Conv2d", (height, width), params["kernel_size"], params["stride"], padding, params["dilation"]
    )
    return (out_channels, *out_hw)


def _conv_cost(params: Params, inputs: list[Shape], output: Shape) -> Cost:
    in_channels = inputs[0][0]
    kh, kw = as_pair(params["kernel_size"])
    per_output = in_channels // params["groups"] * kh * kw
    weights = params["out_channels"] * per_output
    bias = params["out_channels"] if params["bias"] else 0
    return Cost(params=weights + bias, macs=math.prod(output) * per_output)


def _conv_module(params: Params, inputs: list[Shape]) -> ModuleCall:
    padding = params["padding"]
    return ModuleCall(
        "nn.Conv2d",
        (inputs[0][0], params["out_channels"]),
        {
            "kernel_size": as_pair(params["kernel_size"]),
            "stride": as_pair(params["stride"]),
            "padding": padding if isinstance(padding, str) else as_pair(padding),
            "dilation": as_pair(params["dilation"]),
            "groups": params["groups"],
            "bias": params["bias"],
        },
    )


def convolution_kind(params: Params, inputs: list[Shape]) -> str:
    """``"depthwise"`` when each input channel has its own filters (groups = input channels), ``"grouped,
    4 groups"`` between that and an ordinary convolution (``""``): words the inspector shows beside the shape."""
    groups = params.get("groups", 1)
    if groups == 1 or not inputs or len(inputs[0]) != 3:
        return ""
    return "depthwise" if groups == inputs[0][0] else f"grouped, {groups} groups"


def _conv_describe(p: Params) -> str:
    text = f"{_pair_text(p['kernel_size'])}, {p['out_channels']} ch, s{_compact(p['stride'])}"
    if p["padding"] not in (0, "valid"):
        text += f", p{_compact(p['padding'])}"
    if p["groups"] != 1:
        text += f", g{p['groups']}"
    return text


def _compact(value) -> str:
    if isinstance(value, str):
        return value
    height, width = as_pair(value)
    return str(height) if height == width else f"{height}×{width}"


CONV2D = BlockSpec(
    type_id="conv2d",
    title="Conv2d",
    category="convolution",
    summary="Slides learned filters over the image to detect local patterns.",
    when=(
        "The workhorse of image networks: use it to find local patterns, stacking several (3×3 is "
        "the usual kernel) so later ones see larger regions. Use stride 2 or a pooling layer to "
        "shrink the maps, and a 1×1 convolution to change the number of channels cheaply."
    ),
    doc=(
        "A 2-D convolution: each of the out channels is a learned filter of "
        "kernel size × input channels that slides over the input, producing "
        "one feature map per filter. Early layers learn edges and colours, "
        "later ones learn parts of objects. Stride skips positions (shrinking "
        "the map), padding adds a border of zeros ('same' keeps the size), "
        "dilation spaces the kernel taps apart, and groups splits the channels "
        "into independent groups (groups = channels is a depthwise convolution)."
    ),
    params=(
        ParamSpec("out_channels", "int", 16, "Number of filters, i.e. output feature maps.",
                  label="Out channels", minimum=1, maximum=MAX_CHANNELS),
        ParamSpec("kernel_size", "pair", 3, "Filter size: one number, or [height, width].",
                  label="Kernel", minimum=1, maximum=MAX_KERNEL),
        ParamSpec("stride", "pair", 1, "Step between filter positions; 2 halves the size.",
                  minimum=1, maximum=MAX_KERNEL),
        ParamSpec("padding", "padding", 0, "Zeros added around the input; 'same' keeps the size (stride 1).",
                  minimum=0, maximum=MAX_KERNEL, choices=("same", "valid")),
        ParamSpec("dilation", "pair", 1, "Spacing between kernel taps (1 = dense).",
                  minimum=1, maximum=MAX_KERNEL),
        ParamSpec("groups", "int", 1, "Split channels into independent groups.",
                  minimum=1, maximum=MAX_CHANNELS),
        ParamSpec("bias", "bool", True, "Learn an offset per filter (off when a BatchNorm follows)."),
    ),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=_conv_shape,
    cost=_conv_cost,
    module=_conv_module,
    describe=_conv_describe,
    name_prefix="conv",
    shape_formula="H_out = ⌊(H + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1",
)


# --- Normalisation and regularisation ----------------------------------------


def _batchnorm_shape(params: Params, inputs: list[Shape]) -> Shape:
    return _spatial_input("BatchNorm2d", inputs)


BATCHNORM2D = BlockSpec(
    type_id="batchnorm2d",
    title="BatchNorm2d",
    category="normalisation",
    summary="Normalises each channel over the batch, which speeds up training.",
    when=(
        "Right after a convolution (with its bias off) in deeper networks, before the activation, "
        "when training is slow or unstable. Small networks such as LeNet-5 train fine without it."
    ),
    doc=(
        "Batch normalisation rescales each channel to zero mean and unit "
        "variance over the current batch (running averages at inference), then "
        "applies a learned scale and shift. It lets deep networks train faster "
        "and with higher learning rates; put it after a convolution whose bias "
        "is off."
    ),
    params=(
        ParamSpec("eps", "float", 1e-5, "Added to the variance to avoid division by zero.",
                  minimum=1e-12, maximum=1.0),
        ParamSpec("momentum", "float", 0.1, "How fast the running statistics follow the batches.",
                  minimum=0.0, maximum=1.0),
        ParamSpec("affine", "bool", True, "Learn a scale and shift per channel."),
    ),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=_batchnorm_shape,
    cost=lambda p, i, o: Cost(params=2 * i[0][0] if p["affine"] else 0),
    module=lambda p, i: ModuleCall(
        "nn.BatchNorm2d", (i[0][0],), {"eps": p["eps"], "momentum": p["momentum"], "affine": p["affine"]}
    ),
    describe=lambda p: "per channel",
    name_prefix="bn",
    shape_formula="unchanged",
)

DROPOUT = BlockSpec(
    type_id="dropout",
    title="Dropout",
    category="normalisation",
    summary="Randomly zeroes activations while training to reduce overfitting.",
    when=(
        "When the training accuracy runs well ahead of the validation accuracy (overfitting), "
        "typically before or between large Dense layers; p = 0.5 there, less after convolutions."
    ),
    doc=(
        "During training each value is set to zero with probability p and the "
        "rest are scaled by 1/(1−p); at inference it does nothing. It keeps "
        "units from relying on each other, which reduces overfitting, mostly "
        "before large Dense layers."
    ),
    params=(
        ParamSpec("p", "float", 0.5, "Probability of zeroing each value, in [0, 1).",
                  label="Probability", minimum=0.0, maximum=1.0, exclusive_maximum=True),
    ),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=lambda p, i: i[0],
    module=lambda p, i: ModuleCall("nn.Dropout", (), {"p": p["p"]}),
    describe=lambda p: f"p={p['p']:g}",
    name_prefix="dropout",
    shape_formula="unchanged",
)


# --- Activation ----------------------------------------------------------------

ACTIVATIONS: dict[str, str] = {
    "relu": "ReLU",
    "relu6": "ReLU6",
    "leaky_relu": "LeakyReLU",
    "elu": "ELU",
    "gelu": "GELU",
    "silu": "SiLU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
    "softmax": "Softmax",
    "hardswish": "Hardswish",
    "hardsigmoid": "Hardsigmoid",
    "mish": "Mish",
}


def _activation_module(params: Params, inputs: list[Shape]) -> ModuleCall:
    function = params["function"]
    if function == "leaky_relu":
        return ModuleCall("nn.LeakyReLU", (), {"negative_slope": params["negative_slope"]})
    if function == "softmax":
        return ModuleCall("nn.Softmax", (), {"dim": 1})
    return ModuleCall(f"nn.{ACTIVATIONS[function]}")


ACTIVATION = BlockSpec(
    type_id="activation",
    title="Activation",
    category="activation",
    summary="A non-linear function applied to every value (ReLU and friends).",
    when=(
        "After every convolution and every hidden Dense layer; ReLU unless you have a reason. Not "
        "after the last Dense layer: the Output wants raw scores."
    ),
    doc=(
        "Applies a non-linearity element by element; without one, stacked "
        "layers collapse into a single linear map. ReLU (max(0, x)) is the "
        "usual choice; ReLU6 also caps values at 6 (MobileNet); LeakyReLU keeps "
        "a small slope for negatives; ELU, GELU "
        "and SiLU are smooth variants (Mish too); Hardswish and Hardsigmoid are "
        "cheap piecewise-linear SiLU and Sigmoid (MobileNetV3); Sigmoid and Tanh squash to (0, 1) and "
        "(−1, 1); Softmax turns scores into probabilities over the channel axis."
    ),
    params=(
        ParamSpec("function", "choice", "relu", "The non-linearity.", choices=tuple(ACTIVATIONS)),
        ParamSpec("negative_slope", "float", 0.01, "Slope for negative inputs (LeakyReLU only).",
                  label="Negative slope", minimum=0.0, maximum=1.0),
    ),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=lambda p, i: i[0],
    module=_activation_module,
    describe=lambda p: ACTIVATIONS[p["function"]],
    name_prefix="act",
    shape_formula="unchanged",
)


# --- Pooling -------------------------------------------------------------------


def _check_pool_padding(block: str, params: Params) -> None:
    kernel, padding = as_pair(params["kernel_size"]), as_pair(params["padding"])
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        raise ShapeError(
            f"{block} padding {_pair_text(params['padding'])} is more than half its kernel "
            f"{_pair_text(params['kernel_size'])}",
            "PyTorch allows padding of at most kernel // 2; reduce the padding.",
        )


def _maxpool_shape(params: Params, inputs: list[Shape]) -> Shape:
    channels, height, width = _spatial_input("MaxPool2d", inputs)
    _check_pool_padding("MaxPool2d", params)
    out = _check_window(
        "MaxPool2d", (height, width), params["kernel_size"], params["stride"], params["padding"],
        params["dilation"], params["ceil_mode"],
    )
    return (channels, *out)


def _avgpool_shape(params: Params, inputs: list[Shape]) -> Shape:
    channels, height, width = _spatial_input("AvgPool2d", inputs)
    _check_pool_padding("AvgPool2d", params)
    out = _check_window(
        "AvgPool2d", (height, width), params["kernel_size"], params["stride"], params["padding"], 1,
        params["ceil_mode"],
    )
    return (channels, *out)


def _pool_params(with_dilation: bool) -> tuple[ParamSpec, ...]:
    params = [
        ParamSpec("kernel_size", "pair", 2, "Window size: one number, or [height, width].",
                  label="Kernel", minimum=1, maximum=MAX_KERNEL),
        ParamSpec("stride", "pair", 2, "Step between windows (usually the kernel size).",
                  minimum=1, maximum=MAX_KERNEL),
        ParamSpec("padding", "pair", 0, "Border added around the input (at most kernel // 2).",
                  minimum=0, maximum=MAX_KERNEL),
    ]
    if with_dilation:
        params.append(ParamSpec("dilation", "pair", 1, "Spacing between window taps.",
                                minimum=1, maximum=MAX_KERNEL))
    params.append(ParamSpec("ceil_mode", "bool", False, "Round the output size up instead of down.",
                            label="Ceil mode"))
    return tuple(params)


def _pool_describe(p: Params) -> str:
    return f"{_pair_text(p['kernel_size'])}, s{_compact(p['stride'])}"


MAXPOOL2D = BlockSpec(
    type_id="maxpool2d",
    title="MaxPool2d",
    category="pooling",
    summary="Keeps the largest value in each window, shrinking the feature maps.",
    when=(
        "To halve the feature maps between groups of convolutions, as in VGG: it cuts computation "
        "and lets later layers see more of the image."
    ),
    doc=(
        "Slides a window over each channel and keeps its maximum. With a 2×2 "
        "window and stride 2 it halves height and width, keeping the strongest "
        "responses and making the network less sensitive to small shifts."
    ),
    params=_pool_params(with_dilation=True),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=_maxpool_shape,
    module=lambda p, i: ModuleCall(
        "nn.MaxPool2d", (),
        {"kernel_size": as_pair(p["kernel_size"]), "stride": as_pair(p["stride"]),
         "padding": as_pair(p["padding"]), "dilation": as_pair(p["dilation"]), "ceil_mode": p["ceil_mode"]},
    ),
    describe=_pool_describe,
    name_prefix="pool",
    shape_formula="H_out = ⌊(H + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1",
)

AVGPOOL2D = BlockSpec(
    type_id="avgpool2d",
    title="AvgPool2d",
    category="pooling",
    summary="Averages each window, shrinking the feature maps smoothly.",
    when=(
        "Like MaxPool2d, where a smoother summary of each window suits better (LeNet-5); global "
        "averaging is AdaptiveAvgPool2d's job."
    ),
    doc=(
        "Slides a window over each channel and keeps its mean. Like max "
        "pooling it shrinks the maps; it keeps more of the overall response "
        "and less of the single strongest one (LeNet-5 used it)."
    ),
    params=(*_pool_params(with_dilation=False),
            ParamSpec("count_include_pad", "bool", True,
                      "Count the zero border in each window's average; off, each average is over the "
                      "window's real pixels only (timm's ResNet-D shortcut pools this way).",
                      label="Count padding", saved_when_default=False)),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=_avgpool_shape,
    module=lambda p, i: ModuleCall(
        "nn.AvgPool2d", (),
        {"kernel_size": as_pair(p["kernel_size"]), "stride": as_pair(p["stride"]),
         "padding": as_pair(p["padding"]), "ceil_mode": p["ceil_mode"],
         # Only when off, so the Python written for older networks stays as it was.
         **({} if p["count_include_pad"] else {"count_include_pad": False})},
    ),
    describe=_pool_describe,
    name_prefix="avgpool",
    shape_formula="H_out = ⌊(H + 2·padding − kernel) / stride⌋ + 1",
)


def _adaptive_shape(params: Params, inputs: list[Shape]) -> Shape:
    channels, _, _ = _spatial_input("AdaptiveAvgPool2d", inputs)
    return (channels, *as_pair(params["output_size"]))


ADAPTIVEAVGPOOL2D = BlockSpec(
    type_id="adaptiveavgpool2d",
    title="AdaptiveAvgPool2d",
    category="pooling",
    summary="Averages each channel down to a fixed size, whatever the input size.",
    when=(
        "Between the last convolution and the classifier, so the Dense layers no longer depend on "
        "the input size: output size 1 (ResNet) or a small grid such as 6×6 (AlexNet) or 7×7 "
        "(VGG)."
    ),
    doc=(
        "Chooses its windows so the output always has the requested height "
        "and width. With output size 1 it is global average pooling: one "
        "number per channel, the usual bridge from convolutions to the "
        "classifier in ResNets."
    ),
    params=(
        ParamSpec("output_size", "pair", 1, "Output height and width (1 = global average pooling).",
                  label="Output size", minimum=1, maximum=MAX_SPATIAL),
    ),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=_adaptive_shape,
    module=lambda p, i: ModuleCall("nn.AdaptiveAvgPool2d", (as_pair(p["output_size"]),)),
    describe=lambda p: f"to {_pair_text(p['output_size'])}",
    name_prefix="gap",
    shape_formula="C×H×W → C×out_h×out_w",
)


# --- Dense -------------------------------------------------------------------------

FLATTEN = BlockSpec(
    type_id="flatten",
    title="Flatten",
    category="structure",
    summary="Turns C×H×W feature maps into one flat vector for Dense layers.",
    when=(
        "Once, between the convolutional part and the first Dense layer (or the Output)."
    ),
    doc="Lays all values of a sample out in one row: C×H×W becomes C·H·W features.",
    params=(),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=lambda p, i: (math.prod(i[0]),),
    module=lambda p, i: ModuleCall("nn.Flatten"),
    describe=lambda p: "C·H·W",
    name_prefix="flatten",
    shape_formula="C×H×W → C·H·W",
)


def _dense_shape(params: Params, inputs: list[Shape]) -> Shape:
    _flat_input("Dense", inputs)
    return (params["out_features"],)


DENSE = BlockSpec(
    type_id="dense",
    title="Dense",
    category="dense",
    summary="A fully connected layer: every output sees every input.",
    when=(
        "At the end of the network: one or two hidden layers to combine the features (with an "
        "activation after each), and a last one with as many units as there are classes."
    ),
    doc=(
        "A linear layer (torch.nn.Linear): each of the units computes a "
        "weighted sum of all input features plus a bias. Dense layers combine "
        "the features found by the convolutions into a decision; the last one "
        "has one unit per class."
    ),
    params=(
        ParamSpec("out_features", "int", 128, "Number of units (outputs).",
                  label="Units", minimum=1, maximum=MAX_FEATURES),
        ParamSpec("bias", "bool", True, "Learn an offset per unit."),
    ),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=_dense_shape,
    cost=lambda p, i, o: Cost(
        params=i[0][0] * p["out_features"] + (p["out_features"] if p["bias"] else 0),
        macs=i[0][0] * p["out_features"],
    ),
    module=lambda p, i: ModuleCall(
        "nn.Linear", (i[0][0], p["out_features"]), {"bias": p["bias"]}
    ),
    describe=lambda p: f"{p['out_features']} units",
    name_prefix="fc",
    shape_formula="F → units",
)


# --- Structure -------------------------------------------------------------------


def add_tensors(tensors: list):
    """The Add block's computation (a module-level function so torch.fx can call it)."""
    total = tensors[0]
    for tensor in tensors[1:]:
        total = total + tensor
    return total


def concat_channels(tensors: list):
    """The Concat block's computation: join along dim 1 (channels, or features)."""
    import torch

    return torch.cat(tensors, dim=1)


def _add_shape(params: Params, inputs: list[Shape]) -> Shape:
    if any(shape != inputs[0] for shape in inputs):
        raise ShapeError(
            "Add needs inputs of one shape but gets {inputs}",
            "Make the branches agree: on the shortcut add a 1×1 Conv2d with the main branch's "
            "stride and channel count (the ResNet downsample rule).",
        )
    return inputs[0]


ADD = BlockSpec(
    type_id="add",
    title="Add",
    category="structure",
    summary="Sums its inputs element by element: the residual connection.",
    when=(
        "For residual (ResNet) blocks: add a block's input to its output. The shapes must agree, "
        "so on the shortcut put a 1×1 Conv2d where the main branch changes the stride or the "
        "channel count."
    ),
    doc=(
        "Adds any number of inputs of the same shape. A shortcut that adds a "
        "block's input to its output (a residual connection, as in ResNet) "
        "lets very deep networks train."
    ),
    params=(),
    inputs=MANY_INPUTS,
    outputs=OUT,
    infer_shape=_add_shape,
    function=add_tensors,
    expression=lambda p, args: " + ".join(args),
    describe=lambda p: "sum",
    name_prefix="add",
    shape_formula="all inputs alike → same shape",
)


def _concat_shape(params: Params, inputs: list[Shape]) -> Shape:
    ranks = {len(shape) for shape in inputs}
    sizes = {shape[1:] for shape in inputs}
    if ranks == {3} and len(sizes) == 2 and all(
            abs(a - b) == 1 or a == b for a, b in zip(*sorted(sizes))):
        # A U-Net on an odd size: pooling rounded 2k+1 down to k and upsampling gave 2k.
        raise ShapeError(
            "Concat joins along channels, so heights and widths must match, but gets {inputs}: "
            "they differ by one pixel",
            "An odd size was halved (pooling rounds down) and doubled back: make the Input's height and width "
            "divisible by 2 for every pooling level (e.g. 64, 128), or give the upsampling block a fixed size.")
    if len(ranks) != 1 or (ranks == {3} and len(sizes) != 1):
        raise ShapeError(
            "Concat joins along channels, so heights and widths must match, but gets {inputs}",
            "Resize the branches to the same height and width (pooling, stride or padding) before {node}.",
        )
    return (sum(shape[0] for shape in inputs), *inputs[0][1:])


CONCAT = BlockSpec(
    type_id="concat",
    title="Concat",
    category="structure",
    summary="Stacks its inputs along the channel axis.",
    when=(
        "To combine parallel branches that looked at the same input differently (Inception-style "
        "modules, DenseNet), or to merge features of two paths of the same size."
    ),
    doc=(
        "Joins inputs with the same height and width into one tensor whose "
        "channels are all of theirs, in the order the edges were connected "
        "(as in Inception and DenseNet). Flat inputs are joined end to end."
    ),
    params=(),
    inputs=MANY_INPUTS,
    outputs=OUT,
    infer_shape=_concat_shape,
    function=concat_channels,
    expression=lambda p, args: f"torch.cat([{', '.join(args)}], dim=1)",
    describe=lambda p: "channels",
    name_prefix="concat",
    shape_formula="C₁×H×W, C₂×H×W → (C₁+C₂)×H×W",
)


def _output_shape(params: Params, inputs: list[Shape]) -> Shape:
    # What the Output must receive depends on the project's task (class scores, or a mask of
    # per-pixel scores): the analysis asks the task (engine.tasks), so any shape passes here.
    return inputs[0]


OUTPUT = BlockSpec(
    type_id="output",
    title="Output",
    category="structure",
    summary="The network's result: class scores, or a mask of per-pixel class scores.",
    when=(
        "Exactly once, at the end: fed by a Dense layer with one unit per class (classification), or by a "
        "1×1 Conv2d with one channel per class at the Input's size (segmentation)."
    ),
    doc=(
        "Marks what the network returns. For classification: a flat vector with one score (logit) "
        "per class. For segmentation: classes×height×width scores, one per class for every pixel, "
        "at the Input's height and width. Training applies softmax cross-entropy to it, so do not "
        "put a Softmax activation right before it."
    ),
    params=(),
    inputs=SINGLE_INPUT,
    outputs=(),
    infer_shape=_output_shape,
    describe=lambda p: "class scores",
    name_prefix="output",
    shape_formula="F class scores, or K×H×W per-pixel scores",
)


CORE_BLOCKS: tuple[BlockSpec, ...] = (
    INPUT, CONV2D, BATCHNORM2D, ACTIVATION, MAXPOOL2D, AVGPOOL2D, ADAPTIVEAVGPOOL2D,
    FLATTEN, DENSE, DROPOUT, ADD, CONCAT, OUTPUT,
)
