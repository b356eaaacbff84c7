"""The optimiser and learning-rate schedule a ``TrainingConfig`` asks for.

Every schedule is a per-batch ``LambdaLR`` over the whole run: its factor is
a pure function of the step and the planned total, so its saved state is
just the step count. Resuming with more epochs than first planned simply
stretches the curve from where it is (PyTorch's OneCycleLR would refuse to
step past its original total).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import torch
from torch.optim.lr_scheduler import LambdaLR

from ..config import TrainingConfig

# One-cycle shape, as torch.optim.lr_scheduler.OneCycleLR's defaults: warm up
# for 30 % of the run from lr/25 to lr, then anneal (cosine) to lr/(25·10⁴).
ONECYCLE_WARMUP = 0.3
ONECYCLE_START = 1 / 25
ONECYCLE_END = 1 / (25 * 1e4)


def build_optimizer(parameters: Iterable[torch.nn.Parameter], config: TrainingConfig,
                    fused: bool = False) -> torch.optim.Optimizer:
    """``fused``: one kernel updates every weight (the fast path; see ``fast_path.fused_optimizer_supported``)."""
    options = {"fused": True} if fused else {}
    if config.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=config.lr, momentum=config.momentum,
                               weight_decay=config.weight_decay, **options)
    if config.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=config.lr, weight_decay=config.weight_decay, **options)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay, **options)
    raise ValueError(f"unknown optimizer {config.optimizer!r}")


def _cosine(start: float, end: float, fraction: float) -> float:
    return end + (start - end) * 0.5 * (1 + math.cos(math.pi * min(max(fraction, 0.0), 1.0)))


def lr_factor(config: TrainingConfig, steps_per_epoch: int) -> Callable[[int], float]:
    """Learning rate at batch ``step`` (counted over the whole run), as a multiple of ``config.lr``."""
    total = max(1, config.epochs * steps_per_epoch)
    if config.scheduler == "none":
        return lambda step: 1.0
    if config.scheduler == "step":
        return lambda step: config.step_gamma ** ((step // steps_per_epoch) // config.step_epochs)
    if config.scheduler == "cosine":
        return lambda step: _cosine(1.0, 0.0, step / total)
    if config.scheduler == "onecycle":
        warmup = max(1, round(ONECYCLE_WARMUP * total))

        def onecycle(step: int) -> float:
            if step < warmup:
                return _cosine(ONECYCLE_START, 1.0, step / warmup)
            return _cosine(1.0, ONECYCLE_END, (step - warmup) / max(1, total - warmup))
        return onecycle
    raise ValueError(f"unknown scheduler {config.scheduler!r}")


def build_scheduler(optimizer: torch.optim.Optimizer, config: TrainingConfig, steps_per_epoch: int) -> LambdaLR:
    """A scheduler to ``step()`` after every batch."""
    return LambdaLR(optimizer, lr_factor(config, steps_per_epoch))


def sync_learning_rate(scheduler: LambdaLR) -> None:
    """Sets each group's rate from the schedule at its current step (after loading a saved state)."""
    for group, base, factor in zip(scheduler.optimizer.param_groups, scheduler.base_lrs, scheduler.lr_lambdas):
        group["lr"] = base * factor(scheduler.last_epoch)
    scheduler._last_lr = [group["lr"] for group in scheduler.optimizer.param_groups]
