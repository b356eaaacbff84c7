"""Project files (``*.cnn.json``): versioned JSON holding plain values only.

Loading validates everything (format, version, every field's type, every
parameter's range, edges, ids) before a single tensor exists, and reports
the first problem as one line saying what is wrong and where. Saving is
canonical (save → load → save gives the same bytes) and atomic.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .catalogue import ParamError, UnknownBlockError, block
from .config import TrainingConfig
from .fileio import atomic_write_text
from .graph import Edge, Graph, GraphError, check_node_name
from .groups import Group
from .jsonread import JsonFileError, JsonReader, parse_json, read_file_bytes
from .jsonread import type_name as _type_name
from .tasks import DEFAULT_TASK, TASK_NAMES

FORMAT = "convcanvas.project"
VERSION = 3
EXTENSION = ".cnn.json"
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_NODES = 20_000

# MIGRATIONS[n] turns a version-n document into a version-(n + 1) one.
# Version 2 added composite blocks ("groups") and frozen nodes; version 1 files
# have neither, so they read unchanged. Version 3 added the task (engine.tasks); every file before it
# was classification.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    1: lambda document: document,
    2: lambda document: {**document, "task": DEFAULT_TASK},
}


class ProjectError(JsonFileError):
    """A project file that cannot be used; the message is one line for people."""


@dataclass
class Project:
    graph: Graph = field(default_factory=Graph)
    name: str = "Untitled"
    description: str = ""
    training: TrainingConfig = field(default_factory=TrainingConfig)
    path: Path | None = None
    weights: str = ""
    """Initial weights for training: a file path, relative to the project file's folder or absolute."""
    weights_source: str = ""
    """Where those weights came from, for people (``torchvision resnet18 IMAGENET1K_V1``)."""
    task: str = DEFAULT_TASK
    """What the network does (engine.tasks): ``classification`` or ``segmentation``."""


class _Reader(JsonReader):
    """Walks a parsed document, raising ``ProjectError`` with the location of any problem."""

    def __init__(self, source: str) -> None:
        super().__init__(source, ProjectError)


def _migrate(document: dict[str, Any], reader: _Reader) -> dict[str, Any]:
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise reader.fail("version", f"expected a whole number from 1 to {VERSION}, got {json.dumps(version)}")
    if version > VERSION:
        raise reader.fail("", f"was written by a newer ConvCanvas (file format version {version}; this one "
                              f"reads up to {VERSION}). Update ConvCanvas to open it.")
    while version < VERSION:
        document = MIGRATIONS[version](document)
        version += 1
        document["version"] = version
    return _normalisation_onto_input(document, reader)


def _normalisation_onto_input(document: dict[str, Any], reader: _Reader) -> dict[str, Any]:
    """Files written while the Data view's normalisation was a training setting hold it there; it is the
    Input node's parameter now (it belongs to the images the graph takes), so it moves onto the Input. Files
    without one read, and write, as before: no version change is needed for this."""
    training = document.get("training")
    if not isinstance(training, dict) or "normalisation" not in training:
        return document
    training = dict(training)
    text = training.pop("normalisation")
    if not isinstance(text, str):
        raise reader.fail("training.normalisation", f"expected text, got {_type_name(text)}")
    nodes = document.get("nodes")
    if text.strip() and isinstance(nodes, list):
        nodes = [{**raw, "params": {**raw.get("params", {}), "normalisation": text}}
                 if isinstance(raw, dict) and raw.get("type") == "input" and isinstance(raw.get("params", {}), dict)
                 and "normalisation" not in raw.get("params", {}) else raw for raw in nodes]
    return {**document, "training": training, "nodes": nodes}


def _plain_ui(value: Any, reader: _Reader, where: str) -> dict[str, Any]:
    for key, item in value.items():
        if not isinstance(item, (str, int, float, bool)) and item is not None:
            raise reader.fail(f"{where}.{key}", f"expected a plain value, got {_type_name(item)}")
        if isinstance(item, float) and not math.isfinite(item):
            raise reader.fail(f"{where}.{key}", "expected a finite number")
    return dict(value)


