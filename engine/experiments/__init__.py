"""Experiments: every training run kept as one folder, listed and compared.

A run folder holds the project snapshot trained (``project.cnn.json``), the
resolved training settings (``settings.json``), per-epoch metrics
(``metrics.jsonl``), the best and last checkpoints, TensorBoard event files
and ``run.json`` (status and summary). ``RunRecorder`` (a trainer callback)
writes them; ``list_runs`` reads a root of them back as table rows. ``engine.experiments.sweeps`` searches over
runs with Optuna.
"""
