"""Blocks that scale one tensor by another: Multiply (the gate of squeeze-and-excite) and LayerScale."""
from __future__ import annotations

from .blocks import MANY_INPUTS, OUT, SINGLE_INPUT, _spatial_input
from .spec import BlockSpec, Cost, ModuleCall, Params, ParamSpec, Shape, ShapeError


def multiply_tensors(tensors: list):
    """The Multiply block's computation (module-level, so torch.fx can call it)."""
    product = tensors[0]
    for tensor in tensors[1:]:
        product = product * tensor
    return product


def broadcast_shape(inputs: list[Shape]) -> Shape | None:
    """The shape torch broadcasts same-rank shapes to (each size equal or 1), or None."""
    if len({len(shape) for shape in inputs}) != 1:
        return None
    result = []
    for sizes in zip(*inputs):
        wide = {size for size in sizes if size != 1}
        if len(wide) > 1:
            return None
        result.append(wide.pop() if wide else 1)
    return tuple(result)


def _multiply_shape(params: Params, inputs: list[Shape]) -> Shape:
    shape = broadcast_shape(inputs)
    if shape is None:
        raise ShapeError(
            "Multiply needs inputs of one shape, or a C×1×1 gate for C×H×W maps, but gets {inputs}",
            "Give the gate the maps' channel count (squeeze-and-excite: AdaptiveAvgPool2d to 1, then 1×1 "
            "convolutions back to the same channels, then Sigmoid).",
        )
    return shape


MULTIPLY = BlockSpec(
    type_id="multiply",
    title="Multiply",
    category="structure",
    summary="Multiplies its inputs element by element, broadcasting a C×1×1 gate over C×H×W maps.",
    when=(
        "For attention gates: squeeze-and-excite (MobileNetV3, EfficientNet, RegNetY) multiplies the "
        "feature maps by a per-channel weight in (0, 1) computed from them (pool → 1×1 conv → activation "
        "→ 1×1 conv → Sigmoid)."
    ),
    doc=(
        "Multiplies inputs of the same shape value by value. A size of 1 is repeated to match the "
        "other input, as in PyTorch: a C×1×1 tensor scales each channel of C×H×W maps by one number, "
        "which is how a squeeze-and-excite gate re-weights channels."
    ),
    params=(),
    inputs=MANY_INPUTS,
    outputs=OUT,
    infer_shape=_multiply_shape,
    function=multiply_tensors,
    expression=lambda p, args: " * ".join(args),
    describe=lambda p: "product",
    name_prefix="mul",
    shape_formula="C×H×W and C×1×1 → C×H×W (sizes of 1 broadcast)",
)


def _layer_scale_shape(params: Params, inputs: list[Shape]) -> Shape:
    return _spatial_input("LayerScale", inputs)


LAYER_SCALE = BlockSpec(
    type_id="layer_scale",
    title="LayerScale",
    category="normalisation",
    summary="Multiplies each channel by a learned number, starting tiny, so a residual branch fades in.",
    when=(
        "At the end of a residual branch in very deep networks (ConvNeXt, CaiT): the branch starts "
        "almost switched off (scale 1e-6) and training turns it up."
    ),
    doc=(
        "A learned scale per channel (C×1×1, multiplied over C×H×W), initialised to a small value. "
        "ConvNeXt scales each block's branch this way before adding it to the shortcut, which keeps "
        "deep stacks stable at the start of training."
    ),
    params=(
        ParamSpec("init", "float", 1e-6, "Starting value of every channel's scale.",
                  label="Initial scale", minimum=0.0, maximum=1e6),
    ),
    inputs=SINGLE_INPUT,
    outputs=OUT,
    infer_shape=_layer_scale_shape,
    cost=lambda p, i, o: Cost(params=i[0][0]),
    module=lambda p, i: ModuleCall("LayerScale", (i[0][0],), {"init": p["init"]}),
    describe=lambda p: f"×{p['init']:g} per channel",
    name_prefix="layer_scale",
    shape_formula="unchanged",
)

GATING_BLOCKS: tuple[BlockSpec, ...] = (MULTIPLY, LAYER_SCALE)

__all__ = ["GATING_BLOCKS", "broadcast_shape", "multiply_tensors"]
