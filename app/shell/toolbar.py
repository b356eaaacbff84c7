"""The main toolbar: the actions a user looks for first, each with an icon and its shortcut in the tooltip.

Open a preset, undo and redo, tidy the layout, train / pause / stop, export.
Train, Pause and Stop press the training panel's own buttons, so both ways
run the same code and the toolbar mirrors the buttons' state.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QPushButton, QToolBar

from ..icons import icon

TRAIN_KEY, PAUSE_KEY, STOP_KEY, EXPORT_KEY, PRESETS_KEY = "F5", "F6", "Shift+F5", "Ctrl+E", "Ctrl+Shift+O"
OPEN_CHECKPOINT_KEY = "Ctrl+Shift+K"  # (Ctrl+Shift+O opens the presets)


def shortcut_text(action: QAction) -> str:
    """The action's first shortcut as the platform writes it ("Ctrl+Z"), or ""."""
    return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)


def describe(action: QAction, what: str) -> None:
    """Sets a tooltip that names the shortcut: "Undo (Ctrl+Z)"."""
    keys = shortcut_text(action)
    action.setToolTip(f"{what} ({keys})" if keys else what)


class MainToolBar(QToolBar):
    def __init__(self, window: QMainWindow, presets_action: QAction) -> None:
        super().__init__("Main Toolbar", window)
        self.setObjectName("mainToolBar")  # for saveState
        self.setMovable(False)
        self.setIconSize(QSize(20, 20))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        panel = window.training_ui.panel

        self.presets_action = presets_action
        self._dress(presets_action, "preset", "Open a preset network")
        self._dress(window.undo_action, "undo", "Undo")
        self._dress(window.redo_action, "redo", "Redo")
        self._dress(window.tidy_lr_action, "tidy", "Tidy Layout")
        self.train_action = self._button_action(window, "&Train", "train", TRAIN_KEY, panel.train_button)
        self.pause_action = self._button_action(window, "&Pause", "pause", PAUSE_KEY, panel.pause_button)
        self.stop_action = self._button_action(window, "St&op", "stop", STOP_KEY, panel.stop_button)
        self.export_action = window.training_ui.export_action
        self.export_action.setShortcut(QKeySequence(EXPORT_KEY))
        self._dress(self.export_action, "export", "Export the trained network (pictures and Python: File ▸ Export)")

        self.addAction(presets_action)
        self.addSeparator()
        self.addActions([window.undo_action, window.redo_action, window.tidy_lr_action])
        self.addSeparator()
        self.addActions([self.train_action, self.pause_action, self.stop_action])
        self.addSeparator()
        self.addAction(self.export_action)
        for action in (window.undo_action, window.redo_action, window.tidy_lr_action):
            # Icons only for the editing actions: the undo text ("Undo Add conv3") would make the bar jump.
            self.widgetForAction(action).setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)

        self._panel = panel
        self._nothing_open = False
        panel.buttons_changed.connect(self._mirror_panel)
        self._mirror_panel()

    @staticmethod
    def _dress(action: QAction, icon_name: str, what: str) -> None:
        action.setIcon(icon(icon_name))
        describe(action, what)

    def _button_action(self, window: QMainWindow, text: str, icon_name: str, keys: str,
                       button: QPushButton) -> QAction:
        action = QAction(icon(icon_name), text, window)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(button.click)
        window.addAction(action)  # the shortcut works while the toolbar is hidden too
        return action

    def set_nothing_open(self, nothing_open: bool) -> None:
        self._nothing_open = nothing_open
        self._mirror_panel()

    def _mirror_panel(self) -> None:
        """Copies the panel buttons' state: enabled, Pause/Resume, and why Train is unavailable."""
        panel = self._panel
        for action, button in ((self.train_action, panel.train_button), (self.pause_action, panel.pause_button),
                               (self.stop_action, panel.stop_button)):
            action.setEnabled(button.isEnabled())
        if self._nothing_open:  # the start page hides a placeholder network: nothing to train yet
            self.train_action.setEnabled(False)
        self.pause_action.setText(f"&{panel.pause_button.text()}")  # Pause or Resume: P or R in the menu
        self.pause_action.setIcon(icon("train" if panel.pause_button.text() == "Resume" else "pause"))
        describe(self.train_action, panel.train_button.toolTip() or "Train the network")
        describe(self.pause_action, f"{panel.pause_button.text()} training")
        describe(self.stop_action, panel.stop_button.toolTip() or "Stop training")
