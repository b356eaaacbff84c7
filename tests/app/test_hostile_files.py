"""The window's own doors: File ▸ Import and File ▸ Open with hostile or endless files, through real Qt."""
from __future__ import annotations

import os

import pytest
from PySide6.QtWidgets import QMessageBox

from engine.project import dumps_project

from ..engine.hostile import PRESET, UNTOUCHED, marker_file, scripted_hostile

IMPORT_TIMEOUT_MS = 60_000


@pytest.mark.parametrize("carries_project", [True, False], ids=["looks-like-ours", "foreign"])
def test_importing_a_hostile_torchscript_file_runs_nothing(make_window, qtbot, tmp_path, carries_project):
    window = make_window()
    marker = marker_file(tmp_path)
    extra = {"convcanvas.project.json": PRESET.read_text(encoding="utf-8")} if carries_project else {}
    path = scripted_hostile(tmp_path / "model.pt", marker, extra)
    before = dumps_project(window.document.project)
    dialog = window.importer.import_saved_file(path)
    qtbot.waitUntil(lambda: dialog.error is not None, timeout=IMPORT_TIMEOUT_MS)
    box = dialog.findChild(QMessageBox, "importErrorDialog")
    assert box is not None and box.isVisible()
    assert box.text().startswith(str(path)) and "\n" not in box.text()
    if not carries_project:
        assert "ConvCanvas never runs code from a model file" in box.text()
    assert marker.read_bytes() == UNTOUCHED
    box.accept()
    dialog.reject()
    assert dumps_project(window.document.project) == before


def test_opening_a_named_pipe_shows_one_line_and_keeps_the_network(window, dialogs, tmp_path):
    """File ▸ Open on a FIFO used to freeze the window waiting for a writer."""
    pipe = tmp_path / "net.cnn.json"
    os.mkfifo(pipe)
    before = dumps_project(window.document.project)
    assert not window.open_path(pipe)
    assert [(d.name, d.text) for d in dialogs.seen] == [
        ("errorDialog", f"{pipe}: is a named pipe (FIFO), not a project file: ConvCanvas reads only regular files")]
    assert dumps_project(window.document.project) == before


@pytest.mark.parametrize("text", ['{"nodes": [], "size": 1' + "0" * 5000 + "}", '{"name": "x\\ud800"}',
                                  '{"x": NaN}'], ids=["5001-digit number", "lone surrogate", "NaN"])
def test_pasting_text_no_file_may_hold_is_ignored_not_a_traceback(qapp, text):
    from PySide6.QtCore import QMimeData

    from app.clipboard import from_mime

    mime = QMimeData()
    mime.setText(text)
    assert from_mime(mime) is None


def test_a_pipe_in_the_recovery_folder_does_not_hang_start_up(qapp, tmp_path):
    """Autosaved copies are read at start-up: a FIFO among them used to block the window from opening."""
    from app.files import RECOVERY_SUFFIX, RecoverySession

    os.mkfifo(tmp_path / f"stray{RECOVERY_SUFFIX}")
    session = RecoverySession(tmp_path)
    assert session.abandoned() == []
    assert not (tmp_path / f"stray{RECOVERY_SUFFIX}").exists()  # unreadable: nothing to recover
    session.end()
