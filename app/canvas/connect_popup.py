"""Edit ▸ Connect To (Ctrl+K on the canvas): connect the selected block's output by typing a name.

A popup like quick-add's: a search field over the list of blocks that can take
the selected block's output (any part of the name or type, any case), Up/Down
to move through it, Enter to connect, Escape to leave things as they were. A
block with several inputs (Add, Concat) is listed once per free input.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from engine.graph import Graph

from ..accessibility import name_clear_button

TARGET_ROLE = Qt.ItemDataRole.UserRole
LIST_KEYS = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)


def targets(graph: Graph, source: str) -> list[tuple[str, str, str]]:
    """(label, node id, input port) for every input ``source`` could feed, by name."""
    found = []
    for node in sorted(graph.nodes.values(), key=lambda node: node.name.lower()):
        ports = [port.name for port in node.spec.inputs if graph.connection_problem(source, node.id, port.name) is None]
        for port in ports:
            where = f" ({port})" if len(node.spec.inputs) > 1 else ""
            found.append((f"{node.name}{where} — {node.spec.title}", node.id, port))
    return found


class ConnectPopup(QFrame):
    chosen = Signal(str, str, str)
    """Source node id, target node id, target input port."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Connect to")
        self.title = QLabel()
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Name of the block to connect to…")
        self.search.setClearButtonEnabled(True)
        name_clear_button(self.search)
        self.title.setBuddy(self.search)  # the field's name for screen readers
        self.list = QListWidget(self)
        self.list.setAccessibleName("Blocks that can take this output")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.source: str | None = None
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._accept_current)
        self.list.itemActivated.connect(self._accept)
        self.search.installEventFilter(self)
        self.resize(320, 280)

    def open_for(self, graph: Graph, source: str, global_pos: QPoint) -> None:
        self.source = source
        self.title.setText(f"Connect {graph.nodes[source].name} to:")
        self.list.clear()
        for label, node_id, port in targets(graph, source):
            item = QListWidgetItem(label)
            item.setData(TARGET_ROLE, (node_id, port))
            self.list.addItem(item)
        if not self.list.count():
            self.list.addItem(QListWidgetItem("No block can take this output"))
        self.search.clear()
        self._filter("")
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def shown_labels(self) -> list[str]:
        return [self.list.item(row).text() for row in range(self.list.count()) if not self.list.item(row).isHidden()]

    def _filter(self, text: str) -> None:
        query = text.strip().lower()
        first = None
        for row in range(self.list.count()):
            item = self.list.item(row)
            visible = query in item.text().lower()
            item.setHidden(not visible)
            if visible and item.data(TARGET_ROLE) is not None:
                # Enter takes the first name that starts with what was typed, else the first match.
                if first is None or (item.text().lower().startswith(query)
                                     and not first.text().lower().startswith(query)):
                    first = item
        self.list.setCurrentItem(first) if first is not None else self.list.setCurrentRow(-1)

    def _accept_current(self) -> None:
        item = self.list.currentItem()
        if item is not None and not item.isHidden():
            self._accept(item)

    def _accept(self, item: QListWidgetItem) -> None:
        target = item.data(TARGET_ROLE)
        if target is None:
            return
        self.hide()
        self.chosen.emit(self.source, *target)

    def eventFilter(self, watched, event) -> bool:
        # Up/Down in the search field move through the list, as in quick-add.
        if watched is self.search and event.type() == event.Type.KeyPress and event.key() in LIST_KEYS:
            self.list.keyPressEvent(event)
            return True
        return super().eventFilter(watched, event)
