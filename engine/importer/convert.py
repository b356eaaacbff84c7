"""An ``nn.Module`` → an editable ConvCanvas project with the module's weights.

1. Trace it with torch.fx (``tracing``) and run it once on a random input of
   the chosen size, which records every tensor's shape and the output the
   import must reproduce.
2. Map every operation that reaches the output to a catalogue block
   (``mapping``); if any cannot be mapped, refuse with all of them listed.
3. Build the graph: node names are module paths with ``_`` for ``.``
   (``layer1_0_conv1``), one node per call of a module called twice.
4. Group what each non-container submodule computes (a torchvision
   ``BasicBlock``, a ``Fire`` module) into a composite block at its module
   path, typed by its class and structure, so ``state_dict`` keys read
   ``layer1.0.conv1.weight`` as in the original.
5. Carry the weights over under the compiled network's keys, and check: the
   compiled network, with them, gives the original's output.
"""
from __future__ import annotations

import keyword
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn

from ..analysis import analyze
from ..catalogue import ParamError, block
from ..compiler import compile_graph
from ..export.common import evaluation_mode
from ..graph import Graph, GraphError
from ..groups import local_name_problem, make_group, structure_key, unique_type_name
from ..layout import apply_layout, grouped_layout
from ..names import free_variant
from ..project import Project
from .errors import ModelImportError, Unsupported
from .mapping import (
    SHAPE_QUERY,
    SPLIT,
    Block,
    Chain,
    PassThrough,
    base_name,
    is_in_place,
    location,
    map_node,
    operation_name,
    shape_of,
)
from .tracing import CONTAINERS, is_container, propagate_shapes, trace

LAYERS_PER_ROW = 7
"""The imported graph's layout wraps after this many cards, like the presets."""
EXAMPLE_BATCH = 2
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass
class ImportResult:
    project: Project
    state_dict: dict[str, torch.Tensor]
    """The original's weights under the keys of ``compile_graph(project.graph)``: loading them reproduces it."""
    notes: list[str] = field(default_factory=list)
    """What people should know: parts left out because unused, blocks not formed, ..."""
    random_weights: bool = False
    """True when the weights are a fresh initialisation (a torchvision model built without weights)."""

    def summary(self, block_types: bool = True) -> str:
        """``resnet18: 71 nodes in 8 blocks (BasicBlock ×2, BasicBlock2, …), 11,689,512 parameters``."""
        return f"{self.project.name}: {self.counts(block_types)}"

    def counts(self, block_types: bool = False) -> str:
        """``71 nodes in 8 blocks, 11,689,512 parameters``, with the block types if asked."""
        graph = self.project.graph
        types = Counter(group.type for group in graph.groups.values())
        kinds = ", ".join(f"{name} ×{count}" if count > 1 else name for name, count in types.items())
        blocks = f" in {len(graph.groups)} blocks" if graph.groups else ""
        blocks += f" ({kinds})" if graph.groups and block_types else ""
        return f"{len(graph.nodes)} nodes{blocks}, {analyze(graph).total_params:,} parameters"


def validate_input_shape(shape: Any) -> tuple[int, int, int]:
    """``(channels, height, width)`` as the Input block allows them; ``ModelImportError`` says what is wrong."""
    if not isinstance(shape, (tuple, list)) or len(shape) != 3:
        raise ModelImportError(f"the input size must be channels×height×width (e.g. 3×224×224), got {shape!r}")
    spec = block("input")
    for name, value in zip(("channels", "height", "width"), shape):
        try:
            spec.param(name).validate(value)
        except ParamError as error:
            raise ModelImportError(f"input {name} {value!r}: {error}") from None
    return tuple(int(value) for value in shape)


def import_module(module: nn.Module, input_shape, *, name: str, description: str = "",
                  check_only: bool = False, layout: bool = True) -> ImportResult:
    """Imports ``module`` for inputs of ``input_shape`` (C, H, W); raises ``ModelImportError``.

    ``check_only`` builds the graph without weights or the output check, so a
    module on the ``meta`` device (no memory, no data) can be checked cheaply.
    ``layout=False`` leaves the cards unplaced: a check that only counts them
    skips what costs most in a large network (DenseNet-161: most of a minute).
    """
    shape = validate_input_shape(input_shape)
    device = next((p.device for p in module.parameters()), torch.device("cpu"))
    if check_only:
        example = torch.empty(EXAMPLE_BATCH, *shape, device=device)
    else:
        example = torch.randn(EXAMPLE_BATCH, *shape, generator=torch.Generator().manual_seed(0)).to(device)
    with evaluation_mode(module):  # the computation imported is inference's (running BN statistics)
        traced = trace(module, name)
        reference = propagate_shapes(traced, example, name)
    return import_traced(traced, shape, example, reference, name=name, description=description,
                         check_only=check_only, original=module, layout=layout)


