"""The shipped presets: valid, laid out, exactly what the generator makes, and torchvision's networks."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch
import torchvision

from engine import analyze, compile_graph, dumps_project, load_project
from engine.codegen import python_source
from engine.compiler import class_name_for, example_input
from engine.layout import collapsed_view

from .test_layout import overlapping

ROOT = Path(__file__).resolve().parents[2]
PRESETS = ROOT / "presets"
TORCHVISION_NAMES = ("alexnet", "vgg11", "vgg16", "resnet18", "resnet34", "resnet50")


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_presets", ROOT / "scripts" / "make_presets.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it runs
    spec.loader.exec_module(module)
    return module


make_presets = _load_generator()
NAMES = [preset.stem for preset in make_presets.PRESETS]


def preset_path(name: str) -> Path:
    return PRESETS / f"{name}.cnn.json"


def torchvision_key(name: str, key: str) -> str:
    """The preset's key for a torchvision key: the same for the ResNets, whose residual blocks
    are composite blocks at torchvision's paths; for the others the node names, which are
    torchvision's paths with ``_`` for ``.`` (``features.0.weight`` → ``features_0.weight``)."""
    if name.startswith("resnet"):
        return key
    path, attribute = key.rsplit(".", 1)
    return f"{path.replace('.', '_')}.{attribute}"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("presets")
    assert make_presets.main(["--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def meta_models() -> dict[str, tuple[torch.nn.Module, torch.nn.Module]]:
    """(torchvision model, compiled preset) per name, on the meta device: shapes without memory."""
    models = {}
    with torch.device("meta"):
        for name in TORCHVISION_NAMES:
            reference = getattr(torchvision.models, name)(weights=None)
            models[name] = (reference, compile_graph(load_project(preset_path(name)).graph, name=name))
    return models


def test_the_presets_folder_holds_exactly_the_generated_presets():
    assert sorted(path.name for path in PRESETS.glob("*.cnn.json")) == sorted(f"{n}.cnn.json" for n in NAMES)
    assert set(TORCHVISION_NAMES) | {"lenet5", "resnet8"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_preset_loads_and_is_a_valid_network_without_warnings(name):
    project = load_project(preset_path(name))
    analysis = analyze(project.graph, task=project.task)
    assert analysis.issues == []
    assert project.name and str(f"{analysis.total_params:,} parameters") in project.description
    assert all(node.id == node.name and node.name.isidentifier() for node in project.graph.nodes.values())


@pytest.mark.parametrize("name", NAMES)
def test_preset_file_is_canonical(name):
    text = preset_path(name).read_text(encoding="utf-8")
    assert dumps_project(load_project(preset_path(name))) == text


@pytest.mark.parametrize("name", NAMES)
def test_preset_file_is_exactly_what_the_generator_makes(name, regenerated):
    assert (regenerated / f"{name}.cnn.json").read_bytes() == preset_path(name).read_bytes()


@pytest.mark.parametrize("name", NAMES)
def test_every_node_has_a_position_and_no_cards_overlap(name):
    graph = load_project(preset_path(name)).graph
    shown = collapsed_view(graph).nodes
    cards = {key: graph.groups[key] if key in graph.groups else graph.nodes[key] for key in shown}
    positions = {key: (card.ui["x"], card.ui["y"]) for key, card in cards.items()}
    assert all(isinstance(v, int) for xy in positions.values() for v in xy)
    assert overlapping(positions) == []
    for group in graph.groups.values():  # expanded, a block's own cards do not overlap either
        inner = {node_id: (graph.nodes[node_id].ui["x"], graph.nodes[node_id].ui["y"]) for node_id in group.members}
        assert overlapping(inner) == []


@pytest.mark.parametrize("name", ["resnet18", "resnet34", "resnet50"])
def test_resnets_open_as_readable_composite_blocks(name):
    graph = load_project(preset_path(name)).graph
    cards = collapsed_view(graph).nodes
    blocks = {"resnet18": 8, "resnet34": 16, "resnet50": 16}[name]
    assert len(graph.groups) == blocks and all(group.collapsed for group in graph.groups.values())
    assert len(cards) == blocks + 9  # input, conv1, bn1, relu, maxpool, avgpool, flatten, fc, output
    assert {group.name for group in graph.groups.values()} >= {"layer1.0", "layer4.1"}


@pytest.mark.parametrize("name", ["resnet8", "resnet18"])
def test_grouping_changes_neither_parameters_nor_outputs(name):
    grouped = load_project(preset_path(name)).graph
    flat = grouped.copy()
    for group_id in list(flat.groups):
        flat.remove_group(group_id)
    grouped_model, flat_model = compile_graph(grouped), compile_graph(flat)
    assert analyze(grouped).total_params == analyze(flat).total_params
    assert "layer1.0.conv1.weight" in grouped_model.state_dict()
    assert "layer1_0_conv1.weight" in flat_model.state_dict()
    # Same tensors in the same order, only the keys differ.
    flat_model.load_state_dict(dict(zip(flat_model.state_dict(), grouped_model.state_dict().values())))
    image = example_input(grouped, batch=2)
    with torch.inference_mode():
        torch.testing.assert_close(grouped_model(image), flat_model(image), rtol=0, atol=0)


def test_generated_python_has_a_class_per_block_type_and_loads_the_compiled_weights():
    project = load_project(preset_path("resnet18"))
    source = python_source(project.graph, project.name)
    for type_name in {group.type for group in project.graph.groups.values()}:
        assert f"class {type_name}(nn.Module):" in source
    assert "self.layer1 = nn.Sequential(" in source and "self.downsample = nn.Sequential(" in source
    namespace: dict = {}
    exec(compile(source, "resnet18.py", "exec"), namespace)
    generated = namespace[class_name_for(project.name)]().eval()
    compiled = compile_graph(project.graph)
    generated.load_state_dict(compiled.state_dict(), strict=True)
    image = example_input(project.graph)
    with torch.inference_mode():
        torch.testing.assert_close(generated(image), compiled(image), rtol=0, atol=0)


def test_lenet5_has_the_classic_61706_parameters():
    project = load_project(preset_path("lenet5"))
    assert analyze(project.graph).total_params == 61_706
    assert sum(p.numel() for p in compile_graph(project.graph).parameters()) == 61_706
    assert project.training.dataset == "digits"


def test_resnet8_is_small_and_has_one_output_per_shapes_class():
    from engine.data.shapes import CLASS_NAMES

    project = load_project(preset_path("resnet8"))
    analysis = analyze(project.graph)
    assert analysis.total_params < 100_000
    assert analysis.nodes["output"].output_shape == (len(CLASS_NAMES),)
    assert project.training.dataset == "shapes"


@pytest.mark.parametrize("name", TORCHVISION_NAMES)
def test_preset_has_torchvisions_parameter_count(name, meta_models):
    reference, compiled = meta_models[name]
    expected = sum(p.numel() for p in reference.parameters())
    assert analyze(load_project(preset_path(name)).graph).total_params == expected
    assert sum(p.numel() for p in compiled.parameters()) == expected


@pytest.mark.parametrize("name", TORCHVISION_NAMES)
def test_torchvision_state_dict_keys_map_onto_the_preset(name, meta_models):
    reference, compiled = meta_models[name]
    mapped = {torchvision_key(name, key): value.shape for key, value in reference.state_dict().items()}
    assert mapped == {key: value.shape for key, value in compiled.state_dict().items()}


def test_resnet50_computes_exactly_what_torchvisions_resnet50_computes():
    torch.manual_seed(0)
    reference = torchvision.models.resnet50(weights=None)
    with torch.no_grad():  # non-trivial BatchNorm statistics, so a misplaced BN would show
        for module in reference.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.1)
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    compiled = compile_graph(load_project(preset_path("resnet50")).graph, name="resnet50")
    compiled.load_state_dict(reference.state_dict(), strict=True)  # torchvision's keys, unchanged
    reference.eval()
    compiled.eval()
    image = torch.randn(1, 3, 224, 224)
    with torch.inference_mode():
        expected, actual = reference(image), compiled(image)
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-4 * expected.abs().max().item())
