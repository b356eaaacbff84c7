"""Early stopping (patience), gradient clipping and validation every N epochs, on real training."""
from __future__ import annotations

import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

from engine.checkpoint import load_checkpoint
from engine.cli.progress import summary_lines
from engine.config import TrainingConfig
from engine.data import DataSplit, TensorData
from engine.training import Callback, Trainer
from engine.training.early_stopping import EarlyStopping

from .conftest import CLASSES, bar_images, tiny_config, tiny_split


class Validations(Callback):
    def __init__(self) -> None:
        self.epochs: list[int] = []

    def on_validation_end(self, state, metrics):
        self.epochs.append(state.epoch)


def worsening_split() -> DataSplit:
    """Validation images labelled with the *next* class: the better the network learns the bars, the worse
    its validation loss gets, so early stopping must end the run."""
    images, labels = bar_images(48, 2)
    return DataSplit(train=TensorData(*bar_images(96, 1)), val=TensorData(images, (labels + 1) % len(CLASSES)),
                     class_names=list(CLASSES), input_shape=(1, 8, 8), mean=(0.0,), std=(1.0,), source="bars")


def test_the_defaults_keep_todays_behaviour():
    config = TrainingConfig()
    assert (config.patience, config.clip_grad, config.val_every) == (0, 0.0, 1)
    assert TrainingConfig.from_dict({"epochs": 3}).val_every == 1  # an older project file has none of them


def test_early_stopping_ends_the_run_once_the_validation_loss_stops_improving(project, tmp_path):
    result = Trainer(project, tiny_config(epochs=20, patience=2), out=tmp_path).fit(worsening_split())

    assert result.early_stopped and not result.stopped
    assert result.epochs_completed < 20
    losses = [entry["val_loss"] for entry in result.history]
    best = losses.index(min(losses))
    assert len(losses) == best + 1 + 2  # it stopped exactly `patience` validations after the best one
    assert any(note.startswith("early stopping after epoch") for note in result.notes)
    assert summary_lines(result)[0].startswith("early stopping: the validation loss did not improve for 2")
    assert load_checkpoint(tmp_path / "last.pt").epoch == result.epochs_completed


def test_without_patience_the_same_run_trains_every_epoch(project):
    result = Trainer(project, tiny_config(epochs=6)).fit(worsening_split())
    assert result.epochs_completed == 6 and not result.early_stopped


def test_patience_counts_on_after_a_resume():
    history = [{"val_loss": 1.0}, {"val_loss": None}, {"val_loss": 1.2}, {"val_loss": 1.1}]
    stopping = EarlyStopping.from_history(3, history)
    assert (stopping.best, stopping.waited) == (1.0, 2)
    assert stopping.update(1.5)  # the third validation in a row without improvement
    assert not EarlyStopping(0).update(1.0) and not EarlyStopping.from_history(0, history).update(9.0)


def gradient_norms_at_each_step(project, config) -> list[float]:
    """The total gradient norm the optimiser sees at every step (a real hook on every optimiser)."""
    norms: list[float] = []

    def record(optimizer, args, kwargs):
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        norms.append(float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))))

    handle = register_optimizer_step_pre_hook(record)
    try:
        Trainer(project, config).fit(tiny_split())
    finally:
        handle.remove()
    return norms


def test_gradient_clipping_bounds_the_norm_each_step(project):
    free = gradient_norms_at_each_step(project, tiny_config(epochs=1))
    clipped = gradient_norms_at_each_step(project, tiny_config(epochs=1, clip_grad=0.05))
    assert len(free) == len(clipped) == 6
    assert max(free) > 0.05  # so the bound below is the clipping's doing
    assert all(norm <= 0.05 * (1 + 1e-4) for norm in clipped)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="mixed precision (a gradient scaler) needs CUDA")
def test_clipping_under_mixed_precision_bounds_the_true_gradients_not_the_scaled_ones(project):
    # The optimiser's hook runs inside scaler.step, after the scaler unscaled the gradients for clipping.
    clipped = gradient_norms_at_each_step(project, tiny_config(epochs=1, clip_grad=0.05, device="cuda",
                                                               mixed_precision=True))
    assert clipped and all(norm <= 0.05 * (1 + 1e-3) for norm in clipped)


def test_validation_runs_only_every_n_epochs_and_after_the_last(project, tmp_path):
    validations = Validations()
    result = Trainer(project, tiny_config(epochs=5, val_every=2), callbacks=[validations],
                     out=tmp_path).fit(tiny_split())

    assert validations.epochs == [2, 4, 5]
    assert [entry["val_loss"] is not None for entry in result.history] == [False, True, False, True, True]
    assert result.best_epoch in (2, 4, 5)
    assert result.val_accuracy == result.history[-1]["val_accuracy"]
    assert load_checkpoint(tmp_path / "best.pt").epoch == result.best_epoch


def test_a_run_stopped_before_its_first_validation_summarises_honestly(project):
    from engine.training import StopToken

    stop = StopToken()

    class StopAfterFirstEpoch(Callback):
        def on_epoch_end(self, state, metrics):
            stop.stop()

    result = Trainer(project, tiny_config(epochs=4, val_every=3), callbacks=[StopAfterFirstEpoch()],
                     stop=stop).fit(tiny_split())
    assert result.stopped and result.epochs_completed == 1 and result.best_epoch is None
    assert "no validation yet" in summary_lines(result)[0]


@pytest.mark.parametrize(("setting", "value"), [("patience", -1), ("clip_grad", -0.5), ("val_every", 0)])
def test_out_of_range_values_are_refused_by_name(setting, value):
    from engine.catalogue import ParamError

    with pytest.raises(ParamError, match=setting):
        TrainingConfig.from_dict({setting: value})