def import_traced(traced: fx.GraphModule, shape: tuple[int, int, int], example: torch.Tensor,
                  reference: torch.Tensor, *, name: str, description: str = "", check_only: bool = False,
                  original: nn.Module | None = None, layout: bool = True) -> ImportResult:
    """Imports a graph already traced and run on ``example`` (shapes recorded, ``reference`` its output): the
    second half of ``import_module``, shared with the ONNX importer, which builds its fx graph itself."""
    builder = _GraphBuilder(traced, shape, name)
    graph = builder.build()
    shapes = analyze(graph, task=None).nodes  # grouping changes no shape: one analysis serves both below
    notes = builder.notes + _group_blocks(graph, builder, shapes)
    if layout:
        apply_layout(graph, grouped_layout(graph, per_row=LAYERS_PER_ROW))
    task = _task_of(graph, shapes)
    project = Project(graph=graph, name=name, description=description, task=task)
    analysis = analyze(graph, task=task)
    if not analysis.valid:  # the mapping checks shapes, so this means a mapping bug: say so plainly
        raise ModelImportError(f"{name} was mapped to a network ConvCanvas cannot build: "
                               f"{'; '.join(str(issue) for issue in analysis.errors[:3])}")
    if check_only:
        return ImportResult(project, {}, notes)
    state = _weights(graph, builder, traced)
    _check_reproduces(graph, state, example, reference, name)
    notes += _parameter_notes(original if original is not None else traced, analysis.total_params, builder)
    return ImportResult(project, state, notes)


def _task_of(graph: Graph, reports) -> str:
    """What the imported network's output makes it: an embedding (it ends in L2 Normalize), class scores, a mask
    the input's size, or detection head maps (engine.tasks, in that order); classification when none fits, so
    that analysis says what is wrong."""
    from ..tasks import DEFAULT_TASK, TASKS

    output = reports["output"].input_shapes[0] if reports["output"].input_shapes else None
    if output is None:
        return DEFAULT_TASK
    if any(graph.node(edge.src).type == "l2_normalize" for edge in graph.incoming("output")):
        return "embedding"  # a vector on the unit sphere: an embedding, not class scores
    for name, task in TASKS.items():
        if task.check_output(output, reports["input"].output_shape, "the network") is None:
            return name
    return DEFAULT_TASK


# --- building the flat graph --------------------------------------------------------------------


@dataclass
class _Member:
    """A block-to-be: the module path it lives at, its class, and its members' local names."""

    path: str
    kind: type
    nodes: list[str] = field(default_factory=list)
    locals: dict[str, str] = field(default_factory=dict)


