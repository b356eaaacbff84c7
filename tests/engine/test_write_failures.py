"""Every writer fails the same way on a full disk or an unwritable destination: one ``WriteError``
line naming the file and the cause, no temp file left, the old file intact.

``refusing_disk`` (tests/conftest.py) mounts a tiny tmpfs: full to the last byte, or read-only.
Read-only folders made with chmod would not stop root, so the other refusals are real ones:
``/proc`` (takes no new files), a path under a regular file, a folder where the file should go.
"""
from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine import Project, compile_graph, save_project
from engine.builders import GraphBuilder, basic_block, group_as_block
from engine.checkpoint import save_checkpoint
from engine.compiler import example_input
from engine.config import TrainingConfig
from engine.export import export_onnx, export_python, export_torchscript
from engine.fileio import WriteError, atomic_torch_save, atomic_write_text, write_error
from engine.library import BlockLibrary, template_from_group
from engine.training.outputs import CheckpointPaths, write_epoch_checkpoints

REPO_ROOT = Path(__file__).resolve().parents[2]
OLD = b"the previous file"
BLOCK_TYPE = "TwoConvs"


def small_project() -> Project:
    """input 1×8×8 → conv → a grouped basic block → flatten → dense 10 → output (digits-sized)."""
    builder = GraphBuilder()
    builder.add("input", "image", channels=1, height=8, width=8)
    builder.add("conv2d", "stem", out_channels=4, kernel_size=3, padding=1)
    basic_block(builder, "b1", 4, 4)
    builder.add("flatten", "flat")
    builder.add("dense", "fc", out_features=10)
    builder.add("output", "scores")
    group_as_block(builder.graph, "b1", "layer1", BLOCK_TYPE)
    config = TrainingConfig(dataset="digits", epochs=1, batch_size=256, device="cpu", seed=1)
    return Project(builder.graph, "Small", training=config)


@pytest.fixture(scope="module")
def network():
    project = small_project()
    torch.manual_seed(0)
    return project, compile_graph(project.graph, name=project.name).eval()


def _checkpoint_fields(project, model) -> dict:
    return dict(project=project, model_state=model.state_dict(), class_names=[str(d) for d in range(10)],
                mean=(0.5,), std=(0.25,), metrics={}, history=[], epoch=1)


# name → (the file written first, a call writing it at a given path)
WRITERS = {
    "checkpoint": ("net.pt", lambda path, project, model: save_checkpoint(path, **_checkpoint_fields(project, model))),
    "training checkpoints": ("last.pt", lambda path, project, model: write_epoch_checkpoints(
        CheckpointPaths(last=path, best=path.with_name("best.pt")), is_best=True,
        **_checkpoint_fields(project, model))),
    "torchscript": ("net.torchscript.pt", lambda path, project, model: export_torchscript(
        model, example_input(project.graph), path, project)),
    "onnx": ("net.onnx", lambda path, project, model: export_onnx(model, example_input(project.graph), path)),
    "python (weights first)": ("net_model.pt", lambda path, project, model: export_python(
        project, model.state_dict(), path.with_suffix(".py"))),
    "project": ("net.cnn.json", lambda path, project, model: save_project(project, path)),
    "block library": (f"{BLOCK_TYPE}.block.json", lambda path, project, model: BlockLibrary(path.parent).save(
        template_from_group(project.graph, *project.graph.groups.values()), replace=True)),
    "imported weights": ("weights.pt", lambda path, project, model: atomic_torch_save(path, model.state_dict())),
    "text (autosave, Python source)": ("notes.txt", lambda path, project, model: atomic_write_text(path, "x" * 5000)),
}
QUICK = [name for name in WRITERS if name != "onnx"]  # the ONNX export takes seconds before it writes


def write_refused(writer: str, path: Path, network) -> str:
    """The one-line message of the ``WriteError`` writing ``path`` gives."""
    _, write = WRITERS[writer]
    with pytest.raises(WriteError) as caught:
        write(path, *network)
    message = str(caught.value)
    assert "\n" not in message
    return message


