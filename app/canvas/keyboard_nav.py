"""Moving the canvas selection along the network with the arrow keys (issue 24, item 2).

The keys follow the graph, not the picture: along the flow (Right, or Down in
a top-to-bottom network) goes to the block the selected one feeds, against it
to the block feeding it, and across it to the next block beside it in the same
branch (another block fed by the same one, or feeding the same one), ordered as
they lie on the canvas. A wrapped chain therefore still reads in order. Cards
are what is on show: a collapsed block is one stop, its members are not.
"""
from __future__ import annotations

DOWNSTREAM, UPSTREAM, NEXT, PREVIOUS = "downstream", "upstream", "next", "previous"


def _members(document, key: str) -> set[str]:
    graph = document.graph
    return set(graph.groups[key].members) if key in graph.groups else {key}


def _ordered(document, keys, across: int) -> list[str]:
    """Card keys without repeats, ordered along the axis ``across`` (0: x, 1: y) of their spots."""
    spots = document.card_spots()
    keys = [key for key in dict.fromkeys(keys) if key in spots]
    return sorted(keys, key=lambda key: (spots[key][across], spots[key][1 - across]))


def downstream(document, key: str, across: int) -> list[str]:
    """The cards ``key`` feeds, ordered across the flow."""
    graph, members = document.graph, _members(document, key)
    fed = [edge.dst for node in members for edge in graph.outgoing(node) if edge.dst not in members]
    return _ordered(document, (document.card_key(node) for node in fed), across)


def upstream(document, key: str, across: int) -> list[str]:
    """The cards feeding ``key``, ordered across the flow."""
    graph, members = document.graph, _members(document, key)
    feeding = [edge.src for node in members for edge in graph.incoming(node) if edge.src not in members]
    return _ordered(document, (document.card_key(node) for node in feeding), across)


def siblings(document, key: str, across: int) -> list[str]:
    """``key`` and the cards beside it: fed by the same card, or feeding the same card."""
    near = [sibling for parent in upstream(document, key, across)
            for sibling in downstream(document, parent, across)]
    near += [sibling for child in downstream(document, key, across)
             for sibling in upstream(document, child, across)]
    return _ordered(document, [key, *near], across)


def first_card(document) -> str | None:
    """Where the keys start with nothing selected: the (first) Input, else the top-left card."""
    inputs = [document.card_key(node.id) for node in document.graph.nodes_of_type("input")]
    spots = document.card_spots()
    candidates = [key for key in inputs if key in spots] or list(spots)
    return min(candidates, key=lambda key: (spots[key][0], spots[key][1]), default=None)


def step(document, key: str | None, move: str, vertical: bool) -> str | None:
    """The card to select after ``move`` from ``key`` (None: stay where it is)."""
    if key is None or key not in document.card_spots():
        return first_card(document)
    across = 0 if vertical else 1  # siblings lie side by side across the flow
    if move == DOWNSTREAM:
        return next(iter(downstream(document, key, across)), None)
    if move == UPSTREAM:
        return next(iter(upstream(document, key, across)), None)
    row = siblings(document, key, across)
    index = row.index(key) + (1 if move == NEXT else -1)
    return row[index] if 0 <= index < len(row) else None
