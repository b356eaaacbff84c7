"""The block guide in the app: palette tooltips, the inspector's guide section and Help ▸ Block Guide.

Everything is written from the catalogue with the same words as
``docs/blocks.md`` (``engine.catalogue.guide``): what the block does, when to
use it, its shape formula and each parameter with its help, allowed values
and default.
"""
from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from engine.catalogue import BlockSpec, blocks_by_category
from engine.catalogue.guide import PATTERNS, allowed_values, default_text
from engine.insight.receptive_rules import EXPLANATION, receptive_field_rule

from ..icons import CATEGORY_TITLES
from ..shell.geometry import fit_to_screen

MUTED = "color:gray"


def when_html(spec: BlockSpec) -> str:
    return f"<b>When to use it:</b> {escape(spec.when)}" if spec.when else ""


def shape_html(spec: BlockSpec) -> str:
    return f"<b>Shape:</b> {escape(spec.shape_formula or 'as inferred')}"


def parameters_html(spec: BlockSpec) -> str:
    """Each parameter: its title, help, allowed values and default, as an HTML list ("" if none)."""
    if not spec.params:
        return ""
    items = "".join(
        f"<li><i>{escape(param.title)}</i>: {escape(param.help)} <span style='{MUTED}'>"
        f"({escape(allowed_values(param))}; default {escape(default_text(param.default))})</span></li>"
        for param in spec.params)
    return f"<ul style='margin-top:2px; margin-bottom:0; -qt-list-indent:1'>{items}</ul>"


def block_html(spec: BlockSpec) -> str:
    """The whole explanation of one block (the guide dialog)."""
    parts = [f"<p><b>{escape(spec.title)}</b> — {escape(spec.summary)}</p>", f"<p>{escape(spec.doc)}</p>"]
    if spec.when:
        parts.append(f"<p>{when_html(spec)}</p>")
    parts.append(f"<p>{shape_html(spec)}</p>")
    parts.append(f"<p><b>Receptive field:</b> {escape(receptive_field_rule(spec.type_id))}</p>")
    if spec.params:
        parts.append(f"<p><b>Parameters</b></p>{parameters_html(spec)}")
    return "".join(parts)


def tooltip_html(spec: BlockSpec) -> str:
    """The palette's tooltip: the summary, when to use it, the shape and the parameters (the long
    description is in the inspector and the guide)."""
    parts = [f"<b>{escape(spec.title)}</b> — {escape(spec.summary)}"]
    if spec.when:
        parts.append(when_html(spec))
    parts.append(shape_html(spec))
    body = "<br>".join(parts)
    params = f"<br><b>Parameters</b>{parameters_html(spec)}" if spec.params else ""
    hint = "<i>Drag onto the canvas, or double-click to add after the selection.</i>"
    # A fixed-width table makes Qt wrap the tooltip's lines instead of stretching it across the screen.
    return f"<table width='420'><tr><td>{body}{params}<p>{hint}</p></td></tr></table>"


def guide_html() -> str:
    parts = ["<h2>Block guide</h2><p>Drag a block from the palette onto the canvas, or double-click it "
             "to add it after the selected block. Connect an output port to an input port to feed it. "
             "Shapes are per sample: C×H×W for images and feature maps, F for flat vectors.</p>"
             f"<p>{escape(EXPLANATION)}</p>"]
    for category, specs in blocks_by_category().items():
        parts.append(f"<h3>{CATEGORY_TITLES[category]}</h3>")
        parts.extend(block_html(spec) + "<hr>" for spec in specs)
    parts.append("<h3>Patterns of the modern families</h3>")
    parts.extend(f"<p><b>{escape(name)}</b>: {escape(blocks)}</p><p>{escape(why)}</p>" for name, blocks, why in PATTERNS)
    return "".join(parts)


class BlockGuideDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("blockGuide")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle("Block Guide")
        fit_to_screen(self, QSize(640, 720))
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setAccessibleName("Block guide")
        self.browser.setHtml(guide_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
