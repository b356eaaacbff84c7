"""A tidy automatic layout: a simplified Sugiyama (layered) drawing of a graph.

1. Layers: each node sits one layer after its furthest predecessor (longest
   path from the Input), so every edge points forwards. Edges that close a
   cycle are left out of this, and sources not fed by the Input are pulled
   forwards next to the node they feed.
2. Long edges get invisible placeholder nodes in the layers they cross, so
   that they reserve a lane of their own.
3. Order within layers: barycentre sweeps (down, then up, ...) keep the
   ordering with the fewest crossings; ties keep the edge order, which puts a
   block's main branch before its shortcut.
4. Lanes: each layer's nodes move as close as they can to the median lane of
   their neighbours while keeping their order and one lane apart (a weighted
   L1 isotonic regression). Placeholders weigh more, so long edges run
   straight: a residual shortcut keeps its lane and the main branch of the
   block runs in the lane beside it, never on top of the shortcut.

Separate parts of the graph are laid out one after the other across the
flow, the part holding the Input first and lone nodes last, in one row.
Everything is deterministic and cheap (ResNet-50 takes a few milliseconds).
"""
from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace

from .graph import Edge, Graph, reachable_from

CARD_WIDTH = 180
"""Width in pixels the layout assumes for a node card (the app draws them this size)."""
CARD_HEIGHT = 70
"""Height in pixels the layout assumes for a node card."""
LAYER_GAP = 80
"""Default room between consecutive layers, for the edges."""
LANE_GAP = 50
"""Default room between parallel lanes."""
PART_GAP = 2 * LANE_GAP
"""Extra room between separate parts of the graph."""

DIRECTIONS = ("LR", "TB")
_SWEEPS = 4
_PLACEHOLDER_WEIGHT = 4.0  # how much more a long edge's placeholder insists on its lane


@dataclass
class _Layered:
    """One connected part as layered vertices: real nodes first, then placeholders."""

    nodes: list[str]
    is_input: list[bool]
    layer: list[int] = field(default_factory=list)
    up: list[list[tuple[int, int]]] = field(default_factory=list)    # (neighbour, edge rank)
    down: list[list[tuple[int, int]]] = field(default_factory=list)

    @property
    def real_count(self) -> int:
        return len(self.nodes)


