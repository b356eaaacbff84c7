"""Checkpoints: round trips, safe loading, and clear refusals."""
from __future__ import annotations

import pickle
import zipfile

import pytest
import torch

from engine import Project, compile_graph
from engine.checkpoint import FORMAT, CheckpointError, build_model, load_checkpoint, save_checkpoint
from engine.project import project_to_dict

from .conftest import CLASSES, tiny_config, tiny_graph


def saved(path, project: Project, **changes):
    torch.manual_seed(0)
    model = compile_graph(project.graph, name=project.name)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.randn(2, 1, 8, 8)).sum().backward()
    optimizer.step()
    fields = dict(project=project, model_state=model.state_dict(), class_names=CLASSES, mean=(0.5,), std=(0.25,),
                  metrics={"val_accuracy": 0.75, "confusion": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
                           "per_class_accuracy": [1.0, None, 0.5]},
                  history=[{"epoch": 1, "train_loss": 1.0, "val_accuracy": 0.75}], epoch=1,
                  optimizer_state=optimizer.state_dict(), scheduler_state={"last_epoch": 3},
                  config=project.training.to_dict())
    fields.update(changes)
    return save_checkpoint(path, **fields), model


def test_a_checkpoint_round_trips_and_rebuilds_the_trained_network(project, tmp_path):
    path, model = saved(tmp_path / "run" / "model.pt", project)
    assert path == tmp_path / "run" / "model.pt"
    checkpoint = load_checkpoint(path)

    assert project_to_dict(checkpoint.project) == project_to_dict(project)
    assert checkpoint.class_names == CLASSES and checkpoint.mean == (0.5,) and checkpoint.std == (0.25,)
    assert checkpoint.epoch == 1 and checkpoint.history[0]["val_accuracy"] == 0.75
    assert checkpoint.metrics["per_class_accuracy"] == [1.0, None, 0.5]
    assert checkpoint.config == tiny_config().to_dict() and checkpoint.scheduler_state == {"last_epoch": 3}
    assert checkpoint.optimizer_state["state"][0]["step"] == 1
    assert set(checkpoint.versions) == {"torch", "convcanvas"}

    rebuilt = build_model(checkpoint)
    assert not rebuilt.training
    images = torch.randn(4, 1, 8, 8)
    assert torch.equal(rebuilt(images), model.eval()(images))
    assert [p.name for p in tmp_path.joinpath("run").iterdir()] == ["model.pt"]  # no temp files left


def test_it_is_a_plain_torch_file_that_loads_with_weights_only(project, tmp_path):
    path, _ = saved(tmp_path / "model.pt", project)
    payload = torch.load(path, weights_only=True)
    assert payload["format"] == FORMAT and payload["version"] == 1
    assert payload["project"]["format"] == "convcanvas.project"


def test_saving_refuses_values_that_loading_would_refuse(project, tmp_path):
    import numpy as np

    with pytest.raises(TypeError, match=r"\['metrics'\]\['accuracy'\] is a numpy"):
        saved(tmp_path / "model.pt", project, metrics={"accuracy": np.float32(0.5)})
    assert not (tmp_path / "model.pt").exists()


class RunsCode:
    """Unpickling this calls a function: the classic malicious checkpoint."""

    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').close()",))


@pytest.mark.parametrize("writer", ["torch.save", "pickle"])
def test_a_file_that_would_run_code_is_refused_without_running_it(tmp_path, writer):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    payload = {"format": FORMAT, "version": 1, "model_state": RunsCode(marker)}
    if writer == "torch.save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload, protocol=2))  # a protocol torch's safe unpickler reads
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    assert not marker.exists()  # the code did not run
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    assert "refused to load: it holds Python objects that could run code" in message


def test_a_truncated_checkpoint_is_refused_in_one_line(project, tmp_path):
    path, _ = saved(tmp_path / "model.pt", project)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    assert "\n" not in str(caught.value) and "truncated" in str(caught.value)


def test_files_that_are_not_checkpoints_are_refused(tmp_path):
    text = tmp_path / "notes.pt"
    text.write_text('{"format": "convcanvas.project"}')
    with pytest.raises(CheckpointError, match="not a"):
        load_checkpoint(text)

    other = tmp_path / "weights.pt"
    torch.save({"conv1.weight": torch.zeros(3)}, other)
    with pytest.raises(CheckpointError, match="not a ConvCanvas checkpoint"):
        load_checkpoint(other)

    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "missing.pt")

    empty_zip = tmp_path / "empty.pt"
    with zipfile.ZipFile(empty_zip, "w"):
        pass
    with pytest.raises(CheckpointError):
        load_checkpoint(empty_zip)


def test_newer_or_damaged_checkpoints_are_refused(project, tmp_path):
    path, _ = saved(tmp_path / "model.pt", project)
    payload = torch.load(path, weights_only=True)
    torch.save({**payload, "version": 99}, path)
    with pytest.raises(CheckpointError, match="newer ConvCanvas"):
        load_checkpoint(path)
    torch.save({**payload, "class_names": "cats"}, path)
    with pytest.raises(CheckpointError, match="'class_names'"):
        load_checkpoint(path)
    broken_project = dict(payload["project"], nodes=[{"id": "x", "type": "warp", "name": "x"}])
    torch.save({**payload, "project": broken_project}, path)
    with pytest.raises(CheckpointError, match="its project is not valid: .*unknown block type 'warp'"):
        load_checkpoint(path)


def test_weights_that_do_not_fit_the_network_are_refused(project, tmp_path):
    other = Project(tiny_graph(classes=5), "Tiny")
    path, _ = saved(tmp_path / "model.pt", project)
    checkpoint = load_checkpoint(path)
    checkpoint.project = other
    with pytest.raises(CheckpointError, match="weights do not fit its network"):
        build_model(checkpoint)
