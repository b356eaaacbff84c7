"""Readers are one door: pipes, devices and endless or huge files are refused in one line, never read.

A reader that hangs on a pipe would hang the test until pytest's timeout;
one that reads ``/dev/zero`` would fill memory. Every reader a person can
point at a file is tried here: project files, presets, library blocks,
checkpoints, weights, model imports and images to classify.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from engine.checkpoint import CheckpointError, load_checkpoint
from engine.cli import main
from engine.importer import ModelImportError, import_file
from engine.library import BlockFileError, BlockLibrary
from engine.predict import ImageFileError, load_image_file
from engine.project import MAX_FILE_BYTES, ProjectError, load_project
from engine.reading import RefusedFile, read_limited
from engine.weights import WeightsError, read_weights_file

from .hostile import PRESET

DEVICES = [device for device in ("/dev/zero", "/dev/urandom") if os.path.exists(device)]


@pytest.fixture
def fifo(tmp_path) -> Path:
    """A named pipe nobody writes to: opening it for reading the usual way blocks forever."""
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def readers(tmp_path):
    library = BlockLibrary(tmp_path / "library")
    return {
        "project": (load_project, ProjectError),
        "checkpoint": (load_checkpoint, CheckpointError),
        "weights": (read_weights_file, WeightsError),
        "import": (import_file, ModelImportError),
        "library": (lambda path: library._read(Path(path), "pipe"), BlockFileError),
    }


@pytest.mark.parametrize("reader", ["project", "checkpoint", "weights", "import", "library"])
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path, fifo, reader):
    read, error = readers(tmp_path)[reader]
    with pytest.raises(error) as caught:
        read(fifo)
    assert f"{fifo}: is a named pipe (FIFO)" in one_line(caught)
    assert "ConvCanvas reads only regular files" in str(caught.value)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("reader", ["project", "checkpoint", "weights", "import", "library"])
def test_an_endless_device_is_refused_unread(tmp_path, device, reader):
    read, error = readers(tmp_path)[reader]
    with pytest.raises(error) as caught:
        read(device)
    assert f"{device}: is a device" in one_line(caught)


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.cnn.json"
    with open(path, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: no time or disk spent
    with pytest.raises(ProjectError) as caught:
        load_project(path)
    assert f"{path}: 67,108,865 bytes is too large for a project file (the limit is 64 MB)" == one_line(caught)


def test_the_door_names_missing_files_folders_and_limits(tmp_path):
    with pytest.raises(RefusedFile) as caught:
        read_limited(tmp_path / "absent.txt", "a note", 10)
    assert caught.value.reason == "no such file"
    with pytest.raises(RefusedFile) as caught:
        read_limited(tmp_path, "a note", 10)
    assert caught.value.reason == "is a folder, not a note"
    (tmp_path / "note.txt").write_bytes(b"x" * 11)
    with pytest.raises(RefusedFile) as caught:
        read_limited(tmp_path / "note.txt", "a note", 10)
    assert caught.value.reason == "11 bytes is too large for a note (the limit is 10 bytes)"
    assert read_limited(tmp_path / "note.txt", "a note", 11) == b"x" * 11


def test_an_image_to_classify_may_not_be_a_pipe_or_a_device(fifo):
    for path in (fifo, *DEVICES):
        with pytest.raises(ImageFileError) as caught:
            load_image_file(path, (1, 28, 28), (0.5,), (0.5,))
        assert "ConvCanvas reads only regular files" in one_line(caught)


def test_predict_on_a_pipe_reports_it_and_classifies_the_other_images(tmp_path, fifo, capsys):
    """The pipe gets its error line; the real image is still classified (``predict`` exits 1, not hangs)."""
    from engine import compile_graph
    from engine.checkpoint import save_checkpoint

    project = load_project(PRESET)
    checkpoint = save_checkpoint(tmp_path / "run.pt", project=project,
                                 model_state=compile_graph(project.graph).state_dict(),
                                 class_names=[str(digit) for digit in range(10)], mean=(0.5,), std=(0.5,),
                                 metrics={}, history=[], epoch=1)
    image = tmp_path / "digit.png"
    Image.new("L", (28, 28), 200).save(image)
    assert main(["predict", str(checkpoint), str(fifo), str(image)]) == 1
    out = capsys.readouterr().out
    assert f"{fifo}: error: is a named pipe (FIFO), not an image: ConvCanvas reads only regular files" in out
    assert f"{image}\n  1. " in out


def test_summary_of_a_pipe_is_one_line_and_exit_2(fifo, capsys):
    assert main(["summary", str(fifo)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"convcanvas summary: {fifo}: is a named pipe (FIFO)") and err.count("\n") == 1


def test_a_python_file_to_import_may_not_be_a_pipe(tmp_path):
    from engine.importer import import_python_file

    pipe = tmp_path / "model.py"
    os.mkfifo(pipe)
    with pytest.raises(ModelImportError) as caught:
        import_python_file(pipe, "Net")
    assert f"{pipe}: is a named pipe (FIFO), not a Python file" in one_line(caught)
