"""A full disk in the window: saving and exporting show the engine's one line, and nothing is lost.

The disk is a real tiny tmpfs filled to the last byte (``refusing_disk`` in tests/conftest.py);
the actions are the menu's, with file dialogs answered as a user would.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QLineEdit

from app.training.background import BackgroundJobs
from app.training.export_dialog import ExportDialog
from app.training.run import TrainingRun
from app.training.worker import RunRequest
from engine import Project, TrainingConfig, compile_graph
from engine.builders import GraphBuilder
from engine.checkpoint import save_checkpoint
from engine.data import load_dataset

OLD = b"the previous file"


def choose(dialogs, target, dialog_name):
    """Answers the next file dialog with ``target`` (replacing it, as the user confirms)."""
    def answer(dialog):
        assert dialog.objectName() == dialog_name
        assert isinstance(dialog, QFileDialog)
        # Qt would ask about replacing inside accept(), a nested loop the answerer cannot reach.
        dialog.setOption(QFileDialog.Option.DontConfirmOverwrite)
        dialog.selectFile(str(target))
        # The dialog's file model loads the folder in the background and can put the suggested name
        # back over an existing file's; the name field is what accept() reads.
        name_edit = dialog.findChild(QLineEdit, "fileNameEdit")
        if name_edit is not None:
            name_edit.setText(Path(target).name)
        dialog.accept()

    dialogs.expect(answer)


def test_saving_to_a_full_disk_shows_why_and_keeps_the_work_unsaved(window, dialogs, refusing_disk):
    window.document.set_param("conv1", "out_channels", 7)
    target_name = "lenet.cnn.json"
    disk = refusing_disk({target_name: OLD})
    choose(dialogs, disk / target_name, "projectFileDialog")

    window.save_as_action.trigger()

    errors = [(seen.title, seen.text) for seen in dialogs.seen if seen.name == "errorDialog"]
    assert errors == [("Cannot save project", f"cannot write {disk / target_name}: no space left on device")]
    assert window.document.is_dirty and window.document.path is None  # the work is still unsaved, not lost
    assert window.document.graph.nodes["conv1"].params["out_channels"] == 7
    assert (disk / target_name).read_bytes() == OLD
    assert sorted(path.name for path in disk.iterdir()) == ["filler", target_name]


def test_exporting_a_picture_or_python_to_a_full_disk_shows_why(window, dialogs, refusing_disk):
    disk = refusing_disk({"lenet.png": OLD, "lenet.py": OLD})
    choose(dialogs, disk / "lenet.png", "exportFileDialog")
    window.export_picture_action.trigger()
    choose(dialogs, disk / "lenet.py", "exportFileDialog")
    window.export_python_action.trigger()

    errors = [(seen.title, seen.text) for seen in dialogs.seen if seen.name == "errorDialog"]
    assert errors == [("Cannot export", f"cannot write {disk / 'lenet.png'}: no space left on device"),
                      ("Cannot export", f"cannot write {disk / 'lenet.py'}: no space left on device")]
    assert {path.name: path.read_bytes() for path in disk.iterdir() if path.name != "filler"} == {
        "lenet.png": OLD, "lenet.py": OLD}


def test_autosave_on_a_full_disk_says_so_in_the_status_bar(window, refusing_disk):
    disk = refusing_disk({})
    window.recovery.folder = disk
    window.recovery.path = disk / "session.json"
    window.document.set_param("conv1", "out_channels", 7)

    window.autosave()

    assert window.statusBar().currentMessage() == (
        f"Autosave failed: cannot write {disk / 'session.json'}: no space left on device")
    assert window.document.is_dirty


def test_the_export_dialog_shows_a_full_disk_in_one_line(qtbot, window, refusing_disk, tmp_path):
    project = window.document.project
    checkpoint = save_checkpoint(
        tmp_path / "trained.pt", project=project, model_state=compile_graph(project.graph).state_dict(),
        class_names=[str(digit) for digit in range(10)], mean=(0.5,), std=(0.25,), metrics={}, history=[], epoch=1)
    disk = refusing_disk({"net.pt": OLD})
    jobs = BackgroundJobs()
    dialog = ExportDialog(checkpoint, jobs, window)
    qtbot.addWidget(dialog)
    dialog.select_format("torchscript")
    dialog.path_edit.setText(str(disk / "net.pt"))

    dialog.export()

    message = f"cannot write {disk / 'net.pt'}: no space left on device"
    qtbot.waitUntil(lambda: dialog.result_label.text() == message, timeout=60_000)
    assert dialog.export_button.isEnabled() and dialog.written == []
    assert (disk / "net.pt").read_bytes() == OLD
    assert sorted(path.name for path in disk.iterdir()) == ["filler", "net.pt"]


def test_a_run_whose_checkpoint_cannot_be_written_fails_with_the_one_line(qtbot, refusing_disk, tmp_path):
    builder = GraphBuilder()
    builder.add("input", "image", channels=1, height=8, width=8)
    builder.add("flatten", "flat")
    builder.add("dense", "fc", out_features=10)
    builder.add("output", "scores")
    config = TrainingConfig(dataset="digits", epochs=1, batch_size=256, device="cpu")
    disk = refusing_disk({"last.pt": OLD})
    data = load_dataset("digits", (1, 8, 8))
    run = TrainingRun(RunRequest(Project(builder.graph, "Digits", training=config), config, disk, data=data))
    messages = []
    run.worker.failed.connect(messages.append)  # a direct call: the list does not care which thread

    with qtbot.waitSignal(run.ended, timeout=60_000):
        run.start()

    # The run folder's record is written first now (the network trained): a full disk stops the run there,
    # with the one line, not "failed unexpectedly".
    assert messages == [f"cannot write {disk / 'project.cnn.json'}: no space left on device"]
    assert sorted(path.name for path in disk.iterdir()) == ["filler", "last.pt"]
    assert (disk / "last.pt").read_bytes() == OLD
