"""The block library in the app: saved composite blocks, offered in the palette's "My Blocks".

The library is a folder of templates (``engine.library``) under the app's
data folder (``<AppDataLocation>/blocks``); tests and second windows pass
their own folder. ``LibraryFolder`` announces every change (ours, or another
window's, seen by a file watcher) so the palette stays current. Dragging an
entry carries its whole template as ``LIBRARY_MIME`` JSON, so the canvas
can insert it without knowing the library. ``BlockLibraryController`` wires
the window's palette, canvas and menus to the folder and asks the
questions: the type name and description when saving, before replacing a
saved block, before deleting one.
"""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QMimeData, QObject, QStandardPaths, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from engine.catalogue import block
from engine.groups import type_problem
from engine.jsonread import parse_json
from engine.library import BlockFileError, BlockLibrary, LibraryEntry, template_from_group
from engine.starter_blocks import offer_starter_blocks

from ..dialogs import CANCEL, show_error
from ..theme import set_style_property

LIBRARY_MIME = "application/x-convcanvas-library-block"
"""Drag data of a "My Blocks" entry: its template as UTF-8 JSON."""

TOOLTIP_MEMBERS = 12  # members listed in an entry's tooltip before "and N more"


def default_library_dir() -> Path:
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location) / "blocks"


# --- drag data --------------------------------------------------------------------------------------

def library_mime_data(template: dict[str, Any]) -> QMimeData:
    mime = QMimeData()
    mime.setData(LIBRARY_MIME, json.dumps(template, ensure_ascii=False).encode("utf-8"))
    return mime


def drop_library_block(document, mime: QMimeData, pos: tuple[float, float]) -> str | None:
    """Inserts the dropped template with its card at ``pos`` (one undo step); returns the block's id."""
    try:
        template = parse_json(bytes(mime.data(LIBRARY_MIME).data()), "dropped block", "a block", BlockFileError)
    except BlockFileError as error:
        document.show_status(f"Cannot insert that block: {error}")
        return None
    return document.insert_block(template, pos)


# --- palette text --------------------------------------------------------------------------------------

def entry_tooltip(entry: LibraryEntry) -> str:
    """Rich text for a "My Blocks" item: the description, the node count and each member's settings."""
    name = html.escape(entry.type)
    if entry.broken:
        return f"<b>{name}</b> cannot be used:<br>{html.escape(entry.problem)}"
    lines = [f"<b>{name}</b>"]
    if entry.description:
        lines.append(html.escape(entry.description))
    nodes = entry.template["nodes"]
    lines.append(f"<i>{entry.node_count} node{'s' * (entry.node_count != 1)}, saved block</i>")
    for node in nodes[:TOOLTIP_MEMBERS]:
        spec = block(node["type"])
        settings = spec.describe(node["params"])
        suffix = f" · {html.escape(settings)}" if settings else ""
        lines.append(f"{html.escape(node['local'])}: {spec.title}{suffix}")
    if len(nodes) > TOOLTIP_MEMBERS:
        lines.append(f"and {len(nodes) - TOOLTIP_MEMBERS} more")
    return "<br>".join(lines)


def entry_search_text(entry: LibraryEntry) -> str:
    return f"{entry.type} {entry.description} my blocks library".lower()


# --- the folder -----------------------------------------------------------------------------------------

