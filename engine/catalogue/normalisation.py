"""Normalisation and regularisation of the modern families: LayerNorm2d, GroupNorm, Dropout2d, StochasticDepth."""
from __future__ import annotations

from .blocks import OUT, SINGLE_INPUT, _spatial_input
from .spec import MAX_CHANNELS, BlockSpec, Cost, ModuleCall, Params, ParamSpec, Shape, ShapeError

_EPS = dict(minimum=1e-12, maximum=1.0)


LAYERNORM2D = BlockSpec(
    type_id="layernorm2d",
    title="LayerNorm2d",
    category="normalisation",
    summary="Normalises each pixel over its channels, independent of the batch (ConvNeXt).",
    when=(
        "Where BatchNorm2d's dependence on the batch hurts: small batches, or transformer-style blocks "
        "such as ConvNeXt's, after the depthwise convolution and before the channel MLP."
    ),
    doc=(
        "Layer normalisation over the channel axis: each pixel's C values are shifted to zero mean and "
        "unit variance, then scaled and shifted by a learned weight and bias per channel. Unlike "
        "BatchNorm2d it computes the same at training and inference, whatever the batch size."
    ),
    params=(
        ParamSpec("eps", "float", 1e-6, "Added to the variance to avoid division by zero.", **_EPS),
        ParamSpec("affine", "bool", True, "Learn a scale and shift per channel."),
    ),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=lambda p, i: _spatial_input("LayerNorm2d", i),
    cost=lambda p, i, o: Cost(params=2 * i[0][0] if p["affine"] else 0),
    module=lambda p, i: ModuleCall("LayerNorm2d", (i[0][0],), {"eps": p["eps"], "affine": p["affine"]}),
    describe=lambda p: "over channels",
    name_prefix="ln",
    shape_formula="unchanged",
)


def _groupnorm_shape(params: Params, inputs: list[Shape]) -> Shape:
    channels, height, width = _spatial_input("GroupNorm", inputs)
    groups = params["groups"]
    if channels % groups:
        divisors = [d for d in range(1, channels + 1) if channels % d == 0]
        raise ShapeError(
            f"GroupNorm's {groups} groups must divide the {channels} channels from {{source}}",
            f"Pick groups among the divisors of {channels}: {', '.join(map(str, divisors[:12]))}"
            + (" …" if len(divisors) > 12 else "") + ".",
        )
    return (channels, height, width)


GROUPNORM = BlockSpec(
    type_id="groupnorm",
    title="GroupNorm",
    category="normalisation",
    summary="Normalises groups of channels per sample, independent of the batch size.",
    when=(
        "Instead of BatchNorm2d when batches are small (detection, segmentation, large images): 32 groups "
        "is the usual choice; 1 group is LayerNorm over C×H×W, groups = channels is InstanceNorm."
    ),
    doc=(
        "Splits the channels into groups and normalises each group of each sample to zero mean and unit "
        "variance over its channels and pixels, then applies a learned scale and shift per channel."
    ),
    params=(
        ParamSpec("groups", "int", 8, "Number of channel groups; must divide the channels.",
                  minimum=1, maximum=MAX_CHANNELS),
        ParamSpec("eps", "float", 1e-5, "Added to the variance to avoid division by zero.", **_EPS),
        ParamSpec("affine", "bool", True, "Learn a scale and shift per channel."),
    ),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=_groupnorm_shape,
    cost=lambda p, i, o: Cost(params=2 * i[0][0] if p["affine"] else 0),
    module=lambda p, i: ModuleCall("nn.GroupNorm", (p["groups"], i[0][0]), {"eps": p["eps"], "affine": p["affine"]}),
    describe=lambda p: f"{p['groups']} groups",
    name_prefix="gn",
    shape_formula="unchanged",
)

_PROBABILITY = dict(minimum=0.0, maximum=1.0, exclusive_maximum=True)

DROPOUT2D = BlockSpec(
    type_id="dropout2d",
    title="Dropout2d",
    category="normalisation",
    summary="Randomly zeroes whole feature maps while training.",
    when=(
        "Between convolutions when a network overfits: neighbouring pixels are so alike that dropping "
        "single values hardly regularises, dropping whole channels does."
    ),
    doc=(
        "During training each channel of each sample is set to zero with probability p and the rest are "
        "scaled by 1/(1−p); at inference it does nothing."
    ),
    params=(ParamSpec("p", "float", 0.5, "Probability of zeroing each channel, in [0, 1).",
                      label="Probability", **_PROBABILITY),),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=lambda p, i: _spatial_input("Dropout2d", i),
    module=lambda p, i: ModuleCall("nn.Dropout2d", (), {"p": p["p"]}),
    describe=lambda p: f"p={p['p']:g}",
    name_prefix="dropout2d",
    shape_formula="unchanged",
)

STOCHASTIC_DEPTH = BlockSpec(
    type_id="stochastic_depth",
    title="StochasticDepth",
    category="normalisation",
    summary="Drops a residual branch for whole samples while training; nothing at inference.",
    when=(
        "On the branch of a residual block, just before the Add, in deep networks (EfficientNet, "
        "ConvNeXt): the rate usually grows from 0 in the first block to 0.1–0.5 in the last."
    ),
    doc=(
        "Stochastic depth (torchvision.ops.StochasticDepth, \"row\" mode): while training, each sample's "
        "branch output is zeroed with probability p and kept ones are scaled by 1/(1−p), so the network "
        "trains as an ensemble of shallower ones. At inference it passes its input through."
    ),
    params=(ParamSpec("p", "float", 0.1, "Probability of dropping the branch for a sample, in [0, 1).",
                      label="Drop rate", **_PROBABILITY),),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=lambda p, i: i[0],
    module=lambda p, i: ModuleCall("StochasticDepth", (), {"p": p["p"]}),
    describe=lambda p: f"p={p['p']:g}",
    name_prefix="drop_path",
    shape_formula="unchanged",
)

NORMALISATION_BLOCKS: tuple[BlockSpec, ...] = (LAYERNORM2D, GROUPNORM, DROPOUT2D, STOCHASTIC_DEPTH)