def files_in(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_full_disk_is_one_line_and_keeps_the_old_file(writer, network, refusing_disk):
    name, _ = WRITERS[writer]
    disk = refusing_disk({name: OLD})
    before = files_in(disk)

    assert write_refused(writer, disk / name, network) == f"cannot write {disk / name}: no space left on device"
    assert files_in(disk) == before  # the old file intact, no temp file beside it


@pytest.mark.parametrize("writer", QUICK)
def test_a_read_only_disk_is_one_line_and_keeps_the_old_file(writer, network, refusing_disk):
    name, _ = WRITERS[writer]
    disk = refusing_disk({name: OLD}, full=False)

    assert write_refused(writer, disk / name, network) == f"cannot write {disk / name}: the disk is read-only"
    assert files_in(disk) == {name: OLD}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_folder_that_takes_no_files_is_named(writer, network):
    name, _ = WRITERS[writer]
    path = Path("/proc/convcanvas-test") / name
    assert write_refused(writer, path, network) == f"cannot write {path}: /proc does not accept new files or folders"


@pytest.mark.parametrize("writer", QUICK)
def test_a_file_where_a_folder_should_be_is_named(writer, network, tmp_path):
    blocker = tmp_path / "runs"
    blocker.write_bytes(OLD)
    name, _ = WRITERS[writer]
    path = blocker / "deeper" / name

    assert write_refused(writer, path, network) == f"cannot write {path}: {blocker} is a file, not a folder"
    assert files_in(tmp_path) == {"runs": OLD}


@pytest.mark.parametrize("writer", QUICK)
def test_a_folder_in_the_way_is_left_alone(writer, network, tmp_path):
    name, _ = WRITERS[writer]
    (tmp_path / name).mkdir()
    (tmp_path / name / "inside").write_bytes(OLD)

    assert write_refused(writer, tmp_path / name, network) == f"cannot write {tmp_path / name}: it is a folder"
    assert [path.name for path in tmp_path.iterdir()] == [name]
    assert files_in(tmp_path / name) == {"inside": OLD}


@pytest.mark.parametrize("code, cause", [
    (errno.EACCES, "permission denied"), (errno.EPERM, "permission denied"), (errno.EROFS, "the disk is read-only"),
    (errno.EDQUOT, "the disk quota is used up"), (errno.ENOSPC, "no space left on device"),
    (errno.ESTALE, "stale file handle"),  # anything else: the system's words, one line
])
def test_causes_root_cannot_provoke_are_plain_words_too(code, cause, tmp_path):
    # chmod does not stop root, so permission errors are checked on the mapping itself.
    error = write_error(tmp_path / "x.pt", OSError(code, os.strerror(code)))
    assert isinstance(error, OSError) and error.errno == code
    assert str(error) == f"cannot write {tmp_path / 'x.pt'}: {cause}"


def test_a_python_export_keeps_the_old_source_and_weights_together(network, tmp_path):
    project, model = network
    (tmp_path / "net.pt").write_bytes(OLD)
    (tmp_path / "net.py").mkdir()  # the weights would fit; the source cannot be written

    with pytest.raises(WriteError, match=f"^cannot write {tmp_path / 'net.py'}: it is a folder$"):
        export_python(project, model.state_dict(), tmp_path / "net.py")

    assert (tmp_path / "net.pt").read_bytes() == OLD  # before: new weights beside a missing or old source
    assert sorted(path.name for path in tmp_path.iterdir()) == ["net.pt", "net.py"]


# --- the command line: exit 2, one line on stderr, no traceback ---------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def checkpoint_file(tmp_path, network) -> Path:
    return save_checkpoint(tmp_path / "trained.pt", **_checkpoint_fields(*network))


@pytest.mark.parametrize("fmt, name", [("torchscript", "net.pt"), ("checkpoint", "net.pt"), ("python", "net.py"),
                                       ("onnx", "net.onnx")])
def test_export_to_a_full_disk_exits_2_with_one_line(fmt, name, checkpoint_file, refusing_disk):
    # Before: TorchScript aborted the process ("terminate called ... c10::Error") leaving a .tmp;
    # checkpoint and Python exports ended in a RuntimeError traceback.
    first = "net.pt" if fmt == "python" else name  # the Python export writes its weights first
    disk = refusing_disk({first: OLD})
    before = files_in(disk)

    result = run_cli("export", str(checkpoint_file), "--format", fmt, "--out", str(disk / name))

    assert (result.returncode, result.stderr) == (
        2, f"convcanvas export: cannot write {disk / first}: no space left on device\n")
    assert files_in(disk) == before


def test_train_out_in_proc_exits_2_before_training(tmp_path):
    project_file = save_project(small_project(), tmp_path / "small.cnn.json")
    result = run_cli("train", str(project_file), "--out", "/proc/run")

    assert (result.returncode, result.stderr) == (
        2, "convcanvas train: cannot write /proc/run/last.pt: /proc does not accept new files or folders\n")
    assert "data:" not in result.stdout  # refused before loading data and training


def test_train_out_under_a_file_exits_2(tmp_path):
    project_file = save_project(small_project(), tmp_path / "small.cnn.json")
    result = run_cli("train", str(project_file), "--out", str(project_file / "run"))

    assert (result.returncode, result.stderr) == (
        2, f"convcanvas train: cannot write {project_file}/run/last.pt: {project_file} is a file, not a folder\n")


def test_train_out_on_a_full_disk_exits_2_before_the_first_epoch(tmp_path, refusing_disk):
    project_file = save_project(small_project(), tmp_path / "small.cnn.json")
    disk = refusing_disk({"last.pt": OLD})
    before = files_in(disk)

    result = run_cli("train", str(project_file), "--out", str(disk))

    # The run folder's record (the network trained) is written as training starts: a full disk stops the
    # run there, before an epoch's work is spent, rather than at its first checkpoint.
    assert (result.returncode, result.stderr) == (
        2, f"convcanvas train: cannot write {disk / 'project.cnn.json'}: no space left on device\n")
    assert "epoch 1" not in result.stdout.lower()
    assert files_in(disk) == before  # no half-written record, the old checkpoint untouched
