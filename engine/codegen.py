"""Renders a graph as standalone PyTorch source: one ``nn.Module`` class, plus one
class per composite block type (``BasicBlock64``), like a hand-written network.

The source needs only torch. Submodules carry the node names and composite
paths, so a ``state_dict`` of the compiled module loads into it unchanged
(``layer1.0.conv1.weight``: ``self.layer1 = nn.Sequential(BasicBlock64(), ...)``).
Module calls come from the same ``ModuleCall`` data the compiler builds from,
so the two cannot disagree.
"""
from __future__ import annotations

import re
from collections import deque

from .analysis import Analysis, analyze
from .compiler import InvalidGraphError, class_name_for, input_shape, ordered_inputs
from .graph import Graph
from .groups import Group, structure_key

_RESERVED = {"self", "torch", "nn", "super", "x"}
_INDENT = "        "


def _variable(name: str) -> str:
    name = name.replace(".", "_")
    if name[:1].isdigit():
        return f"x_{name}"  # a numbered layer of a block (Conv2dNormActivation's 0, 1, 2)
    return f"{name}_" if name in _RESERVED else name


def _attribute(path: str) -> str:
    """A placeholder for ``self.<path>``, written out by ``_resolve_attributes`` once every module path
    is known (whether ``8`` in ``layers.8`` indexes a Sequential or is a ModuleDict key depends on its siblings)."""
    return f"\0{path}\0"


def _resolve_attributes(lines: list[str], paths: list[str]) -> list[str]:
    """``layer1.0.conv1`` → ``self.layer1[0].conv1``, or ``self.layers['8']`` where the numbers of a
    container do not run 0, 1, 2, … (a ModuleDict, see ``_render``)."""
    children: dict[str, list[str]] = {}
    for path in paths:
        parts = path.split(".")
        for depth in range(1, len(parts)):
            siblings = children.setdefault(".".join(parts[:depth]), [])
            if parts[depth] not in siblings:
                siblings.append(parts[depth])
    sequential = {parent for parent, names in children.items() if names == [str(i) for i in range(len(names))]}

    def written(match) -> str:
        text, parents = "self", []
        for part in match.group(1).split("."):
            if part.isdigit() and not parents:
                text = f"getattr(self, {part!r})"  # a block's own numbered layer (added by add_module)
            elif part.isdigit():
                text += f"[{part}]" if ".".join(parents) in sequential else f"[{part!r}]"
            else:
                text += f".{part}"
            parents.append(part)
        return text

    return [re.sub("\0([^\0]+)\0", written, line) for line in lines]


def _container_lines(entries: list[tuple[str, str]]) -> list[str]:
    """``self.<name> = <source>`` lines for (dotted path, constructor source) pairs in order;
    paths sharing a first part become one ``nn.Sequential`` (numbered) or ``nn.Module`` attribute."""
    tree: dict = {}
    for path, source in entries:
        *parents, leaf = path.split(".")
        level = tree
        for part in parents:
            level = level.setdefault(part, {})
        level[leaf] = source
    # A numbered name cannot follow "self." (a Sequential subclass made a block numbers its layers): add_module
    # keeps the name, and so the state_dict key (0.weight).
    return [f"{_INDENT}self.add_module({name!r}, {_render(value, 2)})" if name.isdigit()
            else f"{_INDENT}self.{name} = {_render(value, 2)}" for name, value in tree.items()]


def _render(value, depth: int) -> str:
    if isinstance(value, str):
        return value
    pad = "    " * (depth + 1)
    items = [_render(child, depth + 1) for child in value.values()]
    # Numbered children (as Sequential numbers them) read like torchvision's layer1[0];
    # named ones need a ModuleDict, whose keys equal the state_dict's.
    if list(value) == [str(index) for index in range(len(value))]:
        return "nn.Sequential(\n" + "".join(f"{pad}{item},\n" for item in items) + "    " * depth + ")"
    return ("nn.ModuleDict({\n" + "".join(f"{pad}{name!r}: {item},\n" for name, item in zip(value, items))
            + "    " * depth + "})")


def _unit_order(graph: Graph, analysis: Analysis) -> list[str]:
    """Node ids and group ids in an order where every unit follows what feeds it."""
    unit_of = {node_id: group.id for group in graph.groups.values() for node_id in group.members}
    rank = {node_id: index for index, node_id in enumerate(analysis.order)}
    units = {unit_of.get(node_id, node_id): None for node_id in analysis.order}
    first_rank = {unit: min(rank[n] for n in (graph.groups[unit].members if unit in graph.groups else [unit])
                            if n in rank) for unit in units}
    pending = {unit: set() for unit in units}
    for edge in graph.edges:
        src, dst = unit_of.get(edge.src, edge.src), unit_of.get(edge.dst, edge.dst)
        if src != dst and src in pending and dst in pending:
            pending[dst].add(src)
    order, ready = [], deque(sorted((u for u, deps in pending.items() if not deps), key=first_rank.get))
    while ready:
        unit = ready.popleft()
        order.append(unit)
        newly = [other for other, deps in pending.items() if unit in deps and len(deps) == 1]
        for other, deps in pending.items():
            deps.discard(unit)
        ready.extend(sorted(newly, key=first_rank.get))
    return order


