"""One headless ``convcanvas train --json`` run of a preset, timed: what the preset benches measure."""
from __future__ import annotations

import contextlib
import io
import json
import tempfile
import time
from pathlib import Path

from engine.cli import main as cli_main

PRESETS = Path(__file__).resolve().parent.parent / "presets"


def train_preset(preset: str, dataset: str, seed: int = 0, *extra: str) -> tuple[float, dict]:
    """(seconds, the run's JSON summary) of training ``presets/<preset>.cnn.json`` on ``dataset``."""
    with tempfile.TemporaryDirectory() as out:
        printed = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(printed):
            code = cli_main(["train", str(PRESETS / f"{preset}.cnn.json"), "--dataset", dataset, "--seed", str(seed),
                             "--out", out, "--json", *extra])
        seconds = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"training {preset} (seed {seed}) exited {code}")
    return seconds, json.loads(printed.getvalue().splitlines()[-1])
