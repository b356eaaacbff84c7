"""Hostile model files, built in the tests: each acts on a marker file if anything runs its code."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Tuple

import torch

PRESET = Path(__file__).resolve().parents[2] / "presets" / "tinycnn.cnn.json"
UNTOUCHED = b"untouched"


class SetStateWrites(torch.nn.Module):
    """Scripted, its ``__setstate__`` runs inside ``torch.jit.load`` and writes into the file at ``path``
    through a shared memory map (``torch.from_file``): code from the archive acting on the machine."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.scale = torch.ones(1)

    def forward(self, x):
        return x * self.scale

    @torch.jit.export
    def __getstate__(self) -> Tuple[str, bool]:
        return (self.path, self.training)

    @torch.jit.export
    def __setstate__(self, state: Tuple[str, bool]) -> None:
        self.path = state[0]
        self.training = state[1]
        hit = torch.from_file(state[0], shared=True, size=len("untouched"), dtype=torch.uint8)
        hit.fill_(88)
        self.scale = torch.ones(1) + hit[:1].float() * 0  # uses ``hit``, so the write is not optimised away


class ReduceWrites:
    """Pickled, it becomes a call of ``exec`` that overwrites the file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return exec, (f"import pathlib; pathlib.Path({self.path!r}).write_bytes(b'pwned!!!!')",)


def marker_file(folder: Path, name: str = "marker.bin") -> Path:
    path = folder / name
    path.write_bytes(UNTOUCHED)
    return path


def scripted_hostile(path: Path, marker: Path, extra: dict[str, str]) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit is deprecated
        torch.jit.save(torch.jit.script(SetStateWrites(str(marker))), str(path), _extra_files=extra)
    return path
