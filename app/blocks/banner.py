"""The inspector's note on a node inside a composite block: which block, and who shares its edits.

"Part of layer1.0 (BasicBlock64) — changes apply to all 3 instances", with
a Make Unique button that gives this instance a type of its own. When some
instances of the type have been changed apart (a different structure), the
note says so: edits reach only the instances that still match
(app.blocks.library_commands).
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from engine.groups import unique_type_name

from .library_commands import Sharing, sharing


def sharing_text(shared: Sharing) -> str:
    group = shared.group
    where = f"Part of <b>{html.escape(group.name)}</b> ({html.escape(group.type)})"
    matching, others = len(shared.matching), shared.total - 1
    if shared.total == 1:
        return where
    if matching == shared.total:
        return f"{where} — changes apply to {'both' if matching == 2 else f'all {matching}'} instances"
    if matching == 1:
        return (f"{where} — it differs from the other {others} instance{'s' * (others != 1)}, "
                "so changes apply to it only")
    differing = shared.differing
    return (f"{where} — changes apply to {matching} of {shared.total} instances; "
            f"{differing} differ{'s' * (differing == 1)} and {'is' if differing == 1 else 'are'} left as "
            f"{'it is' if differing == 1 else 'they are'}")


class BlockBanner(QFrame):
    """Shown above a member node's parameters; hidden for nodes in no block."""

    def __init__(self, document, node_id: str) -> None:
        super().__init__()
        self.setObjectName("blockBanner")
        self.document, self.node_id = document, node_id
        self.label = QLabel()
        self.label.setObjectName("blockBannerText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.make_unique_button = QPushButton("Make Unique")
        self.make_unique_button.setObjectName("makeUnique")
        self.make_unique_button.clicked.connect(self._make_unique)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addStretch(1)
        buttons.addWidget(self.make_unique_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(6)
        layout.addWidget(self.label)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        graph = self.document.graph
        shared = sharing(graph, self.node_id) if self.node_id in graph.nodes else None
        self.setVisible(shared is not None)
        if shared is None:
            return
        self.label.setText(sharing_text(shared))
        self.make_unique_button.setVisible(shared.total > 1)
        self.make_unique_button.setToolTip(
            f"Give {shared.group.name} a type of its own ({unique_type_name(graph, shared.group.type)}), "
            "so its changes no longer reach the other instances")

    def _make_unique(self) -> None:
        group = self.document.graph.group_of(self.node_id)
        if group is not None:
            self.document.make_block_unique(group.id)
