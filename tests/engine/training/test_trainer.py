"""Trainer.fit on a tiny network: hooks, metrics, seeds, resume, stop, pause and divergence."""
from __future__ import annotations

import math
import threading
import time

import pytest
import torch

from engine.checkpoint import load_checkpoint
from engine.training import Callback, PauseToken, StopToken, Trainer, TrainingError
from engine.training.trainer import epoch_seed, explain_failure

from .conftest import tiny_config

CURVE_KEYS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr")


class Recorder(Callback):
    """Keeps every hook call, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def on_fit_start(self, state):
        self.calls.append(("fit_start", list(state.notes)))

    def on_epoch_start(self, state):
        self.calls.append(("epoch_start", state.epoch))

    def on_batch_end(self, state, metrics):
        self.calls.append(("batch_end", dict(metrics)))

    def on_validation_end(self, state, metrics):
        self.calls.append(("validation_end", dict(metrics)))

    def on_epoch_end(self, state, metrics):
        self.calls.append(("epoch_end", dict(metrics)))

    def on_fit_end(self, state, result):
        self.calls.append(("fit_end", result))

    def on_exception(self, state, error):
        self.calls.append(("exception", error))

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def of(self, name: str) -> list:
        return [payload for kind, payload in self.calls if kind == name]


def curves(history: list[dict]) -> list[tuple[float, ...]]:
    return [tuple(entry[key] for key in CURVE_KEYS) for entry in history]


def test_a_short_run_calls_the_hooks_in_order_with_sane_metrics(project, data, tmp_path):
    recorder = Recorder()
    result = Trainer(project, callbacks=[recorder], out=tmp_path, report_interval=0).fit(data)

    names = recorder.names()
    assert names[0] == "fit_start" and names[-1] == "fit_end"
    per_epoch = ["epoch_start"] + ["batch_end"] * 6 + ["validation_end", "epoch_end"]
    assert names[1:-1] == per_epoch * 2  # 96 images / 16 = 6 batches, every one reported (interval 0)
    notes = recorder.of("fit_start")[0]
    assert any(note.startswith("device: CPU (") and "threads" in note for note in notes)

    batches = recorder.of("batch_end")
    assert [m["batch"] for m in batches[:6]] == [1, 2, 3, 4, 5, 6]
    for metrics in batches:
        assert metrics["batches_per_epoch"] == 6 and metrics["epochs"] == 2
        assert math.isfinite(metrics["loss"]) and metrics["loss"] > 0
        assert 0 <= metrics["accuracy"] <= 1
        assert metrics["images_per_second"] > 0 and metrics["lr"] > 0 and metrics["eta_seconds"] >= 0

    assert result.epochs_completed == 2 and not result.stopped
    assert batches[-1]["eta_seconds"] < result.seconds  # nothing was left but one validation
    assert [entry["epoch"] for entry in result.history] == [1, 2]
    assert result.val_accuracy > 0.9  # bars are easy
    assert result.best_checkpoint == tmp_path / "best.pt" and result.last_checkpoint == tmp_path / "last.pt"
    assert result.best_val_accuracy == max(entry["val_accuracy"] for entry in result.history)
    assert not result.model.training


def test_the_confusion_matrix_counts_every_validation_image(project, data):
    recorder = Recorder()
    result = Trainer(project, callbacks=[recorder]).fit(data)
    confusion = torch.tensor(result.metrics["confusion"])
    assert confusion.shape == (3, 3)
    assert int(confusion.sum()) == len(data.val)
    assert confusion.sum(dim=1).tolist() == [16, 16, 16]
    accuracy = float(confusion.diagonal().sum()) / len(data.val)
    assert accuracy == pytest.approx(result.val_accuracy)
    per_class = result.metrics["per_class_accuracy"]
    assert per_class == pytest.approx((confusion.diagonal().double() / 16).tolist())
    assert recorder.of("validation_end")[-1]["confusion"] == result.metrics["confusion"]


def test_the_same_seed_gives_the_same_curves_on_the_cpu(project, data):
    first = Trainer(project).fit(data)
    second = Trainer(project).fit(data)
    other_seed = Trainer(project, tiny_config(seed=4)).fit(data)
    assert curves(first.history) == curves(second.history)
    assert curves(first.history) != curves(other_seed.history)
    for name, tensor in first.model.state_dict().items():
        assert torch.equal(tensor, second.model.state_dict()[name]), name


def test_resuming_continues_the_very_same_curves(project, data, tmp_path):
    config = tiny_config(epochs=4, scheduler="step", step_epochs=1, step_gamma=0.5)
    straight = Trainer(project, config).fit(data)

    Trainer(project, config.replace(epochs=2), out=tmp_path).fit(data)
    checkpoint = load_checkpoint(tmp_path / "last.pt")
    assert checkpoint.epoch == 2
    resumed = Trainer(project, config, out=tmp_path).fit(data, resume=checkpoint)

    assert [entry["epoch"] for entry in resumed.history] == [1, 2, 3, 4]
    for ours, theirs in zip(curves(resumed.history), curves(straight.history)):
        assert ours == pytest.approx(theirs, rel=1e-5, abs=1e-7)
    assert load_checkpoint(tmp_path / "last.pt").epoch == 4


def test_a_checkpoint_that_already_ran_every_epoch_says_so(project, data, tmp_path):
    Trainer(project, tiny_config(epochs=1), out=tmp_path).fit(data)
    with pytest.raises(TrainingError, match="already trained 1 epochs"):
        Trainer(project, tiny_config(epochs=1)).fit(data, resume=tmp_path / "last.pt")


class StopAt(Callback):
    """Asks the run to stop from inside a hook, as a GUI thread would between two batches."""

    def __init__(self, stop: StopToken, epoch: int, batch: int) -> None:
        self.stop, self.epoch, self.batch = stop, epoch, batch
        self.batches_after_stop = 0

    def on_batch_end(self, state, metrics):
        if self.stop.stopped:
            self.batches_after_stop += 1
        if (state.epoch, state.batch) == (self.epoch, self.batch):
            self.stop.stop()


def test_stopping_mid_epoch_ends_at_once_and_keeps_the_last_checkpoint(project, data, tmp_path):
    stop = StopToken()
    stopper = StopAt(stop, epoch=2, batch=2)
    recorder = Recorder()
    result = Trainer(project, tiny_config(epochs=3), callbacks=[stopper, recorder], stop=stop, out=tmp_path,
                     report_interval=0).fit(data)

    assert result.stopped and result.epochs_completed == 1
    assert stopper.batches_after_stop == 0  # no batch ran after the request
    assert recorder.names()[-2:] == ["batch_end", "fit_end"]  # no validation or checkpoint for epoch 2
    assert load_checkpoint(tmp_path / "last.pt").epoch == 1
    assert result.last_checkpoint == tmp_path / "last.pt"


class PauseAt(Callback):
    def __init__(self, pause: PauseToken, batch: int) -> None:
        self.pause, self.batch = pause, batch
        self.paused_at: float | None = None
        self.next_batch_at: float | None = None

    def on_batch_end(self, state, metrics):
        if state.epoch == 1 and state.batch == self.batch:
            self.pause.pause()
            self.paused_at = time.monotonic()
        elif self.paused_at is not None and self.next_batch_at is None:
            self.next_batch_at = time.monotonic()


def test_a_paused_run_waits_between_batches_until_resumed(project, data):
    pause = PauseToken()
    pauser = PauseAt(pause, batch=3)
    trainer = Trainer(project, tiny_config(epochs=1), callbacks=[pauser], pause=pause, report_interval=0)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("result", trainer.fit(tiny_data())))
    worker.start()
    deadline = time.monotonic() + 30
    while pauser.paused_at is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pauser.paused_at is not None
    time.sleep(0.1)  # let torch's worker threads go idle
    cpu_before = time.process_time()
    time.sleep(0.5)
    cpu_while_paused = time.process_time() - cpu_before
    assert worker.is_alive() and pauser.next_batch_at is None  # held between batches 3 and 4
    assert cpu_while_paused < 0.15  # it sleeps: no busy-waiting
    pause.resume()
    worker.join(30)
    assert outcome["result"].epochs_completed == 1
    assert pauser.next_batch_at is not None  # resumed: batch 4 ran (that it waited is checked above)


def test_stop_wakes_a_paused_run(project, data):
    pause, stop = PauseToken(), StopToken()
    pauser = PauseAt(pause, batch=2)
    trainer = Trainer(project, tiny_config(epochs=2), callbacks=[pauser], pause=pause, stop=stop,
                      report_interval=0)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("result", trainer.fit(tiny_data())))
    worker.start()
    deadline = time.monotonic() + 30
    while pauser.paused_at is None and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.stop()
    worker.join(10)
    assert not worker.is_alive()
    assert outcome["result"].stopped and outcome["result"].epochs_completed == 0


class PoisonBatch(Callback):
    """Writes NaN into the images of one batch when its epoch starts: a real broken batch."""

    def __init__(self, data, seed: int, epoch: int, batch: int, batch_size: int) -> None:
        self.data, self.seed, self.epoch, self.batch, self.batch_size = data, seed, epoch, batch, batch_size

    def on_epoch_start(self, state):
        if state.epoch == self.epoch:
            # The epoch's shuffled order, drawn as the trainer draws it.
            generator = torch.Generator().manual_seed(epoch_seed(self.seed, self.epoch))
            order = torch.randperm(len(self.data.train), generator=generator)
            start = (self.batch - 1) * self.batch_size
            self.data.train.images[order[start : start + self.batch_size]] = float("nan")


def test_a_nan_loss_stops_with_the_epoch_and_batch_and_keeps_the_last_good_checkpoint(project, data, tmp_path):
    recorder = Recorder()
    poison = PoisonBatch(data, seed=3, epoch=2, batch=4, batch_size=16)
    trainer = Trainer(project, tiny_config(epochs=3), callbacks=[poison, recorder], out=tmp_path)
    with pytest.raises(TrainingError) as caught:
        trainer.fit(data)
    message = str(caught.value)
    assert "epoch 2, batch 4 of 6" in message and "NaN" in message and "learning rate" in message
    assert "\n" not in message
    assert caught.value.last_checkpoint == tmp_path / "last.pt"
    saved = load_checkpoint(tmp_path / "last.pt")
    assert saved.epoch == 1
    assert all(torch.isfinite(tensor).all() for tensor in saved.model_state.values() if tensor.is_floating_point())
    assert recorder.names()[-1] == "exception" and recorder.of("exception")[0] is caught.value


def test_mixed_precision_is_ignored_on_the_cpu_with_a_note(project, data):
    result = Trainer(project, tiny_config(epochs=1, mixed_precision=True)).fit(data)
    assert any("mixed precision: ignored on CPU" in note for note in result.notes)


def test_asking_for_a_missing_device_is_a_clear_error(project, data):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(TrainingError, match="sees no CUDA GPU"):
        Trainer(project, tiny_config(device="cuda")).fit(data)


def test_data_prepared_for_another_input_shape_is_refused(project):
    from .conftest import tiny_split

    data = tiny_split()
    data.input_shape = (1, 16, 16)
    with pytest.raises(TrainingError, match="prepared for images of 1×16×16"):
        Trainer(project).fit(data)


def tiny_data():
    from .conftest import tiny_split

    return tiny_split()


def test_running_out_of_gpu_memory_becomes_advice():
    error = torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    explained = explain_failure(error, tiny_config(batch_size=512))
    assert isinstance(explained, TrainingError)
    assert str(explained) == ("the GPU ran out of memory: use a smaller batch size (now 512), a smaller Input size "
                              "or fewer channels, or turn on mixed precision.")
    other = ValueError("something else")
    assert explain_failure(other, tiny_config()) is other
