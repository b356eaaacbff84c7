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
    return "\n".join(parts)
