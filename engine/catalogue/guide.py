"""The block guide, written from the catalogue: what each block does, when to use it, its parameters
(help, allowed values, default) and its shape formula.

``allowed_values`` and ``default_text`` are the words the app's guides (palette
tooltips, inspector, Help ▸ Block Guide) share with ``docs/blocks.md``, which
``block_guide_markdown`` renders (``scripts/make_block_guide.py`` writes it; a
test checks the file is up to date).
"""
from __future__ import annotations

from typing import Any

from . import CATEGORY_TITLES, blocks_by_category
from ..insight.receptive_rules import EXPLANATION, receptive_field_rule
from .spec import BlockSpec, ParamSpec


def _number(value: float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def _range(param: ParamSpec) -> str:
    low, high = _number(param.minimum), _number(param.maximum)
    if low and high:
        return f"{low} to {'below ' if param.exclusive_maximum else ''}{high}"
    if low:
        return f"at least {low}"
    return f"{'below' if param.exclusive_maximum else 'at most'} {high}" if high else ""


def allowed_values(param: ParamSpec) -> str:
    """What a parameter accepts, in words: ``"whole number, 1 to 65,536"``."""
    span = _range(param)
    if param.kind == "int":
        return f"whole number, {span}" if span else "whole number"
    if param.kind == "float":
        return f"number, {span}" if span else "number"
    if param.kind == "bool":
        return "on or off"
    if param.kind == "choice":
        return "one of " + ", ".join(param.choices)
    if param.kind == "text":
        return f"text, at most {_number(param.maximum)} characters" if param.maximum is not None else "text"
    pair = f"one number or [height, width], each {span}" if span else "one number or [height, width]"
    if param.kind == "padding":
        return f"{pair}, or one of {', '.join(param.choices)}"
    return pair


def default_text(value: Any) -> str:
    """A default as the inspector shows it: ``on``, ``3``, ``3×5``, ``0.01``, ``same``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return "×".join(_number(v) for v in value)
    if isinstance(value, (int, float)):
        return _number(value)
    return str(value)


# --- docs/blocks.md ----------------------------------------------------------------------------

HEADER = """# Block guide

<!-- Generated from the block catalogue (engine/catalogue) by scripts/make_block_guide.py; do not edit. -->

Every block ConvCanvas offers: what it does, when to use it, its parameters
and how it changes the shape of the data. The same text is in the app:
hover a block in the palette, select a node (the inspector's Block guide
section), or open Help ▸ Block Guide.

Shapes are per sample, without the batch: C×H×W (channels, height, width)
for images and feature maps, F for a flat vector of features.

""" + EXPLANATION + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def block_markdown(spec: BlockSpec) -> str:
    lines = [f"### {spec.title}", "", f"*{spec.summary}*", "", spec.doc, ""]
    if spec.when:
        lines += [f"**When to use it.** {spec.when}", ""]
    lines += [f"**Shape.** {spec.shape_formula or 'as inferred'}", ""]
    lines += [f"**Receptive field.** {receptive_field_rule(spec.type_id)}", ""]
    if spec.params:
        lines += ["| Parameter | What it does | Allowed values | Default |", "| --- | --- | --- | --- |"]
        lines += [f"| {_cell(p.title)} (`{p.name}`) | {_cell(p.help)} | {_cell(allowed_values(p))} | "
                  f"{_cell(default_text(p.default))} |" for p in spec.params]
    else:
        lines.append("No parameters.")
    return "\n".join(lines) + "\n"


# --- patterns: how the modern families combine the blocks ---------------------------------------------

PATTERNS: tuple[tuple[str, str, str], ...] = (
    ("Squeeze-and-excite",
     "Mean H×W → Conv2d 1×1 (fewer channels) → ReLU → Conv2d 1×1 (back to C) → Sigmoid (or Hardsigmoid) → "
     "Multiply with the block's input",
     "The network looks at the whole image once per channel (the mean), decides in a tiny two-layer "
     "network how much each channel matters here, and scales each channel's map by that number between "
     "0 and 1: a C×1×1 gate broadcast over C×H×W. MobileNetV3, EfficientNet and RegNetY put one in each "
     "block. My Blocks starts with one (SqueezeExcite64); set fc2's channels to those of your maps."),
    ("Depthwise-separable convolution",
     "Conv2d k×k with groups = channels (the Inspector says \"depthwise\") → Conv2d 1×1",
     "A depthwise convolution filters each channel on its own (k×k×C weights instead of k×k×C×C); the 1×1 "
     "convolution then mixes the channels. Together they stand in for one k×k convolution, for a fraction "
     "of its multiplications: the core of MobileNet, EfficientNet and ConvNeXt."),
    ("Inverted residual (MBConv)",
     "Conv2d 1×1 (expand, ×4–6 channels) → BatchNorm2d → activation → depthwise Conv2d 3×3 → BatchNorm2d → "
     "activation → [squeeze-and-excite] → Conv2d 1×1 (project, no activation) → BatchNorm2d → "
     "[StochasticDepth] → Add with the input",
     "The opposite of ResNet's bottleneck: widen, filter cheaply per channel, then narrow again, and add "
     "the shortcut between the narrow ends. Imported MobileNets and EfficientNets read as stages of these "
     "blocks (InvertedResidual, MBConv)."),
    ("ConvNeXt block (CNBlock)",
     "depthwise Conv2d 7×7 → LayerNorm2d → PointwiseDense (×4) → GELU → PointwiseDense (back) → LayerScale → "
     "StochasticDepth → Add with the input",
     "A ResNet block rewritten with a transformer's habits: one large depthwise filter, normalisation over "
     "each pixel's channels instead of the batch, a per-pixel MLP, a learned per-channel scale that starts "
     "near 0 and a branch dropped at random while training."),
    ("ShuffleNetV2 unit",
     "ChannelSlice (first half) and ChannelSlice (second half) → convolutions on one half → Concat → "
     "ChannelShuffle (2 groups)",
     "Half the channels pass untouched while the other half is convolved; ChannelShuffle then interleaves "
     "the halves so the next unit's split mixes them."),
    ("TensorFlow's \"same\" padding",
     "ZeroPad2d (the odd extra row and column at the bottom and right) → Conv2d with padding 0",
     "TensorFlow pads a strided convolution unevenly so the output is exactly ⌈size / stride⌉; a Conv2d's "
     "padding is the same on both sides. The importer turns timm's Conv2dSame into these two blocks."),
)
"""(name, the blocks in order, why they are combined so): the guide's "Patterns" section, in the app too."""


def patterns_markdown() -> str:
    lines = ["## Patterns of the modern families", "",
             "How MobileNet, EfficientNet, RegNet, ShuffleNet and ConvNeXt combine the blocks above; "
             "importing any of them (File ▸ Import) shows these patterns as composite blocks.", ""]
    for name, blocks, why in PATTERNS:
        lines += [f"### {name}", "", f"**Blocks.** {blocks}", "", why, ""]
    return "\n".join(lines)


def block_guide_markdown() -> str:
    """``docs/blocks.md``: every block of the catalogue by palette category, with a contents list."""
    grouped = blocks_by_category()
    contents = [f"- **{CATEGORY_TITLES[category]}**: "
                + ", ".join(f"[{spec.title}](#{spec.title.lower()})" for spec in specs)
                for category, specs in grouped.items()]
    parts = [HEADER, "\n".join(contents) + "\n"]
    for category, specs in grouped.items():
        parts.append(f"## {CATEGORY_TITLES[category]}\n")
        parts.extend(block_markdown(spec) for spec in specs)
    parts.append(patterns_markdown())
    return "\n".join(parts)
