"""Every modal question the main window asks, in one place.

Each function builds a plain modal dialog and ``exec()``s it, so tests can
answer it like a user: find ``QApplication.activeModalWidget()`` and click
a button (see ``tests/app/conftest.py``). Buttons and dialogs get object
names for that.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from engine.project import EXTENSION

PROJECT_FILTER = f"ConvCanvas projects (*{EXTENSION});;All files (*)"

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """A one-line problem (the engine's message), with nothing to decide."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorDialog")
    box.exec()


def ask_to_save(parent: QWidget | None, project_name: str) -> str:
    """Save, discard or cancel before unsaved work would be lost."""
    box = QMessageBox(parent)
    box.setObjectName("saveChangesDialog")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Unsaved changes")
    box.setText(f"Save the changes to “{project_name}”?")
    box.setInformativeText("Your changes will be lost if you don't save them.")
    buttons = QMessageBox.StandardButton
    box.setStandardButtons(buttons.Save | buttons.Discard | buttons.Cancel)
    box.setDefaultButton(buttons.Save)
    for button, name in ((buttons.Save, SAVE), (buttons.Discard, DISCARD), (buttons.Cancel, CANCEL)):
        box.button(button).setObjectName(name)
    answer = box.exec()
    return {buttons.Save: SAVE, buttons.Discard: DISCARD}.get(buttons(answer), CANCEL)


def ask_to_revert(parent: QWidget | None, project_name: str) -> bool:
    box = QMessageBox(parent)
    box.setObjectName("revertDialog")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Revert")
    box.setText(f"Discard every change to “{project_name}” since it was last saved?")
    revert = box.addButton("Revert", QMessageBox.ButtonRole.DestructiveRole)
    revert.setObjectName("revert")
    box.addButton(QMessageBox.StandardButton.Cancel).setObjectName(CANCEL)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is revert


def ask_to_restore(parent: QWidget | None, project_name: str, saved_at: str) -> bool:
    """Offer the autosaved copy of work that was never saved (after a crash)."""
    box = QMessageBox(parent)
    box.setObjectName("restoreDialog")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Recover unsaved work")
    box.setText(f"ConvCanvas did not close properly. Restore the unsaved work on “{project_name}”?")
    box.setInformativeText(f"Autosaved at {saved_at}. If you don't restore it, it is deleted.")
    restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
    restore.setObjectName("restore")
    discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    discard.setObjectName(DISCARD)
    box.setDefaultButton(restore)
    box.exec()
    return box.clickedButton() is restore


def open_project_path(parent: QWidget | None, folder: Path | None) -> Path | None:
    dialog = _file_dialog(parent, "Open project", folder)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    return _chosen(dialog)


def save_project_path(parent: QWidget | None, suggested: Path) -> Path | None:
    dialog = _file_dialog(parent, "Save project as", suggested.parent)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.selectFile(suggested.name)
    chosen = _chosen(dialog)
    if chosen and not chosen.name.endswith(EXTENSION):
        chosen = chosen.with_name(chosen.name.removesuffix(".json") + EXTENSION)
    return chosen


def export_path(parent: QWidget | None, title: str, suggested: Path, formats: list[tuple[str, str]]) -> Path | None:
    """Where to export; ``formats`` are (label, suffix) pairs, the first the default.

    A name without one of those suffixes gets the suffix of the format chosen in the dialog.
    """
    filters = [f"{label} (*{suffix})" for label, suffix in formats]
    dialog = QFileDialog(parent, title, str(suggested.parent), ";;".join(filters))
    dialog.setObjectName("exportFileDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.selectFile(suggested.name)
    chosen = _chosen(dialog)
    suffixes = [suffix for _label, suffix in formats]
    if chosen and chosen.suffix.lower() not in suffixes:
        chosen_filter = dialog.selectedNameFilter()
        suffix = suffixes[filters.index(chosen_filter)] if chosen_filter in filters else suffixes[0]
        chosen = chosen.with_name(chosen.name + suffix)
    return chosen


def _file_dialog(parent: QWidget | None, title: str, folder: Path | None) -> QFileDialog:
    dialog = QFileDialog(parent, title, str(folder or Path.home()), PROJECT_FILTER)
    dialog.setObjectName("projectFileDialog")
    return dialog


def _chosen(dialog: QFileDialog) -> Path | None:
    if not dialog.exec():
        return None
    files = dialog.selectedFiles()
    return Path(files[0]) if files else None
