"""Nothing from a file the user opens ever runs.

Each test builds a hostile file here — a TorchScript archive whose
``__setstate__`` overwrites a marker file, pickles whose ``__reduce__`` does
the same, a ConvCanvas-looking export whose weights pickle names ``exec`` —
first proves the file really is hostile (loading it the unsafe way changes a
canary), then hands it to every reader the command line and the window
reach, and checks that the marker is untouched and the refusal is one line.
"""
from __future__ import annotations

import pickle
import warnings
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import torch
from PIL import Image

from engine import compile_graph, load_project
from engine.checkpoint import CheckpointError, load_checkpoint
from engine.cli import main
from engine.compiler import example_input
from engine.export import export_torchscript
from engine.export.torchscript_archive import TorchScriptError, read_torchscript
from engine.importer import ModelImportError, import_file
from engine.library import BlockFileError, BlockLibrary
from engine.project import ProjectError
from engine.weights import WeightsError, read_weights_file

from .hostile import PRESET, UNTOUCHED, ReduceWrites, marker_file, scripted_hostile

def own_export(path: Path) -> Path:
    project = load_project(PRESET)
    model = compile_graph(project.graph, name=project.name)
    return export_torchscript(model, example_input(project.graph), path, project)


def with_entry_replaced(source: Path, target: Path, suffix: str, data: bytes) -> Path:
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            copy.writestr(info, data if info.filename.endswith(suffix) else original.read(info))
    return target


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    """Hostile files by kind, all aimed at one marker file (and proven hostile on canaries first)."""
    folder = tmp_path_factory.mktemp("hostile")
    marker = marker_file(folder)
    project_json = PRESET.read_text(encoding="utf-8")
    files = {
        # looks like a ConvCanvas export (it carries a project), but its __setstate__ writes
        "torchscript_with_project": scripted_hostile(folder / "ours.pt", marker,
                                                     {"convcanvas.project.json": project_json}),
        "foreign_torchscript": scripted_hostile(folder / "foreign.pt", marker, {}),
        "pickled_checkpoint": folder / "checkpoint.pt",
        "plain_pickle": folder / "plain.pkl",
        "export_with_exec_pickle": with_entry_replaced(own_export(folder / "export.pt"), folder / "export_exec.pt",
                                                       "/data.pkl", pickle.dumps(ReduceWrites(marker), protocol=2)),
    }
    torch.save({"format": "convcanvas.checkpoint", "version": 1, "model_state": {"w": ReduceWrites(marker)}},
               files["pickled_checkpoint"])
    files["plain_pickle"].write_bytes(pickle.dumps({"model_state": ReduceWrites(marker)}))
    files["legacy_pickled_checkpoint"] = folder / "legacy.pt"  # torch's pre-zip format: a pickle stream
    torch.save({"format": "convcanvas.checkpoint", "model_state": {"w": ReduceWrites(marker)}},
               files["legacy_pickled_checkpoint"], _use_new_zipfile_serialization=False)
    assert marker.read_bytes() == UNTOUCHED
    return {"marker": marker, **files}


