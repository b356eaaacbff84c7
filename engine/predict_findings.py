"""Multi-label prediction: each finding's probability for image files, and which findings are present at
the checkpoint's operating thresholds (chosen on validation for the target sensitivity), else at 0.5.

Images go through ``load_image_file``, the preprocessing training used (window included).
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from .predict import ImageFileError, load_image_file


@dataclass
class FindingsPrediction:
    path: str
    #: (finding, probability, present at its threshold), in the checkpoint's finding order
    findings: list[tuple[str, float, bool]] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict:
        return {"path": self.path, "error": self.error,
                "findings": [{"finding": name, "probability": p, "present": present}
                             for name, p, present in self.findings]}


def predict_findings(model: nn.Module, paths: Iterable[str | os.PathLike], *, input_shape: Sequence[int],
                     mean: Sequence[float], std: Sequence[float], finding_names: Sequence[str],
                     thresholds: Sequence[float] | None = None, window=None) -> list[FindingsPrediction]:
    limits = list(thresholds) if thresholds and len(thresholds) == len(finding_names) else [0.5] * len(finding_names)
    predictions = []
    for path in paths:
        prediction = FindingsPrediction(os.fspath(path))
        predictions.append(prediction)
        try:
            image = load_image_file(path, input_shape, mean, std, window)
        except ImageFileError as error:
            prediction.error = error.reason
            continue
        with torch.inference_mode():
            probabilities = model(image).float().sigmoid()[0].tolist()
        prediction.findings = [(name, p, p >= limit) for name, p, limit in zip(finding_names, probabilities, limits)]
    return predictions
