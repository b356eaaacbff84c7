"""The block explainer: one window with a page per modern block (activation curves, PReLU, squeeze-and-excite,
ChannelShuffle, LayerNorm2d, StochasticDepth, Mean over H×W), opened from a node's context menu
("Explain This Block…") on the page for that node, set up with its parameters.

Every number comes from ``engine.explain.blocks`` (torch); the pages only lay them out.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QListWidget,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from engine.explain.block_topics import TOPICS, topic_for

from ..shell.geometry import fit_to_screen
from .block_pages import PAGES, Page

PREFERRED_SIZE = QSize(1100, 680)  # logical px; less where the screen is smaller


class BlockExplainer(QDialog):
    """``show_topic(topic)`` turns to a page; ``page(topic)`` is that page."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("blockExplainer")
        self.setWindowTitle("Learn the Blocks")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.topics = QListWidget()
        self.topics.setAccessibleName("Topics")
        self.topics.setFixedWidth(250)
        self.stack = QStackedWidget()
        self.pages: dict[str, Page] = {}
        for kind in PAGES:
            page = kind()
            self.pages[kind.topic] = page
            scroll = QScrollArea()  # a small screen scrolls a page rather than squeezing it
            scroll.setWidget(page)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            self.stack.addWidget(scroll)
            self.topics.addItem(TOPICS[kind.topic])
        self.close_button = QPushButton("Close")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.close)
        right = QVBoxLayout()
        right.addWidget(self.stack, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 14)
        layout.setSpacing(12)
        layout.addWidget(self.topics)
        layout.addLayout(right, 1)
        self.topics.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.topics.setCurrentRow(0)
        fit_to_screen(self, PREFERRED_SIZE)

    @property
    def topic(self) -> str:
        return list(self.pages)[self.stack.currentIndex()]

    def page(self, topic: str) -> Page:
        return self.pages[topic]

    def show_topic(self, topic: str) -> Page:
        self.topics.setCurrentRow(list(self.pages).index(topic))
        return self.pages[topic]


def show_block_explainer(window: QWidget, node_id: str | None = None) -> BlockExplainer:
    """Shows (creating it once) the window's block explainer; with ``node_id``, on that node's page."""
    explainer = window.findChild(BlockExplainer)
    if explainer is None:
        explainer = BlockExplainer(window)
    document = getattr(window, "document", None)
    node = document.graph.nodes.get(node_id) if document is not None and node_id is not None else None
    topic = topic_for(node.type, node.params) if node is not None else None
    if topic is not None:
        report = document.analysis.nodes.get(node_id) if document.analysis is not None else None
        shape = report.input_shapes[0] if report is not None and report.input_shapes else None
        explainer.show_topic(topic).show_node(node.params, shape)
    explainer.show()
    explainer.raise_()
    explainer.activateWindow()
    return explainer
