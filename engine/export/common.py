"""What every exporter shares: the error it raises and exporting in eval mode."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


class ExportError(RuntimeError):
    """An export that could not be done; the message is one line for people."""


@contextmanager
def evaluation_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Puts ``model`` in eval mode (BatchNorm uses running stats, Dropout is off)
    for the export, then gives every submodule back the mode it had."""
    modes = {module: module.training for module in model.modules()}
    model.eval()
    try:
        yield model
    finally:
        for module, training in modes.items():
            module.training = training


def first_line(error: BaseException, limit: int = 200) -> str:
    """An exception as one short line (torch's messages span many)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"
