"""The window's runs on a streamed image folder: the DataLoader workers, their queue threads and the
forkserver end with the run, finished or stopped (the data stays cached for the next run)."""
from __future__ import annotations

import multiprocessing

import pytest
from PIL import Image

from app.training.run import TrainingRun
from app.training.worker import RunRequest
from engine import Project, TrainingConfig
from engine.builders import GraphBuilder
from engine.data import StreamData
from engine.data.image_folder import load_image_folder

RUN_TIMEOUT_MS = 120_000


@pytest.fixture
def streamed(tmp_path):
    """A two-class folder streamed by one forkserver worker per split, as the window loads it."""
    for name, colour in (("red", (220, 30, 30)), ("blue", (30, 30, 220))):
        (tmp_path / "images" / name).mkdir(parents=True)
        for index in range(24):
            Image.new("RGB", (8, 8), tuple(min(255, value + 3 * index) for value in colour)).save(
                tmp_path / "images" / name / f"{index}.png")
    data = load_image_folder(tmp_path / "images", (3, 8, 8), max_in_memory_bytes=100, num_workers=1)
    for split in (data.train, data.val):
        assert isinstance(split, StreamData)
        split.multiprocessing_context = "forkserver"
    return data


def request_for(data, tmp_path, epochs: int) -> RunRequest:
    builder = GraphBuilder()
    builder.add("input", "image", channels=3, height=8, width=8)
    builder.add("flatten", "flat")
    builder.add("dense", "fc", out_features=2)
    builder.add("output", "scores")
    config = TrainingConfig(dataset=str(tmp_path / "images"), epochs=epochs, batch_size=4, device="cpu")
    return RunRequest(Project(builder.graph, "Colours", training=config), config, tmp_path / "run", data=data)


def assert_nothing_left(baseline, census) -> None:
    after = census()
    assert multiprocessing.active_children() == []
    assert "QueueFeederThread" not in after.threads
    assert set(after.processes) <= set(baseline.processes)  # no worker, no forkserver


def test_a_finished_run_leaves_no_worker_behind(qtbot, streamed, tmp_path, worker_census):
    baseline = worker_census()
    run = TrainingRun(request_for(streamed, tmp_path, epochs=1))
    with qtbot.waitSignal(run.ended, timeout=RUN_TIMEOUT_MS):
        run.start()
    assert_nothing_left(baseline, worker_census)


def test_a_stopped_run_leaves_no_worker_behind(qtbot, streamed, tmp_path, worker_census):
    baseline = worker_census()
    run = TrainingRun(request_for(streamed, tmp_path, epochs=50))
    with qtbot.waitSignal(run.worker.progress, timeout=RUN_TIMEOUT_MS):
        run.start()
    assert len(multiprocessing.active_children()) >= 1  # streaming through a worker now

    assert run.stop_and_wait(RUN_TIMEOUT_MS)
    assert_nothing_left(baseline, worker_census)
