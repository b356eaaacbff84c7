"""What a sweep optimises: the task's validation metric, and what the network costs.

``accuracy`` is the task's own best validation score (accuracy, mean IoU, mAP@0.5…: the metric that picks
``best.pt``), maximised; ``macs``, ``params`` and ``latency`` (measured milliseconds per image) are
minimised. Two or more objectives make a multi-objective sweep with a Pareto front.
"""
from __future__ import annotations

import statistics
import time

from .space import SweepError

#: objective name → Optuna direction
DIRECTIONS = {"accuracy": "maximize", "macs": "minimize", "params": "minimize", "latency": "minimize"}
#: how the trial lines and the window name each objective
LABELS = {"accuracy": "metric", "macs": "MACs", "params": "parameters", "latency": "latency (ms)"}
_ALIASES = {"metric": "accuracy", "parameters": "params"}
LATENCY_RUNS = 20


def parse_objectives(text: str) -> tuple[str, ...]:
    """``accuracy`` or ``accuracy,macs`` → ("accuracy", "macs"); ``SweepError`` naming a wrong one."""
    names = tuple(_ALIASES.get(name.strip(), name.strip()) for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in DIRECTIONS]
    if unknown or not names:
        raise SweepError(f"unknown objective {', '.join(unknown) or repr(text)}: choose from "
                         f"{', '.join(DIRECTIONS)} (several separated by commas, e.g. accuracy,macs)")
    if len(set(names)) != len(names):
        raise SweepError(f"objective {text!r} names one objective twice")
    return names


def directions(objectives: tuple[str, ...]) -> list[str]:
    return [DIRECTIONS[name] for name in objectives]


def measure_latency(model, graph) -> float:
    """Median milliseconds of one image through ``model`` on its own device (after a warm-up)."""
    import torch

    from ...compiler import example_input

    device = next(model.parameters(), torch.empty(0)).device
    image = example_input(graph).to(device)
    times = []
    model.eval()
    with torch.inference_mode():
        for run in range(LATENCY_RUNS + 3):
            started = time.perf_counter()
            model(image)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            if run >= 3:  # the first calls pay for allocation and kernel choice
                times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000
