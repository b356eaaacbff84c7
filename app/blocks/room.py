"""Room for an expanded composite block, and giving it back when the block collapses.

A collapsed block is one card; expanded, its members show where they were
laid out (from the card's corner), inside a frame usually much bigger than
the card. So that they do not land on top of their neighbours, expanding
moves the cards after the block in its row along the flow by the extra
length, and every card wholly past the block's row across the flow by the
extra breadth. Collapsing moves them back by the same rule, so expanding
then collapsing leaves the layout as it was. Plain geometry on positions:
no Qt, the document turns the result into undoable moves.
"""
from __future__ import annotations

from engine.graph import Graph
from engine.groups import Group
from engine.layout import CARD_HEIGHT, CARD_WIDTH

from ..commands import block_position, node_position

FRAME_PAD = 14.0
"""Room between an expanded block's frame and its member cards."""
FRAME_TITLE_H = 26.0
"""The frame's title bar, above the members."""

Rect = tuple[float, float, float, float]  # left, top, right, bottom


def members_corner(graph: Graph, group: Group) -> tuple[float, float]:
    """Top-left corner of the block's member cards (where its collapsed card goes)."""
    spots = [node_position(graph.nodes[n]) for n in group.members if n in graph.nodes]
    if not spots:
        return block_position(graph, group)
    return min(x for x, _ in spots), min(y for _, y in spots)


def frame_rect(graph: Graph, group: Group) -> Rect:
    """Where the frame of the expanded block is drawn: its members' cards, padded, with a title bar."""
    spots = [node_position(graph.nodes[n]) for n in group.members if n in graph.nodes]
    if not spots:
        x, y = block_position(graph, group)
        spots = [(x, y)]
    return (min(x for x, _ in spots) - FRAME_PAD, min(y for _, y in spots) - FRAME_PAD - FRAME_TITLE_H,
            max(x for x, _ in spots) + CARD_WIDTH + FRAME_PAD, max(y for _, y in spots) + CARD_HEIGHT + FRAME_PAD)


def visible_cards(graph: Graph, skip: Group) -> dict[str, tuple[float, float]]:
    """Top-left corners of the cards the canvas shows (nodes and collapsed blocks), ``skip`` left out."""
    hidden = {n for g in graph.groups.values() if g.collapsed or g.id == skip.id for n in g.members}
    cards = {node_id: node_position(node) for node_id, node in graph.nodes.items() if node_id not in hidden}
    cards.update({g.id: block_position(graph, g) for g in graph.groups.values() if g.collapsed and g.id != skip.id})
    return cards


def room_moves(graph: Graph, group: Group, expanding: bool, direction: str = "LR") -> dict[str, tuple[float, float]]:
    """New top-left corners of the cards (node ids and block ids) that make or give back room
    for ``group``'s frame; the cards that stay put are left out."""
    card_x, card_y = block_position(graph, group) if expanding else members_corner(graph, group)
    card = (card_x, card_y, card_x + CARD_WIDTH, card_y + CARD_HEIGHT)
    frame = frame_rect(graph, group)
    flows_down = direction == "TB"
    along, across = (1, 0) if flows_down else (0, 1)  # indexes into (x, y)
    extra_along = max(0.0, frame[along + 2] - card[along + 2])
    extra_across = max(0.0, frame[across + 2] - card[across + 2])
    reach = frame if not expanding else card  # what the moved cards sit past now
    sign = 1.0 if expanding else -1.0
    moves = {}
    for key, corner in visible_cards(graph, group).items():
        size = (CARD_WIDTH, CARD_HEIGHT)
        start, end = corner, (corner[0] + size[0], corner[1] + size[1])
        same_row = start[across] < card[across + 2] and end[across] > card[across]
        delta = [0.0, 0.0]
        if same_row and start[along] >= reach[along + 2] - 0.5:
            delta[along] = sign * extra_along
        elif not same_row and start[across] >= reach[across + 2] - 0.5:
            delta[across] = sign * extra_across
        if delta != [0.0, 0.0]:
            moves[key] = (corner[0] + delta[0], corner[1] + delta[1])
    return moves
