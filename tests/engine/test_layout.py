"""The tidy layout: layered, deterministic, never overlapping, residual branches side by side."""
from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from engine import Graph, load_project
from engine.builders import GraphBuilder, basic_block
from engine.layout import (
    CARD_HEIGHT,
    CARD_WIDTH,
    LANE_GAP,
    LAYER_GAP,
    apply_layout,
    collapsed_view,
    grouped_layout,
    layers_per_row,
    tidy_layout,
    wrap_rows,
)
from .graphs import lenet5, residual

RESNET50 = Path(__file__).resolve().parents[2] / "presets" / "resnet50.cnn.json"


def overlapping(positions: dict[str, tuple[int, int]]) -> list[tuple[str, str]]:
    """Pairs of nodes whose CARD_WIDTH × CARD_HEIGHT cards, placed at these top-left corners, overlap."""
    return [(a, b) for (a, (ax, ay)), (b, (bx, by)) in combinations(positions.items(), 2)
            if abs(ax - bx) < CARD_WIDTH and abs(ay - by) < CARD_HEIGHT]


def two_residual_blocks() -> tuple[Graph, dict[str, str]]:
    """A stem, an identity block (16 → 16) and a downsampling block (16 → 32, stride 2)."""
    builder = GraphBuilder()
    builder.add("input", "input", channels=3, height=16, width=16)
    stem = builder.add("conv2d", "conv1", out_channels=16, kernel_size=3, padding=1)
    identity_out = basic_block(builder, "layer1_0", 16, 16)
    basic_block(builder, "layer2_0", 16, 32, stride=2)
    builder.add("adaptiveavgpool2d", "avgpool")
    builder.add("flatten", "flatten")
    builder.add("dense", "fc", out_features=10)
    builder.add("output", "output")
    return builder.graph, {"stem": stem, "identity_out": identity_out}


def cyclic_and_scattered() -> Graph:
    """A chain whose tail loops back, a separate two-node part, a lone node and a self-loop."""
    graph = Graph()
    source = graph.add_node("input").id
    a, b, c = (graph.add_node("conv2d").id for _ in range(3))
    for src, dst in ((source, a), (a, b), (b, c), (c, a)):
        graph.connect(src, dst)
    graph.add_node("dense")
    x, y = graph.add_node("conv2d").id, graph.add_node("flatten").id
    graph.connect(x, y)
    loop = graph.add_node("conv2d").id
    graph.connect(loop, loop)
    return graph


@pytest.fixture(scope="module")
def resnet50() -> Graph:
    return load_project(RESNET50).graph


@pytest.mark.parametrize("direction", ["LR", "TB"])
@pytest.mark.parametrize("make", [lenet5, residual, lambda: two_residual_blocks()[0], cyclic_and_scattered])
def test_every_node_gets_a_place_and_no_cards_overlap(make, direction):
    graph = make()
    positions = tidy_layout(graph, direction)
    assert set(positions) == set(graph.nodes)
    assert all(isinstance(v, int) for xy in positions.values() for v in xy)
    assert overlapping(positions) == []


def test_the_layout_is_deterministic(resnet50):
    first = tidy_layout(resnet50)
    assert tidy_layout(resnet50.copy()) == first
    assert tidy_layout(load_project(RESNET50).graph) == first


@pytest.mark.parametrize("direction, axis", [("LR", 0), ("TB", 1)])
def test_every_edge_points_downstream(resnet50, direction, axis):
    for graph in (resnet50, residual(), lenet5()):
        positions = tidy_layout(graph, direction)
        for edge in graph.edges:
            assert positions[edge.src][axis] < positions[edge.dst][axis], edge


def test_spacing_sets_the_distance_between_layers_and_lanes():
    graph, _ = two_residual_blocks()
    positions = tidy_layout(graph, spacing=(100, 30))
    xs = sorted({x for x, _ in positions.values()})
    ys = sorted({y for _, y in positions.values()})
    assert {b - a for a, b in zip(xs, xs[1:])} == {CARD_WIDTH + 100}
    assert {b - a for a, b in zip(ys, ys[1:])} == {CARD_HEIGHT + 30}


def test_identity_shortcut_runs_in_its_own_lane_beside_the_main_path():
    graph, ids = two_residual_blocks()
    positions = tidy_layout(graph)
    shortcut_lane = positions[ids["stem"]][1]
    assert positions["layer1_0_add"][1] == shortcut_lane
    main_path = ["layer1_0_conv1", "layer1_0_bn1", "layer1_0_relu1", "layer1_0_conv2", "layer1_0_bn2"]
    # The straight shortcut from the block input to the Add crosses no card of the main path.
    assert {positions[name][1] for name in main_path} == {shortcut_lane - CARD_HEIGHT - LANE_GAP}


def test_downsample_branch_and_main_path_are_parallel_lanes():
    graph, ids = two_residual_blocks()
    positions = tidy_layout(graph, "TB")
    lane = {name: positions[name][0] for name in graph.nodes}
    downsample = {lane["layer2_0_downsample_0"], lane["layer2_0_downsample_1"]}
    main_path = {lane[f"layer2_0_{part}"] for part in ("conv1", "bn1", "relu1", "conv2", "bn2")}
    assert len(downsample) == len(main_path) == 1
    assert downsample != main_path
    # Side by side, layer for layer: the 1×1 conv sits level with the main path's first conv.
    assert positions["layer2_0_downsample_0"][1] == positions["layer2_0_conv1"][1]
    assert lane[ids["identity_out"]] == lane["layer2_0_add"] == downsample.pop()


