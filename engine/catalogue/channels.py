"""Blocks that work across channels or pass values through: ChannelShuffle, Mean over H×W,
PointwiseDense, PReLU, Identity."""
from __future__ import annotations

import math

from .blocks import OUT, SINGLE_INPUT, _spatial_input
from .spec import MAX_CHANNELS, MAX_FEATURES, BlockSpec, Cost, ModuleCall, Params, ParamSpec, Shape, ShapeError


def _shuffle_shape(params: Params, inputs: list[Shape]) -> Shape:
    channels, height, width = _spatial_input("ChannelShuffle", inputs)
    groups = params["groups"]
    if channels % groups:
        raise ShapeError(
            f"ChannelShuffle's {groups} groups must divide the {channels} channels from {{source}}",
            f"Use groups that divide {channels} (ShuffleNetV2 uses 2 on an even channel count).",
        )
    return (channels, height, width)


CHANNEL_SHUFFLE = BlockSpec(
    type_id="channel_shuffle",
    title="ChannelShuffle",
    category="structure",
    summary="Interleaves the channels of its groups, so grouped convolutions exchange information.",
    when=(
        "After grouped convolutions or a split-and-concat (ShuffleNet): without it each group only ever "
        "sees its own channels."
    ),
    doc=(
        "Views the C channels as groups × C/groups, transposes that, and flattens it back: channel k of "
        "every group comes next to each other. It has no weights and costs no multiplications."
    ),
    params=(ParamSpec("groups", "int", 2, "Number of groups to interleave; must divide the channels.",
                      minimum=1, maximum=MAX_CHANNELS),),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=_shuffle_shape,
    module=lambda p, i: ModuleCall("ChannelShuffle", (p["groups"],)),
    describe=lambda p: f"{p['groups']} groups",
    name_prefix="shuffle",
    shape_formula="unchanged",
)

SPATIAL_MEAN = BlockSpec(
    type_id="spatial_mean",
    title="Mean H×W",
    category="pooling",
    summary="The mean of each channel over height and width, kept as C×1×1.",
    when=(
        "Where a network writes x.mean((2, 3), keepdim=True): the squeeze of squeeze-and-excite "
        "(EfficientNet, RegNetY) and global pooling; the same numbers as AdaptiveAvgPool2d to 1."
    ),
    doc=("Averages every channel over all its pixels, keeping height and width as 1 (keepdim), or "
         "giving a flat vector of C values without keepdim (x.mean((2, 3)), ShuffleNetV2's and MNASNet's head)."),
    params=(ParamSpec("keepdim", "bool", True, "Keep the averaged axes as 1×1 (off: a flat vector of C values).",
                      label="Keep H×W axes"),),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=lambda p, i: (_spatial_input("Mean H×W", i)[0], 1, 1)[:3 if p["keepdim"] else 1],
    module=lambda p, i: ModuleCall("SpatialMean", (), {"keepdim": p["keepdim"]}),
    describe=lambda p: "to 1×1" if p["keepdim"] else "to C",
    name_prefix="mean",
    shape_formula="C×H×W → C×1×1 (keepdim) or C",
)


def _pointwise_shape(params: Params, inputs: list[Shape]) -> Shape:
    _, height, width = _spatial_input("PointwiseDense", inputs)
    return (params["out_features"], height, width)


POINTWISE_DENSE = BlockSpec(
    type_id="pointwise_dense",
    title="PointwiseDense",
    category="dense",
    summary="A Dense layer applied to every pixel's channels (ConvNeXt's MLP).",
    when=(
        "Inside ConvNeXt-style blocks, where torchvision applies nn.Linear to channels-last maps; it "
        "computes what a 1×1 Conv2d does, with Linear's weight layout, so such weights load as they are."
    ),
    doc=(
        "Each pixel's C channel values go through the same linear layer (out features × C weights plus "
        "a bias), giving out features channels at every pixel."
    ),
    params=(
        ParamSpec("out_features", "int", 64, "Number of output channels.", label="Units",
                  minimum=1, maximum=MAX_FEATURES),
        ParamSpec("bias", "bool", True, "Learn an offset per output channel."),
    ),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=_pointwise_shape,
    cost=lambda p, i, o: Cost(
        params=i[0][0] * p["out_features"] + (p["out_features"] if p["bias"] else 0),
        macs=math.prod(o) * i[0][0],
    ),
    module=lambda p, i: ModuleCall("PointwiseLinear", (i[0][0], p["out_features"]), {"bias": p["bias"]}),
    describe=lambda p: f"{p['out_features']} units per pixel",
    name_prefix="pwfc",
    shape_formula="C×H×W → units×H×W",
)


