"""Helpers shared by the subcommands."""
from __future__ import annotations

from torch import nn

from ..checkpoint import Checkpoint, CheckpointError, build_model, load_checkpoint
from ..project import Project, ProjectError, load_project


class CommandError(Exception):
    """A user-facing failure: printed as one line on stderr, exit status 2."""


def open_project(path: str) -> Project:
    try:
        return load_project(path)
    except ProjectError as error:
        raise CommandError(str(error)) from None


def open_checkpoint(path: str) -> tuple[Checkpoint, nn.Module]:
    """A checkpoint and its network (weights loaded, eval mode), checked to fit each other."""
    try:
        checkpoint = load_checkpoint(path)
        return checkpoint, build_model(checkpoint)
    except CheckpointError as error:
        raise CommandError(str(error)) from None
