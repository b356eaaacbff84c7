"""Helpers shared by the subcommands."""
from __future__ import annotations

from ..project import Project, ProjectError, load_project


class CommandError(Exception):
    """A user-facing failure: printed as one line on stderr, exit status 2."""


def open_project(path: str) -> Project:
    try:
        return load_project(path)
    except ProjectError as error:
        raise CommandError(str(error)) from None
