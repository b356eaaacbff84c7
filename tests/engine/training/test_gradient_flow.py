"""Gradient flow: each captured statistic equals a direct computation, watching changes no weight, and
nothing is captured (no hook left, no frame) while nobody watches."""
from __future__ import annotations

import copy

import pytest
import torch
from torch import fx

from engine import Graph, compile_graph
from engine.insight import GradientCapture, GradientMailbox, gradient_layers
from engine.training import Trainer

from ..graphs import chain, residual
from .conftest import tiny_config, tiny_graph


class _Recorder(fx.Interpreter):
    """Runs the network node by node and keeps every module's output: the direct computation."""

    def __init__(self, module):
        super().__init__(module)
        self.outputs: dict[str, torch.Tensor] = {}

    def call_module(self, target, args, kwargs):
        result = super().call_module(target, args, kwargs)
        self.outputs[target] = result
        return result


def _direct(model, images, labels, lr):
    """Every statistic computed with plain autograd on a copy of the model."""
    twin = copy.deepcopy(model)
    recorder = _Recorder(twin)
    loss = torch.nn.functional.cross_entropy(recorder.run(images), labels)
    names = [name for name, _ in gradient_layers(twin)]
    outputs = [recorder.outputs[name] for name in names]
    activation_grads = torch.autograd.grad(loss, outputs, retain_graph=True, allow_unused=True)
    params = {name: [p for p in twin.get_submodule(name).parameters()] for name in names}
    flat = [p for name in names for p in params[name]]
    weight_grads = dict(zip(flat, torch.autograd.grad(loss, flat)))
    expected = {}
    for name, output, grad in zip(names, outputs, activation_grads):
        grads = [weight_grads[p] for p in params[name]]
        weights = params[name]
        weight_norm = torch.sqrt(sum((g ** 2).sum() for g in grads)) if grads else None
        size = torch.sqrt(sum((w.detach() ** 2).sum() for w in weights)) if weights else None
        expected[name] = {
            "activation": None if grad is None else float(grad.norm()),
            "weight": None if weight_norm is None else float(weight_norm),
            # plain SGD moves each weight by lr × its gradient
            "update": None if weight_norm is None else float(lr * weight_norm / size),
            "output": output.detach(),
        }
    return expected


def _captured_sgd_step(model, images, labels, lr):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    optimizer.zero_grad()
    with GradientCapture(model) as capture:
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        capture.weights_ready()
        optimizer.step()
    return capture.frame(epoch=1, step=1)


@pytest.mark.parametrize("make_graph", [tiny_graph, residual], ids=["chain", "residual"])
def test_norms_and_update_ratios_equal_a_direct_computation(make_graph):
    torch.manual_seed(0)
    model = compile_graph(make_graph()).eval()  # no dropout: both computations see the same network
    shape = (4, 1, 8, 8) if make_graph is tiny_graph else (4, 3, 16, 16)
    images, labels = torch.randn(*shape), torch.tensor([0, 1, 2, 1])
    expected = _direct(model, images, labels, lr=0.1)
    frame = _captured_sgd_step(model, images, labels, lr=0.1)

    assert [layer.name for layer in frame.layers] == list(expected)
    for layer in frame.layers:
        want = expected[layer.name]
        for got, key in ((layer.weight_grad_norm, "weight"), (layer.activation_grad_norm, "activation"),
                         (layer.update_ratio, "update")):
            if want[key] is None:
                assert got is None, (layer.name, key)
            else:
                assert got == pytest.approx(want[key], rel=1e-4, abs=1e-9), (layer.name, key)
    assert any(layer.weight_grad_norm is None for layer in frame.layers)  # ReLU, pooling: no weights


def test_dead_relu_share_and_tanh_saturation_equal_a_direct_count():
    graph = Graph()
    chain(graph, ("input", {"channels": 1, "height": 8, "width": 8}),
          ("conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}), ("activation", {"function": "relu"}),
          ("conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}), ("activation", {"function": "tanh"}),
          ("flatten", {}), ("dense", {"out_features": 3}), ("output", {}))
    torch.manual_seed(0)
    model = compile_graph(graph)
    names = [name for name, _ in gradient_layers(model)]
    conv1, relu, conv2, tanh = names[:4]
    with torch.no_grad():
        model.get_submodule(conv1).bias[0] = -100.0  # channel 0 never fires: a quarter of the units are dead
        model.get_submodule(conv2).weight.mul_(20.0)  # drives tanh into its flat parts
    images, labels = torch.randn(6, 1, 8, 8), torch.tensor([0, 1, 2, 0, 1, 2])
    expected = _direct(model, images, labels, lr=0.1)
    frame = _captured_sgd_step(model, images, labels, lr=0.1)

    relu_out = expected[relu]["output"]
    dead = float(1 - (relu_out > 0).flatten(1).any(0).float().mean())
    assert dead >= 0.25
    assert frame.layer(relu).dead_share == pytest.approx(dead)
    tanh_out = expected[tanh]["output"]
    saturated = float((tanh_out.abs() >= 0.99).float().mean())
    assert saturated > 0.2
    assert frame.layer(tanh).saturated_share == pytest.approx(saturated)
    assert frame.layer(conv1).dead_share is None and frame.layer(relu).saturated_share is None


def test_watching_a_run_captures_frames_and_changes_no_weight(project, data):
    plain = Trainer(project, tiny_config(epochs=2)).fit(data)
    mailbox = GradientMailbox(interval=0.0)
    mailbox.watch(True)
    frames = []
    original_deliver = mailbox.deliver

    def keep(frame):
        frames.append(frame)
        original_deliver(frame)
    mailbox.deliver = keep
    watched = Trainer(project, tiny_config(epochs=2), gradients=mailbox).fit(data)

    assert len(frames) == 2 * 6  # interval 0: every step of both epochs (96 images, batches of 16)
    assert [frame.step for frame in frames] == list(range(1, 13))
    assert frames[-1].epoch == 2 and mailbox.take() is frames[-1] and mailbox.take() is None
    assert all(layer.weight_grad_norm > 0 for layer in frames[0].layers if layer.kind in ("Conv2d", "Linear"))
    for key, value in plain.model.state_dict().items():
        assert torch.equal(value, watched.model.state_dict()[key]), key
    assert not any(module._forward_hooks for module in watched.model.modules())


def test_nobody_watching_means_no_capture_and_the_mailbox_throttles():
    model = compile_graph(tiny_graph())
    mailbox = GradientMailbox(interval=60.0)
    assert mailbox.begin(model) is None  # not watched
    mailbox.watch(True)
    assert isinstance(mailbox.begin(model), GradientCapture)
    assert mailbox.begin(model) is None  # the next one is a minute away
    mailbox.watch(False)
    mailbox.deliver(GradientCapture(model).frame(1, 1))
    assert mailbox.take() is None  # a frame that lands after the view closed is dropped
