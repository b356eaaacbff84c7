"""Early stopping, gradient clipping and validation every N epochs in the Training panel."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from engine.project import load_project, save_project

from .test_training import Studio, open_studio, tiny_graph


@pytest.fixture
def studio(qtbot, tmp_path) -> Studio:
    return open_studio(qtbot, tmp_path, tiny_graph(), "tiny")  # (answers still queued when it goes are dropped)


def type_into(widget, text: str) -> None:
    widget.setFocus()
    line = widget.lineEdit() if hasattr(widget, "lineEdit") else widget
    line.selectAll()
    QTest.keyClicks(line, text)
    QTest.keyClick(line, Qt.Key.Key_Return)


def test_the_new_fields_type_into_the_project_settings_and_survive_a_save(studio, tmp_path):
    form, document = studio.ui.panel.settings, studio.document
    assert {"patience", "clip_grad", "val_every"} <= set(form.editors)
    assert form.labels["patience"].text() == "Early-stop patience"

    type_into(form.editors["patience"].spin, "3")
    type_into(form.editors["clip_grad"].line, "1.5")
    type_into(form.editors["val_every"].spin, "2")

    training = document.project.training
    assert (training.patience, training.clip_grad, training.val_every) == (3, 1.5, 2)
    assert document.undo_stack.undoText() == "Set training validate every to 2"
    reopened = load_project(save_project(document.project, tmp_path / "options.cnn.json")).training
    assert (reopened.patience, reopened.clip_grad, reopened.val_every) == (3, 1.5, 2)
    document.undo_stack.undo()
    assert form.editors["val_every"].value() == 1  # the form follows undo


def test_the_fast_path_checkbox_starts_off_and_its_tick_reaches_the_project_file(studio, qtbot, tmp_path):
    form, document = studio.ui.panel.settings, studio.document
    check = form.editors["fast"].check
    assert form.labels["fast"].text() == "Fast path" and not check.isChecked()
    assert document.project.training.fast is False  # today's behaviour by default

    qtbot.mouseClick(check, Qt.MouseButton.LeftButton, pos=check.rect().center())
    assert document.project.training.fast is True
    assert document.undo_stack.undoText() == "Set training fast path to on"
    reopened = load_project(save_project(document.project, tmp_path / "fast.cnn.json")).training
    assert reopened.fast is True
    document.undo_stack.undo()
    assert not check.isChecked() and document.project.training.fast is False


def test_epochs_without_validation_leave_gaps_in_the_validation_curve(studio, qtbot):
    studio.configure(epochs=3, val_every=2, batch_size=256)
    studio.train(qtbot)
    assert studio.ui.curves.run.val_x == [2, 3]  # validated on epoch 2 and on the last one
    assert "Finished after 3 epoch(s)" in studio.ui.panel.status_label.text()


def test_a_run_ended_by_early_stopping_says_so(studio, qtbot):
    studio.configure(epochs=40, patience=1, lr=0.5, batch_size=256)  # a step this big soon stops improving
    studio.train(qtbot)
    status = studio.ui.panel.status_label.text()
    assert "early stopping: the validation loss stopped improving" in status
    assert "Finished after 40 epoch(s)" not in status


def test_a_run_stopped_before_its_first_validation_reports_no_accuracy(studio, qtbot):
    studio.configure(epochs=3, val_every=3, batch_size=64)
    ui = studio.ui
    with qtbot.waitSignal(ui.training_ended, timeout=60_000):
        assert ui.start_training()
        with qtbot.waitSignal(ui.run.worker.epoch_finished, timeout=60_000):
            pass
        ui.stop()  # after epoch 1, which had no validation
    status = ui.panel.status_label.text()
    assert status.startswith("Stopped after") and "nan" not in status and "validation accuracy" not in status
