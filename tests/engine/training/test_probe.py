"""Feature-map probes: small uint8 grids, no side effects on training, frames pulled from a running fit."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine import compile_graph
from engine.training import Callback, ProbeError, ProbeMailbox, Trainer, probe_activations

from ..graphs import residual
from .conftest import tiny_config, tiny_graph


@pytest.fixture
def model():
    torch.manual_seed(0)
    return compile_graph(tiny_graph()).train()


def test_a_probe_gives_one_small_uint8_image_per_channel(model):
    grid = probe_activations(model, "conv1", torch.randn(1, 8, 8))
    assert grid.node == "conv1" and grid.shape == (4, 8, 8)
    assert grid.images.dtype == np.uint8 and grid.images.shape == (4, 8, 8)
    assert grid.images.min() == 0 and grid.images.max() == 255  # one range for the whole frame
    assert grid.vmin < grid.vmax


def test_scaling_matches_the_activation_values(model):
    image = torch.randn(1, 8, 8)
    grid = probe_activations(model, "relu1", image)
    model.eval()
    with torch.no_grad():
        expected = model.relu1(model.bn1(model.conv1(image[None])))[0]
    model.train()
    assert grid.vmin == pytest.approx(float(expected.min()), abs=1e-6)
    assert grid.vmax == pytest.approx(float(expected.max()), abs=1e-6)
    rescaled = grid.images.astype(np.float64) / 255 * (grid.vmax - grid.vmin) + grid.vmin
    assert np.abs(rescaled - expected.numpy()).max() <= (grid.vmax - grid.vmin) / 255


def test_channels_are_capped_and_large_maps_shrunk():
    torch.manual_seed(0)
    graph = tiny_graph()
    graph.set_param(graph.node_by_name("image").id, "height", 200)
    graph.set_param(graph.node_by_name("conv1").id, "out_channels", 80)
    model = compile_graph(graph)
    grid = probe_activations(model, "conv1", torch.randn(1, 200, 8))
    assert grid.shape == (80, 200, 8)
    assert grid.images.shape == (64, 50, 2)  # 64 channels; 200×8 pooled by 4 to fit 64 px


def test_function_nodes_and_flat_outputs_can_be_probed():
    torch.manual_seed(0)
    model = compile_graph(residual())
    add = probe_activations(model, "add1", torch.randn(3, 16, 16))
    assert add.shape == (8, 16, 16) and add.images.shape == (8, 16, 16)
    concat = probe_activations(model, "concat1", torch.randn(3, 16, 16))
    assert concat.shape == (12, 16, 16)
    flat = probe_activations(model, "fc1", torch.randn(3, 16, 16))
    assert flat.shape == (5,) and flat.images.shape == (1, 1, 5)


def test_an_unknown_node_is_a_clear_error(model):
    with pytest.raises(ProbeError, match="no node named 'conv9'.*known: image, conv1, bn1"):
        probe_activations(model, "conv9", torch.randn(1, 8, 8))


def test_a_probe_leaves_training_exactly_as_it_was(model):
    modes = {name: module.training for name, module in model.named_modules()}
    bn_state = {key: value.clone() for key, value in model.bn1.state_dict().items()}
    rng_state = torch.get_rng_state()

    for node in ("conv1", "bn1", "drop", "fc"):
        probe_activations(model, node, torch.randn(1, 8, 8, generator=torch.Generator().manual_seed(1)))

    assert {name: module.training for name, module in model.named_modules()} == modes
    for key, value in model.bn1.state_dict().items():
        assert torch.equal(value, bn_state[key]), key  # running stats untouched
    assert torch.equal(torch.get_rng_state(), rng_state)
    assert all(p.grad is None for p in model.parameters())


def test_probes_are_deterministic_in_eval_mode_despite_dropout(model):
    image = torch.randn(1, 8, 8)
    first = probe_activations(model, "drop", image)
    second = probe_activations(model, "drop", image)
    assert np.array_equal(first.images, second.images)


class ProbeWhileTraining(Callback):
    """Plays the GUI: chooses a node at the start, pulls frames as batches go by."""

    def __init__(self, mailbox: ProbeMailbox) -> None:
        self.mailbox = mailbox
        self.frames = []

    def on_fit_start(self, state):
        self.mailbox.watch("conv1")

    def on_batch_end(self, state, metrics):
        frame = self.mailbox.take()
        if frame is not None:
            self.frames.append(frame)


def test_the_trainer_fills_the_mailbox_between_batches_without_changing_the_run(project, data):
    plain = Trainer(project, tiny_config(epochs=2)).fit(data)
    mailbox = ProbeMailbox(interval=0)
    gui = ProbeWhileTraining(mailbox)
    probed = Trainer(project, tiny_config(epochs=2), callbacks=[gui], probe=mailbox, report_interval=0).fit(data)

    assert len(gui.frames) == 12  # one per batch with interval 0
    assert all(frame.node == "conv1" and frame.images.shape == (4, 8, 8) for frame in gui.frames)
    assert not np.array_equal(gui.frames[0].images, gui.frames[-1].images)  # the weights moved
    assert [h["val_loss"] for h in probed.history] == [h["val_loss"] for h in plain.history]
    assert [h["train_loss"] for h in probed.history] == [h["train_loss"] for h in plain.history]


def test_a_bad_node_in_the_mailbox_is_reported_not_raised(project, data):
    mailbox = ProbeMailbox(interval=0)
    mailbox.watch("nowhere")
    result = Trainer(project, tiny_config(epochs=1), probe=mailbox).fit(data)
    assert result.epochs_completed == 1
    assert mailbox.node is None and "no node named 'nowhere'" in mailbox.error
    assert mailbox.latest() is None


def test_the_mailbox_throttles_frames(model):
    mailbox = ProbeMailbox(interval=60)
    mailbox.watch("conv1", torch.randn(1, 8, 8))
    assert mailbox.serve(model, lambda: pytest.fail("the given image is used"))
    assert not mailbox.serve(model, lambda: torch.zeros(1, 8, 8))  # not due for a minute
    assert mailbox.latest() is mailbox.latest() is not None
    mailbox.watch("relu1")  # a new choice is served at once
    assert mailbox.serve(model, lambda: torch.zeros(1, 8, 8))
    assert mailbox.take().node == "relu1" and mailbox.take() is None
