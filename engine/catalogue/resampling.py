"""Blocks that make feature maps larger again: ConvTranspose2d, Upsample and ZeroPad2d.

Decoders (U-Net, FCN) need the first two to bring a segmentation mask back to the
Input's size; ZeroPad2d is the uneven border of TensorFlow's "same" padding. Shape rules follow torch's docs for ``nn.ConvTranspose2d`` and
``nn.Upsample`` (``floor(size × scale)``); the property tests hold them to torch.
"""
from __future__ import annotations

import math

from .spec import (
    MAX_CHANNELS,
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
OUT = ("out",)


def _spatial(block: str, inputs: list[Shape]) -> Shape:
    shape = inputs[0]
    if len(shape) != 3:
        raise ShapeError(
            f"{block} needs a channels×height×width input but {{source}} gives a flat vector of {shape[0]:,} features",
            "Move {node} before the Flatten, or remove it.")
    return shape


def _text(value) -> str:
    height, width = as_pair(value)
    return str(height) if height == width else f"{height}×{width}"


# --- ConvTranspose2d --------------------------------------------------------------


def _transpose_shape(params: Params, inputs: list[Shape]) -> Shape:
    channels, height, width = _spatial("ConvTranspose2d", inputs)
    groups, out_channels = params["groups"], params["out_channels"]
    if channels % groups or out_channels % groups:
        raise ShapeError(
            f"groups={groups} must divide both the {channels} input channels from {{source}} "
            f"and the {out_channels} output channels",
            f"Pick groups among the common divisors of {channels} and {out_channels} (1 always works).")
    kernel, stride, padding, extra, dilation = (as_pair(params[name]) for name in (
        "kernel_size", "stride", "padding", "output_padding", "dilation"))
    if any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise ShapeError(
            f"output padding {_text(params['output_padding'])} must be smaller than the stride "
            f"{_text(params['stride'])} or the dilation",
            "Output padding only picks among the sizes a stride can give: use 0, or at most stride − 1.")
    out = tuple((size - 1) * s - 2 * p + d * (k - 1) + e + 1
                for size, k, s, p, e, d in zip((height, width), kernel, stride, padding, extra, dilation))
    if min(out) < 1:
        raise ShapeError(f"ConvTranspose2d output would be {out[0]}×{out[1]}: its padding removes everything",
                         "Use less padding, or a larger kernel or stride.")
    return (out_channels, *out)


def _transpose_cost(params: Params, inputs: list[Shape], output: Shape) -> Cost:
    # Every input value is multiplied with a whole kernel: torch's flop counter counts it so.
    in_channels, height, width = inputs[0]
    kh, kw = as_pair(params["kernel_size"])
    per_input = params["out_channels"] // params["groups"] * kh * kw
    bias = params["out_channels"] if params["bias"] else 0
    return Cost(params=in_channels * per_input + bias, macs=in_channels * height * width * per_input)


def _transpose_module(params: Params, inputs: list[Shape]) -> ModuleCall:
    return ModuleCall("nn.ConvTranspose2d", (inputs[0][0], params["out_channels"]), {
        "kernel_size": as_pair(params["kernel_size"]), "stride": as_pair(params["stride"]),
        "padding": as_pair(params["padding"]), "output_padding": as_pair(params["output_padding"]),
        "groups": params["groups"], "bias": params["bias"], "dilation": as_pair(params["dilation"])})


CONVTRANSPOSE2D = BlockSpec(
    type_id="convtranspose2d",
    title="ConvTranspose2d",
    category="convolution",
    summary="A learned upsampling: the mirror image of a strided convolution.",
    when=(
        "In the decoder of a segmentation network (U-Net, FCN) to double the feature maps' size with "
        "learned weights: kernel 2, stride 2. Upsample then a Conv2d does the same without its "
        "checkerboard artefacts."
    ),
    doc=(
        "A transposed convolution (sometimes called deconvolution): each input value scatters a "
        "learned kernel into a larger output, so stride 2 doubles the height and width. It is the "
        "gradient of a Conv2d with the same settings, which is why padding shrinks the output here. "
        "Output padding adds rows and columns on one side to pick between the sizes a stride can give."
    ),
    params=(
        ParamSpec("out_channels", "int", 16, "Number of output feature maps.", label="Out channels",
                  minimum=1, maximum=MAX_CHANNELS),
        ParamSpec("kernel_size", "pair", 2, "Kernel size: one number, or [height, width].", label="Kernel",
                  minimum=1, maximum=MAX_KERNEL),
        ParamSpec("stride", "pair", 2, "Upsampling factor: 2 doubles the size.", minimum=1, maximum=MAX_KERNEL),
        ParamSpec("padding", "pair", 0, "Rows and columns removed from each side of the output.",
                  minimum=0, maximum=MAX_KERNEL),
        ParamSpec("output_padding", "pair", 0, "Extra rows and columns on one side (less than the stride).",
                  label="Output padding", minimum=0, maximum=MAX_KERNEL),
        ParamSpec("dilation", "pair", 1, "Spacing between kernel taps (1 = dense).", minimum=1, maximum=MAX_KERNEL),
        ParamSpec("groups", "int", 1, "Split channels into independent groups.", minimum=1, maximum=MAX_CHANNELS),
        ParamSpec("bias", "bool", True, "Learn an offset per output channel."),
    ),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=_transpose_shape,
    cost=_transpose_cost,
    module=_transpose_module,
    describe=lambda p: f"{_text(p['kernel_size'])}, {p['out_channels']} ch, ×{_text(p['stride'])}",
    name_prefix="upconv",
    shape_formula="H_out = (H − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1",
)


# --- Upsample -----------------------------------------------------------------------

UPSAMPLE_MODES = ("nearest", "bilinear")


def _upsample_shape(params: Params, inputs: list[Shape]) -> Shape:
    channels, height, width = _spatial("Upsample", inputs)
    if params["size"]:
        size = as_pair(params["size"])
        if min(size) < 1:
            raise ShapeError(f"Upsample size {_text(params['size'])} has a zero side",
                             "Give both a height and a width, or 0 to use the scale factor.")
        return (channels, *size)
    scale = params["scale_factor"]
    out = (math.floor(height * scale), math.floor(width * scale))
    if min(out) < 1:
        raise ShapeError(f"Upsample by {scale:g} turns {height}×{width} into {out[0]}×{out[1]}: nothing left",
                         "Use a scale factor of at least 1 (Upsample enlarges; pooling shrinks).")
    if max(out) > MAX_SPATIAL:
        raise ShapeError(f"Upsample by {scale:g} turns {height}×{width} into {out[0]}×{out[1]}, larger than "
                         f"{MAX_SPATIAL:,} pixels", "Use a smaller scale factor.")
    return (channels, *out)


def _upsample_module(params: Params, inputs: list[Shape]) -> ModuleCall:
    size = {"size": as_pair(params["size"])} if params["size"] else {"scale_factor": params["scale_factor"]}
    corners = {"align_corners": params["align_corners"]} if params["mode"] == "bilinear" else {}
    return ModuleCall("nn.Upsample", (), {**size, "mode": params["mode"], **corners})


def _upsample_describe(p: Params) -> str:
    how = f"to {_text(p['size'])}" if p["size"] else f"×{p['scale_factor']:g}"
    return f"{how}, {p['mode']}"


UPSAMPLE = BlockSpec(
    type_id="upsample",
    title="Upsample",
    category="pooling",
    summary="Enlarges the feature maps by interpolation, with no weights.",
    when=(
        "In a decoder, to bring the maps back towards the Input's size (scale 2 undoes a 2×2 pooling), "
        "usually followed by a Conv2d; or, with a size, to make a mask exactly the Input's size."
    ),
    doc=(
        "Resizes each channel by a scale factor (or to a fixed size) without learning anything: "
        "nearest repeats pixels, bilinear blends the four nearest ones (align corners keeps the corner "
        "pixels of input and output aligned). The size, when not 0, overrides the scale factor."
    ),
    params=(
        ParamSpec("scale_factor", "float", 2.0, "How much larger: 2 doubles height and width.",
                  label="Scale factor", minimum=0.01, maximum=64.0),
        ParamSpec("size", "pair", 0, "A fixed output size, one number or [height, width] (0: use the scale).",
                  minimum=0, maximum=MAX_SPATIAL),
        ParamSpec("mode", "choice", "nearest", "How new pixels are computed.", choices=UPSAMPLE_MODES),
        ParamSpec("align_corners", "bool", False, "Bilinear only: align the corner pixels of input and output.",
                  label="Align corners"),
    ),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=_upsample_shape,
    module=_upsample_module,
    describe=_upsample_describe,
    name_prefix="up",
    shape_formula="H_out = ⌊H · scale⌋, or the size given",
)


# --- ZeroPad2d -----------------------------------------------------------------------

_SIDES = ("left", "right", "top", "bottom")


def _pad_shape(params: Params, inputs: list[Shape]) -> Shape:
    channels, height, width = _spatial("ZeroPad2d", inputs)
    out = (height + params["top"] + params["bottom"], width + params["left"] + params["right"])
    if max(out) > MAX_SPATIAL:
        raise ShapeError(f"ZeroPad2d turns {height}×{width} into {out[0]}×{out[1]}, larger than {MAX_SPATIAL:,} pixels",
                         "Use a smaller border.")
    return (channels, *out)


ZEROPAD2D = BlockSpec(
    type_id="zeropad2d",
    title="ZeroPad2d",
    category="pooling",
    summary="Adds a border of zeros, which may differ on each side.",
    when=(
        "Before a strided convolution ported from TensorFlow (timm's tf_ models, EfficientNet-Lite): "
        "TensorFlow's \"same\" padding puts the odd extra row and column at the bottom and right, which a "
        "Conv2d's own, even padding cannot."
    ),
    doc=(
        "Surrounds each channel with rows and columns of zeros: left and right widen the maps, top and "
        "bottom heighten them. A Conv2d's padding is the same on opposite sides; this block can be uneven."
    ),
    params=tuple(ParamSpec(side, "int", 0, f"Zero columns added on the {side}." if side in ("left", "right")
                           else f"Zero rows added at the {side}.", minimum=0, maximum=MAX_KERNEL) for side in _SIDES),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=_pad_shape,
    module=lambda p, i: ModuleCall("nn.ZeroPad2d", (tuple(p[side] for side in _SIDES),)),
    describe=lambda p: "←{left} →{right} ↑{top} ↓{bottom}".format(**p),
    name_prefix="pad",
    shape_formula="H_out = H + top + bottom, W_out = W + left + right",
)

RESAMPLING_BLOCKS: tuple[BlockSpec, ...] = (CONVTRANSPOSE2D, UPSAMPLE, ZEROPAD2D)
