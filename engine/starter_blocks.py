"""Blocks the library offers before people have saved their own: Squeeze-Excite, built from ordinary blocks.

``offer_starter_blocks`` writes each starter template into a library folder
once: a marker file remembers what was offered, so a starter someone
deleted stays deleted and one they edited is never overwritten. The app
offers them in its own library folder (``<AppDataLocation>/blocks``) only.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .builders import GraphBuilder, group_as_block, squeeze_excite
from .layout import apply_layout, tidy_layout
from .library import BlockFileError, BlockLibrary, template_from_group

SE_CHANNELS, SE_SQUEEZED = 64, 16
"""A Squeeze-Excite for 64-channel maps, squeezed 4× (set fc2's channels to the maps' when they differ)."""
OFFERED_MARKER = ".starter-blocks-offered"


def squeeze_excite_template() -> dict[str, Any]:
    """``SqueezeExcite64``: mean over H×W → 1×1 conv → ReLU → 1×1 conv → sigmoid → × the maps."""
    builder = GraphBuilder()
    builder.add("input", "input", channels=SE_CHANNELS, height=8, width=8)
    squeeze_excite(builder, "se", SE_CHANNELS, SE_SQUEEZED)
    builder.add("output", "output")
    apply_layout(builder.graph, tidy_layout(builder.graph))
    group = group_as_block(builder.graph, "se", "se", f"SqueezeExcite{SE_CHANNELS}")
    return template_from_group(builder.graph, group, (
        "Squeeze-and-excite (SENet; MobileNetV3, EfficientNet and RegNetY use it): each channel's mean over the "
        f"image, squeezed from {SE_CHANNELS} to {SE_SQUEEZED} values and back, gates that channel between 0 and 1. "
        f"For maps with other than {SE_CHANNELS} channels, set fc2's output channels to theirs."))


STARTERS = (squeeze_excite_template,)


def offer_starter_blocks(root: str | Path) -> list[Path]:
    """Saves into the library folder each starter not offered there before; returns the files written.
    A folder that cannot be written gets none (the library says why when people save)."""
    root = Path(root)
    marker = root / OFFERED_MARKER
    try:
        offered = set(marker.read_text(encoding="utf-8").split()) if marker.is_file() else set()
    except (OSError, UnicodeDecodeError):
        return []
    library, written = BlockLibrary(root), []
    for make in STARTERS:
        template = make()
        if template["type"] in offered:
            continue
        try:
            root.mkdir(parents=True, exist_ok=True)
            if template["type"] not in library:
                written.append(library.save(template))
            offered.add(template["type"])
            marker.write_text("\n".join(sorted(offered)) + "\n", encoding="utf-8")
        except (OSError, BlockFileError, FileExistsError):
            return written
    return written
