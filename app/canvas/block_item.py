"""Composite blocks on the canvas: one card while collapsed, a frame around the members when expanded.

::

     ┌──────────────────────────┐┐┐
     │ layer1.0   [▸ 10 blocks] │││   header: the block's path, and the expand toggle
     ●  Bottleneck64           ●││   its type
     │ → 256×56×56  75.0k params │││   what it makes, its members' parameters
     └──────────────────────────┘┘┘   drawn as a small stack of cards

A collapsed block's card is a ``NodeItem`` (same size, fonts, ports, issue
look), standing in for all its members: one input port per composite input,
one output port. Expanded, the members are ordinary cards and a
``BlockFrame`` is drawn behind them, following them as they move; only its
title bar (path, type, the collapse toggle) takes clicks, so the inside
stays plain canvas for selecting and dropping.
"""
from __future__ import annotations

from types import SimpleNamespace

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from engine.analysis import ERROR, NodeReport
from engine.groups import Group

from . import style
from .node_item import NodeItem, format_count

COMPOSITE = "composite"  # the accent category of block cards and frames


def slot_port_name(slot: int) -> str:
    return f"in{slot}"


def _stand_in(group: Group, frozen: bool = False):
    """What a ``NodeItem`` reads from a node, told about a whole block."""
    count = len(group.members)
    inputs = [SimpleNamespace(name=slot_port_name(slot), variadic=False) for slot in range(len(group.inputs))]
    summary = (f"a composite block of {count} blocks. Double-click it (or click ▸) to expand it in place; "
               "right-click for more")
    spec = SimpleNamespace(category=COMPOSITE, inputs=inputs, outputs=["out"], title=group.type, summary=summary,
                           module=None, describe=lambda _params: "")
    return SimpleNamespace(id=group.id, name=group.name, type=COMPOSITE, params={}, frozen=frozen, spec=spec)


class BlockItem(NodeItem):
    """The card of a collapsed composite block; ``node_id`` is the block's (group) id."""

    _freezing = (0, 0)  # (frozen, with weights) members; a class default, as NodeItem.__init__ reads it

    def __init__(self, group: Group, canvas_style) -> None:
        super().__init__(_stand_in(group), canvas_style)
        self.member_count = len(group.members)
        self.set_badge(f"▸ {self.member_count} blocks")

    @property
    def group_id(self) -> str:
        return self.node_id

    def set_group(self, group: Group) -> None:
        """The block was renamed or retyped (a new boundary rebuilds the card instead)."""
        self.set_node(_stand_in(group, self.frozen))

    def set_freezing(self, frozen: int, weighted: int) -> None:
        """Drawn frozen when every member with weights is; partly frozen says so in the tooltip."""
        if (frozen, weighted) != self._freezing:
            self._freezing = (frozen, weighted)
            self.set_frozen(weighted > 0 and frozen == weighted)
            self._refresh(force=True)

    def frozen_tip(self) -> str:
        frozen, weighted = self._freezing
        if not frozen:
            return ""
        if frozen == weighted:
            return f"Frozen: all {weighted} layers keep their weights while the network trains."
        return f"{frozen} of {weighted} layers frozen (they keep their weights while the network trains)."

    def port_for(self, slot: int | None):
        """The input port of composite input ``slot`` (the first one for an edge no slot claims)."""
        ports = list(self.inputs.values())
        if slot is not None and 0 <= slot < len(ports):
            return ports[slot]
        return ports[0] if ports else None

    def slot_of(self, port) -> int:
        return list(self.inputs.values()).index(port)

    # --- the expand toggle -------------------------------------------------------------------

    def toggle_rect(self) -> QRectF:
        """The ``▸ n blocks`` pill in the header (as ``NodeItem`` paints a badge), a little enlarged."""
        right = style.CARD_W - style.PAD - (style.BADGE_RADIUS + 2 if self.severity else 0)
        width = QFontMetricsF(self.canvas_style.small_font).horizontalAdvance(self.badge or "") + 10
        return QRectF(right - width, (style.HEADER_H - 14) / 2, width, 14).adjusted(-4, -4, 4, 4)

    def toggle_hit(self, scene_pos: QPointF) -> bool:
        return self.toggle_rect().contains(self.mapFromScene(scene_pos))

    # --- look ----------------------------------------------------------------------------------

    def boundingRect(self) -> QRectF:
        offset = 2 * style.STACK_OFFSET
        return super().boundingRect().adjusted(0, 0, offset, offset)

    def paint(self, painter, option, widget=None) -> None:
        colours = self.colours()
        accent = style.accent(COMPOSITE)
        # Two cards peeking out behind: "there is more inside".
        for step in (2, 1):
            offset = step * style.STACK_OFFSET
            painter.setPen(QPen(style.mix(colours.border, accent, 0.5), 1.0))
            painter.setBrush(style.mix(colours.card, accent, 0.10 * step))
            painter.drawRoundedRect(self.card_rect().translated(offset, offset), style.RADIUS, style.RADIUS)
        super().paint(painter, option, widget)


