"""How long the LeNet-5 preset takes to learn the bundled digits, as the README claims.

The acceptance test (tests/engine/training/test_lenet5_digits.py) checks the
accuracy; the time lives here, because a timed assert fails on a busy machine.
Each seed's ``convcanvas train`` run is timed against a one-minute budget and
printed as a ratio with MET/MISSED.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import time
from pathlib import Path

from engine.cli import main as cli_main

PRESET = Path(__file__).resolve().parent.parent / "presets" / "lenet5.cnn.json"
BUDGET_S = 60.0
SEEDS = (0, 1, 2)


def train_once(seed: int) -> tuple[float, float]:
    """Returns (seconds, validation accuracy) of one headless training run of the preset."""
    with tempfile.TemporaryDirectory() as out:
        printed = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(printed):
            code = cli_main(["train", str(PRESET), "--dataset", "digits", "--seed", str(seed),
                             "--out", out, "--json"])
        seconds = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"training seed {seed} exited {code}")
    summary = json.loads(printed.getvalue().splitlines()[-1])
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
