"""Does watching the gradient flow slow training down? Training LeNet-5 on the bundled digits with the
Gradients view open (a captured step every ``GRADIENT_INTERVAL`` seconds, as the app asks) against
training with it closed. Target: ratio <= 1.05.

The variants alternate round after round and each figure is the median (2 shared cores are noisy).
"""
from __future__ import annotations

import os
from collections.abc import Callable

from engine import load_project
from engine.data import load_dataset
from engine.insight.gradients import DEFAULT_INTERVAL, GradientMailbox
from engine.training import Trainer

from .bench_training import PRESETS, alternate

ROUNDS, EPOCHS = 5, 2
TARGET = 1.05


def main() -> int:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    project = load_project(PRESETS / "lenet5.cnn.json")
    config = project.training.replace(epochs=EPOCHS, device="cpu")
    data = load_dataset("digits", (1, 32, 32), val_fraction=config.val_fraction, seed=config.seed)
    frames: list[int] = []

    def train(mailbox: GradientMailbox | None) -> Callable[[], float]:
        def run() -> float:
            if mailbox is not None:
                mailbox.watch(True)
            result = Trainer(project, config, gradients=mailbox).fit(data)
            if mailbox is not None and mailbox.latest() is not None:
                frames.append(len(mailbox.latest().layers))
            return sum(entry["seconds"] for entry in result.history)
        return run

    print(f"load average {load:.1f}; {EPOCHS} epochs of LeNet-5 on digits, Gradients view open (a step "
          f"captured every {DEFAULT_INTERVAL:g} s) vs closed; medians over {ROUNDS} alternating rounds", flush=True)
    times = alternate({"open": train(GradientMailbox(DEFAULT_INTERVAL)), "closed": train(None)}, ROUNDS)
    ratio = times["open"] / times["closed"]
    verdict = "MET" if ratio <= TARGET else "MISSED"
    print(f"  training with the Gradients view open vs closed   open {times['open']:.3f} s   closed "
          f"{times['closed']:.3f} s   ratio {ratio:.3f}  (target <= {TARGET})  {verdict}", flush=True)
    print(f"  ({len(frames)} watched runs produced frames of {frames[-1]} layers)" if frames else
          "  (no gradient frames were produced)")
    return 0