def test_the_hostile_files_really_run_code_when_loaded_the_unsafe_way(tmp_path):
    """Without this, the tests below could pass with harmless files."""
    canary = marker_file(tmp_path, "canary.bin")
    archive = scripted_hostile(tmp_path / "h.pt", canary, {"convcanvas.project.json": PRESET.read_text()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.load(str(archive))
    assert canary.read_bytes() != UNTOUCHED
    canary.write_bytes(UNTOUCHED)
    pickle.loads(pickle.dumps(ReduceWrites(canary)))
    assert canary.read_bytes() == b"pwned!!!!"


def refusal(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    return message


MODEL_FILE_KINDS = ["torchscript_with_project", "foreign_torchscript", "pickled_checkpoint",
                    "legacy_pickled_checkpoint", "plain_pickle", "export_with_exec_pickle"]


@pytest.mark.parametrize("kind", MODEL_FILE_KINDS)
def test_import_reads_no_code(hostile, kind):
    with pytest.raises(ModelImportError) as caught:
        import_file(hostile[kind])
    message = refusal(caught)
    assert hostile["marker"].read_bytes() == UNTOUCHED
    if kind in ("foreign_torchscript", "pickled_checkpoint", "export_with_exec_pickle"):
        assert "ConvCanvas never runs code from a model file" in message


def test_a_foreign_torchscript_file_is_refused_unread(hostile):
    with pytest.raises(TorchScriptError) as caught:
        read_torchscript(hostile["foreign_torchscript"])
    assert "is a TorchScript file not made by ConvCanvas; ConvCanvas never runs code from a model file" in (
        refusal(caught))


def test_an_export_whose_weights_pickle_names_code_is_refused(hostile):
    with pytest.raises(TorchScriptError) as caught:
        read_torchscript(hostile["export_with_exec_pickle"])
    assert "refused to read its weights: it names __builtin__.exec, which a ConvCanvas export never holds" in (
        refusal(caught))
    assert hostile["marker"].read_bytes() == UNTOUCHED


def test_an_export_whose_tensor_reaches_past_its_storage_is_refused(tmp_path):
    export = own_export(tmp_path / "export.pt")
    with zipfile.ZipFile(export) as archive:
        first_storage = next(name for name in archive.namelist() if "/data/" in name)
        data = archive.read(first_storage)
    shortened = with_entry_replaced(export, tmp_path / "short.pt", first_storage, data[: len(data) // 2])
    with pytest.raises(TorchScriptError) as caught:
        read_torchscript(shortened)
    assert "refused to read its weights" in refusal(caught)


@pytest.mark.parametrize("kind", MODEL_FILE_KINDS)
@pytest.mark.parametrize("reader, error", [(load_checkpoint, CheckpointError), (read_weights_file, WeightsError)])
def test_checkpoint_and_weights_readers_run_no_code(hostile, kind, reader, error):
    """load_checkpoint serves resume, predict, export and the window's reopening of a run; read_weights_file
    serves --weights and Model ▸ Load Pretrained Weights."""
    with pytest.raises(error) as caught:
        reader(hostile[kind])
    message = refusal(caught)
    assert hostile["marker"].read_bytes() == UNTOUCHED
    if "torchscript" in kind or kind == "export_with_exec_pickle":
        assert "is a TorchScript file" in message and "ConvCanvas never runs code from a model file" in message


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("images") / "digit.png"
    Image.new("L", (28, 28), 128).save(path)
    return path


def cli_commands(file: Path, image: Path, out: Path) -> dict[str, list[str]]:
    return {
        "import": ["import", str(file), "--out", str(out / "imported.cnn.json")],
        "predict": ["predict", str(file), str(image)],
        "export": ["export", str(file), "--format", "onnx", "--out", str(out / "model.onnx")],
        "resume": ["train", str(PRESET), "--resume", str(file), "--out", str(out / "run")],
        "weights": ["train", str(PRESET), "--weights", str(file), "--dataset", "digits", "--epochs", "1",
                    "--out", str(out / "run")],
    }


@pytest.mark.parametrize("kind", MODEL_FILE_KINDS)
@pytest.mark.parametrize("command", ["import", "predict", "export", "resume", "weights"])
def test_every_command_refuses_in_one_line_and_runs_nothing(hostile, image, tmp_path, capsys, kind, command):
    argv = cli_commands(hostile[kind], image, tmp_path)[command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"convcanvas {argv[0]}: ") and err.count("\n") == 1, err
    assert str(hostile[kind]) in err
    assert hostile["marker"].read_bytes() == UNTOUCHED
    assert not (tmp_path / "imported.cnn.json").exists() and not (tmp_path / "model.onnx").exists()


def test_project_and_library_readers_take_model_files_for_the_data_they_are(hostile, tmp_path):
    """A pickle renamed to a project or block file is only ever parsed as JSON (and refused)."""
    project = tmp_path / "net.cnn.json"
    project.write_bytes(hostile["plain_pickle"].read_bytes())
    with pytest.raises(ProjectError) as caught:
        load_project(project)
    assert "not a valid JSON file" in refusal(caught)
    library = BlockLibrary(tmp_path / "library")
    library.root.mkdir()
    (library.root / "evil.block.json").write_bytes(hostile["pickled_checkpoint"].read_bytes())
    with pytest.raises(BlockFileError) as caught:
        library.load("evil")
    assert "not a valid JSON file" in refusal(caught)
    assert hostile["marker"].read_bytes() == UNTOUCHED


@pytest.mark.parametrize("preset", ["tinycnn", "resnet18"])
def test_own_exports_read_back_as_data_with_every_weight(tmp_path, preset):
    """The data-only reader gives exactly what torch.jit.load would (this file is ours, made this instant)."""
    project = load_project(PRESET.with_name(f"{preset}.cnn.json"))
    model = compile_graph(project.graph, name=project.name)
    for value in model.state_dict().values():
        if value.is_floating_point():
            value.uniform_(-1, 1)
    path = export_torchscript(model, example_input(project.graph), tmp_path / "net.pt", project)
    read_project, state = read_torchscript(path)
    assert read_project.graph.nodes.keys() == project.graph.nodes.keys()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = torch.jit.load(str(path)).state_dict()
    assert state.keys() == model.state_dict().keys() == loaded.keys()
    for key, value in model.state_dict().items():
        assert torch.equal(state[key], value) and torch.equal(state[key], loaded[key]), key


@pytest.fixture(scope="module")
def export_parts(tmp_path_factory) -> tuple[Path, bytes]:
    path = own_export(tmp_path_factory.mktemp("export") / "export.pt")
    with zipfile.ZipFile(path) as archive:
        return path, archive.read(next(name for name in archive.namelist() if name.endswith("/data.pkl")))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_damaged_weights_pickle_is_one_line_whatever_the_damage(export_parts, tmp_path, data):
    """Flipped, cut or inserted bytes in data.pkl: the export is read or refused in one line, never a
    traceback (and never by running anything: the unpickler knows no callable of the file's choosing)."""
    path, pickled = export_parts
    damaged = bytearray(pickled)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(damaged) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            damaged[at] ^= data.draw(st.integers(1, 255))
        elif action == "cut":
            del damaged[at:at + data.draw(st.integers(1, 64))]
        else:
            damaged[at:at] = data.draw(st.binary(min_size=1, max_size=16))
    target = with_entry_replaced(path, tmp_path / "damaged.pt", "/data.pkl", bytes(damaged))
    try:
        read_torchscript(target)
    except TorchScriptError as error:
        assert "\n" not in str(error)
