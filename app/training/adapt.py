"""Fitting the document's network to a dataset, as one undoable edit.

The engine's ``adapt_graph_to_dataset`` rewrites a graph in place; here it
works on a copy, and the parameters it changed are applied through the
document (``set_param``), grouped in one undo macro, so the canvas, the
inspector and undo all see an ordinary edit.
"""
from __future__ import annotations

from engine.data import DatasetInfo
from engine.training import adapt_graph_to_dataset


def adapt_document(document, info: DatasetInfo) -> list[str]:
    """Adapts ``document``'s network to ``info``; returns one line per change (none: nothing to do).

    Raises ``FitError`` (with the engine's message) when the network cannot be adapted.
    """
    adapted = document.graph.copy()
    changes = adapt_graph_to_dataset(adapted, info, task=document.project.task)
    if not changes:
        return []
    stack = document.undo_stack
    stack.beginMacro(f"Adapt network to '{info.name}'")
    try:
        for node_id, node in adapted.nodes.items():
            current = document.graph.nodes[node_id].params
            for key, value in node.params.items():
                if current[key] != value:
                    document.set_param(node_id, key, value)
    finally:
        stack.endMacro()
    return changes
