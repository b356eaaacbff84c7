"""Gradient flow: what one training step sends backwards through each layer, captured only when asked.

For every layer of a compiled network, in graph order (the fx graph's module calls), one
captured step gives:

* ``weight_grad_norm``: the L2 norm of the gradients of the layer's trainable parameters (all of
  them together), as the optimiser sees them (after clipping, unscaled under mixed precision);
* ``activation_grad_norm``: the L2 norm of dLoss/d(output) over the whole batch — how much
  signal reaches the layer from above (it shrinks layer by layer in a deep plain network);
* ``update_ratio``: ||w_after - w_before|| / ||w_before|| over the step (about 1e-3 is healthy);
* ``dead_share`` (ReLU, ReLU6): the share of units (output positions) that are zero for every
  image of the batch; ``saturated_share`` (Sigmoid, Tanh, Hardsigmoid, ReLU6): the share of
  values on the function's flat parts, where almost no gradient passes.

``GradientCapture`` wraps one step: forward hooks (registered on entry, removed on exit) keep the
outputs' statistics and a tensor hook per output catches its gradient; the parameters are copied on
entry for the update ratio. A step without a capture runs with no hook at all, so watching costs
one step's extra work every ``interval`` seconds and nothing otherwise.

``GradientMailbox`` is the pull-based door for a GUI, like the feature maps' ``ProbeMailbox``: the
GUI turns watching on while its view is open, the trainer asks ``begin`` before a step (a capture
only when one is due) and ``deliver``s the frame; the GUI ``take``s the newest one when it repaints.
"""
from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import torch
from torch import fx, nn

from .gradient_frame import GradientFrame, LayerGradients

#: Activations that output exactly zero for negative inputs: their units can die.
DEAD_CAPABLE = (nn.ReLU, nn.ReLU6)
#: Values this close to a squashing function's bounds pass (almost) no gradient.
SATURATION_MARGIN = 0.01
#: Seconds between captured steps while a view watches: gradient flow changes slowly, once a second is plenty.
DEFAULT_INTERVAL = 1.0


def gradient_layers(model: fx.GraphModule) -> list[tuple[str, nn.Module]]:
    """The network's layers in graph order: each module call of the fx graph once."""
    layers, seen = [], set()
    for node in model.graph.nodes:
        if node.op == "call_module" and node.target not in seen:
            seen.add(node.target)
            layers.append((node.target, model.get_submodule(node.target)))
    return layers


def saturation_bounds(module: nn.Module) -> tuple[float, float] | None:
    """The (low, high) values at which ``module``'s function is flat, or None when it never is."""
    if isinstance(module, (nn.Sigmoid, nn.Hardsigmoid)):
        return 0.0, 1.0
    if isinstance(module, nn.Tanh):
        return -1.0, 1.0
    if isinstance(module, nn.ReLU6):
        return -math.inf, 6.0  # the zero side is counted as dead, not saturated
    return None


