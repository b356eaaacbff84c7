"""The network as a table, one row per layer: what ``convcanvas summary`` prints and Model ▸ Analyze shows.

Both read the rows from here so the command line and the window always
agree. Rows come in the analysis's topological order (input first), then
any node on a cycle, which has no place in that order.
"""
from __future__ import annotations

from dataclasses import dataclass

from .analysis import ERROR, Analysis, Issue
from .catalogue import Shape, format_shape
from .graph import Graph


@dataclass(frozen=True)
class LayerRow:
    node_id: str
    name: str
    type_id: str
    type_title: str
    output_shape: Shape | None
    params: int
    macs: int
    issues: tuple[Issue, ...]

    @property
    def shape_text(self) -> str:
        return format_shape(self.output_shape) if self.output_shape else "?"

    @property
    def output_size(self) -> int:
        """Values per image in the output (0 when unknown): how the shape column sorts."""
        if not self.output_shape:
            return 0
        size = 1
        for dimension in self.output_shape:
            size *= dimension
        return size

    @property
    def errors(self) -> int:
        return sum(issue.severity == ERROR for issue in self.issues)

    @property
    def issues_text(self) -> str:
        return issue_count_text(self.issues)


def layer_rows(graph: Graph, report: Analysis) -> list[LayerRow]:
    ordered = report.order + [node_id for node_id in graph.nodes if node_id not in report.order]
    rows = []
    for node_id in ordered:
        node, info = graph.nodes[node_id], report.nodes[node_id]
        rows.append(LayerRow(node_id, node.name, node.type, node.spec.title, info.output_shape, info.params,
                             info.macs, tuple(info.issues)))
    return rows


def issue_count_text(issues) -> str:
    """"1 error, 2 warnings", or "—" when there are none."""
    errors = sum(issue.severity == ERROR for issue in issues)
    warnings = len(issues) - errors
    parts = [f"{errors} error" + "s" * (errors > 1)] if errors else []
    parts += [f"{warnings} warning" + "s" * (warnings > 1)] if warnings else []
    return ", ".join(parts) or "—"


def human_count(count: int) -> str:
    """``416_520`` → ``416.52 k``: MACs at a glance."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if count >= size:
            return f"{count / size:.2f} {unit}"
    return str(count)


def float32_size(params: int) -> str:
    """The weights' size as float32, ``"0.2 MiB"``."""
    return f"{params * 4 / 2**20:.1f} MiB"
