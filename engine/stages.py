"""Stages: a composite block repeated in a chain (ResNet's ``layer1.0``, ``layer1.1``…), and how many times.

A *stage* is named by its path prefix: ``layer1`` holds the blocks ``layer1.0``, ``layer1.1``… each fed by
the one before; a block alone (``block1``) is a stage of one. ``set_repeats`` gives a stage N blocks: it
keeps the first ones and removes the rest, or appends copies of the last one (same composite type, own
weights) between it and what it fed. A copy's input channels come from the block before it, since every
layer reads its input's size, so channels stay consistent; what cannot be kept consistent is a block that
changes the shape it is fed (a downsampling block): fed its own result it gives another shape again, so
its copies do not chain and ``repeat_problem`` refuses them, naming the block.

Sweeps use this for ``--param layer1.repeat=1..4``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .catalogue import format_shape
from .graph import Graph
from .layout import apply_layout, grouped_layout
from .groups import Group, unique_path
from .library import insert_template, template_from_group

REPEAT_KEY = "repeat"
MAX_REPEATS = 32
"""More blocks than this in one stage is surely a typo (ResNet-152's longest stage has 36, unswept)."""


class StageError(ValueError):
    """A stage that cannot be found or repeated; one line naming the block and why."""


@dataclass(frozen=True)
class Stage:
    name: str
    blocks: list[Group]
    """The stage's blocks in chain order (by their index)."""

    @property
    def count(self) -> int:
        return len(self.blocks)

    def label(self, group: Group) -> str:
        return f"{group.name} ({group.type})"


def find_stage(graph: Graph, name: str) -> Stage:
    """The blocks ``name.0``, ``name.1``… (or the one block ``name``), checked to form a chain."""
    pattern = re.compile(re.escape(name) + r"\.(\d+)\Z")
    numbered = sorted(((int(found[1]), group) for group in graph.groups.values()
                       if (found := pattern.match(group.name))), key=lambda pair: pair[0])
    blocks = [group for _, group in numbered]
    if not blocks and not _is_numbered(name):  # ``layer1.0`` is one block of the stage ``layer1``
        blocks = [group for group in graph.groups.values() if group.name == name]
    if not blocks:
        raise StageError(_not_a_stage(graph, name))
    stage = Stage(name, blocks)
    _check_chain(graph, stage)
    return stage


def stages(graph: Graph) -> list[Stage]:
    """Every stage whose blocks form a chain, in graph order (what a sweep may repeat)."""
    names: list[str] = []
    for group in graph.groups.values():
        stem, dot, last = group.name.rpartition(".")
        name = stem if dot and last.isdigit() else group.name
        if name not in names:
            names.append(name)
    found = []
    for name in names:
        try:
            found.append(find_stage(graph, name))
        except StageError:
            continue
    return found


def set_repeats(graph: Graph, name: str, count: int) -> None:
    """Gives the stage ``name`` ``count`` blocks, in place: the first ``count`` kept, or copies of the last
    appended; what the stage's last block fed is fed by the new last block."""
    if not 1 <= count <= MAX_REPEATS:
        raise StageError(f"{name} can repeat 1 to {MAX_REPEATS} times, not {count}")
    stage = find_stage(graph, name)
    if count == stage.count:
        return
    last = stage.blocks[-1]
    leaving = [edge for edge in graph.outgoing(last.output) if edge.dst not in last.members]
    if count < stage.count:
        for group in stage.blocks[count:]:
            graph.discard_group(group.id)  # deleted with its members, not ungrouped
            for node_id in list(group.members):
                graph.remove_node(node_id)
        end = stage.blocks[count - 1]
    else:
        for edge in leaving:
            graph.disconnect(edge)
        template = template_from_group(graph, last)
        end = last
        for index in range(stage.count, count):
            copy = insert_template(graph, template, _copy_path(graph, stage, index))
            for node_id, port in copy.inputs[0]:
                graph.connect(end.output, node_id, "out", port)
            end = copy
    for edge in leaving:
        graph.connect(end.output, edge.dst, edge.src_port, edge.dst_port)
    apply_layout(graph, grouped_layout(graph))  # the network opens tidy on the canvas, copies in line


def repeat_problem(graph: Graph, name: str, counts, analyse) -> str | None:
    """Why the stage ``name`` cannot have each of ``counts`` blocks, or None.

    ``analyse(graph)`` is the caller's analysis (its batch size and task); its first error names the node."""
    try:
        stage = find_stage(graph, name)
    except StageError as error:
        return str(error)
    last = stage.blocks[-1]
    if any(count > stage.count for count in counts):
        chained = graph.copy()
        set_repeats(chained, name, stage.count + 1)
        analysis = analyse(chained)
        copy = find_stage(chained, name).blocks[-1]
        fed, gave = (analysis.nodes[node].output_shape if node in analysis.nodes else None
                     for node in (last.output, copy.output))
        if fed is not None and gave is not None and fed != gave:
            return (f"{stage.label(last)} changes the shape it is fed: a copy fed its result "
                    f"{format_shape(fed)} would give {format_shape(gave)}, so copies of it do not chain "
                    "(repeat a block that keeps its input's shape)")
        if not analysis.valid:
            return f"a copy of {stage.label(last)} does not fit: {analysis.errors[0]}"
    for count in sorted(set(counts)):
        if count == stage.count:
            continue
        changed = graph.copy()
        try:
            set_repeats(changed, name, count)
        except StageError as error:
            return str(error)
        analysis = analyse(changed)
        if not analysis.valid:
            return f"with {count} block{'s' if count > 1 else ''} in {name}, the network does not fit: " \
                   f"{analysis.errors[0]}"
    return None


def _copy_path(graph: Graph, stage: Stage, index: int) -> str:
    """``layer1.2`` after ``layer1.0`` and ``layer1.1``; ``block1_2`` after a lone ``block1``."""
    numbered = stage.blocks[0].name != stage.name
    wanted = f"{stage.name}.{index}" if numbered else f"{stage.name}_{index + 1}"
    return wanted if graph.path_problem_for(wanted) is None else unique_path(graph, wanted)


def _check_chain(graph: Graph, stage: Stage) -> None:
    """Each block takes one input and feeds the next block only: else a copy has no single place to go."""
    for index, group in enumerate(stage.blocks):
        if len(group.inputs) != 1 or group.output is None:
            raise StageError(f"{stage.label(group)} takes {len(group.inputs)} inputs: only a block with one "
                             "input and one result can be repeated")
        if index + 1 < len(stage.blocks):
            following = stage.blocks[index + 1]
            sources = {edge.src for node_id, port in following.inputs[0] for edge in graph.incoming(node_id, port)
                       if edge.src not in following.members}  # an Add's one port also takes the block's own branch
            if sources != {group.output}:
                raise StageError(f"{stage.label(following)} is not fed by {group.name}: the blocks of "
                                 f"{stage.name} must form a chain to be repeated")
            others = [graph.nodes[edge.dst].name for edge in graph.outgoing(group.output)
                      if edge.dst not in group.members and edge.dst not in following.members]
            if others:
                raise StageError(f"{stage.label(group)} also feeds {', '.join(others)}: only a chain of blocks, "
                                 f"each feeding the next, can be repeated")


def _not_a_stage(graph: Graph, name: str) -> str:
    if graph.node_by_name(name) is not None:
        return (f"{name} is one node, not a block: group the layers to repeat into a block (select them, "
                f"then Group) and sweep BLOCK.{REPEAT_KEY}")
    stem = name.rpartition(".")[0]
    if _is_numbered(name) and any(group.name == name for group in graph.groups.values()):
        return f"{name} is one block of the stage {stem}: sweep {stem}.{REPEAT_KEY}"
    known = ", ".join(stage.name for stage in stages(graph)) or "none (group layers into a block first)"
    return f"the network has no block or stage named {name!r} (stages: {known})"


def _is_numbered(path: str) -> bool:
    stem, dot, last = path.rpartition(".")
    return bool(dot and stem and last.isdigit())
