"""The Problems panel: the analysis's issues, each leading to its node.

Errors come first, then warnings. Clicking an issue that belongs to a node
emits ``node_chosen`` (the window selects and centres it).
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStackedLayout,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from engine.analysis import ERROR, Analysis, Issue

from .icons import icon

NODE_ROLE = Qt.ItemDataRole.UserRole


class IssuesPanel(QWidget):
    node_chosen = Signal(str)
    count_changed = Signal(int, int)  # errors, warnings

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName("Problems")
        self.tree.setAccessibleDescription("Errors and warnings of the network; choosing one shows its node")
        self.tree.setColumnCount(1)
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(24)  # hints sit under their message, past the icon
        self.tree.setWordWrap(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.tree.setIconSize(QSize(16, 16))
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.empty = QLabel("No problems: the network is complete and every shape fits.")
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self.empty)
        self._stack.addWidget(self.tree)
        self._shown: list[Issue] = []
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)

    def show_analysis(self, analysis: Analysis) -> None:
        issues = sorted(analysis.issues, key=lambda issue: issue.severity != ERROR)
        # Most edits leave the problems as they were: then the list (and its scroll position) stays.
        if issues != self._shown or self.tree.topLevelItemCount() != len(issues):
            self._shown = issues
            self.tree.clear()
            for issue in issues:
                self.tree.addTopLevelItem(self._item(issue))
            self.tree.expandAll()
        self._stack.setCurrentWidget(self.tree if issues else self.empty)
        errors = sum(issue.severity == ERROR for issue in issues)
        self.count_changed.emit(errors, len(issues) - errors)

    def _item(self, issue: Issue) -> QTreeWidgetItem:
        """The message (it names the nodes involved), with the hint on a muted line below."""
        item = QTreeWidgetItem([issue.message])
        item.setIcon(0, icon("error" if issue.severity == ERROR else "warning"))
        item.setData(0, NODE_ROLE, issue.node_id)
        item.setToolTip(0, str(issue))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        if issue.hint:
            hint = QTreeWidgetItem(item, [issue.hint])
            hint.setData(0, NODE_ROLE, issue.node_id)
            hint.setForeground(0, self.palette().placeholderText())
            hint.setToolTip(0, str(issue))
            hint.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        return item

    def issue_count(self) -> int:
        return self.tree.topLevelItemCount()

    def _clicked(self, item: QTreeWidgetItem) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.node_chosen.emit(node_id)
