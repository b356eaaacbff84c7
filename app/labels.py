"""The label styles pages and panels share: section headings and muted notes (see app.qss), and a
label for text that changes many times a second."""
from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel

QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's largest widget size (not exported by PySide6)


def heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionHeading")
    label.setIndent(0)  # a styled label would otherwise indent its text
    return label


def muted(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("muted")
    label.setWordWrap(True)
    return label


class SteadyLabel(QLabel):
    """One line of text that changes several times a second (a run's progress in the status bar).

    A plain QLabel asks its window to lay out again on every ``setText`` (Qt's updateGeometry does,
    unless the label's size is fixed): in the main window that is every dock and toolbar, ~6 ms of
    the GUI thread five times a second while a network trains. This label fixes its size and only
    widens it, in steps, when a text needs more room, so the window redoes its layout a few times
    a run instead of on every update. ``release`` lets it shrink back (e.g. when the run ends).
    """

    WIDTH_STEP = 40  # px: numbers that grow by a digit now and then do not widen it each time

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        hint = self._hint_for(text)
        fixed_width = self.maximumWidth() if self.minimumWidth() == self.maximumWidth() else 0
        if hint.width() > fixed_width or hint.height() != self.maximumHeight():
            width = max(hint.width(), fixed_width)
            self.setFixedSize(-(-width // self.WIDTH_STEP) * self.WIDTH_STEP, hint.height())
        super().setText(text)

    def release(self) -> None:
        """Lets the label take its text's size again (its next ``setText`` fixes it anew)."""
        self.setMinimumSize(0, 0)
        self.setMaximumSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX)

    def _hint_for(self, text: str) -> QSize:
        margins = self.contentsMargins()
        metrics = self.fontMetrics()
        indent = 2 * max(self.indent(), 0) + 2 * self.margin()
        return QSize(metrics.horizontalAdvance(text) + margins.left() + margins.right() + indent + 2,
                     metrics.height() + margins.top() + margins.bottom() + 2 * self.margin())
