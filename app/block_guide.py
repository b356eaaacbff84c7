"""Help ▸ Block Guide: every block of the catalogue, explained, by category."""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from engine.catalogue import blocks_by_category

from .icons import CATEGORY_TITLES


def guide_html() -> str:
    parts = ["<h2>Block guide</h2><p>Drag a block from the palette onto the canvas, or double-click it "
             "to add it after the selected block. Connect an output port to an input port to feed it.</p>"]
    for category, specs in blocks_by_category().items():
        parts.append(f"<h3>{CATEGORY_TITLES[category]}</h3>")
        for spec in specs:
            params = ", ".join(f"<i>{escape(p.title.lower())}</i>" for p in spec.params) or "none"
            parts.append(
                f"<p><b>{escape(spec.title)}</b> — {escape(spec.summary)}<br>{escape(spec.doc)}<br>"
                f"<span style='color:gray'>Shape: {escape(spec.shape_formula or 'as inferred')} · "
                f"Parameters: {params}</span></p>")
    return "".join(parts)


class BlockGuideDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("blockGuide")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Block Guide")
        self.resize(640, 720)
        browser = QTextBrowser()
        browser.setOpenExternalLinks(True)
        browser.setHtml(guide_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(browser)
        layout.addWidget(buttons)
