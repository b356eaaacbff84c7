"""What keeping a run costs: training with the run folder's recorder against training without it.

Both variants train LeNet-5 on the bundled digits and write their
checkpoints to a folder; one also keeps the run folder (``RunRecorder``:
project snapshot, settings, a synced metrics line and ``run.json`` per
epoch, TensorBoard scalars, graph and histograms).

Two figures: (1) an epoch with the recorder against a plain epoch, from the
time the recorder's per-epoch hooks take (batch reports and the epoch end),
timed inside the runs: target <= 1.02; (2) the wall time of whole runs
(start, epochs, every callback) with and without it, which also counts the
one-off start (graph trace, files) and, on a busy machine, a lot of noise.
Variants alternate, round after round, and each figure is the median.
"""
from __future__ import annotations

import os
import shutil
import statistics
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
ROUNDS, EPOCHS = 3, 2
EPOCH_HOOKS = ("on_batch_end", "on_epoch_end")
TARGET = 1.02


def main() -> int:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, load average "
          f"{load:.1f}; medians over {ROUNDS} alternating rounds", flush=True)
    project = load_project(PRESETS / "lenet5.cnn.json")
    config = project.training.replace(epochs=EPOCHS, device="cpu")
    data = load_dataset("digits", (1, 32, 32), val_fraction=config.val_fraction, seed=config.seed)
    root = Path(tempfile.mkdtemp(prefix="convcanvas-bench-runs-"))

    hooks: dict[str, list[float]] = {"start": [], "epoch": []}

    class TimedRecorder(RunRecorder):
        """The recorder, with the seconds its hooks take written down."""

        def on_fit_start(self, state):
            started = time.perf_counter()
            super().on_fit_start(state)
            hooks["start"].append(time.perf_counter() - started)

    for name in EPOCH_HOOKS:
        def timed(self, *args, _hook=getattr(RunRecorder, name)):
            started = time.perf_counter()
            _hook(self, *args)
            hooks["epoch"].append(time.perf_counter() - started)
        setattr(TimedRecorder, name, timed)

    def train(recorded: bool) -> Callable[[], float]:
        def run() -> float:
            folder = new_run_folder(root, "recorded" if recorded else "plain")
            callbacks = [TimedRecorder(folder, project, config)] if recorded else []
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
    runs = len(hooks["start"])
    plain_epoch = times["plain"] / EPOCHS
    per_epoch = sum(hooks["epoch"]) / (runs * EPOCHS)
    ratio = (plain_epoch + per_epoch) / plain_epoch
    verdict = "MET" if ratio <= TARGET else "MISSED"
    print(f"  (1) an epoch              with logging {(plain_epoch + per_epoch) * 1e3:9.1f} ms   "
          f"plain {plain_epoch * 1e3:9.1f} ms   ratio {ratio:.3f}  (target <= {TARGET}) {verdict}", flush=True)
    whole = times["recorded"] / times["plain"]
    print(f"  (2) whole {EPOCHS}-epoch runs     with logging {times['recorded'] * 1e3:9.1f} ms   "
          f"plain {times['plain'] * 1e3:9.1f} ms   ratio {whole:.3f}  (one-off start "
          f"{statistics.median(hooks['start']) * 1e3:.0f} ms a run; wall times, noisy on a busy machine)", flush=True)
    return 0
