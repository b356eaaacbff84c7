"""The block catalogue: every block type ConvCanvas knows, by type id."""
from __future__ import annotations

import difflib

from ..names import preview
from .blocks import ACTIVATIONS, CORE_BLOCKS, format_shape
from .channels import CHANNEL_BLOCKS
from .embedding import EMBEDDING_BLOCKS
from .gating import GATING_BLOCKS
from .normalisation import NORMALISATION_BLOCKS
from .resampling import RESAMPLING_BLOCKS
from .spec import (
    BlockSpec,
    Cost,
    ModuleCall,
    ParamError,
    ParamSpec,
    PortSpec,
    Shape,
    ShapeError,
    as_pair,
)

CATEGORIES: tuple[str, ...] = (
    "convolution", "activation", "pooling", "dense", "normalisation", "structure",
)
"""Palette order of the categories."""

CATEGORY_TITLES: dict[str, str] = {
    "convolution": "Convolution",
    "activation": "Activation",
    "pooling": "Pooling",
    "dense": "Dense",
    "normalisation": "Normalisation",
    "structure": "Structure",
}
"""How the palette and the block guides title each category."""

ALL_BLOCKS: tuple[BlockSpec, ...] = (
    *CORE_BLOCKS, *RESAMPLING_BLOCKS, *CHANNEL_BLOCKS, *GATING_BLOCKS, *NORMALISATION_BLOCKS,
    *EMBEDDING_BLOCKS,
)
"""Every block type; each family module (resampling for segmentation, the modern families' channels,
gating and normalisation, the face task's embedding) adds its tuple here."""

_BY_TYPE: dict[str, BlockSpec] = {spec.type_id: spec for spec in ALL_BLOCKS}


class UnknownBlockError(KeyError):
    def __init__(self, type_id: str) -> None:
        # The closest known names, not all of them: the catalogue has grown past one readable line.
        close = difflib.get_close_matches(str(type_id), sorted(_BY_TYPE), n=3, cutoff=0.5)
        guess = f"did you mean {' or '.join(close)}? " if close else ""
        super().__init__(f"unknown block type {preview(type_id)} ({guess}the block guide, Help ▸ Block Guide or "
                         f"docs/blocks.md, lists all {len(_BY_TYPE)})")
        self.message = self.args[0]

    def __str__(self) -> str:
        return self.message


def block(type_id: str) -> BlockSpec:
    """The spec of ``type_id``; raises ``UnknownBlockError`` naming the closest known ones."""
    try:
        return _BY_TYPE[type_id]
    except KeyError:
        raise UnknownBlockError(type_id) from None


def block_types() -> list[str]:
    return list(_BY_TYPE)


def blocks_by_category() -> dict[str, list[BlockSpec]]:
    grouped: dict[str, list[BlockSpec]] = {category: [] for category in CATEGORIES}
    for spec in ALL_BLOCKS:
        grouped[spec.category].append(spec)
    return grouped


__all__ = [
    "ACTIVATIONS", "ALL_BLOCKS", "CATEGORIES", "CATEGORY_TITLES", "BlockSpec", "Cost", "ModuleCall", "ParamError",
    "ParamSpec", "PortSpec", "Shape", "ShapeError", "UnknownBlockError", "as_pair", "block",
    "block_types", "blocks_by_category", "format_shape",
]
