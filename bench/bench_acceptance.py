"""How long the LeNet-5 preset takes to learn the bundled digits, as the README claims.

The acceptance test (tests/engine/training/test_lenet5_digits.py) checks the
accuracy; the time lives here, because a timed assert fails on a busy machine.
Each seed's ``convcanvas train`` run is timed against a one-minute budget and
printed as a ratio with MET/MISSED.
"""
from __future__ import annotations

import os

from .preset_runs import train_preset

BUDGET_S = 60.0
SEEDS = (0, 1, 2)


def train_once(seed: int) -> tuple[float, float]:
    """Returns (seconds, validation accuracy) of one headless training run of the preset."""
    seconds, summary = train_preset("lenet5", "digits", seed)
    return seconds, summary["val_accuracy"]


def main() -> int:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"LeNet-5 preset on digits, {os.cpu_count()} CPUs, load average {load:.1f}", flush=True)
    for seed in SEEDS:
        seconds, accuracy = train_once(seed)
        ratio = seconds / BUDGET_S
        verdict = "MET" if ratio <= 1.0 else "MISSED"
        print(f"  seed {seed}: {accuracy:.1%} validation accuracy in {seconds:.1f} s; "
              f"ratio to the {BUDGET_S:.0f} s budget {ratio:.2f} (target <= 1.00): {verdict}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
