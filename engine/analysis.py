"""Checks a graph and infers every node's shape, parameters and MACs, without torch.

``analyze`` never raises on a bad graph: whatever is wrong becomes an
``Issue`` on the node that causes it, with a message naming the nodes
involved and a hint saying how to fix it. It is cheap enough to rerun on
every edit (ResNet-50 takes a few milliseconds; ``make bench`` measures it).

MACs count the multiply-accumulates of convolutions and dense layers, the
usual convention (torchvision's GFLOPS figures are MACs); activations,
pooling and normalisation are not counted.
"""
from __future__ import annotations

import functools
import math
from collections import defaultdict, deque
from dataclasses import dataclass, field

from .catalogue import Shape, ShapeError, format_shape
from .graph import Graph, Node, reachable_from
from .memory import MemoryEstimate, estimate, gigabytes, machine_memory
from .names import free_variant, reserved_name_problem
from .tasks import DEFAULT_TASK, Task, task_for

ERROR = "error"
WARNING = "warning"

# One sample's activation or a model's weights above this is refused: it
# would need gigabytes before the first batch (and is surely a typo).
MAX_ELEMENTS = 2**29
MAX_PARAMS = 2**31


@dataclass(frozen=True)
class Issue:
    node_id: str | None
    severity: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


@dataclass
class NodeReport:
    node_id: str
    output_shape: Shape | None = None
    input_shapes: list[Shape] = field(default_factory=list)
    params: int = 0
    macs: int = 0
    issues: list[Issue] = field(default_factory=list)
    waiting_for: str | None = None
    """The name of the node upstream whose problem keeps this one from getting a shape: the card shows
    "waiting for input" rather than an error of its own (one missing edge is one problem, not thirteen)."""

    @property
    def has_error(self) -> bool:
        return bool(self.issues) and any(issue.severity == ERROR for issue in self.issues)


@dataclass
class Analysis:
    nodes: dict[str, NodeReport]
    issues: list[Issue]
    order: list[str]
    """Topological order of the nodes that are not on a cycle."""
    memory: MemoryEstimate | None = None
    """What training would need (engine.memory), for the batch size and optimizer given to ``analyze``."""

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == ERROR]

    @property
    def valid(self) -> bool:
        return not self.errors

    # Cached: the window's status bar, inspector and analyzer each ask after every edit, and an analysis
    # is not changed once made.
    @functools.cached_property
    def total_params(self) -> int:
        return sum(report.params for report in self.nodes.values())

    @functools.cached_property
    def total_macs(self) -> int:
        return sum(report.macs for report in self.nodes.values())

    def error_text(self) -> str:
        return "\n".join(f"- {issue}" for issue in self.errors)


