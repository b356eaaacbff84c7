"""The Input node's normalisation as text: per-channel mean and std, ``'mean,… / std,…'``.

The Data view computes the values over the training split and offers them as the Input node's
``normalisation`` parameter, so they are saved in the project and travel with the graph; training
normalises the Input's images with them (``compiler.input_normalisation``), the checkpoint records them,
and predictions and exports normalise as training did. Empty: computed from the training split when the
data loads. No torch, no numpy (the block catalogue imports this at start-up).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..catalogue.spec import ParamError

EXAMPLE = "e.g. '0.1307 / 0.3081' for grey images or '0.485,0.456,0.406 / 0.229,0.224,0.225' for colour"


def format_normalisation(mean: Sequence[float], std: Sequence[float]) -> str:
    """The ``normalisation`` text for these per-channel values."""
    return " / ".join(",".join(f"{value:.4f}" for value in values) for values in (mean, std))


def parse_normalisation(text: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """'0.1307 / 0.3081' or '0.485,0.456,0.406 / 0.229,0.224,0.225' -> (mean, std); ParamError if not that."""
    try:
        mean_text, std_text = text.split("/")
        mean = tuple(float(part) for part in mean_text.split(","))
        std = tuple(float(part) for part in std_text.split(","))
    except ValueError:
        raise ParamError(f"write 'mean,… / std,…', {EXAMPLE}; got {text[:40]!r}") from None
    if len(mean) != len(std) or len(mean) not in (1, 3):
        raise ParamError(f"give 1 or 3 means and as many stds, {EXAMPLE}; got {text[:40]!r}")
    if not all(abs(m) < 1e6 for m in mean) or not all(0 < s < 1e6 for s in std):
        raise ParamError(f"means must be finite and stds positive, {EXAMPLE}; got {text[:40]!r}")
    return mean, std


def check_normalisation(text: str) -> None:
    """The Input parameter's check: empty, or values ``parse_normalisation`` reads."""
    if text.strip():
        parse_normalisation(text)


def normalisation_of_params(params: Mapping[str, Any]) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """(mean, std) of an Input node's params, or None where it has none of its own."""
    text = str(params.get("normalisation", "")).strip()
    return parse_normalisation(text) if text else None