class LibraryFolder(QObject):
    """The library folder; ``changed`` after every save or delete, here or elsewhere."""

    changed = Signal()

    def __init__(self, root: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = BlockLibrary(root)
        self._watcher = QFileSystemWatcher(self)
        try:
            root.mkdir(parents=True, exist_ok=True)
            self._watcher.addPath(str(root))
        except OSError:
            pass  # unwritable: the palette shows no saved blocks, saving says why
        self._watcher.directoryChanged.connect(lambda _path: self.changed.emit())

    @property
    def root(self) -> Path:
        return self.library.root

    def entries(self) -> list[LibraryEntry]:
        return self.library.entries()

    def __contains__(self, type_name: str) -> bool:
        return type_name in self.library

    def load(self, type_name: str) -> dict[str, Any]:
        return self.library.load(type_name)

    def save(self, template: dict[str, Any], replace: bool = False) -> Path:
        path = self.library.save(template, replace)
        self.changed.emit()
        return path

    def delete(self, type_name: str) -> bool:
        deleted = self.library.delete(type_name)
        self.changed.emit()
        return deleted


# --- questions --------------------------------------------------------------------------------------------

class SaveBlockDialog(QDialog):
    """Asks for the type name (a Python class name) and a description of the block to save."""

    def __init__(self, parent: QWidget | None, type_name: str, description: str, library: LibraryFolder) -> None:
        super().__init__(parent)
        self.setObjectName("saveBlockDialog")
        self.setWindowTitle("Save Block to Library")
        self._library = library
        self.type_edit = QLineEdit(type_name)
        self.type_edit.setObjectName("blockType")
        self.type_edit.setToolTip("The block's type: its name in the palette, and its class name in "
                                  "generated Python code")
        self.description_edit = QPlainTextEdit(description)
        self.description_edit.setObjectName("blockDescription")
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setFixedHeight(72)
        self.note = QLabel()
        self.note.setObjectName("issueText")
        self.note.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Type name", self.type_edit)
        form.addRow("Description", self.description_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setObjectName("save")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName(CANCEL)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        self.type_edit.textChanged.connect(self._check)
        self._check()

    def values(self) -> tuple[str, str]:
        return self.type_edit.text().strip(), self.description_edit.toPlainText().strip()

    def _check(self) -> None:
        type_name = self.values()[0]
        problem = type_problem(type_name)
        if problem:
            text, severity = problem[:1].upper() + problem[1:] + ".", "error"
        elif type_name in self._library:
            text, severity = f"The library already has a {type_name}: saving replaces it.", "warning"
        else:
            text, severity = "", "ok"
        self.note.setText(text)
        self.note.setVisible(bool(text))
        set_style_property(self.note, "severity", severity)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(problem is None)


def ask_to_replace_block(parent: QWidget | None, type_name: str) -> bool:
    return _ask(parent, "replaceBlockDialog", "Replace block", f"Replace the saved block “{type_name}”?",
                "The library keeps one block per type name.", "Replace")


def ask_to_delete_block(parent: QWidget | None, type_name: str) -> bool:
    return _ask(parent, "deleteBlockDialog", "Delete from library",
                f"Delete “{type_name}” from the block library?",
                "Networks that use it keep their copy; only the saved block goes.", "Delete")


def _ask(parent, name: str, title: str, text: str, detail: str, verb: str) -> bool:
    box = QMessageBox(parent)
    box.setObjectName(name)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    box.setInformativeText(detail)
    yes = box.addButton(verb, QMessageBox.ButtonRole.DestructiveRole)
    yes.setObjectName(verb.lower())
    box.addButton(QMessageBox.StandardButton.Cancel).setObjectName(CANCEL)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is yes


# --- the window's side ------------------------------------------------------------------------------------------

class BlockLibraryController(QObject):
    """Connects a main window's palette, canvas and Edit menu to the library folder."""

    def __init__(self, window, root: Path | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.document = window.document
        if root is None:  # the person's own library: it starts with the starter blocks (Squeeze-Excite)
            root = default_library_dir()
            offer_starter_blocks(root)
        self.folder = LibraryFolder(root, self)
        self.save_action = QAction("Save Block to &Library…", window)
        self.save_action.setObjectName("saveBlockToLibrary")
        self.save_action.setStatusTip("Save the selected block to your library, to reuse it from the palette")
        self.save_action.triggered.connect(self.save_selected_block)
        palette = window.palette_panel
        palette.library_block_requested.connect(self.insert_after_selection)
        palette.library_delete_requested.connect(self.delete_block)
        self.folder.changed.connect(self.refresh_palette)
        self.refresh_palette()

    def refresh_palette(self) -> None:
        self.window.palette_panel.set_library_entries(self.folder.entries())

    def selected_group_id(self) -> str | None:
        """The one block the canvas selection points at (its card, or members of it), else None."""
        chosen = self.window.canvas.blocks.chosen_blocks()
        return chosen[0] if len(chosen) == 1 else None

    def save_selected_block(self) -> bool:
        group_id = self.selected_group_id()
        if group_id is None:
            self.document.show_status("Select one block (a composite card) to save it to the library")
            return False
        return self.save_block(group_id)

    def save_block(self, group_id: str) -> bool:
        """Asks for a type name and description, then saves the block ``group_id`` as a library template."""
        graph = self.document.graph
        group = graph.groups.get(group_id)
        if group is None:
            return False
        saved = next((entry for entry in self.folder.entries() if entry.type == group.type and not entry.broken), None)
        description = saved.description if saved else f"Saved from {group.name} in {self.document.project.name}"
        dialog = SaveBlockDialog(self.window, group.type, description, self.folder)
        if not dialog.exec():
            return False
        type_name, description = dialog.values()
        replace = type_name in self.folder
        if replace and not ask_to_replace_block(self.window, type_name):
            return False
        try:
            template = dict(template_from_group(graph, group, description), type=type_name)
            self.folder.save(template, replace=replace)
        except (ValueError, OSError) as error:
            show_error(self.window, "Cannot save the block", str(error))
            return False
        self.document.show_status(f"Saved {type_name} to the block library: find it under My Blocks")
        return True

    def insert_after_selection(self, type_name: str) -> str | None:
        """Adds the saved block after the selected node (fed by it), like a palette double-click."""
        try:
            template = self.folder.load(type_name)
        except BlockFileError as error:
            show_error(self.window, "Cannot use that block", str(error))
            return None
        canvas = self.window.canvas
        group_id = self.document.insert_block(template, after_id=canvas.blocks.selection_output())
        if group_id:
            canvas.select_nodes([group_id])
        return group_id

    def delete_block(self, type_name: str) -> bool:
        if not ask_to_delete_block(self.window, type_name):
            return False
        try:
            self.folder.delete(type_name)
        except (OSError, BlockFileError) as error:
            show_error(self.window, "Cannot delete the block", str(error))
            return False
        self.document.show_status(f"Deleted {type_name} from the block library")
        return True