class _Composites:
    """One class per (type, structure): instances that differ get numbered classes."""

    def __init__(self, graph: Graph, analysis: Analysis, taken: set[str]) -> None:
        self.graph, self.analysis = graph, analysis
        self.class_of: dict[str, str] = {}
        self.sources: list[str] = []
        by_structure: dict[tuple, str] = {}
        for group in graph.groups.values():
            shapes = {node_id: analysis.nodes[node_id].input_shapes for node_id in group.members}
            key = (group.type, structure_key(graph, group, shapes))
            if key not in by_structure:
                name = class_name_for(group.type)
                base, index = name, 2
                while name in taken:
                    name, index = f"{base}{index}", index + 1
                taken.add(name)
                by_structure[key] = name
                self.sources.append(self._class_source(group, name))
            self.class_of[group.id] = by_structure[key]

    def _class_source(self, group: Group, class_name: str) -> str:
        graph, analysis = self.graph, self.analysis
        arguments = ["x"] if len(group.inputs) == 1 else [f"x{i + 1}" for i in range(len(group.inputs))]
        argument_of = {port: arguments[i] for i, slot in enumerate(group.inputs) for port in slot}
        modules, forward = [], []
        for node_id in analysis.order:
            if node_id not in group.members:
                continue
            node, local = graph.nodes[node_id], group.members[node_id]
            args = []
            for edge in graph.incoming(node_id):
                if edge.src in group.members:
                    args.append(_variable(group.members[edge.src]))
                else:
                    args.append(argument_of[(node_id, edge.dst_port)])
            target = _variable(local)
            if node.spec.module is not None:
                call = node.spec.module(node.params, analysis.nodes[node_id].input_shapes)
                modules.append((local, call.source()))
                forward.append(f"{_INDENT}{target} = {_attribute(local)}({', '.join(args)})")
            else:
                forward.append(f"{_INDENT}{target} = {node.spec.expression(node.params, args)}")
        returned = _variable(group.members[group.output]) if group.output else "None"
        return "\n".join([
            f"class {class_name}(nn.Module):",
            f'    """The composite block {group.type}."""',
            "",
            "    def __init__(self):",
            "        super().__init__()",
            *_container_lines(modules),
            "",
            f"    def forward(self, {', '.join(arguments)}):",
            *_resolve_attributes(forward, [path for path, _ in modules]),
            f"        return {returned}",
        ])


def _custom_layers(graph: Graph, analysis: Analysis) -> list[str]:
    """The layers torch.nn lacks (``LayerNorm2d``) that the network uses: the file defines them."""
    used: dict[str, None] = {}
    for node_id in analysis.order:
        node = graph.nodes[node_id]
        if node.spec.module is not None:
            path = node.spec.module(node.params, analysis.nodes[node_id].input_shapes).path
            if "." not in path:
                used[path] = None
    return list(used)


def _layer_sources(names: list[str]) -> list[str]:
    if not names:
        return []  # torch is imported only when needed: analysing a preset stays light (test_lazy_torch)
    import inspect

    from .catalogue.layers import CUSTOM_LAYERS

    return [inspect.getsource(CUSTOM_LAYERS[name]).rstrip() for name in names]


def python_source(graph: Graph, name: str = "Network", analysis: Analysis | None = None) -> str:
    # Structure only: the task's output contract is checked where the task is known (trainer, app, CLI).
    analysis = analysis or analyze(graph, task=None)
    if not analysis.valid:
        raise InvalidGraphError(analysis.errors)
    class_name = class_name_for(name)
    custom = _custom_layers(graph, analysis)
    composites = _Composites(graph, analysis, {class_name, *custom})  # names the file defines
    group_result = {group.output: _variable(group.name) for group in graph.groups.values()}
    modules, forward_lines, arguments, returned = [], [], [], "None"

    def value_of(node_id: str) -> str:
        return group_result.get(node_id) or _variable(graph.nodes[node_id].name)

    for unit in _unit_order(graph, analysis):
        if unit in graph.groups:
            group = graph.groups[unit]
            sources = [value_of(next(e.src for e in graph.edges if (e.dst, e.dst_port) == slot[0]))
                       for slot in group.inputs]
            modules.append((group.name, f"{composites.class_of[group.id]}()"))
            forward_lines.append(f"{_INDENT}{_variable(group.name)} = {_attribute(group.name)}({', '.join(sources)})")
            continue
        node, report = graph.nodes[unit], analysis.nodes[unit]
        spec = node.spec
        args = [value_of(src) for src in ordered_inputs(graph, unit)]
        target = _variable(node.name)
        if spec.is_source:
            arguments.append(target)
        elif spec.is_sink:
            returned = args[0]
        elif spec.module is not None:
            modules.append((node.name, spec.module(node.params, report.input_shapes).source()))
            forward_lines.append(f"{_INDENT}{target} = self.{node.name}({', '.join(args)})")
        else:
            forward_lines.append(f"{_INDENT}{target} = {spec.expression(node.params, args)}")
    shape = ", ".join(str(d) for d in input_shape(graph))
    title = name.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return "\n".join([
        f'"""{title}: generated by ConvCanvas. Needs only PyTorch.',
        "",
        f"Input: a float tensor of shape (batch, {shape}); output: one score per class.",
        '"""',
        "import torch",
        "from torch import nn",
        "",
        "",
        *[line for source in _layer_sources(custom) for line in (source, "", "")],
        *[line for source in composites.sources for line in (source, "", "")],
        f"class {class_name}(nn.Module):",
        "    def __init__(self):",
        "        super().__init__()",
        *_container_lines(modules),
        "",
        f"    def forward(self, {', '.join(arguments)}):",
        *_resolve_attributes(forward_lines, [path for path, _ in modules]),
        f"        return {returned}",
        "",
        "",
        'if __name__ == "__main__":',
        f"    model = {class_name}().eval()",
        f"    print(model(torch.randn(1, {shape})).shape)",
        "",
    ])
