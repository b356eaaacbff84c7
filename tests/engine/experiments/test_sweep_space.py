"""``--param`` texts: ranges and choices typed by the setting's or block's ParamSpec, one-line errors."""
from __future__ import annotations

import pytest

from engine.cli import main
from engine.experiments.sweeps import SweepError, apply_values, parse_param, parse_params
from engine.experiments.sweeps.objectives import parse_objectives

from .conftest import tiny_digits_project


@pytest.fixture
def project():
    return tiny_digits_project()


def test_learning_rate_is_log_uniform_and_widths_are_whole_numbers(project):
    lr = parse_param("lr=1e-4..1e-1", project)
    assert (lr.kind, lr.low, lr.high, lr.log, lr.node) == ("float", 1e-4, 0.1, True, None)
    width = parse_param("conv1.out_channels=8..64:step=8", project)
    assert (width.kind, width.node, width.key, width.low, width.high, width.step) == ("int", "conv1", "out_channels",
                                                                                      8, 64, 8)
    assert parse_param("drop.p=0.1..0.5", project).log is False  # a dropout's p is not log-scaled
    assert parse_param("weight_decay=1e-5..1e-2", project).log is True


def test_choices_of_settings_sizes_and_augmentation(project):
    assert parse_param("optimizer=sgd,adam", project).choices == ("sgd", "adam")
    assert parse_param("batch_size=32,64,128", project).choices == (32, 64, 128)
    assert parse_param("augment=none,crop+flip", project).choices == ("none", "crop+flip")


def test_values_go_to_a_copy_of_the_project(project):
    space = parse_params(["lr=1e-4..1e-1", "conv1.out_channels=8..64", "augment=none,crop"], project)
    trial = apply_values(project, space, {"lr": 0.01, "conv1.out_channels": 24, "augment": "crop"})
    assert trial.training.lr == 0.01 and trial.training.augment_crop and not trial.training.augment_flip
    assert trial.graph.node_by_name("conv1").params["out_channels"] == 24
    assert project.graph.node_by_name("conv1").params["out_channels"] == 4 and project.training.lr == 0.02


@pytest.mark.parametrize(("text", "says"), [
    ("lr", "write NAME=LOW..HIGH"),
    ("conv9.out_channels=8..64", "no node named 'conv9' (nodes: image, conv1"),
    ("conv1.colour=1..2", "conv1 (Conv2d) has no sweepable parameter 'colour'"),
    ("learning_rate=1..2", "'learning_rate' is not a sweepable training setting"),
    ("lr=0.1..0.01", "from a lower to a higher number"),
    ("conv1.out_channels=0..8", "must be at least 1"),
    ("conv1.out_channels=a..b", "are not whole numbers"),
    ("optimizer=adam", "at least two different choices"),
    ("optimizer=adam,rmsprop", "rmsprop"),
    ("optimizer=0..1", "a choice, not a number"),
    ("drop.p=0..0.5:log", "must start above 0"),
    ("conv1.out_channels=8..64:step=5", "step 5 must"),
    ("epochs=1..5", "not a sweepable training setting"),
])
def test_a_bad_param_gets_one_message_naming_it(project, text, says):
    with pytest.raises(SweepError, match=None) as caught:
        parse_param(text, project)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_a_parameter_given_twice_or_none_is_refused(project):
    with pytest.raises(SweepError, match="given twice"):
        parse_params(["lr=0.001..0.1", "lr=0.01..0.1"], project)
    with pytest.raises(SweepError, match="nothing to sweep"):
        parse_params([], project)


def test_objectives():
    assert parse_objectives("accuracy,macs") == ("accuracy", "macs")
    assert parse_objectives("metric, parameters") == ("accuracy", "params")
    with pytest.raises(SweepError, match="unknown objective speed"):
        parse_objectives("accuracy,speed")


def test_the_command_line_says_what_is_wrong_in_one_line(project_file, capsys):
    code = main(["sweep", str(project_file), "--trials", "2", "--param", "conv9.out_channels=8..64"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "no node named 'conv9'" in err
    code = main(["sweep", str(project_file), "--time", "soon", "--param", "lr=0.001..0.1"])
    err = capsys.readouterr().err
    assert code == 2 and "--time 'soon'" in err
