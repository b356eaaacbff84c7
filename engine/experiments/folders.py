"""Where run folders go: one fresh folder per run, named by its start time and network."""
from __future__ import annotations

import re
import time
from importlib.resources import files
from pathlib import Path

PROJECT_FILE = "project.cnn.json"
SETTINGS_FILE = "settings.json"
METRICS_FILE = "metrics.jsonl"
STATUS_FILE = "run.json"
RUNS_FOLDER = "runs"


def runs_beside(project_file: str | Path) -> Path:
    """``runs/`` beside a project file: where its runs (window, CLI, sweeps) go unless told otherwise, so a
    project's runs travel with it and ``tensorboard --logdir runs`` from its folder shows them.

    A bundled preset is a template, not the user's project: its folder is the installed package (read-only
    in site-packages, part of the clone otherwise), so its runs go to ``runs/`` in the working folder."""
    if is_bundled_preset(project_file):
        return Path.cwd() / RUNS_FOLDER
    return Path(project_file).parent / RUNS_FOLDER


def is_bundled_preset(project_file: str | Path) -> bool:
    """Whether ``project_file`` is one of the presets shipped with ConvCanvas (the ``presets`` package)."""
    try:
        bundled = Path(str(files("presets"))).resolve()
    except ModuleNotFoundError:
        return False
    return Path(project_file).resolve().parent == bundled


def new_run_folder(root: str | Path, project_name: str) -> Path:
    """A fresh folder for one run: ``<root>/<date>-<time>-<project>`` (``-2``, ``-3``… when taken)."""
    root = Path(root)
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", project_name).strip("-") or "network"
    stem = f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}"
    folder, index = root / stem, 1
    while True:
        try:
            folder.mkdir(parents=True)  # exist_ok=False: two runs starting in one second never share a folder
            return folder
        except FileExistsError:
            index += 1
            folder = root / f"{stem}-{index}"
