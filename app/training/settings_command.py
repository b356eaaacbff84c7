"""Changing the project's training settings as an undoable edit.

The settings live in ``document.project.training`` (a ``TrainingConfig``)
and are saved with the project, so changing one must mark the document
dirty and be undoable like any other edit. The Document has no method for
this, so the command is pushed onto its public ``undo_stack``; consecutive
changes of the same setting merge, like parameter edits on the canvas.
"""
from __future__ import annotations

import time
from typing import Any

from PySide6.QtGui import QUndoCommand

from engine.catalogue import ParamError
from engine.config import TRAINING_SETTINGS, TrainingConfig
from engine.tasks import TASKS, task_for

SET_TRAINING_ID = 101  # QUndoCommand.id for merging; distinct from app.commands' ids
#: settings changed by one click each (the Data view's remedies and exclusions): each click is its own undo
#: step, so Exclude then Include undoes to "excluded", not to before both
UNMERGED = frozenset({"balance", "exclude"})
MERGE_SECONDS = 2.0
_TITLES = {spec.name: spec.title for spec in TRAINING_SETTINGS}


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value) if value != "" else "(none)"


def edit_text(config: TrainingConfig, key: str, value: Any) -> str:
    """The undo entry's words; the exclusion list (maybe thousands of names) as what changed in it."""
    if key == "exclude":
        before = set(config.excluded_files)
        after = {line.strip() for line in str(value).splitlines() if line.strip()}
        added, removed = after - before, before - after
        if added and not removed:
            return f"Exclude {len(added)} file(s) from training"
        if removed and not added:
            return f"Include {len(removed)} file(s) in training again"
        return f"Change the excluded files ({len(after)} now)"
    return f"Set training {_TITLES.get(key, key).lower()} to {describe(value)}"


class SetTrainingSettingCommand(QUndoCommand):
    """Sets one training setting of ``project``; ``value`` must already be valid."""

    def __init__(self, project, key: str, value: Any) -> None:
        super().__init__(edit_text(project.training, key, value))
        self.project, self.key = project, key
        self.old: TrainingConfig = project.training
        self.new: TrainingConfig = project.training.replace(**{key: value})
        self.stamp = time.monotonic()

    def id(self) -> int:  # noqa: A003 - Qt's name
        return -1 if self.key in UNMERGED else SET_TRAINING_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt override
        if not isinstance(other, SetTrainingSettingCommand) or other.key != self.key:
            return False
        if other.project is not self.project or other.stamp - self.stamp > MERGE_SECONDS:
            return False
        self.new, self.stamp = other.new, other.stamp
        self.setText(other.text())
        return True

    def redo(self) -> None:
        self.project.training = self.new

    def undo(self) -> None:
        self.project.training = self.old


def set_training_setting(document, key: str, value: Any) -> bool:
    """Pushes the change onto the document's undo stack; False (with a status message) if refused."""
    if getattr(document.project.training, key) == value:
        return False
    if document.read_only:
        document.show_status("Training settings cannot change while the network trains: stop training first.")
        return False
    try:
        command = SetTrainingSettingCommand(document.project, key, value)
    except ParamError as error:
        document.show_status(f"Training setting refused: {error}")
        return False
    document.undo_stack.push(command)
    return True


def dataset_for_task(task: str, dataset: str) -> str:
    """The dataset to keep when the task becomes ``task``: the current one if the task can train on it
    (a folder path always may), else the task's first (bundled or generated) set."""
    kinds = task_for(task).dataset_kinds
    known = {kind for other in TASKS.values() for kind in other.dataset_kinds}
    whole = dataset.strip().lower()
    name = whole.partition(":")[0]  # "seg-shapes:96" is seg-shapes, not a folder path
    if name in kinds or whole in kinds:  # "medmnist:chestmnist" is a kind of its own
        return dataset
    return kinds[0] if name in known or whole in known or not dataset else dataset


class SetTaskCommand(QUndoCommand):
    """Sets the project's task (classification, segmentation), and with it a dataset the task can train on:
    one undoable edit, so Undo gives back both."""

    def __init__(self, project, task: str) -> None:
        super().__init__(f"Set task to {task_for(task).title.lower()}")
        self.project = project
        self.old = (project.task, project.training)
        self.new = (task, project.training.replace(dataset=dataset_for_task(task, project.training.dataset)))

    def redo(self) -> None:
        self.project.task, self.project.training = self.new

    def undo(self) -> None:
        self.project.task, self.project.training = self.old


def set_task(document, task: str) -> bool:
    """Pushes the task change onto the document's undo stack; False (with a status message) if refused."""
    if document.project.task == task:
        return False
    if document.read_only:
        document.show_status("The task cannot change while the network trains: stop training first.")
        return False
    document.undo_stack.push(SetTaskCommand(document.project, task))
    return True
