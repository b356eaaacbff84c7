"""How well and how fast the detector-small preset learns the bundled det-shapes set (issue 15's target).

Trains ``presets/detector-small.cnn.json`` with its default settings through ``convcanvas train --json``
and prints the validation mAP@0.5 against the 0.80 target and the time against the five-minute budget,
each as MET/MISSED. mAP comes from torchmetrics' MeanAveragePrecision, which needs a COCO backend
(faster-coco-eval or pycocotools); without one the mAP line says so and counts as MISSED, and the
centre recall (the share of objects whose class heat map fires at their centre) is printed instead.
"""
from __future__ import annotations

import os

from .preset_runs import train_preset

TARGET_MAP50 = 0.80
BUDGET_S = 300.0


def train_once(seed: int = 0) -> tuple[float, dict]:
    """(seconds, the run's JSON summary) of one headless run of the preset."""
    return train_preset("detector-small", "det-shapes", seed, "--device", "cpu")


def main() -> int:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"detector-small preset on det-shapes, {os.cpu_count()} CPUs, load average {load:.1f}", flush=True)
    seconds, summary = train_once()
    map50 = summary.get("val_map50")
    if map50 is None:
        print(f"  mAP@0.5 n/a: no COCO backend (pip install faster-coco-eval) (target >= {TARGET_MAP50:.2f}): "
              f"MISSED; centre recall {summary['val_accuracy']:.1%}, val loss {summary['val_loss']:.3f}", flush=True)
    else:
        print(f"  mAP@0.5 {map50:.3f}, mAP@[.5:.95] {summary['val_map']:.3f} (target mAP@0.5 >= {TARGET_MAP50:.2f}): "
              f"{'MET' if map50 >= TARGET_MAP50 else 'MISSED'}", flush=True)
    ratio = seconds / BUDGET_S
    print(f"  {seconds:.1f} s; ratio to the {BUDGET_S:.0f} s budget {ratio:.2f} (target <= 1.00): "
          f"{'MET' if ratio <= 1.0 else 'MISSED'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
