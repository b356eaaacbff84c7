"""Names for assistive technology where Qt's widgets have none of their own."""
from __future__ import annotations

from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAction
from PySide6.QtWidgets import QLineEdit, QWidget

CLEAR_ACTION = "_q_qlineeditclearaction"  # the object name Qt gives a line edit's own clear button


def name_clear_button(edit: QLineEdit, name: str = "Clear") -> None:
    """Names the clear button of ``setClearButtonEnabled``: its icon alone says nothing to a screen reader."""
    clear = edit.findChild(QAction, CLEAR_ACTION)
    if clear is not None:
        clear.setText(name)


def announce(widget: QWidget, text: str, urgent: bool = False) -> None:
    """Has screen readers say ``text`` (a status change drawn only as a label's text is not read out).

    ``urgent`` interrupts what is being read (errors); otherwise the reader waits its turn."""
    if not text:
        return
    event = QAccessibleAnnouncementEvent(widget, text)
    if urgent:
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
    QAccessible.updateAccessibility(event)
