"""Experiments: runs kept and compared, and sweeps (``engine.experiments.sweeps``) that search over them."""
