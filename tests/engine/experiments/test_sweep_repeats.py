"""``STAGE.repeat``: a sweep varies how many blocks a stage has (ResNet's layer1.0, layer1.1…), where the
graph allows it, and refuses up front, naming the block, where it does not."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from engine import Project, TrainingConfig, load_project, save_project
from engine.analysis import analyze
from engine.builders import GraphBuilder, basic_block, group_as_block
from engine.cli import main
from engine.compiler import compile_graph, example_input
from engine.experiments.sweeps import SweepError, apply_values, parse_param
from engine.experiments.sweeps.space import sweepable_repeats

PRESETS = Path(__file__).resolve().parents[3] / "presets"
#: one ResNet-8 BasicBlock16: two 3×3 convs of 16 → 16 channels without bias, and their two BatchNorms
BASIC_BLOCK_16 = 2 * (16 * 16 * 3 * 3) + 2 * (2 * 16)


@pytest.fixture
def resnet8() -> Project:
    return load_project(PRESETS / "resnet8.cnn.json")


def blocks_of(project: Project, stage: str) -> list[str]:
    return sorted(group.name for group in project.graph.groups.values() if group.name.startswith(stage + "."))


def train_one_step(project: Project, watched: str) -> bool:
    """One optimiser step of the compiled network on two example images; whether ``watched`` learnt."""
    model = compile_graph(project.graph)
    weight = dict(model.named_parameters())[watched]
    before = weight.detach().clone()
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = torch.nn.functional.cross_entropy(model(example_input(project.graph, batch=2)), torch.tensor([0, 1]))
    loss.backward()
    optimiser.step()
    return bool(torch.isfinite(loss.detach())) and not torch.equal(before, weight.detach())


@pytest.mark.parametrize("count", [1, 3])
def test_a_stage_repeated_1_or_3_times_analyses_cleanly_and_trains(resnet8, count):
    space = [parse_param("layer1.repeat=1..3", resnet8)]
    trial = apply_values(resnet8, space, {"layer1.repeat": count})
    assert blocks_of(trial, "layer1") == [f"layer1.{index}" for index in range(count)]
    assert blocks_of(resnet8, "layer1") == ["layer1.0"]  # the project itself is unchanged
    before, after = analyze(resnet8.graph, task=resnet8.task), analyze(trial.graph, task=trial.task)
    assert after.valid, after.error_text()
    # each block more is one BasicBlock16 more: channels stayed 16 → 16, nothing else changed
    assert after.total_params - before.total_params == (count - 1) * BASIC_BLOCK_16
    copies = [group for group in trial.graph.groups.values() if group.name.startswith("layer1.")]
    assert {group.type for group in copies} == {"BasicBlock16"}  # copies are the same composite type
    in_line = [group.ui["x"] for group in sorted(copies, key=lambda group: group.name)]
    layer2 = next(group for group in trial.graph.groups.values() if group.name == "layer2.0")
    assert in_line == sorted(in_line) and in_line[-1] < layer2.ui["x"]  # laid out in order on the canvas
    assert f"layer1.{count}.conv2.weight" not in dict(compile_graph(trial.graph).named_parameters())
    assert train_one_step(trial, f"layer1.{count - 1}.conv2.weight")  # the last copy has its own weights, and learns


def test_a_longer_stage_is_shortened_and_what_it_fed_is_fed_by_its_new_end():
    project = load_project(PRESETS / "resnet18.cnn.json")
    trial = apply_values(project, [parse_param("layer2.repeat=1..4", project)], {"layer2.repeat": 1})
    assert blocks_of(trial, "layer2") == ["layer2.0"]
    assert [edge.src for edge in trial.graph.incoming("layer3_0_conv1")] == ["layer2_0_relu2"]
    assert analyze(trial.graph, task=trial.task).valid
    assert ("layer2", 2) in sweepable_repeats(project)


def test_a_block_that_changes_its_shape_cannot_be_repeated(resnet8):
    # layer2.0 halves the maps (stride 2): a copy of it would halve them again, so copies do not chain
    with pytest.raises(SweepError) as caught:
        parse_param("layer2.repeat=1..3", resnet8)
    message = str(caught.value)
    assert message.startswith("--param 'layer2.repeat=1..3': layer2.0 (BasicBlock32Down) changes the shape")
    assert "32×16×16 would give 32×8×8" in message and "\n" not in message


@pytest.mark.parametrize(("text", "says"), [
    ("conv1.repeat=1..3", "conv1 is one node, not a block: group the layers to repeat into a block"),
    ("layer1.0.repeat=1..3", "layer1.0 is one block of the stage layer1: sweep layer1.repeat"),
    ("layer9.repeat=1..3", "no block or stage named 'layer9' (stages: layer1, layer2, layer3)"),
    ("layer1.repeat=0..3", "must be at least 1"),
    ("layer1.repeat=1..99", "must be at most 32"),
    ("layer1.repeat=2", "at least two different choices"),
])
def test_a_bad_repeat_gets_one_message_naming_it(resnet8, text, says):
    with pytest.raises(SweepError) as caught:
        parse_param(text, resnet8)
    assert says in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(("preset", "text", "says"), [
    ("unet-small", "up1.repeat=1..2", "up1 (Up32) takes 2 inputs: only a block with one input"),
    ("efficientnet-b0", "features.repeat=1..3", "is not fed by features.0: the blocks of features must form a chain"),
])
def test_blocks_that_do_not_form_a_chain_cannot_be_repeated(preset, text, says):
    project = load_project(PRESETS / f"{preset}.cnn.json")
    with pytest.raises(SweepError) as caught:
        parse_param(text, project)
    assert says in str(caught.value)


def test_the_stages_offered_are_those_that_can_repeat():
    offered = dict(sweepable_repeats(load_project(PRESETS / "unet-small.cnn.json")))
    # a copy of inc fed its result keeps that shape; down1 halves it (copies would not chain); the decoder's up1 also
    # takes the skip connection.
    assert offered == {"inc": 1}


def residual_digits_project() -> Project:
    """input 1×8×8 → conv 8 → BN → ReLU → layer1.0 (a BasicBlock of 8) → pool → flatten → fc 10."""
    builder = GraphBuilder()
    builder.add("input", "image", channels=1, height=8, width=8)
    builder.add("conv2d", "conv1", out_channels=8, kernel_size=3, padding=1, bias=False)
    builder.add("batchnorm2d", "bn1")
    builder.add("activation", "relu", function="relu")
    basic_block(builder, "layer1_0", 8, 8)
    builder.add("adaptiveavgpool2d", "avgpool", output_size=1)
    builder.add("flatten", "flat")
    builder.add("dense", "fc", out_features=10)
    builder.add("output", "scores")
    group_as_block(builder.graph, "layer1_0", "layer1.0", "BasicBlock8")
    settings = TrainingConfig(dataset="digits", epochs=1, batch_size=128, lr=0.02, seed=1, device="cpu")
    return Project(builder.graph, "Residual digits", training=settings)


def test_the_command_line_sweeps_a_repeat_count_over_two_trials(tmp_path, capsys):
    path = save_project(residual_digits_project(), tmp_path / "residual.cnn.json")
    code = main(["sweep", str(path), "--trials", "2", "--seed", "3", "--param", "layer1.repeat=1..3",
                 "--param", "lr=0.005..0.05", "--json"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and "layer1.repeat ∈ [1, 3]" in lines[0]
    summary = json.loads(lines[-1])
    assert [trial["state"] for trial in summary["trials"]] == ["complete", "complete"]
    for trial in summary["trials"]:
        count = trial["params"]["layer1.repeat"]
        trained = load_project(Path(trial["folder"]) / "project.cnn.json")  # the network the trial trained
        assert blocks_of(trained, "layer1") == [f"layer1.{index}" for index in range(count)]
        assert trial["parameters"] == analyze(trained.graph, task=trained.task).total_params
    # the swept parameters' importances end the sweep, in its lines and its JSON
    assert set(summary["importances"]) == {"layer1.repeat", "lr"}
    assert any(line.startswith("importances: ") and "layer1.repeat" in line for line in lines)