class _Checker:
    def __init__(self, graph: Graph, batch_size: int = 1, optimizer: str = "adam",
                 available_memory: int | None = None, task: Task | None = None) -> None:
        self.graph = graph
        self.task = task
        self.batch_size, self.optimizer, self.available_memory = batch_size, optimizer, available_memory
        self.reports = {node_id: NodeReport(node_id) for node_id in graph.nodes}
        self.issues: list[Issue] = []
        self.inputs_of: dict[str, list[str]] = defaultdict(list)
        self.outputs_of: dict[str, list[str]] = defaultdict(list)
        self.sources_into: dict[tuple[str, str], list[str]] = defaultdict(list)  # (node, port) → sources
        for edge in graph.edges:
            self.inputs_of[edge.dst].append(edge.src)
            self.outputs_of[edge.src].append(edge.dst)
            self.sources_into[edge.dst, edge.dst_port].append(edge.src)
        # One pass instead of a graph lookup per node: the checks below ask for every node's block and
        # for the nodes of a type (a 1,000-node graph must analyse within a frame).
        self.group_of = {member: group for group in graph.groups.values() for member in group.members}
        self.of_type: dict[str, list[Node]] = defaultdict(list)
        for node in graph.nodes.values():
            self.of_type[node.type].append(node)

    def add(self, node: Node | None, severity: str, message: str, hint: str = "") -> None:
        issue = Issue(node.id if node else None, severity, message, hint)
        self.issues.append(issue)
        if node:
            self.reports[node.id].issues.append(issue)

    def run(self) -> Analysis:
        self.check_ends()
        self.check_arity()
        order = self.check_cycles()
        self.check_reachability()
        self.check_groups(order)
        self.check_module_paths()
        self.infer(order)
        self.mark_waiting(order)
        self.check_reserved_names()  # after shapes: a name to change hides no shape
        self.check_totals()
        memory = self.check_memory()
        return Analysis(self.reports, self.issues, order, memory)

    def check_ends(self) -> None:
        for type_id, title, hint in (
            ("input", "Input", "Drag an Input block from Structure onto the canvas and connect it to the first layer."),
            ("output", "Output", "Drag an Output block from Structure onto the canvas and connect the last Dense to it."),
        ):
            found = self.of_type.get(type_id, [])
            if not found:
                self.add(None, ERROR, f"The network has no {title} node.", hint)
            for extra in found[1:]:
                self.add(extra, ERROR, f"{extra.name}: only one {title} is supported, but {found[0].name} is one too.",
                         f"Delete {extra.name} or {found[0].name}.")

    def check_arity(self) -> None:
        for node in self.graph.nodes.values():
            for port in node.spec.inputs:
                sources = self.sources_into.get((node.id, port.name), ())
                if port.min_edges <= len(sources) <= 1:
                    continue  # the usual case, told without building names
                sources = [self.graph.nodes[src].name for src in sources]
                if len(sources) < port.min_edges:
                    needed = "an input" if port.min_edges == 1 else f"at least {port.min_edges} inputs"
                    self.add(node, ERROR, f"{node.name}: {node.spec.title} needs {needed} but has {len(sources)}.",
                             f"Drag from another block's output port to {node.name}'s input port.")
                elif not port.variadic and len(sources) > 1:
                    self.add(node, ERROR,
                             f"{node.name}: {node.spec.title} takes one input but gets {len(sources)} "
                             f"({', '.join(sources)}).",
                             f"Remove all but one edge, or join them first with an Add or a Concat.")

    def check_cycles(self) -> list[str]:
        """Kahn's algorithm; whatever cannot be ordered lies on or after a cycle."""
        pending = {node_id: len(self.inputs_of[node_id]) for node_id in self.graph.nodes}
        ready = deque(node_id for node_id, count in pending.items() if count == 0)
        order: list[str] = []
        while ready:
            current = ready.popleft()
            order.append(current)
            for target in self.outputs_of[current]:
                pending[target] -= 1
                if pending[target] == 0:
                    ready.append(target)
        for cycle in self._cycles(set(self.graph.nodes) - set(order)):
            cycle = self._rotate_to_entry(cycle)
            names = [self.graph.nodes[n].name for n in cycle]
            loop = " → ".join([*names, names[0]])
            for node_id in cycle:
                self.add(self.graph.nodes[node_id], ERROR, f"{self.graph.nodes[node_id].name} is on a cycle: {loop}.",
                         f"Networks must flow one way: delete the edge {names[-1]} → {names[0]}.")
        return order

    def _rotate_to_entry(self, cycle: list[str]) -> list[str]:
        """Starts the cycle at the node also fed from outside it, so its last edge is the one leading back."""
        members = set(cycle)
        for index, node_id in enumerate(cycle):
            if any(src not in members for src in self.inputs_of[node_id]):
                return cycle[index:] + cycle[:index]
        return cycle

    def _cycles(self, remaining: set[str]) -> list[list[str]]:
        """One cycle for each group of nodes that loop; nodes merely downstream are skipped."""
        cycles, on_cycle = [], set()
        for start in sorted(remaining):
            if start in on_cycle:
                continue
            path, index, node_id = [], {}, start
            while node_id not in index and node_id not in on_cycle:
                index[node_id] = len(path)
                path.append(node_id)
                # Follow any predecessor that is still unordered: it exists by construction.
                node_id = next(src for src in self.inputs_of[node_id] if src in remaining)
            if node_id in index:
                cycle = list(reversed(path[index[node_id]:]))
                on_cycle.update(cycle)
                cycles.append(cycle)
        return cycles

    def check_reachability(self) -> None:
        """A chain cut off from the Input or the Output is one problem, told where the cut is.

        Nodes after a node with no input (an arity error already) wait for it: they are not
        problems of their own. Of a chain that never reaches the Output only its loose end is
        named, and when some node lacks an input, that error names the loose end to connect.
        """
        outputs = [n.id for n in self.of_type.get("output", ())]
        used = reachable_from(outputs, self.inputs_of)
        fed = reachable_from([n.id for n in self.of_type.get("input", ())], self.outputs_of)
        # The end of a chain that is fed but leads nowhere (one that is not fed waits for its start).
        loose_ends = [node for node in self.graph.nodes.values()
                      if outputs and node.id not in used and node.id in fed and node.spec.outputs
                      and not self.outputs_of[node.id] and not self.reports[node.id].has_error]
        starved = [issue for issue in self.issues if issue.node_id and "needs an input but has 0" in issue.message]
        if loose_ends and starved:
            names = " or ".join(node.name for node in loose_ends[:3])
            for issue in starved:
                name = self.graph.nodes[issue.node_id].name
                self._replace(issue, Issue(issue.node_id, issue.severity, issue.message,
                                           f"Drag from another block's output port ({names}, left unconnected) "
                                           f"to {name}'s input port."))
            return
        for node in loose_ends:
            self.add(node, WARNING, f"{node.name}'s result is never used: it does not lead to the Output.",
                     f"Connect {node.name} onwards to the Output, or delete it.")

    def _replace(self, old: Issue, new: Issue) -> None:
        self.issues[self.issues.index(old)] = new
        issues = self.reports[old.node_id].issues
        issues[issues.index(old)] = new

    def check_groups(self, order: list[str]) -> None:
        """A composite must be wired through its boundary, or its collapsed card would lie."""
        if not self.graph.groups:
            return
        position = {edge: index for index, edge in enumerate(self.graph.edges)}
        rank = {node_id: index for index, node_id in enumerate(order)}
        for group in self.graph.groups.values():
            slot_of = {port: index for index, slot in enumerate(group.inputs) for port in slot}
            sources: dict[int, set] = defaultdict(set)
            anchor = self.graph.nodes[group.output or next(iter(group.members), None)] if group.members else None
            # Only edges touching the block matter, in the graph's order (so messages keep their order).
            touching = sorted({edge for member in group.members
                               for edge in (*self.graph.incoming(member), *self.graph.outgoing(member))},
                              key=position.__getitem__)
            for edge in touching:
                inside_src, inside_dst = edge.src in group.members, edge.dst in group.members
                src, dst = self.graph.nodes[edge.src], self.graph.nodes[edge.dst]
                if inside_dst and not inside_src:
                    slot = slot_of.get((edge.dst, edge.dst_port))
                    if slot is None:
                        self.add(dst, ERROR, f"{src.name} feeds {dst.name} inside the block {group.name}, "
                                             "but that is not one of the block's inputs.",
                                 f"Ungroup {group.name} and group it again, or connect {src.name} to the block's input.")
                    else:
                        sources[slot].add(src.name)
                elif inside_src and not inside_dst and edge.src != group.output:
                    self.add(src, ERROR, f"{src.name} inside the block {group.name} feeds {dst.name} outside it, "
                                         "but a block gives only its output's result.",
                             f"Ungroup {group.name} and group it again so that {src.name} is its output.")
            for slot, names in sources.items():
                if len(names) > 1:
                    self.add(anchor, ERROR, f"Input {slot + 1} of the block {group.name} is fed by "
                                            f"{' and '.join(sorted(names))}; one input takes one source.",
                             "Join them first with an Add or a Concat, or ungroup the block.")
            feeding = {src for slot in group.inputs for node_id, port in slot for src in self.inputs_of[node_id]
                       if src not in group.members}
            downstream = self._downstream_among(group.output, feeding, rank) if group.output else set()
            looping = sorted({self.graph.nodes[src].name for src in feeding if src in downstream})
            if looping:
                self.add(anchor, ERROR, f"The block {group.name} feeds {', '.join(looping)}, which feeds the block "
                                        "again: as one card it would be a cycle.",
                         f"Ungroup {group.name}, or take {looping[0]} into it.")
            if group.output is None and anchor is not None:
                self.add(anchor, ERROR, f"The block {group.name} has no output node (it was deleted).",
                         f"Ungroup {group.name}, or group its nodes again.")

    def _downstream_among(self, start: str, candidates: set[str], rank: dict[str, int]) -> set[str]:
        """The ``candidates`` reachable from ``start``. In topological order an edge only leads to a later
        node, so nodes ranked after every candidate are not followed: the walk stays near ``start`` instead
        of crossing the rest of the network for each block. Unranked nodes (on or after a cycle) reach
        only unranked ones, so an unranked candidate lifts the bound."""
        if not candidates:
            return set()
        limit = max(rank.get(candidate, math.inf) for candidate in candidates)
        seen, pending = {start}, [start]
        while pending:
            for other in self.outputs_of[pending.pop()]:
                if other not in seen and rank.get(other, math.inf) <= limit:
                    seen.add(other)
                    pending.append(other)
        return seen & candidates

    def check_module_paths(self) -> None:
        """Two modules at one path (or one inside another) would overwrite each other's weights."""
        paths = [(self._module_path(n), n) for n in self.graph.nodes.values() if n.spec.module]
        if len({path for path, _ in paths}) == len(paths) and not any("." in path for path, _ in paths):
            return  # distinct paths with no dots cannot nest: nothing to sort (most graphs without blocks)
        paths.sort(key=lambda pair: pair[0])
        for (path, node), (next_path, other) in zip(paths, paths[1:]):
            if next_path == path or next_path.startswith(path + "."):
                self.add(other, ERROR, f"{other.name}'s weights would live at {next_path}, inside "
                                       f"{node.name}'s ({path}).", f"Rename {node.name} or the block.")

    def _module_path(self, node: Node) -> str:
        """``Graph.module_path`` from this check's own block index."""
        group = self.group_of.get(node.id)
        return f"{group.name}.{group.members[node.id]}" if group else node.name

    def check_reserved_names(self) -> None:
        """A name the compiled module already has (``forward``, ``training``…) would overwrite it:
        training would die with a traceback, so the card says so first."""
        taken = {node.name for node in self.graph.nodes.values()}
        for node in self.graph.nodes.values():
            problem = reserved_name_problem(node.name)
            if problem:
                self.add(node, ERROR, f"{node.name}: {problem}.",
                         f"Rename it, e.g. to {free_variant(node.name, taken)}.")
                continue
            group = self.group_of.get(node.id)
            if group is not None and node.spec.module is not None:
                local = group.members[node.id]
                part = next((p for p in local.split(".") if reserved_name_problem(p)), None)
                if part:
                    self.add(node, ERROR, f"{node.name}: its name inside {group.name}, {local}, cannot be used: "
                                          f"{reserved_name_problem(part)}.", f"Give it another name inside {group.name}.")
        for group in self.graph.groups.values():
            part = next((p for p in group.name.split(".") if reserved_name_problem(p)), None)
            anchor = self.graph.nodes.get(group.output or next(iter(group.members), ""))
            if part and anchor is not None:
                self.add(anchor, ERROR, f"The block {group.name} cannot have that name: {reserved_name_problem(part)}.",
                         f"Rename the block, e.g. to {free_variant(part)}{group.name[len(part):] if group.name.startswith(part) else ''}.")

    def infer(self, order: list[str]) -> None:
        for node_id in order:
            node, report = self.graph.nodes[node_id], self.reports[node_id]
            if report.has_error:
                continue
            sources = self.inputs_of[node_id]
            shapes = [self.reports[src].output_shape for src in sources]
            if any(shape is None for shape in shapes):
                continue  # upstream already reported what is wrong
            report.input_shapes = shapes
            output, cost, problem = infer_node(node, shapes)
            if problem is None and node.type == "output" and self.task is not None:
                problem = self.task_output_problem(output, sources)
            if problem is not None:
                message, hint = problem
                self.add(node, ERROR, f"{node.name}: {self._fill(message, node, sources)}",
                         self._fill(hint, node, sources))
                continue
            if math.prod(output) > MAX_ELEMENTS:
                self.add(node, ERROR,
                         f"{node.name}: its output {format_shape(output)} has {math.prod(output):,} values per "
                         f"image, more than this tool allows ({MAX_ELEMENTS:,}).",
                         "Reduce the image size or the number of channels.")
                continue
            report.output_shape, report.params, report.macs = output, cost.params, cost.macs

    def task_output_problem(self, output: Shape, sources: list[str]) -> tuple[str, str] | None:
        """The task decides what the Output must receive (class scores, a mask at the Input's size)."""
        inputs = self.graph.nodes_of_type("input")
        input_shape = self.reports[inputs[0].id].output_shape if len(inputs) == 1 else None
        problem = self.task.check_output(output, input_shape, self.graph.nodes[sources[0]].name)
        return (problem.message, problem.hint) if problem is not None else None

    def mark_waiting(self, order: list[str]) -> None:
        """Nodes without a shape because of a problem upstream wait for it (named: the first cause)."""
        pending = [node_id for node_id in [*order, *sorted(set(self.graph.nodes) - set(order))]
                   if self.reports[node_id].output_shape is None and not self.reports[node_id].has_error
                   and self.graph.nodes[node_id].type != "input"]
        changed = True
        while changed:  # nodes after a cycle are in no order: repeat until nothing more is learnt
            changed = False
            for node_id in pending:
                report = self.reports[node_id]
                if report.waiting_for is not None:
                    continue
                for src in self.inputs_of[node_id]:
                    source = self.reports[src]
                    if source.has_error or source.waiting_for is not None:
                        report.waiting_for = source.waiting_for or self.graph.nodes[src].name
                        changed = True
                        break

    def _fill(self, text: str, node: Node, sources: list[str]) -> str:
        names = [self.graph.nodes[src].name for src in sources]
        described = ", ".join(f"{self.graph.nodes[src].name} ({format_shape(self.reports[src].output_shape)})"
                              for src in sources)
        return text.format(node=node.name, inputs=described, source=names[0] if names else "its input")

    def check_totals(self) -> None:
        total = sum(report.params for report in self.reports.values())
        if total > MAX_PARAMS:
            biggest = max(self.reports.values(), key=lambda r: r.params)
            node = self.graph.nodes[biggest.node_id]
            self.add(node, ERROR, f"The network has {total:,} parameters, more than this tool allows "
                                  f"({MAX_PARAMS:,}); {node.name} alone has {biggest.params:,}.",
                     f"Shrink {node.name}: fewer units or channels, or pool more before it.")


    def check_memory(self) -> MemoryEstimate:
        """Warns on the Output card when training would need more memory than this machine has
        (so a huge network is not "ready to train" until it allocates gigabytes and fails)."""
        reports = self.reports.values()
        needed = estimate(sum(r.params for r in reports), [r.output_shape for r in reports],
                          self.batch_size, self.optimizer)
        available = self.available_memory
        if available and needed.training > available and not any(i.severity == ERROR for i in self.issues):
            biggest = self.graph.nodes[max(reports, key=lambda r: r.params).node_id]
            outputs = self.of_type.get("output", [])
            self.add(outputs[0] if outputs else biggest, WARNING,
                     f"Training this network needs {needed.describe()}, more than this machine's "
                     f"{gigabytes(available)} of memory.",
                     f"Shrink {biggest.name} (the largest layer), lower the batch size, or train on a "
                     "machine with more memory.")
        return needed


