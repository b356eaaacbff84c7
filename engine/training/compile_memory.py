"""What compiling a network measured in an earlier run, so the next run's estimate uses measured figures.

The fast path's first guess (``fast_path.decide``) fits a model of layer mixes
to two networks measured once; the in-run trial (``fast_path.StepTrial``)
then measures the compile time and a compiled step against an eager one.
Those two figures are kept here, keyed by what they depend on (PyTorch
version, device, threads, the network's size, the batch), in a small JSON
file beside the datasets' cache ($CONVCANVAS_CACHE, else ~/.cache/convcanvas):
a second run of the same network decides from them instead of compiling
again to learn that it does not pay. The file is ours and only numbers are
read from it; anything unreadable is ignored (the estimate is used).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from ..fileio import atomic_write_text
from ..reading import RefusedFile, read_limited

CACHE_ENV = "CONVCANVAS_CACHE"
FILE_NAME = "compile_measurements.json"
MAX_BYTES = 1 << 20
MAX_ENTRIES = 200


@dataclass(frozen=True)
class Measured:
    compile_seconds: float
    step_ratio: float
    """A compiled step's time as a share of an eager one."""


def measurements_path() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path("~/.cache/convcanvas").expanduser()) / FILE_NAME


def measurement_key(model: torch.nn.Module, device: torch.device, batch_size: int) -> str:
    parameters = sum(p.numel() for p in model.parameters())
    layers = sum(1 for _ in model.modules())
    return (f"torch {torch.__version__} | {device.type} | {torch.get_num_threads()} threads | {layers} modules, "
            f"{parameters} parameters | batch {batch_size}")


def _read() -> dict[str, dict]:
    try:
        found = json.loads(read_limited(measurements_path(), "compile measurements", MAX_BYTES))
    except (OSError, RefusedFile, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def recall(key: str) -> Measured | None:
    entry = _read().get(key)
    try:
        measured = Measured(float(entry["compile_seconds"]), float(entry["step_ratio"]))
    except (TypeError, KeyError, ValueError):
        return None
    return measured if measured.compile_seconds >= 0 and measured.step_ratio > 0 else None


def remember(key: str, measured: Measured) -> None:
    """Keeps the measurement (the newest ``MAX_ENTRIES``); a cache that cannot be written is skipped."""
    entries = {name: entry for name, entry in _read().items() if name != key}
    entries[key] = {"compile_seconds": round(measured.compile_seconds, 2), "step_ratio": round(measured.step_ratio, 4)}
    entries = dict(list(entries.items())[-MAX_ENTRIES:])
    try:
        measurements_path().parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(measurements_path(), json.dumps(entries, indent=1))
    except OSError:
        pass  # a read-only home: the next run estimates again
