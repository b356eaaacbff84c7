"""A run killed outright (SIGKILL) reads back as interrupted, with the epochs it completed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine.experiments.folders import METRICS_FILE
from engine.experiments.listing import read_run
from engine.experiments.metrics_log import append_metrics, read_metrics

REPO = Path(__file__).resolve().parents[3]

# The child trains the tiny network and, in the middle of its second epoch, says so and waits to be killed.
CHILD = """
import sys, time
from engine.training import Callback
from tests.engine.experiments.run_helpers import train_recorded

class SayMidEpoch(Callback):
    def on_batch_end(self, state, metrics):
        if state.epoch == 2 and state.batch == 2:
            print("mid-epoch", flush=True)
            time.sleep(120)

train_recorded(__import__("pathlib").Path(sys.argv[1]), epochs=3, callbacks=[SayMidEpoch()])
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_run_killed_mid_epoch_reads_as_interrupted_with_its_completed_epochs(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert child.stdout.readline().strip() == "mid-epoch"
        running = read_run(next(tmp_path.iterdir()))
        assert running.status == "running"  # its process lives
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=60)
        child.stdout.close()
    row = read_run(next(tmp_path.iterdir()))
    assert row.status == "interrupted"
    assert row.epochs == 1 and [entry["epoch"] for entry in read_metrics(row.folder / METRICS_FILE)] == [1]


def test_a_torn_last_metrics_line_is_skipped(tmp_path):
    path = tmp_path / METRICS_FILE
    append_metrics(path, {"epoch": 1, "train_loss": 0.5})
    append_metrics(path, {"epoch": 2, "train_loss": 0.4})
    with open(path, "a", encoding="utf-8") as file:
        file.write('{"epoch": 3, "train_lo')  # what a kill in the middle of a write leaves
    assert [entry["epoch"] for entry in read_metrics(path)] == [1, 2]
