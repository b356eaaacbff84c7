"""File ▸ Open Example ▸ Plain vs residual trains both networks one after the other with the Gradients
view open, and explains the difference with the runs' numbers."""
from __future__ import annotations

from PySide6.QtWidgets import QMenu

EXAMPLE_TIMEOUT_MS = 600_000


def test_the_example_trains_both_networks_and_explains_with_their_numbers(make_window, qtbot):
    window = make_window()
    ui = window.training_ui
    qtbot.waitUntil(lambda: ui.panel.dataset_info is not None, timeout=60_000)
    example = window.plain_vs_residual
    example.epochs = 1  # the lesson needs more; the mechanics need one
    menu = window.findChild(QMenu, "examplesMenu")
    assert [action.text() for action in menu.actions()] == ["Plain vs residual"]
    window.document.undo_stack.setClean()
    with qtbot.waitSignal(example.finished, timeout=EXAMPLE_TIMEOUT_MS) as done:
        menu.actions()[0].trigger()
        assert ui.gradients_shown()
    text = done.args[0]
    labels = [label for label, _ in ui.gradients.runs]
    assert labels[-2:] == ["run 1: Plain 20", "run 2: Residual 20"]
    plain_frame, residual_frame = ui.gradients.runs[-2][1], ui.gradients.runs[-1][1]
    assert len(plain_frame.layers) == len([l for l in residual_frame.layers])  # the same layers
    assert "Plain 20: validation accuracy" in text and "Residual 20: validation accuracy" in text
    assert "× the last one's" in text  # both runs captured their gradients
    assert ui.gradients.note.text() == text and not ui.gradients.note.isHidden()
    assert window.document.project.name == "Residual 20" and not ui.is_training()
