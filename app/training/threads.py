"""How many intra-op threads torch computes with during a run in the app.

Torch's default is one thread per core. In the app those threads take every
core while the window's GUI thread needs one to paint within a frame, so the
window stuttered (events waited tens of ms for a core). A run in the app
therefore leaves one core to the window by default; the QSettings key
``training/intraOpThreads`` (a positive count) overrides it. Headless runs
(the CLI, ``Trainer`` used directly) keep torch's default.
"""
from __future__ import annotations

import os

SETTINGS_KEY = "training/intraOpThreads"


def default_threads(cores: int | None = None) -> int:
    """All cores but one for the window, and at least one."""
    cores = cores if cores is not None else (os.cpu_count() or 1)
    return max(1, cores - 1)


def in_app_threads(settings) -> int:
    """The count from ``settings`` (a QSettings, or None), or the default when unset or not a positive count."""
    value = settings.value(SETTINGS_KEY, 0) if settings is not None else 0
    try:
        count = int(value)
    except (TypeError, ValueError):
        count = 0
    return count if count > 0 else default_threads()