class BlockFrame(QGraphicsItem):
    """The frame behind an expanded block's member cards: a tinted panel with a title bar."""

    def __init__(self, group: Group, members: list[NodeItem], canvas_style) -> None:
        super().__init__()
        self.group_id = group.id
        self.canvas_style = canvas_style
        self.members = members
        for member in members:
            member.frame = self
        self._rect = QRectF()
        self._title = ("", "")
        self._params = ""
        self._severity: str | None = None
        self.setZValue(-2)  # under the edges (-1) and the cards (0)
        self.setAcceptHoverEvents(False)
        self.set_group(group)
        self.update_geometry()

    def set_group(self, group: Group) -> None:
        self._title = (group.name, group.type)
        self.setToolTip(f"{group.name} ({group.type}): {len(group.members)} blocks. "
                        "Double-click the title (or click ▾) to collapse it into one card")
        self.update()

    def set_report(self, report: NodeReport | None) -> None:
        issues = report.issues if report else []
        self._severity = None if not issues else ERROR if any(i.severity == ERROR for i in issues) else "warning"
        self._params = f"{format_count(report.params)} params" if report and report.params else ""
        self.update()

    def detach(self) -> None:
        for member in self.members:
            if member.frame is self:
                member.frame = None
        self.members = []

    @property
    def title(self) -> tuple[str, str]:
        return self._title

    # --- geometry ------------------------------------------------------------------------------

    def update_geometry(self) -> None:
        """Follows the member cards (called whenever one of them moves)."""
        rect = QRectF()
        for member in self.members:
            rect = rect.united(member.card_rect().translated(member.pos()))
        rect = rect.adjusted(-style.FRAME_PAD, -style.FRAME_PAD - style.FRAME_TITLE_H, style.FRAME_PAD, style.FRAME_PAD)
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect

    def frame_rect(self) -> QRectF:
        return QRectF(self._rect)

    def title_rect(self) -> QRectF:
        return QRectF(self._rect.left(), self._rect.top(), self._rect.width(), style.FRAME_TITLE_H)

    def toggle_rect(self) -> QRectF:
        title = self.title_rect()
        return QRectF(title.left() + 4, title.top() + 2, 26, title.height() - 4)

    def toggle_hit(self, scene_pos: QPointF) -> bool:
        return self.toggle_rect().contains(self.mapFromScene(scene_pos))

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-2, -2, 2, 2)

    def shape(self) -> QPainterPath:
        path = QPainterPath()  # only the title bar takes clicks: inside is canvas
        path.addRect(self.title_rect())
        return path

    # --- painting ------------------------------------------------------------------------------

    def paint(self, painter, option, widget=None) -> None:
        colours = self.canvas_style.colours
        accent = style.accent(COMPOSITE)
        rect = self._rect
        radius = style.RADIUS + 2
        panel = QColor(accent)
        panel.setAlpha(34 if colours.dark else 20)
        border = style.ERROR if self._severity == ERROR else style.WARNING if self._severity else accent
        painter.setPen(QPen(border, 1.6 if self._severity else 1.2))
        painter.setBrush(panel)
        painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)

        title = self.title_rect()
        bar = QPainterPath()
        bar.addRoundedRect(rect, radius, radius)
        strip = QPainterPath()
        strip.addRect(title)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(accent)
        painter.drawPath(bar.intersected(strip))

        look = self.canvas_style
        painter.setPen(Qt.GlobalColor.white)
        painter.setFont(look.name_font)
        painter.drawText(self.toggle_rect(), Qt.AlignmentFlag.AlignCenter, "▾")
        path, type_name = self._title
        left = self.toggle_rect().right() + 2
        right = title.right() - style.PAD
        middle = Qt.AlignmentFlag.AlignVCenter
        if self._params:
            painter.setFont(look.small_font)
            width = QFontMetricsF(look.small_font).horizontalAdvance(self._params)
            painter.drawText(QRectF(right - width, title.top(), width, title.height()),
                             middle | Qt.AlignmentFlag.AlignRight, self._params)
            right -= width + 12
        name_metrics = QFontMetricsF(look.name_font)
        painter.setFont(look.name_font)
        name_width = min(name_metrics.horizontalAdvance(path), right - left)
        painter.drawText(QRectF(left, title.top(), name_width + 1, title.height()), middle,
                         name_metrics.elidedText(path, Qt.TextElideMode.ElideRight, right - left))
        rest = right - left - name_width - 10
        if rest > 20:
            painter.setFont(look.body_font)
            painter.setPen(QColor(255, 255, 255, 210))
            painter.drawText(QRectF(left + name_width + 10, title.top(), rest, title.height()), middle,
                             QFontMetricsF(look.body_font).elidedText(type_name, Qt.TextElideMode.ElideRight, rest))
