"""Pretrained weights: reading files safely, matching them to a network by name and shape, torchvision keys."""
from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
import torch
import torchvision

from engine import compile_graph, load_project
from engine.checkpoint import save_checkpoint
from engine.weights import (
    WeightsError,
    apply_weights,
    available_weights,
    match_weights,
    read_weights_file,
    torchvision_name_for,
    torchvision_spelling,
    torchvision_state_dict,
)

from .graphs import lenet5

PRESETS = Path(__file__).resolve().parents[2] / "presets"


def preset(name: str):
    return load_project(PRESETS / f"{name}.cnn.json")


# --- matching -------------------------------------------------------------------------------------


def test_an_exact_state_dict_fits_every_tensor_and_loads_bit_for_bit():
    graph = lenet5()
    source = compile_graph(graph)
    match = match_weights(graph, source.state_dict())
    assert match.complete and match.usable
    assert len(match.loaded) == match.total == len(source.state_dict())
    assert not match.unexpected and match.renamed == 0
    torch.manual_seed(123)
    target = compile_graph(graph)
    assert not torch.equal(target.state_dict()["conv1.weight"], source.state_dict()["conv1.weight"])
    apply_weights(target, match)
    for key, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[key], value), key
    assert match.describe().endswith("Every tensor fits.")


def test_a_head_of_another_size_is_named_with_both_shapes_and_left_as_initialised():
    graph = lenet5()
    state = compile_graph(graph).state_dict()
    state["fc3.weight"] = torch.zeros(1000, 84)
    state["fc3.bias"] = torch.zeros(1000)
    state["extra.weight"] = torch.zeros(3)
    del state["conv1.bias"]
    match = match_weights(graph, state)
    assert [str(m) for m in match.mismatched] == ["fc3.weight: file 1000×84, network 10×84",
                                                  "fc3.bias: file 1000, network 10"]
    assert match.missing == ["conv1.bias"]
    assert match.unexpected == ["extra.weight"]
    assert match.reinitialised_nodes == ["fc3", "conv1"]
    assert match.summary() == f"loaded {match.total - 3} of {match.total} tensors; fc3, conv1 re-initialised"
    text = match.describe()
    assert "fc3.weight: file 1000×84, network 10×84; fc3.bias: file 1000, network 10" in text
    assert "Not in the file, so re-initialised: conv1.bias" in text
    assert "Not used from the file: extra.weight" in text

    model = compile_graph(graph)
    before = model.state_dict()["fc3.weight"].clone()
    apply_weights(model, match)
    assert torch.equal(model.state_dict()["fc3.weight"], before)  # the misfit stays as initialised
    assert torch.equal(model.state_dict()["conv1.weight"], state["conv1.weight"])


def test_weights_of_another_network_fit_nothing_and_say_so():
    match = match_weights(lenet5(), {"encoder.layer.weight": torch.zeros(2, 2)})
    assert not match.usable
    assert "None of the file's 1 tensors fit" in match.describe()
    assert "encoder.layer.weight" in match.describe()


def test_ddp_prefixed_keys_are_understood():
    graph = lenet5()
    state = {f"module.{key}": value for key, value in compile_graph(graph).state_dict().items()}
    assert match_weights(graph, state).complete


@pytest.mark.parametrize("name", ["alexnet", "vgg11"])
def test_torchvision_keys_map_onto_the_flat_presets(name):
    """A download stand-in: torchvision's own network, untrained (nothing can be downloaded here);
    only names and shapes matter, so it lives on the meta device."""
    project = preset(name)
    with torch.device("meta"):
        state = getattr(torchvision.models, name)(weights=None).state_dict()
    match = match_weights(project.graph, state)
    assert match.complete, match.describe()
    assert match.renamed == len(state) and not match.unexpected
    assert match.node_of["features_0.weight"] == "features_0"
    assert torchvision_spelling("features.0.weight") == "features_0.weight"
    assert torchvision_spelling("trunk_output.block1.block1-0.proj.0.weight") == (
        "trunk_output_block1_block1_0_proj_0.weight")  # RegNet's block names are not Python names


def test_torchvision_resnet18_keys_fit_the_preset_as_they_are_and_name_the_nodes():
    project = preset("resnet18")
    state = torchvision.models.resnet18(weights=None, num_classes=7).state_dict()
    match = match_weights(project.graph, state)
    assert match.renamed == 0
    assert [m.key for m in match.mismatched] == ["fc.weight", "fc.bias"]
    assert str(match.mismatched[0]) == "fc.weight: file 7×512, network 1000×512"
    assert match.node_of["layer1.0.conv1.weight"] == project.graph.nodes["layer1_0_conv1"].name
    assert match.reinitialised_nodes == ["fc"]