def _prelu_count(params: Params, inputs: list[Shape]) -> int:
    return inputs[0][0] if params["per_channel"] else 1


PRELU = BlockSpec(
    type_id="prelu",
    title="PReLU",
    category="activation",
    summary="ReLU whose slope for negative values is learned (one per channel, or one in all).",
    when=(
        "Instead of ReLU or LeakyReLU when you want the network to choose how much of the negative part "
        "to keep; it adds almost no parameters."
    ),
    doc=(
        "max(0, x) + a·min(0, x) with a learned a, starting at 0.25: per channel (one a for each of the C "
        "channels, or features of a flat input) or a single one shared by all."
    ),
    params=(ParamSpec("per_channel", "bool", True, "One learned slope per channel (off: one slope for all).",
                      label="Per channel"),),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=lambda p, i: i[0],
    cost=lambda p, i, o: Cost(params=_prelu_count(p, i)),
    module=lambda p, i: ModuleCall("nn.PReLU", (_prelu_count(p, i),)),
    describe=lambda p: "learned slope" + (" per channel" if p["per_channel"] else ""),
    name_prefix="prelu",
    shape_formula="unchanged",
)

IDENTITY = BlockSpec(
    type_id="identity",
    title="Identity",
    category="structure",
    summary="Passes its input through unchanged.",
    when=(
        "As a placeholder: a shortcut with nothing on it, a layer switched off for an experiment, or a "
        "named point whose feature maps you want to look at."
    ),
    doc="Returns its input as it is (torch.nn.Identity). It has no weights and costs nothing.",
    params=(),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=lambda p, i: i[0],
    module=lambda p, i: ModuleCall("nn.Identity"),
    describe=lambda p: "unchanged",
    name_prefix="identity",
    shape_formula="unchanged",
)

def _slice_shape(params: Params, inputs: list[Shape]) -> Shape:
    channels, height, width = _spatial_input("ChannelSlice", inputs)
    start, stop = params["start"], params["stop"]
    if not start < stop <= channels:
        raise ShapeError(
            f"ChannelSlice takes channels {start} to {stop} but {{source}} gives {channels}",
            f"Pick 0 ≤ start < stop ≤ {channels} (the first half is 0 to {channels // 2}).",
        )
    return (stop - start, height, width)


CHANNEL_SLICE = BlockSpec(
    type_id="channel_slice",
    title="ChannelSlice",
    category="structure",
    summary="Keeps a range of channels: one part of a split.",
    when=(
        "To split the channels between branches, as ShuffleNetV2 does with x.chunk(2, dim=1): one "
        "ChannelSlice per part, each feeding its branch, and a Concat to join them again."
    ),
    doc="Passes on channels start (included) to stop (excluded) of its input, as x[:, start:stop].",
    params=(
        ParamSpec("start", "int", 0, "First channel kept (counting from 0).", minimum=0, maximum=MAX_CHANNELS),
        ParamSpec("stop", "int", 1, "Channel after the last one kept.", minimum=1, maximum=MAX_CHANNELS),
    ),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=_slice_shape,
    module=lambda p, i: ModuleCall("ChannelSlice", (p["start"], p["stop"])),
    describe=lambda p: f"channels {p['start']}:{p['stop']}",
    name_prefix="slice",
    shape_formula="C×H×W → (stop − start)×H×W",
)

CHANNEL_BLOCKS: tuple[BlockSpec, ...] = (PRELU, SPATIAL_MEAN, POINTWISE_DENSE, CHANNEL_SHUFFLE, CHANNEL_SLICE, IDENTITY)
