"""How well and how fast the unet-small preset learns the bundled seg-shapes set (issue 14's target).

Trains ``presets/unet-small.cnn.json`` with its default settings through
``convcanvas train --json`` and prints the validation mean IoU against the
0.90 target and the time against a one-minute budget, each as MET/MISSED.
The accuracy is not a test: it needs the full default run (minutes on a busy
machine), and timings never are.
"""
from __future__ import annotations

import os

from .preset_runs import train_preset

TARGET_MIOU = 0.90
BUDGET_S = 60.0


def train_once(seed: int = 0) -> tuple[float, float]:
    """(seconds, validation mean IoU) of one headless run of the preset."""
    seconds, summary = train_preset("unet-small", "seg-shapes", seed, "--device", "cpu")
    return seconds, summary["val_miou"]


def main() -> int:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"unet-small preset on seg-shapes, {os.cpu_count()} CPUs, load average {load:.1f}", flush=True)
    seconds, miou = train_once()
    quality = "MET" if miou >= TARGET_MIOU else "MISSED"
    ratio = seconds / BUDGET_S
    print(f"  mean IoU {miou:.3f} (target >= {TARGET_MIOU:.2f}): {quality}", flush=True)
    print(f"  {seconds:.1f} s; ratio to the {BUDGET_S:.0f} s budget {ratio:.2f} (target <= 1.00): "
          f"{'MET' if ratio <= 1.0 else 'MISSED'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