def test_presets_name_their_torchvision_model():
    assert torchvision_name_for("ResNet-18") == "resnet18"
    assert torchvision_name_for("VGG-11") == "vgg11"
    assert torchvision_name_for("LeNet-5") is None
    assert available_weights("resnet50")[:2] == ["IMAGENET1K_V2", "IMAGENET1K_V1"]


# --- reading files -----------------------------------------------------------------------------------


def test_a_plain_state_dict_a_checkpoint_and_a_nested_dict_all_read(tmp_path):
    graph = lenet5()
    state = compile_graph(graph).state_dict()
    torch.save(state, tmp_path / "plain.pth")
    torch.save({"epoch": 3, "state_dict": state}, tmp_path / "nested.pth")
    from engine import Project
    save_checkpoint(tmp_path / "run.pt", project=Project(graph), model_state=state, class_names=list("0123456789"),
                    mean=(0.5,), std=(0.2,), metrics={}, history=[], epoch=1)
    for name in ("plain.pth", "nested.pth", "run.pt"):
        read = read_weights_file(tmp_path / name)
        assert list(read) == list(state) and all(torch.equal(read[k], state[k]) for k in state), name


class Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_a_file_hiding_python_code_is_refused_not_run(tmp_path):
    bad = tmp_path / "evil.pth"
    torch.save({"conv1.weight": Payload()}, bad)
    with pytest.raises(WeightsError, match="refused to load: it holds Python objects that could run code"):
        read_weights_file(bad)
    with open(tmp_path / "evil.pkl", "wb") as out:  # a bare pickle is no weights file either
        pickle.dump({"conv1.weight": Payload()}, out)
    with pytest.raises(WeightsError, match="not a PyTorch weights file"):
        read_weights_file(tmp_path / "evil.pkl")
    whole = tmp_path / "model.pth"
    torch.save(torch.nn.Linear(2, 2), whole)
    with pytest.raises(WeightsError, match="Save model.state_dict"):
        read_weights_file(whole)


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"", "not a readable PyTorch weights file"),
    (b"this is not a weights file at all", "not a"),
])
def test_missing_and_damaged_files_get_one_line(tmp_path, content, message):
    path = tmp_path / "weights.pth"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(WeightsError, match=message) as caught:
        read_weights_file(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_a_file_without_tensors_is_not_a_state_dict(tmp_path):
    torch.save({"conv1.weight": [1, 2, 3]}, tmp_path / "list.pth")
    with pytest.raises(WeightsError, match="'conv1.weight' is list, not a tensor"):
        read_weights_file(tmp_path / "list.pth")
    with pytest.raises(WeightsError, match="is a folder"):
        read_weights_file(tmp_path)


# --- torchvision downloads -------------------------------------------------------------------------------


def test_offline_download_fails_fast_naming_the_url_and_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    try:
        state = torchvision_state_dict("resnet18", timeout=5)
    except WeightsError as error:
        message = str(error)
    else:  # pragma: no cover - only with a network
        assert "fc.weight" in state
        pytest.skip("this machine is online: the download succeeded")
    assert "torchvision resnet18 IMAGENET1K_V1" in message
    assert "https://download.pytorch.org/models/resnet18-f37072fd.pth" in message
    assert str(tmp_path / "torch" / "hub" / "checkpoints") in message
    assert "\n" not in message
    assert not list((tmp_path / "torch" / "hub" / "checkpoints").glob("*"))  # no half file left behind


def test_a_file_already_in_the_cache_is_used_without_downloading(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    cache = tmp_path / "torch" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    state = torchvision.models.squeezenet1_1(weights=None).state_dict()
    torch.save(state, cache / "squeezenet1_1-b8a52dc0.pth")
    read = torchvision_state_dict("squeezenet1_1")
    assert torch.equal(read["features.0.weight"], state["features.0.weight"])


def test_unknown_models_and_weights_are_named():
    with pytest.raises(WeightsError, match="torchvision has no model 'resnet17' \\(did you mean resnet1"):
        torchvision_state_dict("resnet17")
    with pytest.raises(WeightsError, match="has no weights 'IMAGENET22K'.*IMAGENET1K_V1"):
        torchvision_state_dict("resnet18", "IMAGENET22K")
