"""After training: the validation samples with the highest loss first (likely mislabelled, or hard), with
the predicted and the given label, and the list as CSV, so a user can go and fix their labels."""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass

from ..fileio import atomic_write_text


@dataclass(frozen=True)
class HardSample:
    index: int  # position in the validation split
    loss: float
    given: int
    predicted: int
    confidence: float  # the predicted class's probability


def hardest_samples(model, data, batch_size: int = 256) -> list[HardSample]:
    """Every validation sample of ``data`` (a classification split: TensorData or StreamData) scored by its
    cross-entropy loss under ``model`` (eval mode, no gradients), highest first."""
    import torch

    was_training = model.training
    model.eval()
    rows: list[HardSample] = []
    offset = 0
    try:
        with torch.no_grad():
            for images, labels in data.iter_batches(batch_size, shuffle=False):
                logits = model(images).float()
                losses = torch.nn.functional.cross_entropy(logits, labels, reduction="none")
                probabilities = logits.softmax(1)
                confidence, predicted = probabilities.max(1)
                for i in range(labels.shape[0]):
                    rows.append(HardSample(offset + i, float(losses[i]), int(labels[i]), int(predicted[i]),
                                           float(confidence[i])))
                offset += labels.shape[0]
    finally:
        model.train(was_training)
    return sorted(rows, key=lambda row: -row.loss)


def hardest_csv(rows: Sequence[HardSample], class_names: Sequence[str], names: Sequence[str] | None = None) -> str:
    """CSV text: rank, file (or validation index), loss, given label, predicted label, confidence."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["rank", "file", "loss", "given", "predicted", "confidence"])
    for rank, row in enumerate(rows, start=1):
        name = names[row.index] if names is not None and row.index < len(names) else f"val #{row.index}"
        writer.writerow([rank, name, f"{row.loss:.4f}", class_names[row.given], class_names[row.predicted],
                         f"{row.confidence:.4f}"])
    return out.getvalue()


def write_hardest_csv(path: str | os.PathLike, rows: Sequence[HardSample], class_names: Sequence[str],
                      names: Sequence[str] | None = None) -> None:
    """Written atomically (a failed write leaves no half file); raises fileio.WriteError."""
    atomic_write_text(path, hardest_csv(rows, class_names, names))