def project_from_dict(document: Any, source: str = "project") -> Project:
    reader = _Reader(source)
    if not isinstance(document, dict):
        raise reader.fail("", f"expected a JSON object at the top, got {_type_name(document)}")
    if document.get("format") != FORMAT:
        raise reader.fail("format", f"this is not a ConvCanvas project (expected \"format\": \"{FORMAT}\")")
    document = _migrate(dict(document), reader)
    name = reader.get(document, "name", str, "", "Untitled")
    description = reader.get(document, "description", str, "", "")
    nodes = reader.get(document, "nodes", list, "")
    edges = reader.get(document, "edges", list, "")
    if len(nodes) > MAX_NODES:
        raise reader.fail("nodes", f"{len(nodes):,} nodes is more than this tool opens ({MAX_NODES:,})")
    graph = Graph()
    for index, raw in enumerate(nodes):
        _read_node(graph, raw, reader, f"nodes[{index}]")
    for index, raw in enumerate(edges):
        _read_edge(graph, raw, reader, f"edges[{index}]")
    for index, raw in enumerate(reader.get(document, "groups", list, "", [])):
        _read_group(graph, raw, reader, f"groups[{index}]")
    try:
        training = TrainingConfig.from_dict(reader.get(document, "training", dict, "", {}))
    except ParamError as error:
        raise reader.fail("training", str(error)) from None
    weights = reader.get(document, "weights", dict, "", {})
    task = reader.get(document, "task", str, "", DEFAULT_TASK)
    if task not in TASK_NAMES:
        raise reader.fail("task", f"unknown task {task!r} (known: {', '.join(TASK_NAMES)})")
    return Project(graph, name, description, training, weights=reader.get(weights, "file", str, "weights", ""),
                   weights_source=reader.get(weights, "source", str, "weights", ""), task=task)


def _read_node(graph: Graph, raw: Any, reader: _Reader, where: str) -> None:
    if not isinstance(raw, dict):
        raise reader.fail(where, f"expected an object, got {_type_name(raw)}")
    node_id = reader.get(raw, "id", str, where)
    where = f"{where} ({node_id})"
    type_id = reader.get(raw, "type", str, where)
    name = reader.get(raw, "name", str, where)
    params = reader.get(raw, "params", dict, where, {})
    ui = _plain_ui(reader.get(raw, "ui", dict, where, {}), reader, f"{where}.ui")
    frozen = reader.get(raw, "frozen", bool, where, False)
    if not node_id:
        raise reader.fail(f"{where}.id", "must not be empty")
    if node_id in graph.nodes:
        raise reader.fail(f"{where}.id", f"duplicate id {node_id!r}: every node needs its own")
    try:
        spec = block(type_id)
    except UnknownBlockError as error:
        raise reader.fail(f"{where}.type", str(error)) from None
    reader.check_params(spec, params, where)
    try:
        check_node_name(name)
        graph.add_node(type_id, params, name=name, node_id=node_id, ui=ui).frozen = frozen
    except GraphError as error:
        raise reader.fail(f"{where}.name", str(error)) from None


def _read_group(graph: Graph, raw: Any, reader: _Reader, where: str) -> None:
    if not isinstance(raw, dict):
        raise reader.fail(where, f"expected an object, got {_type_name(raw)}")
    group_id = reader.get(raw, "id", str, where)
    where = f"{where} ({group_id})"
    members = reader.get(raw, "members", dict, where)
    inputs = reader.get(raw, "inputs", list, where, [])
    ports = []
    for slot_index, slot in enumerate(inputs):
        if not isinstance(slot, list) or not all(
                isinstance(port, list) and len(port) == 2 and all(isinstance(p, str) for p in port) for port in slot):
            raise reader.fail(f"{where}.inputs[{slot_index}]", "expected a list of [node id, port name]")
        ports.append([tuple(port) for port in slot])
    for node_id, local in members.items():
        if node_id not in graph.nodes or not isinstance(local, str):
            raise reader.fail(f"{where}.members", f"refers to node {node_id!r}, which does not exist")
    group = Group(group_id, reader.get(raw, "name", str, where), reader.get(raw, "type", str, where),
                  dict(members), ports, reader.get(raw, "output", (str, type(None)), where, None),
                  reader.get(raw, "collapsed", bool, where, True),
                  _plain_ui(reader.get(raw, "ui", dict, where, {}), reader, f"{where}.ui"))
    try:
        graph.add_group(group)
    except GraphError as error:
        raise reader.fail(where, str(error)) from None


