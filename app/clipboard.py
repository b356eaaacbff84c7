"""Copy and paste of nodes: a plain JSON payload and its QMimeData form.

The payload is a small project document (the same ``convcanvas.project``
format as files, holding the copied nodes and the edges between them), so
pasting reuses the project reader's validation and a whole project's JSON
pasted as text works too.
"""
from __future__ import annotations

import atexit
import json
from typing import Any

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from engine.graph import Graph
from engine.jsonread import parse_json
from engine.project import Project, ProjectError, project_from_dict, project_to_dict

MIME_NODES = "application/x-convcanvas-nodes"
BLOCK_MIME = "application/x-convcanvas-block"
"""Drag data of a palette block: its type id in UTF-8 (dropped on the canvas to add it)."""


def copy_payload(graph: Graph, node_ids: list[str]) -> dict[str, Any]:
    """The nodes ``node_ids`` (in graph order), only the edges between them, and the blocks they fill."""
    chosen = set(node_ids)
    part = Graph()
    part.nodes = {node_id: node for node_id, node in graph.copy().nodes.items() if node_id in chosen}
    part.edges = [edge for edge in graph.edges if edge.src in chosen and edge.dst in chosen]
    # A composite block copied whole stays a block; one copied in part pastes as plain nodes.
    part.groups = {group_id: group.copy() for group_id, group in graph.groups.items()
                   if set(group.members) <= chosen}
    document = project_to_dict(Project(part, name="clipboard"))
    document.pop("training")
    return document


def read_payload(payload: Any) -> Graph:
    """The graph a payload holds; raises ``ProjectError`` (one line) when it is not one."""
    return project_from_dict(payload, "clipboard").graph


def to_mime(payload: dict[str, Any]) -> QMimeData:
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    mime = QMimeData()
    mime.setData(MIME_NODES, text.encode("utf-8"))
    mime.setText(text)
    return mime


def from_mime(mime: QMimeData | None) -> dict[str, Any] | None:
    """The payload in ``mime`` (ours, or JSON text that reads as one), else None."""
    if mime is None:
        return None
    if mime.hasFormat(MIME_NODES):
        raw = bytes(mime.data(MIME_NODES).data()).decode("utf-8", errors="replace")
    elif mime.hasText():
        raw = mime.text()
    else:
        return None
    try:
        payload = parse_json(raw, "the clipboard", "copied blocks", ProjectError)
    except ProjectError:  # not JSON, or numbers or text no file may hold (5,000 digits, lone surrogates)
        return None
    if not isinstance(payload, dict):
        return None
    try:
        read_payload(payload)
    except ProjectError:
        return None
    return payload


def put_on_clipboard(payload: dict[str, Any]) -> None:
    """Copies ``payload`` to the system clipboard.

    Qt keeps the clipboard's QMimeData until its own exit handlers run, after
    Python has shut down; deleting the Python wrapper then crashes. So we
    clear our own data from the clipboard while Python still runs.
    """
    QGuiApplication.clipboard().setMimeData(to_mime(payload))
    global _cleanup_registered
    if not _cleanup_registered:
        atexit.register(_clear_own_clipboard)
        _cleanup_registered = True


_cleanup_registered = False


def _clear_own_clipboard() -> None:
    if QGuiApplication.instance() is None:
        return
    board = QGuiApplication.clipboard()
    data = board.mimeData()
    if data is not None and data.hasFormat(MIME_NODES):
        board.clear()