# What each (block type, parameters, input shapes) gave, so that rerunning the analysis after an edit
# infers again only the nodes whose inputs or parameters changed: the shape rules are pure functions of
# those. Unbounded growth is cut by starting afresh (a new graph's nodes refill it in one analysis).
_INFERRED: dict[tuple, tuple] = {}
_INFERRED_LIMIT = 50_000


def _frozen(value):
    """A hashable stand-in for a parameter value (lists become tuples)."""
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, dict):
        return tuple((key, _frozen(item)) for key, item in value.items())
    return value


def infer_node(node: Node, shapes: list[Shape]) -> tuple[Shape | None, object, tuple[str, str] | None]:
    """``(output shape, Cost, None)``, or ``(None, None, (message, hint))`` when the shape rule refuses."""
    key = (node.type, tuple(node.params.items()), tuple(shapes))
    try:
        found = _INFERRED.get(key)
    except TypeError:  # a list among the parameters
        key = (node.type, _frozen(node.params), tuple(shapes))
        try:
            found = _INFERRED.get(key)
        except TypeError:  # an unhashable value after all: infer without remembering
            key, found = None, None
    if found is not None:
        return found
    spec = node.spec
    try:
        output = spec.infer_shape(node.params, shapes)
    except ShapeError as error:
        found = (None, None, (error.message, error.hint))
    else:
        found = (output, spec.cost(node.params, shapes, output) if math.prod(output) <= MAX_ELEMENTS else None,
                 None)
    if key is not None:
        if len(_INFERRED) >= _INFERRED_LIMIT:
            _INFERRED.clear()
        _INFERRED[key] = found
    return found


