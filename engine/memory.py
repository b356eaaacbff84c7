"""How much memory a network needs to train, against what this machine has.

A network just under the parameter limit passes every shape check and then
asks for gigabytes the moment training starts. ``estimate`` adds up what
training keeps in memory, in float32: the weights, their gradients, the
optimizer's state (Adam keeps two values per weight, SGD with momentum one)
and the activations of one batch, which backpropagation keeps. It is an
estimate from the shapes analysis inferred, never from allocating anything.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

BYTES_PER_VALUE = 4  # float32
OPTIMIZER_SLOTS = {"sgd": 1, "adam": 2, "adamw": 2}
"""Values the optimizer keeps per weight (SGD: momentum; Adam: first and second moments)."""


@dataclass(frozen=True)
class MemoryEstimate:
    weights: int
    gradients: int
    optimizer: int
    activations: int
    batch_size: int
    optimizer_name: str

    @property
    def training(self) -> int:
        return self.weights + self.gradients + self.optimizer + self.activations

    def describe(self) -> str:
        """``about 34.4 GB (weights 8.6 GB, gradients 8.6 GB, Adam state 17.2 GB, activations for …: …)``."""
        optimizer = {"sgd": "SGD momentum", "adam": "Adam state", "adamw": "AdamW state"}.get(
            self.optimizer_name, "optimizer state")
        images = "1 image" if self.batch_size == 1 else f"a batch of {self.batch_size:,}"
        return (f"about {gigabytes(self.training)} (weights {gigabytes(self.weights)}, gradients "
                f"{gigabytes(self.gradients)}, {optimizer} {gigabytes(self.optimizer)}, activations for "
                f"{images}: {gigabytes(self.activations)})")


def gigabytes(size: int) -> str:
    return f"{size / 1e9:.1f} GB" if size >= 1e8 else f"{size / 1e6:.1f} MB"


def estimate(params: int, output_shapes, batch_size: int = 1, optimizer: str = "adam") -> MemoryEstimate:
    """Training memory for ``params`` weights and one batch of the given per-image output shapes."""
    weights = params * BYTES_PER_VALUE
    activations = sum(math.prod(shape) for shape in output_shapes if shape) * BYTES_PER_VALUE * batch_size
    return MemoryEstimate(weights, weights, weights * OPTIMIZER_SLOTS.get(optimizer, 2), activations,
                          batch_size, optimizer)


def machine_memory() -> int | None:
    """This machine's physical memory in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not every platform has these names
        return None