class _GraphBuilder:
    def __init__(self, traced: fx.GraphModule, shape: tuple[int, int, int], title: str) -> None:
        self.traced, self.shape, self.title = traced, shape, title
        self.graph = Graph()
        self.value: dict[fx.Node, str] = {}       # fx node → the graph node computing its value
        self.layer_nodes: dict[str, str] = {}     # graph node id → original module path (layers only)
        self.blocks: dict[str, _Member] = {}      # module path → the composite to form there
        self.unsupported: list[Unsupported] = []
        self.notes: list[str] = []
        self.taken: set[str] = {"input", "output"}  # node names and ids used so far (a set: one look-up per node)

    def build(self) -> Graph:
        fx_graph = self.traced.graph
        live = _live_nodes(fx_graph)
        mapped: dict[fx.Node, Any] = {}
        for node in fx_graph.nodes:
            if node.op in ("placeholder", "output") or node not in live:
                continue
            mapped[node] = map_node(node, self.traced)
            if isinstance(mapped[node], Unsupported):
                self.unsupported.append(mapped[node])
        self._check_in_place(fx_graph, live)
        self._plan_blocks(mapped)
        calls: Counter[str] = Counter()
        result = None
        for node in fx_graph.nodes:
            if node.op == "placeholder":
                self._placeholder(node, live)
            elif node.op == "output":
                result = self._output(node)
            elif isinstance(mapped.get(node), PassThrough):
                source = mapped[node].source
                if source in self.value:
                    self.value[node] = self.value[source]
            elif isinstance(mapped.get(node), Block):
                self._add_block(node, mapped[node], calls)
            elif isinstance(mapped.get(node), Chain):
                for part in mapped[node].blocks:
                    self._add_block(node, part, calls)
        if self.unsupported:
            kinds = unsupported_kinds(self.unsupported)
            total = len(self.unsupported)
            raise ModelImportError(f"{self.title} cannot be imported: ConvCanvas has no block for {total} of its "
                                   f"operations ({kinds}):", self.unsupported)
        self._connect(result, "output", self.graph.add_node("output", name="output", node_id="output").id)
        dead = sorted({operation_name(n, self.traced) for n in fx_graph.nodes
                       if n.op in ("call_module", "call_function", "call_method") and n not in live
                       and map_node(n, self.traced) not in (SHAPE_QUERY, SPLIT)})
        if dead:
            self.notes.append(f"left out operations whose results the network never uses: {', '.join(dead)}")
        return self.graph

    def _placeholder(self, node: fx.Node, live: set[fx.Node]) -> None:
        if self.graph.nodes_of_type("input"):
            if node in live:
                self.unsupported.append(Unsupported(
                    f"input {node.target}", location(node),
                    "forward() takes a second tensor; a ConvCanvas network has one input image"))
            return
        channels, height, width = self.shape
        self.value[node] = self.graph.add_node("input", {"channels": channels, "height": height, "width": width},
                                               name="input", node_id="input").id

    def _output(self, node: fx.Node) -> fx.Node | None:
        result = node.args[0]
        if not isinstance(result, fx.Node) or shape_of(result) is None:
            self.unsupported.append(Unsupported(
                "output", location(node), "forward() returns several values (or no tensor); a ConvCanvas network "
                "returns one tensor of class scores"))
            return None
        if len(shape_of(result)) not in (2, 4):
            shape = "×".join(map(str, shape_of(result)))
            self.unsupported.append(Unsupported(
                "output", location(node), f"forward() returns a {shape} tensor; a ConvCanvas network ends in "
                "class scores (one flat vector per image) or in maps (C×H×W per image)"))
            return None
        return result

    def _check_in_place(self, fx_graph: fx.Graph, live: set[fx.Node]) -> None:
        """An operation overwriting a tensor that is read again later cannot become a block (blocks never
        overwrite their inputs), so the import would compute something else: refuse it."""
        order = {node: index for index, node in enumerate(fx_graph.nodes)}
        for node in live:
            if not is_in_place(node, self.traced) or not node.args or not isinstance(node.args[0], fx.Node):
                continue
            overwritten = node.args[0]
            later = [user for user in overwritten.users
                     if user is not node and user in live and order[user] > order[node]]
            if later:
                self.unsupported.append(Unsupported(
                    operation_name(node, self.traced), location(node),
                    f"it overwrites {overwritten.name} in place, which {later[0].name} reads afterwards; make it "
                    "not in-place (inplace=False)"))

    def _plan_blocks(self, mapped: dict[fx.Node, Any]) -> None:
        """Which module each mapped operation belongs to: the outermost non-container submodule
        around it. Modules holding more than one operation become composite blocks."""
        owners: dict[fx.Node, tuple[str, type]] = {}
        for node, result in mapped.items():
            if isinstance(result, (Block, Chain)):
                owner = _outer_module(node)
                if owner:
                    owners[node] = owner
        sizes = Counter(path for path, _ in owners.values())
        for node, (path, kind) in owners.items():
            if sizes[path] > 1:
                self.blocks.setdefault(path, _Member(path, kind))
        self.owner = {node: owners[node][0] for node in owners if owners[node][0] in self.blocks}

    def _add_block(self, node: fx.Node, mapped: Block, calls: Counter[str]) -> None:
        sources = [self.value[source] for source in mapped.inputs if source in self.value]
        if len(set(sources)) < len(sources):  # x + x: a block takes each source once
            self.unsupported.append(Unsupported(
                operation_name(node, self.traced), location(node),
                "it uses one tensor twice (as in x + x), and a block takes each of its inputs once"))
            return
        path = self.owner.get(node)
        member = self.blocks.get(path)
        if mapped.module_path is not None:
            calls[mapped.module_path] += 1
            suffix = f"_{calls[mapped.module_path] - 1}" if calls[mapped.module_path] > 1 else ""
            full_name = mapped.module_path + suffix
            local = full_name[len(path) + 1:] if member else None
        elif mapped.name_path is not None:  # a block a layer needs before it (a Conv2dSame's pad)
            full_name = mapped.name_path
            local = full_name[len(path) + 1:] if member else None
        else:
            local = base_name(node) if member else None
            full_name = None
        if member:
            local = _free_local(local, member.locals.values())
            full_name = f"{path}.{local}"
        elif full_name is None:
            enclosing = _enclosing_path(node)
            full_name = f"{enclosing}.{base_name(node)}" if enclosing else base_name(node)
        name = free_variant(_identifier(full_name.replace(".", "_")), self.taken)
        graph_node = self.graph.add_node(mapped.type_id, mapped.params, name=name, node_id=name)
        self.taken.add(name)
        for source in mapped.inputs:
            self._connect(source, "in", graph_node.id)
        self.value[node] = graph_node.id
        if mapped.module_path is not None:
            self.layer_nodes[graph_node.id] = mapped.module_path
        if member:
            member.nodes.append(graph_node.id)
            member.locals[graph_node.id] = local

    def _connect(self, source: fx.Node | None, _port: str, target: str) -> None:
        if source is not None and source in self.value:
            self.graph.connect(self.value[source], target)