def group_report(analysis: Analysis, group) -> NodeReport:
    """A composite's totals as one report: its output's shape, its members' params, MACs and issues."""
    reports = [analysis.nodes[node_id] for node_id in group.members if node_id in analysis.nodes]
    output = analysis.nodes.get(group.output) if group.output else None
    first_inputs = [analysis.nodes[n].input_shapes for slot in group.inputs[:1] for n, _ in slot[:1]
                    if n in analysis.nodes]
    issues = [issue for r in reports for issue in r.issues]
    waiting = next((r.waiting_for for r in reports if r.waiting_for), None)
    return NodeReport(group.id, output.output_shape if output else None, first_inputs[0] if first_inputs else [],
                      sum(r.params for r in reports), sum(r.macs for r in reports), issues,
                      None if issues else waiting)


def analyze(graph: Graph, *, batch_size: int = 1, optimizer: str = "adam",
            available_memory: int | None = None, task: str | None = DEFAULT_TASK) -> Analysis:
    """Shapes, parameter counts, MACs and issues for every node of ``graph``.

    ``task`` (engine.tasks) decides what the Output must receive: the error sits on the Output card.
    ``task=None`` checks the structure only (any Output shape): what compiling and code generation need,
    whatever the task.
    ``batch_size`` and ``optimizer`` (the training settings) size the memory estimate, which is
    checked against ``available_memory`` bytes (None: this machine's physical memory)."""
    memory = machine_memory() if available_memory is None else available_memory
    return _Checker(graph, batch_size, optimizer, memory, None if task is None else task_for(task)).run()
