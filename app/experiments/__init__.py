"""Experiments in the window: runs kept and compared, and sweeps (``sweep_dialog``) over them."""