KINDS_LISTED = 8
"""How many kinds of unsupported operation the first line of a refusal names."""


def unsupported_kinds(unsupported: list[Unsupported]) -> str:
    """``nn.LSTM ×2, Tensor.repeat, tensor attributes read directly ×40 …``: one short line, however many.
    Reads of attributes (each a different name: ``features.1.0.attn.qkv.weight``) count as one kind."""
    counts = Counter("tensor attributes read directly" if item.name.startswith("attribute ") else item.name
                     for item in unsupported)
    kinds = [f"{name} ×{count}" if count > 1 else name for name, count in counts.most_common()]
    more = f" … and {len(kinds) - KINDS_LISTED} more kinds" if len(kinds) > KINDS_LISTED else ""
    return ", ".join(kinds[:KINDS_LISTED]) + more


def _live_nodes(fx_graph: fx.Graph) -> set[fx.Node]:
    """The nodes the output depends on."""
    output = next(node for node in fx_graph.nodes if node.op == "output")
    live, stack = {output}, [output]
    while stack:
        for source in stack.pop().all_input_nodes:
            if source not in live:
                live.add(source)
                stack.append(source)
    return live


def _outer_module(node: fx.Node) -> tuple[str, type] | None:
    """The outermost module whose forward() made ``node`` (not the layer itself), other than plain containers:
    a Sequential subclass (torchvision's ``Conv2dNormActivation``) is a block named after its class."""
    stack = node.meta.get("nn_module_stack") or {}
    for path, kind in stack.values():
        if node.op == "call_module" and path == node.target:
            break
        if kind not in CONTAINERS and not (is_container(kind) and _unnameable_layers(node, path)):
            return path, kind
    return None


def _unnameable_layers(node: fx.Node, path: str) -> bool:
    """True when a Sequential subclass numbers or names its layers in a way a block's local names cannot
    follow (RegNet's AnyStage holds ``block1-0``): it stays a container, whose layers keep their keys."""
    owner = node.graph.owning_module
    try:
        children = owner.get_submodule(path).named_children() if owner is not None else ()
    except AttributeError:
        return True
    return any(local_name_problem(name) for name, _ in children)


