"""What a node is, in words: name, type, output shape and problems (for screen readers and the outline)."""
from __future__ import annotations

from dataclasses import dataclass

from engine.analysis import Analysis
from engine.catalogue import format_shape
from engine.graph import Graph


@dataclass(frozen=True)
class NodeSummary:
    name: str
    type_title: str
    shape: str
    problems: str

    def spoken(self) -> str:
        """One line a screen reader says when the node is selected."""
        parts = [self.name, self.type_title, self.shape]
        return ", ".join(parts + ([self.problems] if self.problems else []))


def summarise(graph: Graph, analysis: Analysis, key: str) -> NodeSummary:
    """``key`` is a node id or a (collapsed) block id."""
    if key in graph.groups:
        group = graph.groups[key]
        last = analysis.nodes.get(group.output) if group.output else None
        shape = format_shape(last.output_shape) if last is not None and last.output_shape else "no shape yet"
        problems = [str(issue) for member in group.members
                    for issue in (analysis.nodes[member].issues if member in analysis.nodes else [])]
        return NodeSummary(group.name, f"{group.type} block", shape, "; ".join(problems))
    node = graph.nodes[key]
    report = analysis.nodes.get(key)
    if report is not None and report.waiting_for:
        shape = f"waiting for {report.waiting_for}"
    elif report is not None and report.output_shape:
        shape = format_shape(report.output_shape)
    else:
        shape = "no shape yet"
    problems = "; ".join(str(issue) for issue in report.issues) if report is not None else ""
    return NodeSummary(node.name, node.spec.title, shape, problems)
