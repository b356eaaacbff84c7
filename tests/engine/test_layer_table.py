"""The layer table that ``convcanvas summary`` and Model ▸ Analyze share."""
from __future__ import annotations

from engine import analyze
from engine.layer_table import human_count, issue_count_text, layer_rows

from .graphs import lenet5


def test_rows_follow_the_flow_and_carry_the_analysis_numbers():
    graph = lenet5()
    report = analyze(graph)
    rows = layer_rows(graph, report)
    assert [row.node_id for row in rows] == report.order
    conv1 = rows[1]
    assert (conv1.name, conv1.type_title, conv1.shape_text, conv1.params, conv1.macs) == (
        "conv1", "Conv2d", "6×28×28", 156, 117_600)
    assert conv1.output_size == 6 * 28 * 28 and conv1.issues_text == "—"
    assert sum(row.params for row in rows) == report.total_params == 61_706


def test_a_broken_layer_counts_its_issues_and_has_no_shape():
    graph = lenet5()
    graph.set_param(graph.node_by_name("conv2").id, "kernel_size", 30)
    rows = {row.name: row for row in layer_rows(graph, analyze(graph))}
    assert rows["conv2"].errors == 1 and rows["conv2"].issues_text == "1 error"
    assert rows["conv2"].shape_text == "?" and rows["conv2"].output_size == 0


def test_counts_read_as_people_write_them():
    assert human_count(416_520) == "416.52 k" and human_count(999) == "999"
    assert issue_count_text([]) == "—"
