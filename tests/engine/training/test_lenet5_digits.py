"""The acceptance test: the LeNet-5 preset learns the bundled digits, whatever the seed, in under a minute.

``convcanvas train presets/lenet5.cnn.json --dataset digits`` with the
preset's own training settings must end at 97 % validation accuracy or more
for seeds 0, 1 and 2 (each seed also draws its own validation split).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from engine.cli import main

PRESET = Path(__file__).resolve().parents[3] / "presets" / "lenet5.cnn.json"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lenet5_reaches_97_percent_on_digits_in_under_a_minute(seed, tmp_path, capsys):
    started = time.perf_counter()
    code = main(["train", str(PRESET), "--dataset", "digits", "--seed", str(seed), "--out", str(tmp_path),
                 "--json"])
    seconds = time.perf_counter() - started
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    summary = json.loads(lines[-1])
    assert summary["val_accuracy"] >= 0.97, lines
    assert seconds < 60, f"seed {seed} took {seconds:.1f} s"
