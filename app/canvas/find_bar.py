"""Edit ▸ Find (Ctrl+F on the canvas): type a node's or block's name, get it selected and in the middle.

A small bar over the top of the canvas, as in a browser: its field completes
names as you type (any part of a name, any case); Enter or a completion picks
one, Escape closes the bar. What it finds goes to ``chosen`` as an id.
"""
from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import QCompleter, QFrame, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from engine.graph import Graph

MARGIN = 8


def named_ids(graph: Graph) -> dict[str, str]:
    """Every name on the canvas → its node or block id (a node wins over a block of the same name)."""
    names = {group.name: group.id for group in graph.groups.values()}
    names.update((node.name, node.id) for node in graph.nodes.values())
    return names


def best_match(names: dict[str, str], text: str) -> str | None:
    """The id of the name equal to ``text`` (any case), else of the first name (sorted) containing it."""
    query = text.strip().lower()
    if not query:
        return None
    exact = next((key for name, key in names.items() if name.lower() == query), None)
    if exact is not None:
        return exact
    return next((names[name] for name in sorted(names, key=str.lower) if query in name.lower()), None)


class FindBar(QFrame):
    chosen = Signal(str)
    """The id of the node or block found."""
    not_found = Signal(str)
    """What was typed, when nothing has that name."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("findBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.field = QLineEdit()
        self.field.setObjectName("findField")
        self.field.setPlaceholderText("Name of a block or layer")
        self.field.setClearButtonEnabled(True)
        self.field.setMinimumWidth(220)
        self.names: dict[str, str] = {}
        self.model = QStringListModel(self)
        completer = QCompleter(self.model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.activated.connect(self.find)
        self.field.setCompleter(completer)
        self.field.returnPressed.connect(lambda: self.find(self.field.text()))
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Close (Esc)")
        close.clicked.connect(self.close_bar)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(QLabel("Find"))
        layout.addWidget(self.field, 1)
        layout.addWidget(close)
        self.hide()

    def open(self, graph: Graph) -> None:
        """Shows the bar at the top right of its parent, with the names of ``graph`` to complete."""
        self.names = named_ids(graph)
        self.model.setStringList(sorted(self.names, key=str.lower))
        self.adjustSize()
        parent = self.parentWidget()
        self.move(max(MARGIN, parent.width() - self.width() - MARGIN), MARGIN)
        self.show()
        self.raise_()
        self.field.selectAll()
        self.field.setFocus()

    def find(self, text: str) -> None:
        key = best_match(self.names, text)
        if key is None:
            self.not_found.emit(text)
            return
        self.chosen.emit(key)

    def close_bar(self) -> None:
        self.hide()
        if self.parentWidget() is not None:
            self.parentWidget().setFocus()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close_bar()
            return
        super().keyPressEvent(event)
