"""Whether a dashboard is on screen, so views behind a tab can skip their updates until shown.

Qt keeps a dock that is a tab behind another "visible": ``isVisible()`` stays True and no Show
event comes when its tab is brought to the front; Qt only moves it off the window. Views that
asked ``isVisible()`` therefore redrew for hidden tabs at every update (the confusion matrix,
5-10 ms of the GUI thread each epoch; the filters, every feature-map frame). A dock's
``visibilityChanged`` signal says when its tab comes to the front: connect it to the view's
``show_pending``.
"""
from __future__ import annotations

from PySide6.QtWidgets import QWidget


def behind_a_tab(widget: QWidget) -> bool:
    """Shown as far as Qt is concerned, but with no pixel on screen (a tab behind another)."""
    return widget.isVisible() and widget.visibleRegion().isEmpty()


def on_screen(widget: QWidget) -> bool:
    return widget.isVisible() and not widget.visibleRegion().isEmpty()
