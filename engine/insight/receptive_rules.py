"""How each block type changes the receptive field, in words for the block guide and as the sets the
computation (``receptive_field``) dispatches on. No imports: the catalogue's guide reads this."""
from __future__ import annotations

#: Blocks whose every output value depends on every input position.
WHOLE_INPUT = frozenset({"flatten", "dense", "spatial_mean", "groupnorm", "output"})
#: Blocks with a sliding window: kernel, stride, padding (and dilation where they have one).
WINDOWED = frozenset({"conv2d", "maxpool2d", "avgpool2d"})
#: Blocks that merge branches: the union of their inputs' fields.
MERGING = frozenset({"add", "concat", "multiply"})

EXPLANATION = (
    "A unit's receptive field is the patch of input pixels it can see. Select a node to see the field "
    "of one of its units drawn on the probe image (Feature Maps view), with its size and the jump: how "
    "many input pixels apart neighbouring units' windows are."
)

_RULES = {
    "input": "The start: each pixel sees itself (size 1, jump 1).",
    "windowed": "Grows the field by (kernel − 1) × dilation × the incoming jump; the stride multiplies the "
                "jump; padding shifts the first window outwards.",
    "adaptiveavgpool2d": "Each output cell averages a bin of about input ÷ output units: the field grows by "
                         "the bin, the jump by the bin spacing (output size 1: the whole input).",
    "convtranspose2d": "Divides the jump by the stride; the field grows by (kernel − 1) ÷ stride units.",
    "upsample": "Divides the jump by the scale factor; bilinear adds a neighbouring unit on each side.",
    "whole": "Every output value depends on every input position: the field is the whole input.",
    "merging": "The union of the incoming branches' fields (a shortcut keeps the small one inside it).",
    "same": "Works on each position on its own: the field stays as it comes in.",
}


def receptive_field_rule(type_id: str) -> str:
    """One sentence: what a block of type ``type_id`` does to the receptive field."""
    if type_id in WINDOWED:
        return _RULES["windowed"]
    if type_id in WHOLE_INPUT:
        return _RULES["whole"]
    if type_id in MERGING:
        return _RULES["merging"]
    return _RULES.get(type_id, _RULES["same"])
