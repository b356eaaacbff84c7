"""A streamed image folder's workers end when its data is closed: no worker process, no queue
feeder thread and no forkserver outlives the run (the desktop app streams with the "forkserver"
context). Python's resource tracker, one idle process, stays by design (see
``engine.data.stream_data.stop_idle_forkserver``).

Before, closing only dropped the loader: an epoch left half-way kept its workers alive in a
suspended generator, and the forkserver stayed for the life of the process.
"""
from __future__ import annotations

import multiprocessing

import pytest
import torch
from PIL import Image

from engine import Project, TrainingConfig
from engine.builders import GraphBuilder
from engine.data import StreamData
from engine.data.image_folder import load_image_folder
from engine.training import Callback, StopToken, Trainer

@pytest.fixture
def streamed(tmp_path):
    """A two-class folder streamed by a forkserver worker per split (as the window runs it)."""
    for name, colour in (("red", (220, 30, 30)), ("blue", (30, 30, 220))):
        (tmp_path / name).mkdir()
        for index in range(24):
            Image.new("RGB", (8, 8), tuple(min(255, value + 3 * index) for value in colour)).save(
                tmp_path / name / f"{index}.png")
    data = load_image_folder(tmp_path, (3, 8, 8), max_in_memory_bytes=100, num_workers=1)
    for split in (data.train, data.val):
        assert isinstance(split, StreamData)
        split.multiprocessing_context = "forkserver"
    yield data
    data.close()


@pytest.fixture
def baseline(worker_census):
    assert multiprocessing.active_children() == []
    return worker_census()


def assert_back_to(baseline) -> None:
    """No process and no thread that was not there before (threads of earlier tests may end meanwhile)."""
    now = baseline.now()
    assert multiprocessing.active_children() == []
    assert set(now.processes) <= set(baseline.processes)
    assert all(now.threads.count(name) <= baseline.threads.count(name) for name in now.threads), now.threads


def test_closing_ends_the_workers_of_an_epoch_left_half_way(streamed, baseline):
    epoch = streamed.train.iter_batches(4, shuffle=True, generator=torch.Generator().manual_seed(0))
    next(epoch)  # workers, feeder threads, forkserver and resource tracker are running now
    running = baseline.now()
    assert len(multiprocessing.active_children()) == 1 and "QueueFeederThread" in running.threads
    assert len(running.processes) > len(baseline.processes)  # the worker and the forkserver

    streamed.close()

    assert_back_to(baseline)
    assert epoch is not None  # the suspended epoch is still referenced: it no longer holds the workers


def test_closed_data_starts_new_workers_for_the_next_epoch(streamed, baseline):
    first = [len(labels) for _, labels in streamed.val.iter_batches(8)]
    streamed.close()
    again = [len(labels) for _, labels in streamed.val.iter_batches(8)]
    streamed.close()

    assert first == again and sum(first) == len(streamed.val)
    assert_back_to(baseline)


class StopsAfterOneBatch(Callback):
    """Stops the run (the Stop button) or fails it, after its first batch: an epoch left half-way."""

    def __init__(self, stop: StopToken, fail: bool) -> None:
        self.stop, self.fail = stop, fail

    def on_batch_end(self, state, metrics) -> None:
        if self.fail:
            raise RuntimeError("a failing callback")
        self.stop.stop()


@pytest.mark.parametrize("fail", [False, True], ids=["stopped", "failed"])
def test_a_run_that_stops_or_fails_leaves_nothing_once_its_data_is_closed(streamed, baseline, fail):
    builder = GraphBuilder()
    builder.add("input", "image", channels=3, height=8, width=8)
    builder.add("flatten", "flat")
    builder.add("dense", "fc", out_features=2)
    builder.add("output", "scores")
    project = Project(builder.graph, "Colours", training=TrainingConfig(epochs=3, batch_size=4, device="cpu"))
    stop = StopToken()
    trainer = Trainer(project, callbacks=[StopsAfterOneBatch(stop, fail)], stop=stop, report_interval=0)

    if fail:
        with pytest.raises(RuntimeError, match="a failing callback"):
            trainer.fit(streamed)
    else:
        assert trainer.fit(streamed).stopped
    streamed.close()  # the caller gave the data: the caller closes it (the window does so after every run)

    assert_back_to(baseline)
