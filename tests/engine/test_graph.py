"""The Graph model: ids, names, ports, and events for every mutation."""
from __future__ import annotations

import pytest

from engine import Graph, GraphError


def recorded(graph: Graph) -> list:
    events = []
    graph.events.subscribe(lambda event: events.append((event.kind, event.node_id, event.edge)))
    return events


def test_nodes_get_stable_ids_and_unique_names():
    graph = Graph()
    first, second = graph.add_node("conv2d"), graph.add_node("conv2d")
    assert (first.id, first.name, second.name) == ("conv1", "conv1", "conv2")
    graph.rename(first.id, "stem")
    third = graph.add_node("conv2d")
    assert third.name == "conv1" and third.id == "conv3"
    assert first.id == "conv1"  # ids never change on rename


def test_params_default_from_the_catalogue_and_are_validated():
    graph = Graph()
    conv = graph.add_node("conv2d", {"kernel_size": [3, 5]})
    assert conv.params["out_channels"] == 16 and conv.params["kernel_size"] == [3, 5]
    graph.set_param(conv.id, "kernel_size", [4, 4])
    assert conv.params["kernel_size"] == 4
    with pytest.raises(GraphError, match="Conv2d out_channels: must be at least 1, got 0"):
        graph.set_param(conv.id, "out_channels", 0)
    with pytest.raises(GraphError, match="Dropout p: must be below 1"):
        graph.add_node("dropout", {"p": 1.0})
    with pytest.raises(GraphError, match="no parameter 'size'"):
        graph.set_param(conv.id, "size", 3)
    with pytest.raises(GraphError, match="must be one of same, valid|or one of same, valid"):
        graph.set_param(conv.id, "padding", "full")


def test_names_must_be_identifiers_and_unique():
    graph = Graph()
    conv = graph.add_node("conv2d")
    other = graph.add_node("dense")
    for bad in ("", "1conv", "my conv", "a.b", "class"):
        with pytest.raises(GraphError, match="not a valid node name"):
            graph.rename(conv.id, bad)
    with pytest.raises(GraphError, match="already used"):
        graph.rename(other.id, "conv1")


def test_every_mutation_emits_an_event():
    graph = Graph()
    events = recorded(graph)
    source, target = graph.add_node("input"), graph.add_node("conv2d")
    edge = graph.connect(source.id, target.id)
    graph.set_param(target.id, "stride", 2)
    graph.rename(target.id, "stem")
    graph.set_ui(target.id, x=10, y=20)
    graph.remove_node(source.id)
    assert [kind for kind, _, _ in events] == [
        "node_added", "node_added", "edge_added", "param_changed", "node_renamed", "ui_changed",
        "edge_removed", "node_removed"]
    assert events[2][2] == edge and events[-2][2] == edge


def test_unsubscribe_stops_events():
    graph = Graph()
    events = []
    unsubscribe = graph.events.subscribe(events.append)
    graph.add_node("input")
    unsubscribe()
    graph.add_node("input")
    assert len(events) == 1


def test_edges_join_named_ports_and_keep_their_order():
    graph = Graph()
    a, b, c = (graph.add_node("conv2d") for _ in range(3))
    concat = graph.add_node("concat")
    graph.connect(a.id, concat.id)
    second = graph.connect(b.id, concat.id)
    graph.connect(c.id, concat.id)
    index = graph.disconnect(second)
    graph.connect(b.id, concat.id, index=index)
    assert [e.src for e in graph.incoming(concat.id)] == [a.id, b.id, c.id]
    with pytest.raises(GraphError, match="no input port 'other'"):
        graph.connect(a.id, concat.id, dst_port="other")
    with pytest.raises(GraphError, match="no output port"):
        graph.connect(graph.add_node("output").id, a.id)


def test_connection_problem_explains_refusals():
    graph = Graph()
    source, conv, relu = graph.add_node("input"), graph.add_node("conv2d"), graph.add_node("activation")
    graph.connect(source.id, conv.id)
    graph.connect(conv.id, relu.id)
    assert graph.connection_problem(conv.id, conv.id) == "a node cannot feed itself"
    assert "already has an input" in graph.connection_problem(source.id, relu.id)
    assert "conv1 already has an input" in graph.connection_problem(relu.id, conv.id)
    add = graph.add_node("add")
    graph.connect(relu.id, add.id)
    assert graph.connection_problem(conv.id, add.id) is None  # Add takes many inputs
    assert graph.connection_problem(relu.id, add.id) == "these nodes are already connected"
    free = graph.add_node("activation")
    graph.connect(add.id, free.id)
    conv2 = graph.add_node("conv2d")
    graph.connect(free.id, conv2.id)
    assert "would make a cycle" in graph.connection_problem(conv2.id, add.id)


def test_copy_is_independent_and_has_no_subscribers():
    graph = Graph()
    events = recorded(graph)
    conv = graph.add_node("conv2d")
    snapshot = graph.copy()
    snapshot.set_param(conv.id, "stride", 2)
    assert graph.nodes[conv.id].params["stride"] == 1
    assert len(events) == 1
