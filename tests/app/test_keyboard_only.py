"""Issue 24's "done means": the whole job by keyboard alone.

From the start page, a new network is built (Input → Conv2d → Activation →
MaxPool2d → Flatten → Dense → Output), a parameter is changed, the network is
trained, stopped and exported, with real key presses only: every action is a
QTest.keyClick/keyClicks where the key would go (the focused widget of the
open popup or the active window). The test reads state to know when to go on
(as a user watches the screen), never acts through a method call or the mouse;
the one stand-in is for the window manager the offscreen platform lacks
(``window_manager_refocuses``): a new window gets the focus, and a closed
popup gives it back.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.training.export_dialog import ExportDialog

NONE = Qt.KeyboardModifier.NoModifier
ALT, CTRL, SHIFT = Qt.KeyboardModifier.AltModifier, Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier
RUN_TIMEOUT_MS = 120_000
CHAIN = [("conv2d", "Conv2d"), ("activation", "Activation"), ("max pool", "MaxPool2d"), ("flatten", "Flatten"),
         ("dense", "Dense")]


def focused():
    return QApplication.focusWidget()


def receiver():
    """Where a key press goes: an open popup's focused widget, else the active window's, else the window."""
    popup = QApplication.activePopupWidget()
    if popup is not None:
        return popup.focusWidget() or popup
    window = QApplication.activeWindow()
    widget = focused()
    if window is not None and (widget is None or widget.window() is not window):
        widget = window.focusWidget() or window
    return widget or window


def key(key, modifier=NONE) -> None:
    QTest.keyClick(receiver(), key, modifier)


def typed(text: str) -> None:
    QTest.keyClicks(receiver(), text)


def tab_to(widget, presses: int = 80) -> None:
    """Tab on, as a user does, until ``widget`` (or the field it stands for) has the focus."""
    target = widget.focusProxy() or widget
    for _ in range(presses):
        if focused() is target:
            return
        key(Qt.Key.Key_Tab)
    assert focused() is target, f"Tab never reached {type(widget).__name__}"


def window_manager_refocuses(qtbot, window) -> None:
    """What a window manager does once a popup has closed (the main window is the focused window
    again) or a new window opens (it gets the focus). The offscreen platform the tests run on has
    none: its focus window stays a closed popup, and a later event hands the keyboard focus to that
    hidden popup's list. The window keeps its own focused widget."""
    window.windowHandle().requestActivate()
    qtbot.waitUntil(window.isActiveWindow)


def test_build_change_train_stop_and_export_by_keyboard_alone(dialogs, make_window, qtbot, tmp_path):
    window = make_window(start_page=True)
    with qtbot.waitActive(window):
        window.activateWindow()
    document, canvas, ui = window.document, window.canvas, window.training_ui
    assert window.start_page_shown

    key(Qt.Key.Key_N, CTRL)  # File ▸ New: an Input and an Output
    assert not window.start_page_shown
    key(Qt.Key.Key_1, ALT)  # View ▸ Go To ▸ Canvas
    assert focused() is canvas
    key(Qt.Key.Key_Right)  # the selection starts at the Input
    (input_id,) = canvas.selected_node_ids()
    key(Qt.Key.Key_Return)  # Edit ▸ Edit Parameters: small 8×8 images train in a blink
    editors = window.inspector.page.editors
    assert focused() is editors["channels"].focusProxy()
    for name in ("height", "width"):
        key(Qt.Key.Key_Tab)
        assert focused() is editors[name].focusProxy()
        key(Qt.Key.Key_A, CTRL)
        typed("8")
        key(Qt.Key.Key_Return)
    params = document.graph.nodes[input_id].params
    assert (params["height"], params["width"]) == (8, 8)
    key(Qt.Key.Key_Escape)  # back to the canvas, the Input still selected
    assert focused() is canvas

    chain = [input_id]
    for query, title in CHAIN:
        key(Qt.Key.Key_A, SHIFT)  # Edit ▸ Add Block…: after the selection, connected to it
        typed(query)
        key(Qt.Key.Key_Return)
        (new,) = canvas.selected_node_ids()
        assert document.graph.nodes[new].spec.title == title
        chain.append(new)
    key(Qt.Key.Key_K, CTRL)  # Edit ▸ Connect To…: the Dense to the Output
    typed("output")
    key(Qt.Key.Key_Return)
    (output_id,) = [node.id for node in document.graph.nodes.values() if node.type == "output"]
    window_manager_refocuses(qtbot, window)
    chain.append(output_id)
    assert {(edge.src, edge.dst) for edge in document.graph.edges} == set(zip(chain, chain[1:]))

    key(Qt.Key.Key_Return)  # Edit ▸ Edit Parameters: the Dense's units, ten classes
    assert focused() is window.inspector.page.editors["out_features"].focusProxy()
    key(Qt.Key.Key_A, CTRL)
    typed("10")
    key(Qt.Key.Key_Return)
    assert document.graph.nodes[chain[-2]].params["out_features"] == 10
    key(Qt.Key.Key_Escape)
    assert focused() is canvas
    assert document.refresh_analysis().valid, [str(issue) for issue in document.analysis.errors]

    key(Qt.Key.Key_4, ALT)  # View ▸ Go To ▸ Training: enough epochs to stop one of them
    tab_to(ui.panel.settings.editors["epochs"])
    key(Qt.Key.Key_A, CTRL)
    typed("20")
    key(Qt.Key.Key_Return)
    assert document.project.training.epochs == 20

    qtbot.waitUntil(ui.panel.train_button.isEnabled, timeout=RUN_TIMEOUT_MS)  # PyTorch ready, dataset read
    key(Qt.Key.Key_1, ALT)  # back on the canvas: the training keys work from anywhere in the window
    assert focused() is canvas
    with qtbot.waitSignal(ui.training_ended, timeout=RUN_TIMEOUT_MS):
        key(Qt.Key.Key_F5)  # Training ▸ Train
        assert ui.is_training(), (focused(), ui.panel.message_label.text())
        # Wait, as a user watches the curves, for the first validated epoch (it leaves a checkpoint).
        qtbot.waitUntil(lambda: ui.curves.run is not None and bool(ui.curves.run.val_x), timeout=RUN_TIMEOUT_MS)
        key(Qt.Key.Key_F5, SHIFT)  # Training ▸ Stop
    assert "Stopped after" in ui.panel.status_label.text()
    assert ui.trained is not None and ui.trained.checkpoint is not None

    qtbot.waitUntil(ui.export_action.isEnabled)
    key(Qt.Key.Key_E, CTRL)  # Training ▸ Export Trained Network…
    dialogs_open = lambda: [d for d in window.findChildren(ExportDialog) if d.isVisible()]  # noqa: E731
    assert dialogs_open(), f"Ctrl+E went to {focused()!r} in {QApplication.activeWindow()!r}"
    (dialog,) = dialogs_open()
    window_manager_refocuses(qtbot, dialog)  # a new window gets the focus
    target = tmp_path / "by-keyboard.pt"
    key(Qt.Key.Key_T, ALT)  # "Save to" (its access key)
    assert focused() is dialog.path_edit
    key(Qt.Key.Key_A, CTRL)
    typed(str(target))
    tab_to(dialog.export_button)
    key(Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.written == [target], timeout=RUN_TIMEOUT_MS)
    assert target.is_file() and str(target) in dialog.result_label.text()
