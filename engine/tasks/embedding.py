"""Embedding (faces, metric learning): the network maps an image to a D-dimensional vector, and two images
of one identity land close together.

The Output takes a flat vector (ideally after an L2 Normalize block, so similarity is the cosine). Targets
are identity indices, like class labels, but the validation identities are never trained on (the data
layer splits by identity). The losses and miners come from pytorch-metric-learning; verification (ROC,
AUC, EER, TAR at FAR 1e-3) and identification (gallery/probe top-1 and top-5) are computed in
``embedding_ops`` with torchmetrics' ROC and AUC.
"""
from __future__ import annotations

from ..catalogue import Shape, format_shape
from .base import OutputProblem, Task, TaskMetrics

METRIC_LOSSES = ("triplet", "contrastive", "arcface")
"""The ``metric_loss`` training setting's choices (engine.tasks.embedding_ops.EmbeddingLoss)."""


class Embedding(Task):
    name = "embedding"
    title = "Embedding (faces)"
    target_kind = "identity"
    dataset_kinds = ("face-shapes", "lfw")
    live_views = ("feature_maps", "roc", "embedding_map")
    score_name = "val_auc"
    has_confusion = False
    counts_classes = False

    def check_output(self, output: Shape, input_shape: Shape | None, source: str) -> OutputProblem | None:
        if len(output) == 1:
            return None
        return OutputProblem(
            f"an embedding Output needs a flat vector but {source} gives {format_shape(output)}",
            f"After {source} add an AdaptiveAvgPool2d (to 1) and a Flatten, then a Dense with the embedding's size "
            "(e.g. 64) and an L2 Normalize block before the Output.")

    def classes_of_output(self, output: Shape) -> int | None:
        return None  # the Output's width is the embedding's size, not a class count

    def loss(self, *, num_classes: int, label_smoothing: float = 0.0, class_weights=None,
             metric_loss: str = "triplet", embedding_size: int = 0):
        from .embedding_ops import EmbeddingLoss

        return EmbeddingLoss(metric_loss, num_classes=num_classes, embedding_size=embedding_size)

    def validation_loss(self, criterion):
        return criterion.validation

    def correct_and_count(self, logits, targets):
        from .embedding_ops import nearest_neighbour_hits

        return nearest_neighbour_hits(logits.detach(), targets)

    def metrics(self, num_classes: int, device, pairs=None) -> TaskMetrics:
        from .embedding_ops import EmbeddingMetrics

        return EmbeddingMetrics(pairs=pairs)

    def decode(self, logits):
        """Embeddings (N, D) → unit-length embeddings: compare two with a dot product (the cosine)."""
        import torch

        return torch.nn.functional.normalize(logits.float(), dim=1)

    def decode_source(self) -> str:
        return ("# The output is an embedding (N×D). Two images show the same identity when the cosine similarity\n"
                "# of their embeddings reaches THRESHOLD: see compare() below.")


    def export_metadata(self, metrics) -> dict[str, str]:
        threshold = metrics.get("val_threshold")
        return {"similarity": "cosine", "threshold": repr(float(threshold if threshold is not None else
                                                                 DEFAULT_THRESHOLD))}

    def export_helpers(self, metadata: dict[str, str]) -> list[str]:
        threshold = float(metadata.get("threshold", DEFAULT_THRESHOLD))
        return [
            "# Two images show the same identity when the cosine similarity of their embeddings reaches this",
            "# (the validation's equal-error threshold, or the one chosen in ConvCanvas).",
            f"THRESHOLD = {threshold!r}",
            "",
            "",
            "def compare(model, first, second, threshold=THRESHOLD):",
            '    """(cosine similarity, same identity?) of two images: tensors C×H×W, normalised as training',
            '    did ((x - MEAN) / STD on 0..1)."""',
            "    with torch.no_grad():",
            "        embeddings = model(torch.stack([first, second]))",
            "    similarity = float(torch.nn.functional.cosine_similarity(embeddings[:1], embeddings[1:]))",
            "    return similarity, similarity >= threshold",
        ]


DEFAULT_THRESHOLD = 0.5
"""The verification threshold an export carries when the checkpoint has none (no validation yet)."""

EMBEDDING = Embedding()


def metric_names() -> tuple[str, ...]:
    """The validation metrics embedding adds (scalars go to the history and the curves)."""
    return ("val_auc", "val_eer", "val_tar_at_far", "val_threshold", "val_top1", "val_top5", "val_roc",
            "val_points", "val_point_labels")


__all__ = ["EMBEDDING", "METRIC_LOSSES", "Embedding", "metric_names"]
