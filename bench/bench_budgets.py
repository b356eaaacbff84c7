"""Small speed promises that used to be timed asserts in tests, each against its budget.

A test that times itself fails on a busy machine while the code is right, so
the tests check behaviour and the times live here, as ratios to a budget with
MET/MISSED (the median of a few runs):

- drawing 2,000 Shapes images at 32×32: budget 0.5 s;
- tidying ResNet-50's layout: budget 50 ms;
- a Stop while LeNet-5 trains, until ``fit`` returns: budget 1 s.
"""
from __future__ import annotations

import os
import statistics
import threading
import time
from pathlib import Path

from engine import load_project
from engine.config import TrainingConfig
from engine.data import generate_shapes
from engine.layout import tidy_layout
from engine.training import Callback, StopToken, Trainer

from .bench_analysis import median_seconds

PRESETS = Path(__file__).resolve().parent.parent / "presets"
RUNS = 5


def verdict(label: str, seconds: float, budget: float) -> None:
    ratio = seconds / budget
    print(f"  {label:44s} {seconds * 1e3:9.1f} ms   budget {budget * 1e3:7.0f} ms   ratio {ratio:.2f} "
          f"(target <= 1.00): {'MET' if ratio <= 1.0 else 'MISSED'}", flush=True)


class _StopAfterFirstBatch(Callback):
    """Asks the run to stop at its first batch and notes when it asked."""

    def __init__(self, stop: StopToken) -> None:
        self.stop, self.asked = stop, None

    def on_batch_end(self, state, metrics) -> None:
        if self.asked is None:
            self.asked = time.perf_counter()
            self.stop.stop()


def stop_latency() -> float:
    project = load_project(PRESETS / "lenet5.cnn.json")
    project.training = TrainingConfig(dataset="digits", epochs=50, batch_size=8, device="cpu")
    stop = StopToken()
    asker = _StopAfterFirstBatch(stop)
    trainer = Trainer(project, callbacks=[asker], stop=stop, report_interval=0)
    thread = threading.Thread(target=trainer.fit)
    thread.start()
    thread.join()
    return time.perf_counter() - asker.asked


def main() -> int:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"budgets, {os.cpu_count()} CPUs, load average {load:.1f}; medians of {RUNS} runs", flush=True)
    verdict("2,000 Shapes images at 32×32", median_seconds(lambda: generate_shapes(2000, (32, 32), seed=0), RUNS), 0.5)
    resnet50 = load_project(PRESETS / "resnet50.cnn.json").graph
    verdict("tidy layout of ResNet-50", median_seconds(lambda: tidy_layout(resnet50), RUNS), 0.05)
    verdict("Stop while training, until fit returns", statistics.median(stop_latency() for _ in range(3)), 1.0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
