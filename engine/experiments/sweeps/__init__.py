"""Sweeps: Optuna studies over training settings and node parameters, each trial a run.

    space = parse_params(["lr=1e-4..1e-1", "conv1.out_channels=8..64"], project)
    sweep = Sweep(project, space, objectives=("accuracy", "macs"), runs_root="runs")
    sweep.run(trials=12)

No Qt here: the window drives a ``Sweep`` from a worker thread, ``convcanvas sweep`` drives it directly,
and ``--ray`` runs the same trials on Ray Tune (``ray_tune``). Optuna is imported when a sweep starts.
"""
from .space import SweepError, SweepParam, apply_values, parse_param, parse_params, suggest_values

__all__ = ["SweepError", "SweepParam", "apply_values", "parse_param", "parse_params", "suggest_values"]