class GradientCapture:
    """One training step's gradient statistics (see the module's notes). Use as a context manager
    around the step; call ``weights_ready`` after backward (and clipping, and unscaling) and before
    the optimiser steps, and ``frame`` after it."""

    def __init__(self, model: fx.GraphModule) -> None:
        self.layers = gradient_layers(model)
        self._handles: list = []
        self._activation_grads: dict[str, torch.Tensor] = {}
        self._dead: dict[str, torch.Tensor] = {}
        self._saturated: dict[str, torch.Tensor] = {}
        self._before: dict[str, list[torch.Tensor]] = {}
        self._grad_norms: list[torch.Tensor] = []
        self._grad_owners: list[str] = []
        self._activation_scale = 1.0

    def _trainable(self, module: nn.Module) -> list[nn.Parameter]:
        return [p for p in module.parameters() if p.requires_grad]

    def __enter__(self) -> GradientCapture:
        for name, module in self.layers:
            trainable = [p.detach() for p in self._trainable(module)]
            self._before[name] = list(torch._foreach_mul(trainable, 1.0)) if trainable else []  # copies, one kernel
            self._handles.append(module.register_forward_hook(self._forward_hook(name, module)))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _forward_hook(self, name: str, module: nn.Module):
        bounds = saturation_bounds(module)
        dead_capable = isinstance(module, DEAD_CAPABLE)

        def hook(_module, _inputs, output) -> None:
            if not isinstance(output, torch.Tensor):
                return
            values = output.detach()
            if dead_capable and values.dim() >= 2:
                fired = (values > 0).flatten(1).any(dim=0)
                self._dead[name] = 1.0 - fired.float().mean()
            if bounds is not None:
                low, high = bounds
                flat = (values <= low + SATURATION_MARGIN) | (values >= high - SATURATION_MARGIN)
                self._saturated[name] = flat.float().mean()
            if output.requires_grad:
                output.register_hook(lambda grad: self._keep_activation_grad(name, grad))
        return hook

    def _keep_activation_grad(self, name: str, grad: torch.Tensor) -> None:
        # A tensor reused by several consumers gets one summed gradient: the hook fires once.
        self._activation_grads[name] = torch.linalg.vector_norm(grad.detach().float())

    def weights_ready(self, activation_scale: float = 1.0) -> None:
        """The parameters' ``.grad`` are final (the optimiser is about to step). ``activation_scale``:
        the loss scale the activation gradients carry (mixed precision's GradScaler), divided out."""
        self._activation_scale = activation_scale
        grads, owners = [], []
        for name, module in self.layers:
            for parameter in self._trainable(module):
                if parameter.grad is not None:
                    grads.append(parameter.grad.detach())
                    owners.append(name)
        # One fused kernel for all the norms: dozens of tiny ops each waited for a core on a busy machine.
        self._grad_norms = list(torch._foreach_norm(grads)) if grads else []
        self._grad_owners = owners

    def frame(self, epoch: int, step: int) -> GradientFrame:
        """The statistics, once the optimiser has stepped (one device-to-host copy for all of them)."""
        before, after, owners = [], [], []
        for name, module in self.layers:
            kept = self._before.get(name) or []
            before += kept
            after += [parameter.detach() for parameter in self._trainable(module)]
            owners += [name] * len(kept)
        sizes = list(torch._foreach_norm(before)) if before else []
        updates = list(torch._foreach_norm(torch._foreach_sub(after, before))) if before else []
        grad_norms = self._grad_norms
        named = [(name, "activation", value) for name, value in self._activation_grads.items()]
        named += [(name, "dead", value) for name, value in self._dead.items()]
        named += [(name, "saturated", value) for name, value in self._saturated.items()]
        scalars = [*grad_norms, *sizes, *updates, *(value for _, _, value in named)]
        numbers = torch.stack([v.reshape(()).float() for v in scalars]).tolist() if scalars else []
        grad_values = numbers[:len(grad_norms)]
        size_values = numbers[len(grad_norms):len(grad_norms) + len(sizes)]
        update_values = numbers[len(grad_norms) + len(sizes):len(grad_norms) + 2 * len(sizes)]
        single = {(name, key): value for (name, key, _), value in
                  zip(named, numbers[len(grad_norms) + 2 * len(sizes):])}

        def combined(values: list[float], of: list[str]) -> dict[str, float]:
            """Per layer: the norm of all its tensors together, from each tensor's norm."""
            squares: dict[str, float] = {}
            for name, value in zip(of, values):
                squares[name] = squares.get(name, 0.0) + value * value
            return {name: math.sqrt(total) for name, total in squares.items()}

        weight = combined(grad_values, self._grad_owners)
        size, update = combined(size_values, owners), combined(update_values, owners)
        layers = []
        for name, module in self.layers:
            activation = single.get((name, "activation"))
            layers.append(LayerGradients(
                name=name, kind=type(module).__name__, weight_grad_norm=weight.get(name),
                activation_grad_norm=None if activation is None else activation / self._activation_scale,
                update_ratio=update[name] / size[name] if size.get(name) else None,
                dead_share=single.get((name, "dead")), saturated_share=single.get((name, "saturated"))))
        return GradientFrame(epoch, step, tuple(layers))


class GradientMailbox:
    """A single-slot mailbox of gradient frames: the trainer fills it, a GUI pulls from it.

    ``watch(True)`` while the view is open; the trainer captures a step at most once per
    ``interval`` seconds, and none at all while nobody watches. Thread-safe.
    """

    def __init__(self, interval: float = DEFAULT_INTERVAL, on_frame: Callable[[], None] | None = None) -> None:
        self.interval = interval
        self._on_frame = on_frame
        self._lock = threading.Lock()
        self._watching = False
        self._frame: GradientFrame | None = None
        self._next_due = 0.0

    # --- GUI side -----------------------------------------------------------

    def watch(self, on: bool) -> None:
        with self._lock:
            self._watching = bool(on)
            self._next_due = 0.0  # the first frame comes with the next step

    @property
    def watching(self) -> bool:
        return self._watching

    def take(self) -> GradientFrame | None:
        """The newest frame, emptying the slot (None when nothing new arrived)."""
        with self._lock:
            frame, self._frame = self._frame, None
            return frame

    def latest(self) -> GradientFrame | None:
        with self._lock:
            return self._frame

    # --- training side --------------------------------------------------------

    def begin(self, model: fx.GraphModule) -> GradientCapture | None:
        """A capture for the coming step when one is due, else None (the step runs untouched)."""
        now = time.monotonic()
        with self._lock:
            if not self._watching or now < self._next_due:
                return None
            self._next_due = now + self.interval
        return GradientCapture(model)

    def deliver(self, frame: GradientFrame) -> None:
        with self._lock:
            if not self._watching:
                return
            self._frame = frame
        if self._on_frame is not None:
            self._on_frame()