def _read_edge(graph: Graph, raw: Any, reader: _Reader, where: str) -> None:
    if not isinstance(raw, dict):
        raise reader.fail(where, f"expected an object, got {_type_name(raw)}")
    ends = []
    for key in ("from", "to"):
        end = reader.get(raw, key, list, where)
        if len(end) != 2 or not all(isinstance(part, str) for part in end):
            raise reader.fail(f"{where}.{key}", "expected [node id, port name]")
        if end[0] not in graph.nodes:
            raise reader.fail(f"{where}.{key}", f"refers to node {end[0]!r}, which does not exist (a dangling edge)")
        ends.append(end)
    (src, src_port), (dst, dst_port) = ends
    try:
        graph.connect(src, dst, src_port, dst_port)
    except GraphError as error:
        raise reader.fail(where, str(error)) from None


def project_to_dict(project: Project) -> dict[str, Any]:
    graph = project.graph
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": project.name,
        "description": project.description,
        "task": project.task,
        "nodes": [_node_to_json(node) for node in graph.nodes.values()],
        "edges": [edge_to_json(edge) for edge in graph.edges],
        "groups": [group_to_json(group) for group in graph.groups.values()],
        "training": project.training.to_saved_dict(),
        **({"weights": {"file": project.weights, "source": project.weights_source}}
           if project.weights or project.weights_source else {}),
    }


def _node_to_json(node) -> dict[str, Any]:
    entry = {"id": node.id, "type": node.type, "name": node.name,
             "params": node.spec.saved_params(node.params),
             "ui": node.ui}
    if node.frozen:
        entry["frozen"] = True
    return entry


def group_to_json(group: Group) -> dict[str, Any]:
    return {"id": group.id, "name": group.name, "type": group.type, "members": dict(group.members),
            "inputs": [[list(port) for port in slot] for slot in group.inputs], "output": group.output,
            "collapsed": group.collapsed, "ui": group.ui}


def dumps_project(project: Project) -> str:
    return json.dumps(project_to_dict(project), indent=2, ensure_ascii=False) + "\n"


def loads_project(text: str | bytes, source: str = "project") -> Project:
    return project_from_dict(parse_json(text, source, "a project file", ProjectError), source)


def load_project(path: str | Path) -> Project:
    """Reads and validates a project file; raises ``ProjectError`` with a one-line reason."""
    path = Path(path)
    data = read_file_bytes(path, MAX_FILE_BYTES, "a project file", ProjectError)
    project = loads_project(data, path.name)
    project.path = path
    return project


def save_project(project: Project, path: str | Path) -> Path:
    """Writes the project atomically and remembers the path."""
    weights = _weights_seen_from(project, Path(path))
    target = atomic_write_text(path, dumps_project(replace(project, weights=weights)))
    project.weights = weights
    project.path = target
    return target


def edge_to_json(edge: Edge) -> dict[str, list[str]]:
    return {"from": [edge.src, edge.src_port], "to": [edge.dst, edge.dst_port]}


def weights_path(project: Project) -> Path | None:
    """The project's initial weights file as an absolute path (None when it has none)."""
    if not project.weights:
        return None
    path = Path(project.weights).expanduser()
    if not path.is_absolute():
        path = (project.path.parent if project.path is not None else Path.cwd()) / path
    return path.resolve()


def _weights_seen_from(project: Project, target: Path) -> str:
    """The weights path to write in ``target``: relative when the file lies in its folder, else absolute."""
    path = weights_path(project)
    if path is None:
        return ""
    try:
        return path.relative_to(target.expanduser().resolve().parent).as_posix()
    except ValueError:
        return str(path)
