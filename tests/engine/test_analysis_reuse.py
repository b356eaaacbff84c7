"""analyze() remembers what each block gave for its parameters and input shapes, so that an edit re-infers
only what it changed (a 1,000-node graph must analyse within a frame). Remembering must never change an
answer: after any run of edits, the analysis equals one made from nothing."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from engine import analysis as analysis_module
from engine import analyze, load_project

PRESETS = Path(__file__).resolve().parents[2] / "presets"


def analysed_from_nothing(graph):
    remembered = dict(analysis_module._INFERRED)
    analysis_module._INFERRED.clear()
    try:
        return analyze(graph, available_memory=2**40)
    finally:
        analysis_module._INFERRED.update(remembered)


def random_edit(graph, rng: random.Random) -> tuple[str, str, object]:
    """A parameter edit the inspector could make, valid or not: channels, kernel, stride, padding, units."""
    node = rng.choice([n for n in graph.nodes.values() if n.type in ("conv2d", "dense", "maxpool2d", "avgpool2d", "input")])
    if node.type == "conv2d":
        key, value = rng.choice([("out_channels", rng.choice([8, 16, 64, 3])), ("kernel_size", rng.choice([1, 3, 7, 41])),
                                 ("stride", rng.choice([1, 2, 4])), ("padding", rng.choice([0, 1, 3]))])
    elif node.type == "dense":
        key, value = "out_features", rng.choice([10, 100, 7])
    elif node.type in ("maxpool2d", "avgpool2d"):
        key, value = "kernel_size", rng.choice([2, 3, 64])
    else:
        key, value = "height", rng.choice([32, 64, 224, 8])
    undo = (node.id, key, node.params[key])
    graph.set_param(node.id, key, value)
    return undo


@pytest.mark.parametrize("preset", ["resnet18", "lenet5", "vgg11"])
def test_after_random_edits_the_analysis_equals_one_made_from_nothing(preset):
    graph = load_project(PRESETS / f"{preset}.cnn.json").graph
    rng = random.Random(19)
    analyze(graph)  # what the app has remembered before the first edit
    errors_seen = 0
    for _ in range(40):
        undo = random_edit(graph, rng)
        remembered = analyze(graph, available_memory=2**40)
        assert remembered == analysed_from_nothing(graph)
        errors_seen += not remembered.valid
        if rng.random() < 0.5:  # and back, as undo does
            graph.set_param(*undo)
            assert analyze(graph, available_memory=2**40) == analysed_from_nothing(graph)
    assert 0 < errors_seen < 40  # the edits made both sound and broken networks


def test_a_refused_shape_is_told_the_same_the_second_time():
    graph = load_project(PRESETS / "lenet5.cnn.json").graph
    conv = graph.node_by_name("conv2")
    graph.set_param(conv.id, "kernel_size", 41)
    first = [str(issue) for issue in analyze(graph).issues]
    again = [str(issue) for issue in analyze(graph).issues]
    assert first == again and any("conv2" in text and "larger than" in text for text in first)


def test_weights_at_one_path_are_still_found_with_or_without_blocks():
    """The module-path check skips its sort when no path can nest in another; a block's dotted paths can."""
    from engine.groups import Group

    graph = load_project(PRESETS / "lenet5.cnn.json").graph
    assert not [issue for issue in analyze(graph).issues if "would live at" in issue.message]
    conv2 = graph.node_by_name("conv2")
    # A file could name a block after a layer (unchecked, as undo restores it): its members nest inside.
    graph.restore_group(Group("group1", "conv1", "Stage", {conv2.id: "inner"}, [[(conv2.id, "in")]], conv2.id))
    messages = [issue.message for issue in analyze(graph).issues]
    assert "conv2's weights would live at conv1.inner, inside conv1's (conv1)." in messages
