"""Large networks: a 20,000-node file loads, analyses and summarises (timings live in ``make bench``),
and the graph's lookups that make this linear stay true through edits."""
from __future__ import annotations

import json

import pytest

from bench.chains import chain_document, grouped_chain_document
from engine import Graph, GraphError, analyze, load_project
from engine.cli import main
from engine.groups import Group

from .graphs import chain


@pytest.mark.parametrize("make", [chain_document, grouped_chain_document], ids=["chain", "grouped"])
def test_a_20000_node_file_loads_analyses_and_summarises(tmp_path, capsys, make):
    path = tmp_path / "big.cnn.json"
    path.write_text(json.dumps(make(20_000)), encoding="utf-8")
    graph = load_project(path).graph
    assert len(graph.nodes) == 20_000 and len(graph.edges) == 19_999
    report = analyze(graph)
    assert report.valid and len(report.order) == 20_000
    assert main(["summary", str(path)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("No problems found: the network is ready to train.")


def small_chain() -> tuple[Graph, list[str]]:
    graph = Graph()
    ids = chain(graph, ("input", {"channels": 1, "height": 8, "width": 8}), ("conv2d", {}), ("activation", {}),
                ("conv2d", {}), ("flatten", {}), ("dense", {}), ("output", {}))
    return graph, ids


def test_lookups_follow_renames_removals_and_reinserted_edges():
    graph, ids = small_chain()
    conv = graph.nodes[ids[1]]
    graph.rename(conv.id, "stem")
    assert graph.node_by_name("stem") is conv and graph.node_by_name("conv1") is None
    graph.add_node("conv2d", name="conv1")  # the old name is free again
    edge = graph.incoming(ids[2])[0]
    position = graph.disconnect(edge)
    assert graph.incoming(ids[2]) == [] and edge not in graph.outgoing(ids[1])
    graph.connect(edge.src, edge.dst, index=position)  # undo puts it back where it was
    assert graph.incoming(ids[2]) == [edge] and graph.edges[position] == edge
    with pytest.raises(GraphError, match="already connected"):
        graph.connect(edge.src, edge.dst)
    graph.remove_node(ids[3])
    assert graph.node_by_name("conv2") is None and graph.outgoing(ids[2]) == []


def test_lookups_rebuild_when_containers_are_replaced():
    """The clipboard builds graphs by assigning ``nodes`` and ``edges``; lookups must not go stale."""
    graph, ids = small_chain()
    assert graph.incoming(ids[1])
    part = Graph()
    part.nodes = {node_id: node for node_id, node in graph.copy().nodes.items() if node_id in ids[:3]}
    part.edges = [edge for edge in graph.edges if edge.src in ids[:3] and edge.dst in ids[:3]]
    assert part.node_by_name(graph.nodes[ids[2]].name).id == ids[2]
    assert [edge.src for edge in part.incoming(ids[2])] == [ids[1]]
    other, _ = small_chain()
    graph.replace_with(other)
    assert graph.incoming(ids[1])[0].src == ids[0]


def test_block_names_clash_through_the_index_in_both_directions():
    graph, ids = small_chain()
    graph.add_group(Group("g1", "layer1.0", "Block", {ids[1]: "conv", ids[2]: "relu"}, [[(ids[1], "in")]], ids[2]))
    assert "clashes with the block 'layer1.0'" in graph.path_problem_for("layer1")  # holds layer1.0
    assert "clashes with the block 'layer1.0'" in graph.path_problem_for("layer1.0.a")  # inside it
    assert graph.path_problem_for("layer1.1") is None
    graph.update_group("g1", name="layer2")
    assert graph.path_problem_for("layer1") is None and "clashes" in graph.path_problem_for("layer2.x")
    assert graph.group_of(ids[1]).name == "layer2"
    graph.remove_group("g1")
    assert graph.group_of(ids[1]) is None and graph.path_problem_for("layer2") is None
