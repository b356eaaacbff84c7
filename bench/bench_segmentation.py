"""How well and how fast the unet-small preset learns the bundled seg-shapes set (issue 14's target).

Trains ``presets/unet-small.cnn.json`` with its default settings through
``convcanvas train --json`` and prints the validation mean IoU against the
0.90 target and the time against a one-minute budget, each as MET/MISSED.
The accuracy is not a test: it needs the full default run (minutes on a busy
machine), and timings never are.
"""
from __future__ import annotations

import os

from .preset_runs import PresetRun, load_average, report_time, run_preset

TARGET_MIOU = 0.90
BUDGET_S = 60.0


def train_once(seed: int = 0) -> PresetRun:
    """One headless run of the preset, measured."""
    return run_preset("unet-small", "seg-shapes", seed, "--device", "cpu")


def main() -> int:
    print(f"unet-small preset on seg-shapes, {os.cpu_count()} CPUs, load average {load_average():.1f}", flush=True)
    run = train_once()
    miou = run.summary["val_miou"]
    print(f"  mean IoU {miou:.3f} after {run.summary['epochs']} epochs (target >= {TARGET_MIOU:.2f}): "
          f"{'MET' if miou >= TARGET_MIOU else 'MISSED'}", flush=True)
    report_time(run, BUDGET_S)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
