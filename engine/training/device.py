"""Where to train: the device choice and what to tell the user about it."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .errors import TrainingError


@dataclass(frozen=True)
class DeviceChoice:
    device: torch.device
    description: str
    """For the log: "CPU (2 threads)", "CUDA GPU NVIDIA H100 (cuda:0)"."""


def mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def choose_device(requested: str = "auto", local_rank: int = 0) -> DeviceChoice:
    """``auto`` picks CUDA, then Apple's MPS, then the CPU; an unavailable explicit choice is an error."""
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "mps" if mps_available() else "cpu"
    if requested == "cuda":
        if not torch.cuda.is_available():
            raise TrainingError(f"device 'cuda' was asked for, but this PyTorch ({torch.__version__}) sees no "
                                "CUDA GPU; choose device auto or cpu.")
        index = local_rank % torch.cuda.device_count()
        torch.cuda.set_device(index)
        return DeviceChoice(torch.device("cuda", index),
                            f"CUDA GPU {torch.cuda.get_device_name(index)} (cuda:{index})")
    if requested == "mps":
        if not mps_available():
            raise TrainingError("device 'mps' was asked for, but this machine has no Apple GPU available to "
                                "PyTorch; choose device auto or cpu.")
        return DeviceChoice(torch.device("mps"), "Apple GPU (MPS)")
    if requested == "cpu":
        return DeviceChoice(torch.device("cpu"), f"CPU ({torch.get_num_threads()} threads)")
    raise TrainingError(f"unknown device {requested!r}: use auto, cpu, cuda or mps.")


def use_mixed_precision(device: torch.device, wanted: bool) -> tuple[bool, str | None]:
    """16-bit autocast runs on CUDA only; elsewhere the request is ignored with a note."""
    if not wanted:
        return False, None
    if device.type == "cuda":
        return True, "mixed precision: on (float16 autocast with gradient scaling)"
    return False, f"mixed precision: ignored on {device.type.upper()} (it speeds up CUDA GPUs only); " \
                  "training in float32"