def test_order_within_a_layer_follows_the_neighbours_to_avoid_crossings():
    graph = Graph()
    source = graph.add_node("input").id
    upper, lower = graph.add_node("conv2d").id, graph.add_node("conv2d").id
    graph.connect(source, upper)
    graph.connect(source, lower)
    after_lower = graph.add_node("batchnorm2d").id  # added first, but fed by the second branch
    after_upper = graph.add_node("batchnorm2d").id
    graph.connect(lower, after_lower)
    graph.connect(upper, after_upper)
    positions = tidy_layout(graph)
    assert positions[upper][1] < positions[lower][1]
    assert positions[after_upper][1] < positions[after_lower][1]


def test_cycles_and_separate_parts_are_laid_out_without_error():
    graph = cyclic_and_scattered()
    positions = tidy_layout(graph)
    names = {graph.nodes[node_id].name: xy for node_id, xy in positions.items()}
    # The chain from the Input is laid out left to right up to the edge that closes the loop.
    assert names["input1"][0] < names["conv1"][0] < names["conv2"][0] < names["conv3"][0]
    # The other part comes after the Input's part, and the lone nodes after that, in one row.
    assert names["conv4"][1] > names["input1"][1]
    assert names["fc1"][1] == names["conv5"][1] > names["conv4"][1]


def test_a_source_not_fed_by_the_input_sits_next_to_its_consumer():
    builder = GraphBuilder()
    builder.add("input", "input", channels=1, height=8, width=8)
    builder.chain(("conv2d", "a"), ("conv2d", "b"), ("conv2d", "c"))
    side = builder.add("conv2d", "side", inputs=None)
    builder.add("add", "join", inputs=["c", side])
    positions = tidy_layout(builder.graph)
    assert positions["side"][0] == positions["c"][0]


def test_empty_graph_and_bad_arguments():
    assert tidy_layout(Graph()) == {}
    with pytest.raises(ValueError, match="direction must be one of LR, TB"):
        tidy_layout(lenet5(), "RL")
    with pytest.raises(ValueError, match="spacing must not be negative"):
        tidy_layout(lenet5(), spacing=(-1, 10))


def test_apply_layout_moves_nodes_through_graph_events():
    graph = lenet5()
    seen = []
    graph.events.subscribe(lambda event: seen.append((event.kind, event.node_id)))
    positions = tidy_layout(graph)
    apply_layout(graph, positions)
    assert {node_id: (node.ui["x"], node.ui["y"]) for node_id, node in graph.nodes.items()} == positions
    assert seen == [("ui_changed", node_id) for node_id in positions]


def test_resnet50_is_laid_out_with_every_node_placed(resnet50):
    # How fast: make bench (bench_budgets); a timed assert would fail on a busy machine.
    positions = tidy_layout(resnet50)
    assert set(positions) == set(resnet50.nodes)
    assert len(set(positions.values())) == len(positions)  # no two cards on one spot


def test_wrap_rows_folds_a_long_chain_into_rows_without_overlap():
    graph = load_project(Path(__file__).parents[2] / "presets" / "lenet5.cnn.json").graph
    positions = wrap_rows(tidy_layout(graph), per_row=4)
    rows = sorted({y for _, y in positions.values()})
    assert len(rows) == 4  # 14 layers, four to a row
    assert max(x for x, _ in positions.values()) == 3 * (CARD_WIDTH + LAYER_GAP)
    assert not overlapping(positions)
    # Reading order is kept: each layer starts a row or sits right of the previous one.
    order = [graph.node_by_name(name).id for name in ("input", "conv1", "tanh1", "pool1", "conv2")]
    assert [positions[n] for n in order][3][1] < positions[order[4]][1]


def extent_aspect(positions: dict[str, tuple[int, int]]) -> float:
    xs, ys = [x for x, _ in positions.values()], [y for _, y in positions.values()]
    return (max(xs) - min(xs) + CARD_WIDTH) / (max(ys) - min(ys) + CARD_HEIGHT)


@pytest.mark.parametrize("direction", ["LR", "TB"])
@pytest.mark.parametrize("aspect", [0.8, 1.6, 2.4])
def test_a_long_chain_wraps_to_the_shape_of_the_view(direction, aspect):
    graph = load_project(Path(__file__).parents[2] / "presets" / "lenet5.cnn.json").graph
    positions = grouped_layout(graph, direction, aspect=aspect)
    assert len(positions) == 14 and not overlapping(positions)
    # Unwrapped, 14 layers in one row are ~13 times wider than high (LR) or taller than wide (TB).
    assert 0.55 < extent_aspect(positions) / aspect < 1.8, extent_aspect(positions)
    # Reading order is kept in each row: the layers of a row run the flow's way.
    first_row = [positions[graph.node_by_name(n).id] for n in ("input", "conv1", "tanh1")]
    along = 0 if direction == "LR" else 1
    assert first_row[0][along] < first_row[1][along] < first_row[2][along]


def test_layers_per_row_picks_fewer_layers_for_a_taller_view():
    graph = load_project(RESNET50).graph
    positions = tidy_layout(collapsed_view(graph))
    narrow, square, wide = (layers_per_row(positions, aspect) for aspect in (0.8, 1.5, 2.5))
    assert narrow < square < wide
    assert layers_per_row({"a": (0, 0)}, 1.5) == 1
    with pytest.raises(ValueError, match="aspect must be positive"):
        layers_per_row(positions, 0)
