"""One headless ``convcanvas train --json`` run of a preset, timed: what the preset benches measure."""
from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from engine.cli import main as cli_main

PRESETS = Path(__file__).resolve().parent.parent / "presets"


@dataclass(frozen=True)
class PresetRun:
    seconds: float
    """wall-clock time of the whole command (data, training, validation)"""
    cpu_seconds: float
    """CPU time of all its threads: what the run costs whatever else runs on the machine"""
    load: float
    """the one-minute load average when the run ended (the share of the machine it had)"""
    summary: dict
    """the run's JSON summary"""


def run_preset(preset: str, dataset: str, seed: int = 0, *extra: str) -> PresetRun:
    """Trains ``presets/<preset>.cnn.json`` on ``dataset`` and measures it."""
    with tempfile.TemporaryDirectory() as out:
        printed = io.StringIO()
        started, cpu_started = time.perf_counter(), time.process_time()
        with contextlib.redirect_stdout(printed):
            code = cli_main(["train", str(PRESETS / f"{preset}.cnn.json"), "--dataset", dataset, "--seed", str(seed),
                             "--out", out, "--json", *extra])
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    if code != 0:
        raise RuntimeError(f"training {preset} (seed {seed}) exited {code}")
    return PresetRun(seconds, cpu_seconds, load_average(), json.loads(printed.getvalue().splitlines()[-1]))


def train_preset(preset: str, dataset: str, seed: int = 0, *extra: str) -> tuple[float, dict]:
    """(seconds, the run's JSON summary) of training ``presets/<preset>.cnn.json`` on ``dataset``."""
    run = run_preset(preset, dataset, seed, *extra)
    return run.seconds, run.summary


def report_time(run: PresetRun, budget_s: float) -> None:
    """The run's wall time against ``budget_s`` (MET/MISSED), with the load and the CPU time beside it: on a
    busy machine the wall time overstates what a quiet one takes. The CPU time bounds a quiet machine's wall
    time from above (on a busy one, threads waiting for each other spin and burn CPU too: detector-small's
    two threads used 311 s of CPU at load 10-15 where one thread needs 66 s)."""
    ratio = run.seconds / budget_s
    print(f"  {run.seconds:.1f} s at load {run.load:.1f}; ratio to the {budget_s:.0f} s budget {ratio:.2f} "
          f"(target <= 1.00): {'MET' if ratio <= 1.0 else 'MISSED'}", flush=True)
    print(f"  CPU time {run.cpu_seconds:.1f} s: a quiet machine takes at most about that", flush=True)


def load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0

