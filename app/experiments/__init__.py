"""The window's experiments room: the Runs panel (every run kept, listed, overlaid and compared)
and the Sweep dialog (``sweep_dialog``) that searches over them."""
from __future__ import annotations

from .runs_panel import RunsPanel

__all__ = ["RunsPanel"]
