"""Validation: loss, accuracy and the confusion matrix of a model on held-out data."""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

import torch
from torch import nn

from ..tasks import Task
from ..tasks.base import class_indices
from .metrics import confusion_counts


def evaluate(
    model: nn.Module,
    data,
    *,
    criterion: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    num_classes: int,
    batch_size: int,
    device: torch.device,
    autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext,
    sampler: Iterable[int] | None = None,
    task: Task | None = None,
    metric_options: dict | None = None,
    pairs: list[tuple[int, int]] | None = None,
) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """Returns ``[loss × samples, correct, samples, counted]`` (float64) and the confusion matrix, both on
    the device, and the task's own validation metrics (engine.tasks; per-class IoU for segmentation).

    The model is put in eval mode and back into the mode it had. Nothing of the first two is
    read back to the host, so distributed runs can sum both across ranks.
    """
    if task is None:
        from ..tasks import CLASSIFICATION as task
    was_training = model.training
    model.eval()
    # ``pairs``: the embedding task's verification pairs (LFW's pairs.txt) in the validation order.
    options = {**(metric_options or {}), **({"pairs": pairs} if pairs is not None else {})}
    extra = task.metrics(num_classes, device, **options)
    criterion = task.validation_loss(criterion)
    totals = torch.zeros(4, dtype=torch.float64, device=device)
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.int64, device=device)
    try:
        with torch.inference_mode():
            for images, labels in data.iter_batches(batch_size, shuffle=False, sampler=sampler):
                images = images.to(device, non_blocking=True)
                labels = labels.to(device, non_blocking=True)
                with autocast():
                    logits = model(images)
                    loss = criterion(logits, labels)
                correct, counted = task.correct_and_count(logits, labels)
                totals[0] += loss.double() * labels.shape[0]
                totals[1] += correct
                totals[2] += labels.shape[0]
                totals[3] += counted
                if task.has_confusion:
                    confusion += confusion_counts(labels, class_indices(logits), num_classes)
                extra.update(logits, labels)
    finally:
        model.train(was_training)
    return totals, confusion, extra.compute()
