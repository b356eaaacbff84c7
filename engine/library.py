"""The block library: composite blocks saved as templates, to reuse in any network.

A *template* is a composite block without a place in a graph, as plain JSON::

    {"format": "convcanvas.block", "version": 1, "type": "BasicBlock64", "description": "...",
     "nodes": [{"local": "conv1", "type": "conv2d", "params": {...}, "frozen": true}, ...],
     "edges": [["conv1", "out", "bn1", "in"], ...],
     "inputs": [[["conv1", "in"], ["add", "in"]]],
     "output": "relu2",
     "layout": {"conv1": [0, 0], "bn1": [260, 0], ...}}

Nodes are known by their local names (their module names inside the block),
so inserting a template under the path ``block1`` gives ``state_dict`` keys
``block1.conv1.weight``. ``BlockLibrary`` keeps one ``<type>.block.json`` per
template in a folder; a broken file is listed with its reason, never fatal.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalogue import UnknownBlockError, block
from .fileio import atomic_write_text
from .graph import Graph, GraphError
from .groups import Group, local_name_problem, type_problem
from .jsonread import JsonFileError, JsonReader, parse_json, read_file_bytes, type_name

FORMAT = "convcanvas.block"
VERSION = 1
SUFFIX = ".block.json"
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_NODES = 2_000


class BlockFileError(JsonFileError):
    """A block template that cannot be used; the message is one line for people."""


# --- graph ⇄ template ----------------------------------------------------------------------------

def template_from_group(graph: Graph, group: Group, description: str = "") -> dict[str, Any]:
    """The composite ``group`` of ``graph`` as a template (its members' params, edges, boundary, layout)."""
    local = group.members
    if group.output is None:
        raise ValueError(f"the block {group.name} has no output; connect it before saving it")
    positions = {node_id: _position(graph.nodes[node_id]) for node_id in local}
    left = min((x for x, _ in positions.values()), default=0.0)
    top = min((y for _, y in positions.values()), default=0.0)
    nodes = []
    for node_id, name in local.items():
        node = graph.nodes[node_id]
        entry: dict[str, Any] = {"local": name, "type": node.type, "params": json.loads(json.dumps(node.spec.saved_params(node.params)))}
        if node.frozen:
            entry["frozen"] = True
        nodes.append(entry)
    return {
        "format": FORMAT,
        "version": VERSION,
        "type": group.type,
        "description": description,
        "nodes": nodes,
        "edges": [[local[e.src], e.src_port, local[e.dst], e.dst_port]
                  for e in graph.edges if e.src in local and e.dst in local],
        "inputs": [[[local[node_id], port] for node_id, port in slot] for slot in group.inputs],
        "output": local[group.output],
        "layout": {name: [_plain(positions[node_id][0] - left), _plain(positions[node_id][1] - top)]
                   for node_id, name in local.items()},
    }


def insert_template(graph: Graph, template: dict[str, Any], path: str,
                    origin: tuple[float, float] = (0.0, 0.0)) -> Group:
    """Adds an instance of ``template`` called ``path`` (a module path such as ``block1``) to ``graph``.

    Members are named ``<path>_<local>`` (``block1_conv1``), or the next free
    variant when that is taken; their ids follow the names, so the same graph
    and arguments always give the same ids. The collapsed block sits at
    ``origin`` and its members are laid out from there. Raises ``GraphError``
    when ``path`` cannot name a block here and ``BlockFileError`` when the
    template is not valid; the graph is unchanged then.
    """
    template = validate_template(template)
    problem = graph.path_problem_for(path)
    if problem:
        raise GraphError(problem)
    stem = path.replace(".", "_")
    ox, oy = origin
    ids: dict[str, str] = {}
    for entry in template["nodes"]:
        local = entry["local"]
        wanted = f"{stem}_{local.replace('.', '_')}"
        name = wanted if graph.node_by_name(wanted) is None else graph.unique_name(wanted + "_")
        node_id = name if name not in graph.nodes and name not in graph.groups else graph.unique_id(name + "_")
        dx, dy = template["layout"][local]
        graph.add_node(entry["type"], entry["params"], name=name, node_id=node_id,
                       ui={"x": _plain(ox + dx), "y": _plain(oy + dy)})
        if entry.get("frozen"):
            graph.set_frozen(node_id, True)
        ids[local] = node_id
    for src, src_port, dst, dst_port in template["edges"]:
        graph.connect(ids[src], ids[dst], src_port, dst_port)
    members = {ids[entry["local"]]: entry["local"] for entry in template["nodes"]}
    group = Group(graph.unique_group_id(), path, template["type"], members,
                  [[(ids[local], port) for local, port in slot] for slot in template["inputs"]],
                  ids[template["output"]], collapsed=True, ui={"x": _plain(ox), "y": _plain(oy)})
    return graph.add_group(group)


def _position(node) -> tuple[float, float]:
    return float(node.ui.get("x", 0.0)), float(node.ui.get("y", 0.0))


def _plain(number: float) -> int | float:
    """Whole numbers stay ints in the file (``260``, not ``260.0``)."""
    return int(number) if float(number).is_integer() else float(number)


# --- validation ------------------------------------------------------------------------------------

def validate_template(document: Any, source: str = "block") -> dict[str, Any]:
    """The template with every field checked and every parameter validated (a fresh dict).

    Raises ``BlockFileError`` naming the first problem and where it is:
    ``BasicBlock.block.json: nodes[2] (bn1).type: unknown block type 'batchnorm'...``.
    """
    reader = JsonReader(source, BlockFileError)
    if not isinstance(document, dict):
        raise reader.fail("", f"expected a JSON object at the top, got {type_name(document)}")
    if document.get("format") != FORMAT:
        raise reader.fail("format", f"this is not a ConvCanvas block (expected \"format\": \"{FORMAT}\")")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise reader.fail("version", f"expected a whole number from 1 to {VERSION}, got {json.dumps(version)}")
    if version > VERSION:
        raise reader.fail("", f"was written by a newer ConvCanvas (block format version {version}; this one "
                              f"reads up to {VERSION}). Update ConvCanvas to use it.")
    type_ = reader.get(document, "type", str, "")
    problem = type_problem(type_)
    if problem:
        raise reader.fail("type", problem)
    description = reader.get(document, "description", str, "", "")
    raw_nodes = reader.get(document, "nodes", list, "")
    if not raw_nodes:
        raise reader.fail("nodes", "a block needs at least one node")
    if len(raw_nodes) > MAX_NODES:
        raise reader.fail("nodes", f"{len(raw_nodes):,} nodes is more than a block may hold ({MAX_NODES:,})")
    # A scratch graph keyed by local names checks ports, duplicates and cycles as the real one will.
    scratch = Graph()
    nodes = [_read_node(scratch, raw, reader, f"nodes[{index}]") for index, raw in enumerate(raw_nodes)]
    edges = [_read_edge(scratch, raw, reader, f"edges[{index}]")
             for index, raw in enumerate(reader.get(document, "edges", list, "", []))]
    inputs = [_read_slot(scratch, raw, reader, f"inputs[{index}]")
              for index, raw in enumerate(reader.get(document, "inputs", list, "", []))]
    output = reader.get(document, "output", str, "")
    if output not in scratch.nodes:
        raise reader.fail("output", f"{output!r} is not a node of this block")
    if not scratch.nodes[output].spec.outputs:
        raise reader.fail("output", f"{output!r} gives no result, so it cannot be the block's output")
    layout = _read_layout(reader.get(document, "layout", dict, "", {}), [n["local"] for n in nodes], reader)
    return {"format": FORMAT, "version": VERSION, "type": type_, "description": description, "nodes": nodes,
            "edges": edges, "inputs": inputs, "output": output, "layout": layout}


def _read_node(scratch: Graph, raw: Any, reader: JsonReader, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise reader.fail(where, f"expected an object, got {type_name(raw)}")
    local = reader.get(raw, "local", str, where)
    problem = local_name_problem(local)
    if problem:
        raise reader.fail(f"{where}.local", problem)
    if local in scratch.nodes:
        raise reader.fail(f"{where}.local", f"two nodes are both called {local!r}; every node needs its own name")
    where = f"{where} ({local})"
    type_id = reader.get(raw, "type", str, where)
    try:
        spec = block(type_id)
    except UnknownBlockError as error:
        raise reader.fail(f"{where}.type", str(error)) from None
    if spec.is_source or spec.is_sink:
        raise reader.fail(f"{where}.type", f"a block cannot hold an {spec.title} node; those belong to the network")
    params = spec.defaults()
    params.update(reader.check_params(spec, reader.get(raw, "params", dict, where, {}), where))
    frozen = reader.get(raw, "frozen", bool, where, False)
    scratch.add_node(type_id, params, name=f"n{len(scratch.nodes)}", node_id=local)
    entry: dict[str, Any] = {"local": local, "type": type_id, "params": params}
    if frozen:
        entry["frozen"] = True
    return entry


def _read_edge(scratch: Graph, raw: Any, reader: JsonReader, where: str) -> list[str]:
    if not (isinstance(raw, list) and len(raw) == 4 and all(isinstance(part, str) for part in raw)):
        raise reader.fail(where, "expected [from node, from port, to node, to port]")
    src, src_port, dst, dst_port = raw
    for end in (src, dst):
        if end not in scratch.nodes:
            raise reader.fail(where, f"refers to node {end!r}, which is not in this block (a dangling edge)")
    if scratch.reaches(dst, src):
        raise reader.fail(where, f"{src} → {dst} would make a cycle")
    try:
        scratch.connect(src, dst, src_port, dst_port)
    except GraphError as error:
        raise reader.fail(where, str(error)) from None
    return list(raw)


def _read_slot(scratch: Graph, raw: Any, reader: JsonReader, where: str) -> list[list[str]]:
    if not isinstance(raw, list) or not all(
            isinstance(port, list) and len(port) == 2 and all(isinstance(p, str) for p in port) for port in raw):
        raise reader.fail(where, "expected a list of [node, input port]")
    for local, port in raw:
        if local not in scratch.nodes:
            raise reader.fail(where, f"refers to node {local!r}, which is not in this block")
        if scratch.nodes[local].spec.input_port(port) is None:
            raise reader.fail(where, f"{local} has no input port {port!r}")
    return [list(port) for port in raw]


def _read_layout(raw: dict, locals_: list[str], reader: JsonReader) -> dict[str, list[int | float]]:
    for local, offset in raw.items():
        if local not in locals_:
            raise reader.fail(f"layout.{local}", f"{local!r} is not a node of this block")
        if not (isinstance(offset, list) and len(offset) == 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in offset)):
            raise reader.fail(f"layout.{local}", "expected [x offset, y offset] as two numbers")
    # Nodes without a stored place go in a row, so an edited file still inserts tidily.
    return {local: list(raw.get(local, [index * 260, 0])) for index, local in enumerate(locals_)}


def dumps_template(template: dict[str, Any]) -> str:
    return json.dumps(template, indent=2, ensure_ascii=False) + "\n"


def loads_template(text: str | bytes, source: str = "block") -> dict[str, Any]:
    return validate_template(parse_json(text, source, "a block file", BlockFileError), source)


# --- the library folder ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LibraryEntry:
    """One file of the library; ``problem`` says why a broken one cannot be used."""

    type: str
    path: Path
    description: str = ""
    node_count: int = 0
    template: dict[str, Any] | None = None
    problem: str | None = None

    @property
    def broken(self) -> bool:
        return self.problem is not None


class BlockLibrary:
    """A folder of ``<type>.block.json`` templates."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path_for(self, block_type: str) -> Path:
        problem = type_problem(block_type)
        if problem:
            raise BlockFileError(problem)
        return self.root / f"{block_type}{SUFFIX}"

    def __contains__(self, block_type: str) -> bool:
        return type_problem(block_type) is None and self.path_for(block_type).is_file()

    def entries(self) -> list[LibraryEntry]:
        """Every block file, sorted by type name; unreadable ones are listed as broken."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.glob(f"*{SUFFIX}"):
            type_ = path.name[: -len(SUFFIX)]
            try:
                template = self._read(path, type_)
            except BlockFileError as error:
                found.append(LibraryEntry(type_, path, problem=str(error)))
            else:
                found.append(LibraryEntry(type_, path, template["description"], len(template["nodes"]), template))
        return sorted(found, key=lambda entry: (entry.type.lower(), entry.type))

    def load(self, block_type: str) -> dict[str, Any]:
        """The validated template; ``BlockFileError`` (one line) when missing or broken."""
        path = self.path_for(block_type)
        if not path.is_file():
            raise BlockFileError(f"the block library has no block called {block_type!r}")
        return self._read(path, block_type)

    def save(self, template: dict[str, Any], replace: bool = False) -> Path:
        """Writes the template atomically as ``<type>.block.json``.

        Refuses (``FileExistsError``) to overwrite a block of the same type unless ``replace``.
        """
        template = validate_template(template)
        path = self.path_for(template["type"])
        if path.exists() and not replace:
            raise FileExistsError(f"the block library already has a block called {template['type']!r}: "
                                  "replace it, or save under another type name")
        return atomic_write_text(path, dumps_template(template))

    def delete(self, block_type: str) -> bool:
        """Removes the block's file; False when there was none."""
        path = self.path_for(block_type)
        if not path.is_file():
            return False
        path.unlink()
        return True

    @staticmethod
    def _read(path: Path, type_: str) -> dict[str, Any]:
        template = loads_template(read_file_bytes(path, MAX_FILE_BYTES, "a block file", BlockFileError), path.name)
        if template["type"] != type_:
            raise BlockFileError(f"{path.name}: holds the block {template['type']!r}; rename the file to "
                                 f"{template['type']}{SUFFIX} to use it")
        return template
