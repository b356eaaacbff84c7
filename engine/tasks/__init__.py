"""Tasks: everything that differs between classification, segmentation, detection
and embedding (faces), in one room.

The trainer, the CLI, the analysis and the app ask the project's task for the
part that depends on it (output contract, loss, metrics, decoding, datasets,
live views) and stay task-agnostic themselves. See docs/tasks.md.

Importing this package imports no torch: the analysis uses ``check_output``
on every edit; the torch parts (loss, metrics, decode) import it when called.
"""
from __future__ import annotations

from .base import OutputProblem, Task, TaskError
from .classification import CLASSIFICATION
from .detection import DETECTION
from .embedding import EMBEDDING
from .multilabel import MULTILABEL
from .segmentation import SEGMENTATION

TASKS: dict[str, Task] = {task.name: task for task in (CLASSIFICATION, SEGMENTATION, DETECTION, MULTILABEL,
                                                       EMBEDDING)}
TASK_NAMES: tuple[str, ...] = tuple(TASKS)
DEFAULT_TASK = CLASSIFICATION.name
"""Old project files (before the task existed) are classification."""


def task_for(name: str) -> Task:
    """The task called ``name``; raises ``TaskError`` naming the known ones."""
    try:
        return TASKS[name]
    except KeyError:
        raise TaskError(f"unknown task {name!r}: use one of {', '.join(TASK_NAMES)}") from None


__all__ = ["CLASSIFICATION", "DEFAULT_TASK", "DETECTION", "EMBEDDING", "MULTILABEL", "SEGMENTATION", "TASKS",
           "TASK_NAMES", "OutputProblem", "Task", "TaskError", "task_for"]