def _enclosing_path(node: fx.Node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    return next(reversed(stack.values()))[0] if stack else ""


def _identifier(text: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_]", "_", text)
    if not _IDENTIFIER.match(text):
        text = f"layer_{text}"  # a root nn.Sequential numbers its layers: 0 → layer_0
    return f"{text}_" if keyword.iskeyword(text) else text


def _free_local(local: str, taken) -> str:
    if local_name_problem(local):
        local = _identifier(local.replace(".", "_"))
    return free_variant(local, set(taken))


# --- composite blocks ------------------------------------------------------------------------------


def _group_blocks(graph: Graph, builder: _GraphBuilder, shapes) -> list[str]:
    """Adds a composite per planned module; returns notes on those that cannot be one."""
    types: dict[tuple, str] = {}
    left_flat: list[str] = []
    for member in builder.blocks.values():
        if len(member.nodes) < 2:
            continue
        try:
            group = make_group(graph, member.nodes, member.path, member.kind.__name__, locals_=member.locals)
            # Instances fed other channels are other types: their layers have other weight shapes.
            key = (member.kind.__name__,
                   structure_key(graph, group, {n: shapes[n].input_shapes for n in member.nodes if n in shapes}))
            group.type = types.get(key) or unique_type_name(graph, _type_name(member.kind.__name__, shapes, group))
            graph.add_group(group)
        except (ValueError, GraphError):
            left_flat.append(member.path)
            continue
        types[key] = group.type
    if not left_flat:
        return []
    return [f"not shown as blocks (their layers are imported one by one): {', '.join(left_flat)}"]


def _type_name(class_name: str, shapes, group) -> str:
    """The module's class and its output channels (``BasicBlock128``), like the presets' types,
    so a graph's variants read apart better than BasicBlock2, BasicBlock3."""
    shape = shapes[group.output].output_shape if group.output in shapes else None
    channels = str(shape[0]) if shape else ""
    return _identifier(class_name) + channels


# --- weights --------------------------------------------------------------------------------------------


def _weights(graph: Graph, builder: _GraphBuilder, traced: fx.GraphModule) -> dict[str, torch.Tensor]:
    """Each layer's tensors under its node's module path in the compiled network."""
    state: dict[str, torch.Tensor] = {}
    for node_id, path in builder.layer_nodes.items():
        prefix = graph.module_path(node_id)
        owner, _, name = path.rpartition(".")
        layer = getattr(traced.get_submodule(owner), name)
        # A bare parameter (ConvNeXt's layer_scale) is the LayerScale block's scale.
        # (timm keeps it as a C-vector: the block's scale is C×1×1)
        tensors = layer.state_dict() if isinstance(layer, nn.Module) else {"scale": layer.reshape(-1, 1, 1)}
        for key, tensor in tensors.items():
            state[f"{prefix}.{key}"] = tensor.detach().cpu()
    return state


def _check_reproduces(graph: Graph, state: dict[str, torch.Tensor], example: torch.Tensor,
                      reference: torch.Tensor, title: str) -> None:
    """Compiles the graph (on the meta device: no memory spent on weights replaced at once), loads the
    weights strictly and checks it gives the original's output."""
    with torch.device("meta"):
        compiled = compile_graph(graph, name=title)
    try:
        compiled.load_state_dict(state, strict=True, assign=True)
    except RuntimeError as error:
        reason = " ".join(str(error).split())[:300]
        raise ModelImportError(f"{title}: the weights do not fit the imported network ({reason})") from None
    with torch.no_grad():
        output = compiled.eval()(example.cpu())
    reference = reference.detach().cpu()
    scale = max(1.0, float(reference.abs().max())) if reference.numel() else 1.0
    difference = float((output - reference).abs().max()) if reference.numel() else 0.0
    if output.shape != reference.shape or not difference <= 1e-4 * scale:
        raise ModelImportError(f"{title}: the imported network does not compute what the original does (largest "
                               f"difference {difference:.3g} on a test input); this is a ConvCanvas bug, please "
                               "report it with the model")


def _parameter_notes(module: nn.Module, imported: int, builder: _GraphBuilder) -> list[str]:
    original = sum(parameter.numel() for parameter in module.parameters())
    if original == imported:
        return []
    used = set(builder.layer_nodes.values())
    unused = sorted({name.rpartition(".")[0] for name, _ in module.named_parameters()
                     if name.rpartition(".")[0] not in used})
    shared = sorted(path for path, count in Counter(builder.layer_nodes.values()).items() if count > 1)
    parts = [f"the original has {original:,} parameters, the imported network {imported:,}"]
    if unused:
        parts.append(f"layers forward() never calls are left out: {', '.join(unused[:8])}"
                     + (f" … and {len(unused) - 8} more" if len(unused) > 8 else ""))
    if shared:
        parts.append(f"layers called more than once get a copy of their weights per call: {', '.join(shared)}")
    return ["; ".join(parts)]
