"""A node's card: a coloured header with its name, then what it does and what it makes.

::

    ┌──────────────────────────┐
    │ conv1                    │  header, coloured by category
    ●  Conv2d  5×5, 6 ch, s1   ●  inputs left, output right (LR flow)
    │ → 6×28×28     156 params │
    └──────────────────────────┘

The card only displays; the scene feeds it the node and its analysis report.
Painting is cached per card in device coordinates (re-rendered, never
scaled, when the zoom changes), so text stays crisp and panning is cheap.
"""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from engine.analysis import ERROR, WARNING, NodeReport
from engine.catalogue import format_shape
from engine.graph import Node

from . import style
from .port_item import PortItem

DETAIL_ZOOM = 0.4
"""Below this zoom cards are drawn without text, which would be unreadable anyway."""


def format_count(count: int) -> str:
    """``156`` → ``156``, ``61706`` → ``61.7k``, ``25557032`` → ``25.6M``."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if count >= limit:
            value = count / limit
            return f"{value:.1f}{suffix}" if value < 100 else f"{value:.0f}{suffix}"
    return str(count)


WAITING_TEXT = "→ waiting for input"


class NodeItem(QGraphicsItem):
    def __init__(self, node: Node, canvas_style) -> None:
        super().__init__()
        self.node_id = node.id
        self.canvas_style = canvas_style
        self.edges: list = []  # EdgeItems touching this card, kept by the scene
        self.frame = None  # the frame of the expanded block this card is in (BlockFrame), kept by the scene
        self.category = node.spec.category
        self.inputs = {port.name: PortItem(self, port.name, True, port.variadic) for port in node.spec.inputs}
        self.output = PortItem(self, node.spec.outputs[0], False) if node.spec.outputs else None
        self._hovered = False
        self._badge: str | None = None
        self._frozen = False
        self._thumbnail: QImage | None = None
        self._texts = ("", "", "", "", "")
        self._severity: str | None = None
        self._issues: tuple[str, ...] = ()
        self._report_text: tuple = ("→ …", "", None, ())
        self._report: NodeReport | None = None  # the last one shown
        self._waiting_for: str | None = None  # the node upstream whose problem keeps this one waiting
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.set_node(node)

    # --- content ------------------------------------------------------------------

    def colours(self) -> style.Colours:
        return self.canvas_style.colours

    def set_node(self, node: Node) -> None:
        """Name, parameters or frozen state changed (shapes follow with the next analysis)."""
        self._node_text = (node.name, node.spec.title, node.spec.describe(node.params), node.spec.summary)
        self._refresh()
        self.set_frozen(node.frozen)

    def set_frozen(self, frozen: bool) -> None:
        """Draws the card frozen or not (a collapsed block's card could show it when all its members are)."""
        if frozen != self._frozen:
            self._frozen = frozen
            self._refresh(force=True)

    def set_report(self, report: NodeReport | None) -> None:
        if report is not None and report == self._report:
            return  # most cards of a large network are as they were after an edit: nothing to format
        self._report = report
        waiting_for = report.waiting_for if report is not None else None
        if waiting_for is not None:
            shape = WAITING_TEXT  # quiet: the problem is upstream, on the card that causes it
        elif report is None or report.output_shape is None:
            shape = "→ ?" if report is not None else "→ …"
        else:
            shape = "→ " + format_shape(report.output_shape)
        params = f"{format_count(report.params)} params" if report and report.params else ""
        issues = report.issues if report else []
        severity = ERROR if any(i.severity == ERROR for i in issues) else (WARNING if issues else None)
        self._report_text = (shape, params, severity, tuple(str(i) for i in issues))
        if waiting_for != self._waiting_for:
            self._waiting_for = waiting_for
            self._refresh(force=True)
        else:
            self._refresh()

    def set_badge(self, text: str | None) -> None:
        self._badge = text or None
        self._refresh(force=True)

    def set_thumbnail(self, image: QImage | None) -> None:
        self._thumbnail = None if image is None or image.isNull() else image
        self._refresh(force=True)

    def restyle(self) -> None:
        """Colours or fonts changed: drop the cached rendering."""
        self._refresh(force=True)
        for port in [*self.inputs.values(), self.output]:
            if port is not None:
                port.update()

    @property
    def badge(self) -> str | None:
        return self._badge

    @property
    def frozen(self) -> bool:
        """Drawn frozen: a snowflake in the header, a frosted card and a dashed blue-grey edge."""
        return self._frozen

    def frozen_tip(self) -> str:
        """The tooltip's line about freezing; empty when not frozen."""
        return "Frozen: keeps its weights while the network trains." if self._frozen else ""

    @property
    def thumbnail(self) -> QImage | None:
        return self._thumbnail

    @property
    def severity(self) -> str | None:
        return self._severity

    @property
    def waiting_for(self) -> str | None:
        """Set while the card waits for a node upstream to be fixed (drawn muted, with a dashed edge)."""
        return self._waiting_for

    @property
    def texts(self) -> tuple[str, ...]:
        """(name, title, description, shape, params): what the card shows, for tests and tooltips."""
        return self._texts

    def _refresh(self, force: bool = False) -> None:
        name, title, description, summary = self._node_text
        shape, params, severity, issues = self._report_text
        texts = (name, title, description, shape, params)
        if not force and (texts, severity, issues) == (self._texts, self._severity, self._issues):
            return  # unchanged: keep the cached rendering
        self._texts, self._severity, self._issues = texts, severity, issues
        tip = "\n".join(issues) if issues else f"{title}: {summary}"
        if self._waiting_for:
            tip = f"Waiting for input: fix {self._waiting_for} first (see Problems)."
        if self.frozen_tip():
            tip += "\n" + self.frozen_tip()
        self.setToolTip(f"{name} ({title})\n{tip}")
        self.update()

    # --- geometry -------------------------------------------------------------------

    def card_rect(self) -> QRectF:
        return QRectF(0, 0, style.CARD_W, style.CARD_H)

    def boundingRect(self) -> QRectF:
        # Room for the selection halo, the shadow and the issue badge over the corner.
        return QRectF(-4, -style.BADGE_RADIUS - 2, style.CARD_W + style.BADGE_RADIUS + 6,
                      style.CARD_H + style.BADGE_RADIUS + 8)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.card_rect(), style.RADIUS, style.RADIUS)
        return path

    def layout_ports(self, vertical: bool) -> None:
        """Inputs on the leading edge, the output on the trailing one (left/right, or top/bottom)."""
        middle = (style.HEADER_H + style.CARD_H) / 2
        inputs = list(self.inputs.values())
        for index, port in enumerate(inputs):
            share = (index + 1) / (len(inputs) + 1)
            if vertical:
                port.set_layout(QPointF(style.CARD_W * share, 0), True)
            else:
                port.set_layout(QPointF(0, middle if len(inputs) == 1 else style.CARD_H * share), False)
        if self.output:
            self.output.set_layout(QPointF(style.CARD_W / 2, style.CARD_H) if vertical
                                   else QPointF(style.CARD_W, middle), vertical)

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and self.canvas_style.snapping:
            return QPointF(round(value.x() / style.SNAP) * style.SNAP, round(value.y() / style.SNAP) * style.SNAP)
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_path()
            if self.frame is not None:
                self.frame.update_geometry()
        elif change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            for edge in self.edges:
                edge.update()
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event) -> None:
        self._hovered = True
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:
        self._hovered = False
        self.update()
        super().hoverLeaveEvent(event)

    # --- painting --------------------------------------------------------------------

    def paint(self, painter, option, widget=None) -> None:
        colours = self.colours()
        look = self.canvas_style
        card = self.card_rect()
        accent = style.accent(self.category)
        name, title, description, shape, params = self._texts

        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colours.shadow)
        painter.drawRoundedRect(card.translated(0, 1.5), style.RADIUS, style.RADIUS)
        if self.isSelected():
            halo = QColor(colours.selection)
            halo.setAlpha(70)
            painter.setBrush(halo)
            painter.drawRoundedRect(card.adjusted(-3.5, -3.5, 3.5, 3.5), style.RADIUS + 3, style.RADIUS + 3)
        painter.setBrush(style.frozen_colours(colours)[1] if self._frozen else colours.card)
        painter.drawRoundedRect(card, style.RADIUS, style.RADIUS)

        header = QPainterPath()
        header.addRoundedRect(card, style.RADIUS, style.RADIUS)
        strip = QPainterPath()
        strip.addRect(QRectF(0, 0, style.CARD_W, style.HEADER_H))
        painter.setBrush(accent.lighter(112) if self._hovered else accent)
        painter.drawPath(header.intersected(strip))

        if option.levelOfDetailFromTransform(painter.worldTransform()) < DETAIL_ZOOM:
            self._paint_border(painter, colours, accent, card)  # text would be a few pixels high
            return
        text_right = style.CARD_W - style.PAD
        if self._severity:
            text_right -= style.BADGE_RADIUS + 2
        if self._frozen:
            text_right = _paint_snowflake(painter, QPointF(text_right - 6, style.HEADER_H / 2)) - 5
        if self._badge:
            painter.setFont(look.small_font)
            width = QFontMetricsF(look.small_font).horizontalAdvance(self._badge) + 10
            pill = QRectF(text_right - width, (style.HEADER_H - 14) / 2, width, 14)
            painter.setBrush(QColor(255, 255, 255, 60))
            painter.drawRoundedRect(pill, 7, 7)
            painter.setPen(Qt.GlobalColor.white)
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, self._badge)
            text_right = pill.left() - 4
        painter.setPen(Qt.GlobalColor.white)
        painter.setFont(look.name_font)
        name_rect = QRectF(style.PAD, 0, text_right - style.PAD, style.HEADER_H)
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         QFontMetricsF(look.name_font).elidedText(name, Qt.TextElideMode.ElideRight,
                                                                   name_rect.width()))

        body_right = style.CARD_W - style.PAD
        if self._thumbnail is not None:
            size = style.CARD_H - style.HEADER_H - 10
            target = QRectF(style.CARD_W - style.PAD - size, style.HEADER_H + 5, size, size)
            painter.save()
            # A map's units stay squares (the view smooths other pictures).
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(target, self._thumbnail)
            painter.restore()
            painter.setPen(QPen(colours.border, 1.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(target)
            body_right = target.left() - 6
        self._paint_body(painter, colours, body_right, title, description, shape, params)
        self._paint_border(painter, colours, accent, card)

    def _paint_body(self, painter, colours, right: float, title, description, shape, params) -> None:
        look = self.canvas_style
        body = QFontMetricsF(look.body_font)
        row = (style.CARD_H - style.HEADER_H) / 2
        first = QRectF(style.PAD, style.HEADER_H + 3, right - style.PAD, row - 3)
        second = QRectF(style.PAD, style.HEADER_H + row - 2, right - style.PAD, row - 3)
        align_left = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft

        painter.setFont(look.title_font)
        title_width = min(QFontMetricsF(look.title_font).horizontalAdvance(title), first.width())
        painter.setPen(colours.text)
        painter.drawText(first, align_left, title)
        if description:
            painter.setFont(look.body_font)
            painter.setPen(colours.muted)
            rest = first.adjusted(title_width + 6, 0, 0, 0)
            painter.drawText(rest, align_left, body.elidedText(description, Qt.TextElideMode.ElideRight, rest.width()))

        painter.setFont(look.body_font)
        params_width = body.horizontalAdvance(params) if params else 0.0
        if params:
            painter.setPen(colours.muted)
            painter.drawText(second, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, params)
        shape_rect = second.adjusted(0, 0, -(params_width + 8 if params else 0), 0)
        known = not shape.endswith(("?", "…")) and self._waiting_for is None
        painter.setPen(style.ERROR if self._severity == ERROR else colours.text if known else colours.muted)
        painter.drawText(shape_rect, align_left, body.elidedText(shape, Qt.TextElideMode.ElideRight,
                                                                   shape_rect.width()))

    def _paint_border(self, painter, colours, accent, card: QRectF) -> None:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        inner = card.adjusted(1, 1, -1, -1)
        if self._waiting_for and not self._severity and not self.isSelected():
            painter.setPen(QPen(colours.muted, 1.4, Qt.PenStyle.DashLine))
            painter.drawRoundedRect(inner, style.RADIUS - 1, style.RADIUS - 1)
            return
        if self._severity:
            colour = style.ERROR if self._severity == ERROR else style.WARNING
            painter.setPen(QPen(colour, 2.0))
            painter.drawRoundedRect(inner, style.RADIUS - 1, style.RADIUS - 1)
            if self.isSelected():  # the selection ring goes outside the issue colour
                painter.setPen(QPen(colours.selection, 1.5))
                painter.drawRoundedRect(card.adjusted(-2, -2, 2, 2), style.RADIUS + 2, style.RADIUS + 2)
            self._paint_issue_badge(painter, colour)
        elif self.isSelected():
            painter.setPen(QPen(colours.selection, 2.0))
            painter.drawRoundedRect(inner, style.RADIUS - 1, style.RADIUS - 1)
        elif self._frozen:
            pen = QPen(style.frozen_colours(colours)[0], 1.6)
            pen.setDashPattern([3.0, 2.0])
            painter.setPen(pen)
            painter.drawRoundedRect(card.adjusted(0.8, 0.8, -0.8, -0.8), style.RADIUS, style.RADIUS)
        else:
            edge = style.mix(colours.border, accent, 0.6) if self._hovered else colours.border
            painter.setPen(QPen(edge, 1.0))
            painter.drawRoundedRect(card.adjusted(0.5, 0.5, -0.5, -0.5), style.RADIUS, style.RADIUS)

    def _paint_issue_badge(self, painter, colour: QColor) -> None:
        centre = QPointF(style.CARD_W - 3, 1)
        painter.setPen(QPen(self.colours().card, 2.0))
        painter.setBrush(colour)
        painter.drawEllipse(centre, style.BADGE_RADIUS, style.BADGE_RADIUS)
        painter.setPen(Qt.GlobalColor.white)
        painter.setFont(self.canvas_style.name_font)
        box = QRectF(centre.x() - style.BADGE_RADIUS, centre.y() - style.BADGE_RADIUS,
                     2 * style.BADGE_RADIUS, 2 * style.BADGE_RADIUS)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, "!")


def _paint_snowflake(painter, centre: QPointF, radius: float = 5.5) -> float:
    """A small white snowflake (drawn, so no font needs the glyph); returns its left edge."""
    painter.save()
    painter.setPen(QPen(Qt.GlobalColor.white, 1.3, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    painter.translate(centre)
    for _ in range(3):
        painter.drawLine(QPointF(-radius, 0), QPointF(radius, 0))
        for tip in (radius, -radius):  # a small V at each end of the spoke
            inner = tip * 0.55
            painter.drawLine(QPointF(inner, 0), QPointF(tip * 0.8, tip * 0.3))
            painter.drawLine(QPointF(inner, 0), QPointF(tip * 0.8, -tip * 0.3))
        painter.rotate(60)
    painter.restore()
    return centre.x() - radius

