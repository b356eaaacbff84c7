"""A tiny run with its folder recorded, for the experiments tests."""
from __future__ import annotations

from pathlib import Path

from engine import Project
from engine.experiments.folders import new_run_folder
from engine.experiments.recorder import RunRecorder
from engine.training import Trainer
from tests.engine.training.conftest import tiny_config, tiny_graph, tiny_split


def tiny_project(**settings) -> Project:
    return Project(tiny_graph(), "Tiny", training=tiny_config(**settings))


def train_recorded(root: Path, project: Project | None = None, *, probe=None, callbacks=(), **settings) -> Path:
    """Trains the tiny network into a new run folder under ``root``; returns the folder."""
    project = project or tiny_project(**settings)
    folder = new_run_folder(root, project.name)
    recorder = RunRecorder(folder, project, project.training, probe=probe)
    Trainer(project, project.training, callbacks=[recorder, *callbacks], probe=probe, out=folder,
            report_interval=0).fit(tiny_split())
    return folder