def tidy_layout(
    graph: Graph, direction: str = "LR", spacing: tuple[float, float] = (LAYER_GAP, LANE_GAP)
) -> dict[str, tuple[int, int]]:
    """Top-left card positions for every node, flowing left to right (``LR``) or top to bottom (``TB``).

    ``spacing`` is (gap between layers, gap between lanes) in pixels; cards are
    assumed to be ``CARD_WIDTH`` × ``CARD_HEIGHT``. Never raises on cycles or
    disconnected nodes.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    layer_gap, lane_gap = spacing
    if layer_gap < 0 or lane_gap < 0:
        raise ValueError(f"spacing must not be negative, got {spacing!r}")
    along, across = (CARD_WIDTH, CARD_HEIGHT) if direction == "LR" else (CARD_HEIGHT, CARD_WIDTH)
    layer_step, lane_step = along + layer_gap, across + lane_gap

    pairs = _edge_pairs(graph)
    parts, loners = _connected_parts(graph, pairs)
    part_of = {node_id: number for number, part in enumerate(parts) for node_id in part}
    edges_of: list[list[tuple[str, str, int]]] = [[] for _ in parts]
    for rank, (src, dst) in enumerate(pairs):
        edges_of[part_of[src]].append((src, dst, rank))
    cells: dict[str, tuple[float, float]] = {}  # node id -> (along, across) in pixels
    offset = 0.0
    for part, edges in zip(parts, edges_of):
        grid = _lay_out_part(graph, part, edges)
        for node_id, (layer, lane) in grid.items():
            cells[node_id] = (layer * layer_step, offset + lane * lane_step)
        offset += (max(lane for _, lane in grid.values()) + 1) * lane_step + PART_GAP
    for index, node_id in enumerate(loners):
        cells[node_id] = (index * layer_step, offset)

    if direction == "LR":
        return {node_id: (round(a), round(b)) for node_id, (a, b) in cells.items()}
    return {node_id: (round(b), round(a)) for node_id, (a, b) in cells.items()}


def wrap_rows(positions: dict[str, tuple[int, int]], per_row: int,
              row_gap: int = LAYER_GAP + LANE_GAP, direction: str = "LR") -> dict[str, tuple[int, int]]:
    """Folds a left-to-right layout into rows of ``per_row`` layers, like lines of text
    (a top-to-bottom one into columns, like a newspaper).

    A long chain (LeNet-5 has 14 layers) is then readable when fitted in a
    window instead of a thin strip; each row keeps its lanes.
    """
    if not positions:
        return {}
    flip = direction == "TB"  # work in (along, across) and turn back at the end
    cells = {key: ((y, x) if flip else (x, y)) for key, (x, y) in positions.items()}
    card_along, card_across = (CARD_HEIGHT, CARD_WIDTH) if flip else (CARD_WIDTH, CARD_HEIGHT)
    layers = sorted({along for along, _ in cells.values()})
    top = min(across for _, across in cells.values())
    row_height = max(across for _, across in cells.values()) - top + card_across + row_gap
    wrapped = {}
    for key, (along, across) in cells.items():
        row, column = divmod(layers.index(along), per_row)
        spot = (column * (card_along + LAYER_GAP), row * row_height + across - top)
        wrapped[key] = (spot[1], spot[0]) if flip else spot
    return wrapped


def layers_per_row(positions: dict[str, tuple[int, int]], aspect: float, direction: str = "LR",
                   row_gap: int = LAYER_GAP + LANE_GAP) -> int:
    """How many layers to a row make the wrapped layout's width : height closest to ``aspect``
    (a view's), so that fitting it in the view needs the least shrinking."""
    if aspect <= 0:
        raise ValueError(f"aspect must be positive, got {aspect!r}")
    flip = direction == "TB"
    card_along, card_across = (CARD_HEIGHT, CARD_WIDTH) if flip else (CARD_WIDTH, CARD_HEIGHT)
    acrosses = [x if flip else y for x, y in positions.values()]
    layers = len({y if flip else x for x, y in positions.values()})
    if layers <= 1:
        return 1
    row_height = max(acrosses) - min(acrosses) + card_across + row_gap

    def badness(per_row: int) -> float:
        rows = -(-layers // per_row)
        along = per_row * (card_along + LAYER_GAP) - LAYER_GAP
        across = rows * row_height - row_gap
        width, height = (across, along) if flip else (along, across)
        # The fitted zoom is min(view_w / width, view_h / height): best when the shapes match.
        return abs(math.log((width / height) / aspect))

    return min(range(1, layers + 1), key=lambda per_row: (badness(per_row), -per_row))


def collapsed_view(graph: Graph):
    """The graph as the canvas shows it: each collapsed composite block is one vertex
    (keyed by its group id) standing for all its members; enough of a ``Graph`` for
    ``tidy_layout``."""
    stands_for = {node_id: group.id for group in graph.groups.values() if group.collapsed
                  for node_id in group.members}
    nodes = {node_id: node for node_id, node in graph.nodes.items() if node_id not in stands_for}
    for group in graph.groups.values():
        if group.collapsed:
            nodes[group.id] = SimpleNamespace(type="group")
    edges = [Edge(stands_for.get(e.src, e.src), stands_for.get(e.dst, e.dst), e.src_port, e.dst_port)
             for e in graph.edges if stands_for.get(e.src, e.src) != stands_for.get(e.dst, e.dst)]
    return SimpleNamespace(nodes=nodes, edges=edges)


def members_view(graph: Graph, group):
    """Just one composite's members and the edges between them."""
    nodes = {node_id: graph.nodes[node_id] for node_id in group.members}
    return SimpleNamespace(nodes=nodes, edges=[e for e in graph.edges if e.src in nodes and e.dst in nodes])


def grouped_layout(graph: Graph, direction: str = "LR", per_row: int | None = None,
                   aspect: float | None = None) -> dict[str, tuple[int, int]]:
    """Positions for what the canvas shows (collapsed blocks as one card) and, for every
    composite, its members laid out from the block's own position, ready to expand into.

    Long chains wrap into rows of ``per_row`` layers or, given the view's ``aspect``
    (width / height), into as many rows as make the layout the view's shape."""
    positions = tidy_layout(collapsed_view(graph), direction)
    if aspect and positions:
        per_row = layers_per_row(positions, aspect, direction)
    if per_row:
        positions = wrap_rows(positions, per_row, direction=direction)
    for group in graph.groups.values():
        inner = tidy_layout(members_view(graph, group), direction)
        if group.collapsed:
            left, top = positions[group.id]
        else:  # an expanded block's members were laid out among the rest: keep them there
            left, top = (min(positions[n][i] for n in group.members) for i in (0, 1))
        positions.update({node_id: (left + x, top + y) for node_id, (x, y) in inner.items()})
    return positions


def apply_layout(graph: Graph, positions: dict[str, tuple[float, float]]) -> None:
    """Moves each node (and composite block, by group id) to its position, through the
    graph's methods, so views follow."""
    for key, (x, y) in positions.items():
        if key in graph.nodes:
            graph.set_ui(key, x=x, y=y)
        elif key in graph.groups:
            graph.update_group(key, ui={**graph.groups[key].ui, "x": x, "y": y})


# --- parts ---------------------------------------------------------------------


def _edge_pairs(graph: Graph) -> list[tuple[str, str]]:
    """Distinct (source, target) pairs in edge order, without self-loops or dangling ends."""
    seen: set[tuple[str, str]] = set()
    pairs = []
    for edge in graph.edges:
        pair = (edge.src, edge.dst)
        if edge.src != edge.dst and edge.src in graph.nodes and edge.dst in graph.nodes and pair not in seen:
            seen.add(pair)
            pairs.append(pair)
    return pairs


def _connected_parts(graph: Graph, pairs: list[tuple[str, str]]) -> tuple[list[list[str]], list[str]]:
    """Parts with edges (the Input's first, then by first node) and the lone nodes."""
    neighbours: dict[str, list[str]] = {node_id: [] for node_id in graph.nodes}
    for src, dst in pairs:
        neighbours[src].append(dst)
        neighbours[dst].append(src)
    rank = {node_id: index for index, node_id in enumerate(graph.nodes)}
    seen: set[str] = set()
    parts, loners = [], []
    for start in graph.nodes:
        if start in seen:
            continue
        seen.add(start)
        part, stack = [], [start]
        while stack:
            current = stack.pop()
            part.append(current)
            for other in neighbours[current]:
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        if len(part) == 1:
            loners.append(start)
        else:
            parts.append(sorted(part, key=rank.__getitem__))
    parts.sort(key=lambda part: (not any(graph.nodes[n].type == "input" for n in part), rank[part[0]]))
    return parts, loners


def _lay_out_part(graph: Graph, part: list[str], edges: list[tuple[str, str, int]]) -> dict[str, tuple[int, int]]:
    """(layer, lane) of each node of one connected part, both counted from 0; ``edges`` carry their rank."""
    index = {node_id: i for i, node_id in enumerate(part)}
    layered = _Layered(part, [graph.nodes[n].type == "input" for n in part])
    forward = _forward_edges(layered, [(index[src], index[dst], rank) for src, dst, rank in edges])
    layered.layer = _layers(layered, forward)
    _add_placeholders(layered, forward)
    order = _order_layers(layered)
    lanes = _assign_lanes(layered, order)
    low = min(lanes)
    return {node_id: (layered.layer[i], round(lanes[i] - low)) for i, node_id in enumerate(part)}


# --- layers --------------------------------------------------------------------


def _forward_edges(layered: _Layered, edges: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The edges minus those that close a cycle (found by depth-first search from the sources)."""
    count = layered.real_count
    outgoing: list[list[tuple[int, int]]] = [[] for _ in range(count)]
    has_input = [False] * count
    for src, dst, rank in edges:
        outgoing[src].append((dst, rank))
        has_input[dst] = True
    starts = sorted(range(count), key=lambda v: (not layered.is_input[v], has_input[v], v))
    state = [0] * count  # 0 unseen, 1 on the current path, 2 done
    backward: set[int] = set()
    for start in starts:
        if state[start]:
            continue
        state[start] = 1
        stack = [(start, iter(outgoing[start]))]
        while stack:
            vertex, successors = stack[-1]
            for dst, rank in successors:
                if state[dst] == 1:
                    backward.add(rank)
                elif state[dst] == 0:
                    state[dst] = 1
                    stack.append((dst, iter(outgoing[dst])))
                    break
            else:
                state[vertex] = 2
                stack.pop()
    return [edge for edge in edges if edge[2] not in backward]


def _layers(layered: _Layered, forward: list[tuple[int, int, int]]) -> list[int]:
    count = layered.real_count
    successors: list[list[int]] = [[] for _ in range(count)]
    pending = [0] * count
    for src, dst, _ in forward:
        successors[src].append(dst)
        pending[dst] += 1
    ready = deque(v for v in range(count) if pending[v] == 0)
    topological, layer = [], [0] * count
    while ready:
        vertex = ready.popleft()
        topological.append(vertex)
        for dst in successors[vertex]:
            layer[dst] = max(layer[dst], layer[vertex] + 1)
            pending[dst] -= 1
            if pending[dst] == 0:
                ready.append(dst)
    # Sources the Input does not feed (and what only they feed) move up to their first consumer.
    fed = reachable_from((v for v in range(count) if layered.is_input[v]), successors)
    for vertex in reversed(topological):
        if vertex not in fed and successors[vertex]:
            layer[vertex] = min(layer[dst] for dst in successors[vertex]) - 1
    low = min(layer)
    return [value - low for value in layer]


def _add_placeholders(layered: _Layered, forward: list[tuple[int, int, int]]) -> None:
    """Links consecutive layers only: an edge spanning k layers gets k - 1 placeholders."""
    total = layered.real_count
    layered.up = [[] for _ in range(total)]
    layered.down = [[] for _ in range(total)]
    for src, dst, rank in forward:
        previous = src
        for step in range(layered.layer[src] + 1, layered.layer[dst]):
            placeholder = len(layered.layer)
            layered.layer.append(step)
            layered.up.append([])
            layered.down.append([])
            _link(layered, previous, placeholder, rank)
            previous = placeholder
        _link(layered, previous, dst, rank)


def _link(layered: _Layered, src: int, dst: int, rank: int) -> None:
    layered.down[src].append((dst, rank))
    layered.up[dst].append((src, rank))


# --- order within layers ----------------------------------------------------------


def _order_layers(layered: _Layered) -> list[list[int]]:
    depth = max(layered.layer) + 1
    order: list[list[int]] = [[] for _ in range(depth)]
    # Inputs first, then the other sources in node order.
    for vertex in sorted(range(len(layered.layer)), key=lambda v: (not _is_input(layered, v), v)):
        order[layered.layer[vertex]].append(vertex)
    down_sweep = (layered.up, range(1, depth), -1)
    up_sweep = (layered.down, range(depth - 2, -1, -1), 1)
    _sweep(order, *down_sweep)
    best, fewest = [list(row) for row in order], _crossings(order, layered.down)
    for iteration in range(_SWEEPS):
        if fewest == 0:
            break
        _sweep(order, *(up_sweep if iteration % 2 == 0 else down_sweep))
        crossings = _crossings(order, layered.down)
        if crossings < fewest:
            best, fewest = [list(row) for row in order], crossings
    return best


def _is_input(layered: _Layered, vertex: int) -> bool:
    return vertex < layered.real_count and layered.is_input[vertex]


def _sweep(order: list[list[int]], neighbours: list[list[tuple[int, int]]], layers: Iterable[int],
           step: int) -> None:
    """Sorts each layer by the mean position of its neighbours in layer ``layer + step``.

    Ties keep the rank of the edge (its place in the graph's edge order), then the current order.
    """
    for layer in layers:
        position = {v: i for i, v in enumerate(order[layer + step])}
        keys = {}
        for current, vertex in enumerate(order[layer]):
            near = [(position[n], rank) for n, rank in neighbours[vertex]]
            if near:
                keys[vertex] = (sum(p for p, _ in near) / len(near), min(rank for _, rank in near), current)
            else:
                keys[vertex] = (float(current), -1, current)
        order[layer].sort(key=keys.__getitem__)


def _crossings(order: list[list[int]], down: list[list[tuple[int, int]]]) -> int:
    total = 0
    for upper, lower in zip(order, order[1:]):
        position = {v: i for i, v in enumerate(lower)}
        segments = [(i, position[dst]) for i, v in enumerate(upper) for dst, _ in down[v]]
        for a in range(len(segments)):
            for b in range(a + 1, len(segments)):
                (u1, l1), (u2, l2) = segments[a], segments[b]
                if (u1 - u2) * (l1 - l2) < 0:
                    total += 1
    return total


# --- lanes ---------------------------------------------------------------------------


def _assign_lanes(layered: _Layered, order: list[list[int]]) -> list[float]:
    lane = [0.0] * len(layered.layer)
    for row in order:
        for i, vertex in enumerate(row):
            lane[vertex] = float(i)
    weight = [1.0 if v < layered.real_count else _PLACEHOLDER_WEIGHT for v in range(len(lane))]
    depth = len(order)
    for layers, neighbours in ((range(1, depth), layered.up), (range(depth - 2, -1, -1), layered.down),
                               (range(1, depth), layered.up)):
        for layer in layers:
            row = order[layer]
            wanted = [_median_lane(lane, neighbours[v], lane[v]) for v in row]
            for vertex, value in zip(row, _closest_ordered(wanted, [weight[v] for v in row])):
                lane[vertex] = value
    return lane


def _median_lane(lane: list[float], neighbours: list[tuple[int, int]], current: float) -> float:
    """The upper median of the neighbours' lanes: with two inputs, the later one (the shortcut) wins."""
    if not neighbours:
        return current
    values = sorted(lane[n] for n, _ in neighbours)
    return values[len(values) // 2]


def _closest_ordered(wanted: list[float], weights: list[float]) -> list[float]:
    """Lanes y_i with y_i >= y_(i-1) + 1 minimising sum w_i |y_i - wanted_i| (pool-adjacent-violators)."""
    blocks: list[tuple[list[tuple[float, float]], float]] = []  # ((target, weight) values, block value)
    for i, (target, weight) in enumerate(zip(wanted, weights)):
        values = [(target - i, weight)]
        value = target - i
        while blocks and blocks[-1][1] > value:
            previous, _ = blocks.pop()
            values = previous + values
            value = _weighted_lower_median(values)
        blocks.append((values, value))
    result: list[float] = []
    for values, value in blocks:
        for _ in values:
            result.append(value + len(result))
    return result


def _weighted_lower_median(values: list[tuple[float, float]]) -> float:
    ordered = sorted(values)
    half = sum(weight for _, weight in ordered) / 2
    running = 0.0
    for target, weight in ordered:
        running += weight
        if running >= half:
            return target
    return ordered[-1][0]
