"""What changed between two runs: nodes added or removed, parameters changed, training settings changed.

Nodes are matched by their stable id (a renamed node is the same node), so
the comparison says "conv1.out_channels 6 → 16", not "conv1 removed, conv1 added".
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..project import ProjectError, load_project
from ..reading import MB, read_limited
from .folders import PROJECT_FILE, SETTINGS_FILE


class RunCompareError(ValueError):
    """A run whose project or settings cannot be read; one line for people."""


@dataclass
class RunComparison:
    nodes_added: list[str] = field(default_factory=list)
    nodes_removed: list[str] = field(default_factory=list)
    parameters_changed: list[tuple[str, Any, Any]] = field(default_factory=list)
    """(``node.parameter``, value in the first run, value in the second)."""
    connections_added: list[str] = field(default_factory=list)
    connections_removed: list[str] = field(default_factory=list)
    settings_changed: list[tuple[str, Any, Any]] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not any((self.nodes_added, self.nodes_removed, self.parameters_changed, self.connections_added,
                        self.connections_removed, self.settings_changed))

    def lines(self) -> list[str]:
        """The differences as sentences, grouped, for the Compare dialog and the command line."""
        if self.same:
            return ["The two runs trained the same network with the same settings."]
        lines = [f"Node added: {name}" for name in self.nodes_added]
        lines += [f"Node removed: {name}" for name in self.nodes_removed]
        lines += [f"Parameter {name}: {_text(a)} → {_text(b)}" for name, a, b in self.parameters_changed]
        lines += [f"Connection added: {text}" for text in self.connections_added]
        lines += [f"Connection removed: {text}" for text in self.connections_removed]
        lines += [f"Training setting {name}: {_text(a)} → {_text(b)}" for name, a, b in self.settings_changed]
        return lines


def compare_runs(first: str | Path, second: str | Path) -> RunComparison:
    """How ``second`` differs from ``first`` (two run folders)."""
    a, b = _project(Path(first)), _project(Path(second))
    result = RunComparison()
    nodes_a, nodes_b = a.graph.nodes, b.graph.nodes
    result.nodes_added = [nodes_b[i].name for i in nodes_b if i not in nodes_a]
    result.nodes_removed = [nodes_a[i].name for i in nodes_a if i not in nodes_b]
    for node_id in (i for i in nodes_a if i in nodes_b):
        old, new = nodes_a[node_id], nodes_b[node_id]
        if old.type != new.type:
            result.parameters_changed.append((f"{new.name}.type", old.type, new.type))
        for key in sorted(old.params.keys() | new.params.keys()):
            if old.params.get(key) != new.params.get(key):
                result.parameters_changed.append((f"{new.name}.{key}", old.params.get(key), new.params.get(key)))
    edges_a, edges_b = _edges(a.graph), _edges(b.graph)
    result.connections_added = sorted(edges_b - edges_a)
    result.connections_removed = sorted(edges_a - edges_b)
    settings_a, settings_b = _settings(Path(first)), _settings(Path(second))
    result.settings_changed = [(key, settings_a.get(key), settings_b.get(key))
                               for key in sorted(settings_a.keys() | settings_b.keys())
                               if settings_a.get(key) != settings_b.get(key)]
    return result


def _project(folder: Path):
    try:
        return load_project(folder / PROJECT_FILE)
    except ProjectError as error:
        raise RunCompareError(f"the run {folder.name} has no readable network: {error}") from None


def _edges(graph) -> set[str]:
    def name(node_id: str) -> str:
        return graph.nodes[node_id].name if node_id in graph.nodes else node_id

    return {f"{name(edge.src)}.{edge.src_port} → {name(edge.dst)}.{edge.dst_port}" for edge in graph.edges}


def _settings(folder: Path) -> dict[str, Any]:
    try:
        settings = json.loads(read_limited(folder / SETTINGS_FILE, "a run's training settings", 1 * MB))
    except (OSError, ValueError) as error:
        raise RunCompareError(f"the run {folder.name} has no readable training settings: {error}") from None
    if not isinstance(settings, dict):
        raise RunCompareError(f"the run {folder.name} has no readable training settings: not a JSON object")
    return settings


def _text(value: Any) -> str:
    return "(none)" if value is None else repr(value) if isinstance(value, str) else str(value)
