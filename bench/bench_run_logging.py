"""What keeping a run costs: training with the run folder's recorder against training without it.

Both variants train LeNet-5 on the bundled digits and write their
checkpoints to a folder; one also keeps the run folder (``RunRecorder``:
project snapshot, settings, a synced metrics line and ``run.json`` per
epoch, TensorBoard scalars, graph and histograms). Each figure is the wall
time of whole runs (start, epochs and every callback), so the recorder's
one-off start (the graph trace) is counted too. Target: ratio <= 1.02.

Variants alternate, round after round, and each figure is the median.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from engine import load_project
from engine.data import load_dataset
from engine.experiments.folders import new_run_folder
from engine.experiments.recorder import RunRecorder
from engine.training import Trainer

from .bench_training import alternate

PRESETS = Path(__file__).resolve().parent.parent / "presets"
ROUNDS, EPOCHS = 5, 2
TARGET = 1.02


def main() -> int:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, load average "
          f"{load:.1f}; medians over {ROUNDS} alternating rounds", flush=True)
    project = load_project(PRESETS / "lenet5.cnn.json")
    config = project.training.replace(epochs=EPOCHS, device="cpu")
    data = load_dataset("digits", (1, 32, 32), val_fraction=config.val_fraction, seed=config.seed)
    root = Path(tempfile.mkdtemp(prefix="convcanvas-bench-runs-"))

    def train(recorded: bool) -> Callable[[], float]:
        def run() -> float:
            folder = new_run_folder(root, "recorded" if recorded else "plain")
            callbacks = [RunRecorder(folder, project, config)] if recorded else []
            started = time.perf_counter()
            Trainer(project, config, callbacks=callbacks, out=folder).fit(data)
            seconds = time.perf_counter() - started
            shutil.rmtree(folder, ignore_errors=True)
            return seconds
        return run

    try:
        print(f"{EPOCHS} epochs of LeNet-5 on digits, checkpoints written in both, with the run folder vs without",
              flush=True)
        times = alternate({"recorded": train(True), "plain": train(False)}, ROUNDS)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    ratio = times["recorded"] / times["plain"]
    verdict = "MET" if ratio <= TARGET else "MISSED"
    print(f"  run logging               recorded {times['recorded'] / EPOCHS * 1e3:9.1f} ms/epoch   "
          f"plain {times['plain'] / EPOCHS * 1e3:9.1f} ms/epoch   ratio {ratio:.3f}  (target <= {TARGET}) {verdict}",
          flush=True)
    return 0
