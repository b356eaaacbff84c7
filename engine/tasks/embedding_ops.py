"""The torch half of the embedding task: losses (pytorch-metric-learning), batch accuracy, and the
verification / identification metrics (ROC and AUC from torchmetrics).

Similarity is the cosine of two embeddings (their dot product once L2-normalised): higher means more alike.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .embedding import METRIC_LOSSES

TARGET_FAR = 1e-3
"""The false-accept rate at which the true-accept rate is reported (TAR@FAR = 1e-3)."""
ROC_POINTS = 200
"""Points of the ROC curve handed to the window (the full curve has one per distinct score)."""
MAP_POINTS = 600
"""Validation embeddings projected to 2-D for the window (the first ones, in identity order)."""
MAX_PAIRS = 4_000_000
"""All-pairs verification scores at most this many pairs (a deterministic sample above it)."""
TRIPLET_MARGIN = 0.2


class EmbeddingLoss(nn.Module):
    """One of pytorch-metric-learning's losses on a batch of embeddings and identity labels.

    - ``triplet``: TripletMarginLoss on the triplets of a BatchHardMiner (each anchor's hardest positive
      and hardest negative in the batch: the hard pairs);
    - ``contrastive``: ContrastiveLoss over all pairs of the batch (positives pulled together, negatives
      pushed past the margin);
    - ``arcface``: ArcFaceLoss, an additive angular margin on learned class centres (its ``W`` is a
      parameter of this module: the trainer hands it to the optimiser with the network's weights).

    ``validation`` is the loss validation reports on identities never trained on: the same loss for
    triplet and contrastive; for ArcFace, whose centres exist for the training identities only, the
    triplet loss (documented in docs/tasks.md).
    """

    def __init__(self, kind: str = "triplet", *, num_classes: int = 0, embedding_size: int = 0) -> None:
        super().__init__()
        from pytorch_metric_learning import losses, miners

        if kind not in METRIC_LOSSES:
            from .base import TaskError

            raise TaskError(f"unknown embedding loss {kind!r}: use one of {', '.join(METRIC_LOSSES)}")
        self.kind = kind
        self.miner = None
        if kind == "triplet":
            self.loss = losses.TripletMarginLoss(margin=TRIPLET_MARGIN)
            self.miner = miners.BatchHardMiner()
        elif kind == "contrastive":
            self.loss = losses.ContrastiveLoss(pos_margin=0.0, neg_margin=1.0)
        else:
            if embedding_size < 1 or num_classes < 2:
                from .base import TaskError

                raise TaskError("ArcFace needs the embedding's size and at least two training identities")
            self.loss = losses.ArcFaceLoss(num_classes=num_classes, embedding_size=embedding_size)
        self.held_out_loss = EmbeddingLoss("triplet") if kind == "arcface" else None

    @property
    def validation(self) -> nn.Module:
        return self.held_out_loss if self.held_out_loss is not None else self

    def forward(self, embeddings: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        embeddings = embeddings.float()  # the losses' margins assume float32 distances (autocast gives half)
        if self.miner is None:
            return self.loss(embeddings, labels)
        return self.loss(embeddings, labels, self.miner(embeddings, labels))


def cosine_similarities(embeddings: torch.Tensor) -> torch.Tensor:
    unit = nn.functional.normalize(embeddings.float(), dim=1)
    return unit @ unit.T


def nearest_neighbour_hits(embeddings: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch's "accuracy": of the images whose identity appears again in the batch, how many have, as
    their most similar other image, one of the same identity (leave-one-out nearest neighbour)."""
    similar = cosine_similarities(embeddings)
    similar.fill_diagonal_(-float("inf"))
    same = labels[:, None] == labels[None, :]
    same.fill_diagonal_(False)
    has_partner = same.any(1)
    hits = same.gather(1, similar.argmax(1, keepdim=True)).squeeze(1) & has_partner
    return hits.sum(), has_partner.sum()


class EmbeddingMetrics:
    """Gathers the validation embeddings, then scores verification and identification (``compute``).

    Verification: every pair of validation images (or the listed ``pairs``, e.g. LFW's pairs.txt, as
    (i, j) indices into the validation order) is "same" or "different"; the cosine similarity is the score.
    Identification: each validation identity's first image forms the gallery, its other images are
    probes; top-k is the share of probes whose identity is among the k most similar gallery identities.
    """

    def __init__(self, pairs: list[tuple[int, int]] | None = None) -> None:
        self.pairs = pairs
        self.embeddings: list[torch.Tensor] = []
        self.labels: list[torch.Tensor] = []

    def update(self, embeddings: torch.Tensor, labels: torch.Tensor) -> None:
        self.embeddings.append(embeddings.detach().float().cpu())
        self.labels.append(labels.detach().cpu())

    def compute(self) -> dict[str, Any]:
        if not self.embeddings:
            return {}
        embeddings, labels = torch.cat(self.embeddings), torch.cat(self.labels)
        return {**verification(embeddings, labels, self.pairs), **identification(embeddings, labels),
                **embedding_map(embeddings, labels)}


def pair_scores(embeddings: torch.Tensor, labels: torch.Tensor,
                pairs: list[tuple[int, int]] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(cosine similarity, same identity) of the listed pairs, or of every pair i < j."""
    unit = nn.functional.normalize(embeddings.float(), dim=1)
    if pairs is not None:
        first, second = torch.tensor(pairs, dtype=torch.int64).reshape(-1, 2).unbind(1)
    else:
        first, second = torch.triu_indices(len(labels), len(labels), offset=1)
        if first.numel() > MAX_PAIRS:
            keep = torch.randperm(first.numel(), generator=torch.Generator().manual_seed(0))[:MAX_PAIRS]
            first, second = first[keep], second[keep]
    scores = (unit[first] * unit[second]).sum(1)
    return scores, (labels[first] == labels[second]).long()


def verification(embeddings: torch.Tensor, labels: torch.Tensor,
                 pairs: list[tuple[int, int]] | None = None) -> dict[str, Any]:
    """ROC (torchmetrics), AUC (torchmetrics), the equal error rate and its threshold, and TAR at FAR 1e-3."""
    from torchmetrics.functional.classification import binary_auroc, binary_roc

    scores, same = pair_scores(embeddings, labels, pairs)
    if same.numel() == 0 or same.min() == same.max():  # no positive (or no negative) pair: no ROC
        return {"val_auc": None, "val_eer": None, "val_tar_at_far": None, "val_threshold": None, "val_roc": None}
    # torchmetrics reads scores outside 0..1 as logits (and squashes them): hand it (cos + 1) / 2, and map
    # its thresholds back to cosines.
    probabilities = (scores.clamp(-1.0, 1.0) + 1) / 2
    fpr, tpr, thresholds = binary_roc(probabilities, same)
    thresholds = thresholds.clamp(0.0, 1.0) * 2 - 1
    auc = float(binary_auroc(probabilities, same))
    eer, threshold = equal_error_rate(fpr, tpr, thresholds)
    return {"val_auc": auc, "val_eer": eer, "val_tar_at_far": tar_at_far(fpr, tpr, TARGET_FAR),
            "val_threshold": threshold, "val_roc": thinned_roc(fpr, tpr, thresholds)}


def equal_error_rate(fpr: torch.Tensor, tpr: torch.Tensor, thresholds: torch.Tensor) -> tuple[float, float]:
    """Where false accepts equal false rejects (the ROC point nearest fpr = 1 − tpr), and its threshold."""
    gap = (fpr - (1 - tpr)).abs()
    index = int(gap.argmin())
    threshold = float(thresholds[index])
    return float((fpr[index] + 1 - tpr[index]) / 2), threshold


def tar_at_far(fpr: torch.Tensor, tpr: torch.Tensor, far: float) -> float:
    """The best true-accept rate among the ROC points whose false-accept rate is at most ``far``."""
    allowed = fpr <= far
    return float(tpr[allowed].max()) if allowed.any() else 0.0


def thinned_roc(fpr: torch.Tensor, tpr: torch.Tensor, thresholds: torch.Tensor) -> dict[str, list[float]]:
    """At most ``ROC_POINTS`` points of the curve (first and last kept) as plain lists for the window."""
    if fpr.numel() > ROC_POINTS:
        index = torch.linspace(0, fpr.numel() - 1, ROC_POINTS).round().long().unique()
        fpr, tpr, thresholds = fpr[index], tpr[index], thresholds[index]
    return {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thresholds.tolist()}


def identification(embeddings: torch.Tensor, labels: torch.Tensor) -> dict[str, Any]:
    """Top-1 and top-5 of each identity's later images (probes) against its first image (the gallery).
    Top-5 is None with fewer than 5 gallery identities (it would be 1 by construction)."""
    gallery_index, probe_index = gallery_and_probes(labels)
    if len(gallery_index) < 2 or not probe_index:
        return {"val_top1": None, "val_top5": None}
    unit = nn.functional.normalize(embeddings.float(), dim=1)
    similar = unit[probe_index] @ unit[gallery_index].T
    ranked = labels[gallery_index][similar.argsort(1, descending=True)]
    hits = ranked == labels[probe_index][:, None]
    top5 = float(hits[:, :5].any(1).float().mean()) if len(gallery_index) >= 5 else None
    return {"val_top1": float(hits[:, 0].float().mean()), "val_top5": top5}


def gallery_and_probes(labels: torch.Tensor) -> tuple[list[int], list[int]]:
    """Each identity's first image (in order) goes to the gallery; its other images are probes."""
    gallery, probes, seen = [], [], set()
    for index, label in enumerate(labels.tolist()):
        (probes if label in seen else gallery).append(index)
        seen.add(label)
    return gallery, probes


def embedding_map(embeddings: torch.Tensor, labels: torch.Tensor) -> dict[str, Any]:
    """The first ``MAP_POINTS`` validation embeddings projected on their two principal axes
    (torch.pca_lowrank), with their identity labels: the window's 2-D map of the identities."""
    points, point_labels = embeddings[:MAP_POINTS].float(), labels[:MAP_POINTS]
    if points.shape[0] < 3 or points.shape[1] < 2:
        return {"val_points": None, "val_point_labels": None}
    points = nn.functional.normalize(points, dim=1)
    generator_state = torch.random.get_rng_state()  # pca_lowrank draws random numbers: keep the run's
    try:
        torch.manual_seed(0)
        _, _, axes = torch.pca_lowrank(points, q=2, center=True)
    finally:
        torch.random.set_rng_state(generator_state)
    projected = (points - points.mean(0)) @ axes[:, :2]
    return {"val_points": projected.tolist(), "val_point_labels": point_labels.tolist()}


def similarity(first: torch.Tensor, second: torch.Tensor) -> float:
    """The cosine similarity of two embeddings (D,) or (1, D)."""
    return float(nn.functional.cosine_similarity(first.reshape(1, -1).float(), second.reshape(1, -1).float()))
