"""Verifying two image files with a trained embedding network: their cosine similarity and the verdict.

Each image goes through the same preprocessing as training (``load_image_file``); the two embeddings are
compared by cosine similarity (``engine.tasks.embedding_ops.similarity``), and the pair is "the same
identity" when the similarity reaches the threshold (the validation's equal-error one unless given).
``nearest_neighbours`` finds a probe's most similar images in a gallery (identification).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .predict import load_image_file
from .tasks.embedding_ops import similarity


@dataclass(frozen=True)
class Verification:
    first: str
    second: str
    similarity: float
    threshold: float

    @property
    def same(self) -> bool:
        return self.similarity >= self.threshold

    def verdict(self) -> str:
        relation = "≥" if self.same else "<"
        who = "the same identity" if self.same else "different identities"
        return f"{who} (similarity {self.similarity:.3f} {relation} threshold {self.threshold:.3f})"


def embed_files(model: nn.Module, paths: Sequence[str | os.PathLike], input_shape: Sequence[int],
                mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """The embeddings (N, D) of image files; raises ``ImageFileError`` naming an unreadable one."""
    return embed_batches(model, torch.cat([load_image_file(path, input_shape, mean, std) for path in paths]))


def verify_files(model: nn.Module, first: str | os.PathLike, second: str | os.PathLike,
                 input_shape: Sequence[int], mean: Sequence[float], std: Sequence[float],
                 threshold: float) -> Verification:
    embeddings = embed_files(model, [first, second], input_shape, mean, std)
    return Verification(os.fspath(first), os.fspath(second), similarity(embeddings[0], embeddings[1]), threshold)


def embed_batches(model: nn.Module, images: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Embeddings (N, D) of prepared images (N, C, H, W), in batches, in eval mode."""
    device = next(model.parameters(), torch.empty(0)).device
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            return torch.cat([model(images[start:start + batch_size].to(device)).float().cpu()
                              for start in range(0, len(images), batch_size)])
    finally:
        model.train(was_training)


def nearest_neighbours(probe: torch.Tensor, gallery: torch.Tensor, k: int = 5) -> list[tuple[int, float]]:
    """The ``k`` gallery embeddings (N, D) most similar to the probe's (D,), as (index, cosine similarity),
    most similar first."""
    similarities = nn.functional.cosine_similarity(gallery.float(), probe.reshape(1, -1).float(), dim=1)
    best = similarities.topk(min(k, len(similarities)))
    return [(int(index), float(value)) for value, index in zip(best.values, best.indices)]
