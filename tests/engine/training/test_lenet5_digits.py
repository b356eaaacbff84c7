"""The acceptance test: the LeNet-5 preset learns the bundled digits, whatever the seed.

``convcanvas train presets/lenet5.cnn.json --dataset digits`` with the
preset's own training settings must end at 97 % validation accuracy or more
for seeds 0, 1 and 2 (each seed also draws its own validation split). How long
it takes is measured by ``make bench`` (bench/bench_acceptance.py), never
asserted here: a busy machine must not fail a correct network.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli import main

PRESET = Path(__file__).resolve().parents[3] / "presets" / "lenet5.cnn.json"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lenet5_reaches_97_percent_on_digits(seed, tmp_path, capsys):
    code = main(["train", str(PRESET), "--dataset", "digits", "--seed", str(seed), "--out", str(tmp_path),
                 "--json"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    summary = json.loads(lines[-1])
    assert summary["val_accuracy"] >= 0.97, lines
