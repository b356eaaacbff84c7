"""The canvas widget: zoom, pan, selection, drops, shortcuts and the edge gesture.

Mouse: wheel zooms about the cursor; middle-drag or Space+drag pans; drag on
empty canvas draws a selection rectangle (Ctrl-click toggles); drag a card to
move it (snapped to a 10 px grid, one undo step per drag); drag from a port
to draw an edge; grab an edge near its input end to move or remove it;
right-click on empty canvas or Shift+A opens quick-add (Tab moves the focus on, as everywhere). Every edit goes through
the document, so it is undoable; the view only turns gestures into calls.

Keyboard: the arrow keys move the selection along the network (keyboard_nav), keeping it
in view; Ctrl+arrows scroll. A block added by Shift+A lands after the selection, clear of
every card. Connect To (connect_popup) wires the selection's output to a block named by typing.
"""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QCursor, QGuiApplication, QImage, QKeySequence, QPainter, QPalette, QPen, QTransform
from PySide6.QtWidgets import QApplication, QFrame, QGraphicsView, QMenu, QToolTip

from engine.explain.block_topics import topic_for

from .. import clipboard
from ..blocks.library import LIBRARY_MIME, drop_library_block
from ..clipboard import BLOCK_MIME
from ..panels.node_summary import summarise
from ..accessibility import announce
from . import keyboard_nav, style
from .block_actions import GROUP_KEYS, UNGROUP_KEYS, BlockActions
from .block_item import BlockFrame, BlockItem
from .edge_item import EdgeItem
from .interactions import EdgeDrag
from .minimap import Minimap
from .node_item import NodeItem
from .port_item import PortItem
from .connect_popup import ConnectPopup
from .find_bar import FindBar
from .quick_add import QuickAddPopup
from .scene import CanvasScene

MIN_ZOOM, MAX_ZOOM = 0.1, 4.0
START_ZOOM = 0.75           # opening a network never shows it smaller than this (text stays readable)
READABLE_ZOOM = 0.6         # fitting never goes below this: the cards' text would be unreadable; scroll instead
ZOOM_STEP = 1.25
FIT_MARGIN = 40.0
PASTE_GAP = 40.0  # between pasted cards and the cards they would have covered
EDGE_GRAB_DISTANCE = 28.0  # view pixels from an edge's input end that pick it up
PORT_REACH = 16.0           # view pixels within which a dragged edge snaps to a port
HALF_WORLD = 500_000.0      # the canvas is "endless": scrolling never hits an edge
FOCUS_FRAME = 2.0  # px, the accent frame around the focused canvas
QUICK_ADD_KEYS = "Shift+A"  # opens quick-add; not Tab, which must leave the canvas like any panel
KEEP_IN_VIEW = 40.0  # view pixels between a card the keys select and the view's edge
ARROW_KEYS = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down)


def snapped(value: float) -> float:
    return round(value / style.SNAP) * style.SNAP


class CanvasView(QGraphicsView):
    selection_changed = Signal(list)
    node_activated = Signal(str)
    node_clicked = Signal(str)
    explain_requested = Signal(str)  # "Explain This Convolution…" on a conv node
    explain_block_requested = Signal(str)  # "Explain This Block…" on a node the block explainer has a page for

    def __init__(self, document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.canvas_scene = CanvasScene(document, self)
        self.setScene(self.canvas_scene)
        self.canvas_scene.set_style(self.palette(), self.font())
        self.setSceneRect(QRectF(-HALF_WORLD, -HALF_WORLD, 2 * HALF_WORLD, 2 * HALF_WORLD))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Network canvas")
        self.setAccessibleDescription("The network's blocks and their connections; the Inspector shows "
                                      "the selected block")
        self.setMouseTracking(True)
        self._edge_drag: EdgeDrag | None = None
        self._pending_edge_drag: tuple | None = None
        self._pan_from: QPointF | None = None
        self._space_held = False
        self._move_start: dict[str, QPointF] | None = None
        self._rubber_band = False
        self._last_refusal: str | None = None
        self._quick_add: QuickAddPopup | None = None
        self._quick_add_at: QPointF | None = None
        self._connect_popup: ConnectPopup | None = None
        self._find_bar: FindBar | None = None
        self._fitted = False
        self._zoom_anchor: tuple | None = None
        self.blocks = BlockActions(self)  # composite blocks: group, expand, collapse, open, rename
        self.minimap = Minimap(self)  # the overview in the corner, for networks larger than the view
        self.canvas_scene.selectionChanged.connect(self._on_selection_changed)
        document.project_replaced.connect(self._on_project_replaced)

    # --- queries and selection ----------------------------------------------------

    def selected_node_ids(self) -> list[str]:
        return self.canvas_scene.selected_node_ids()

    def selected_group_ids(self) -> list[str]:
        """Selected collapsed blocks (``selection_changed`` lists them after the node ids)."""
        return self.canvas_scene.selected_group_ids()

    def select_nodes(self, ids) -> None:
        """Selects exactly ``ids`` (nodes, or blocks by id; a node inside a collapsed block
        selects the block's card, an expanded block its members), announcing the new
        selection once."""
        before = set(self._selection())
        scene = self.canvas_scene
        groups = self.document.graph.groups
        ids = [member for key in ids for member in (
            groups[key].members if key in groups and not groups[key].collapsed else [key])]
        scene.blockSignals(True)  # one selection_changed, not one per card
        try:
            scene.clearSelection()
            for node_id in set(ids):
                item = scene.card_for(node_id)
                if item is not None:
                    item.setSelected(True)
        finally:
            scene.blockSignals(False)
        if set(self._selection()) != before:
            self._on_selection_changed()

    def select_all(self) -> None:
        self.select_nodes([*self.canvas_scene.node_items, *self.canvas_scene.block_items])

    def center_on_nodes(self, ids) -> None:
        """Selects ``ids`` and scrolls them to the middle, keeping the zoom."""
        self.select_nodes(ids)
        rect = self._nodes_rect(ids)
        if not rect.isNull():
            self.centerOn(rect.center())

    def set_node_badge(self, node_id: str, text: str | None) -> None:
        self.canvas_scene.set_node_badge(node_id, text)

    def set_node_thumbnail(self, node_id: str, image: QImage | None) -> None:
        self.canvas_scene.set_node_thumbnail(node_id, image)

    def _selection(self) -> list[str]:
        return self.selected_node_ids() + self.selected_group_ids()

    def _on_selection_changed(self) -> None:
        self.selection_changed.emit(self._selection())

    def _nodes_rect(self, ids) -> QRectF:
        rect = QRectF()
        for node_id in ids:
            item = self.canvas_scene.card_for(node_id)
            if item is not None:
                rect = rect.united(item.sceneBoundingRect())
        return rect

    # --- zoom and pan --------------------------------------------------------------------

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_in(self) -> None:
        self.zoom_at(ZOOM_STEP, QPointF(self.viewport().rect().center()))

    def zoom_out(self) -> None:
        self.zoom_at(1 / ZOOM_STEP, QPointF(self.viewport().rect().center()))

    def reset_zoom(self) -> None:
        self.zoom_at(1.0 / self.zoom, QPointF(self.viewport().rect().center()))

    def fit_to_view(self) -> None:
        self._fit(self.canvas_scene.itemsBoundingRect())

    def tidy_layout(self, direction: str = "LR") -> None:
        """Tidies the network into rows shaped like this view, then shows it (from its start)."""
        view = self.viewport().rect()
        self.document.tidy_layout(direction, aspect=view.width() / max(1, view.height()))
        self.fit_to_view()

    def zoom_to_selection(self) -> None:
        rect = self._nodes_rect(self._selection())
        self._fit(rect if not rect.isNull() else self.canvas_scene.itemsBoundingRect())

    def fit_rect(self, rect: QRectF) -> None:
        """Zooms (at most to actual size) and scrolls so that ``rect`` (scene) fills the view."""
        self._fit(rect)

    def _fit(self, rect: QRectF, readable: float = READABLE_ZOOM) -> None:
        """Zooms so that ``rect`` fills the view, but never below ``readable``: then shows its
        beginning (the Input's end) at that zoom, and the rest is a scroll away."""
        if rect.isNull():
            self.setTransform(QTransform())
            self.centerOn(0, 0)
            return
        framed = rect.adjusted(-FIT_MARGIN, -FIT_MARGIN, FIT_MARGIN, FIT_MARGIN)
        view = self.viewport().rect()
        scale = min(view.width() / framed.width(), view.height() / framed.height(), 1.0)
        if scale < readable:
            self._show_beginning(rect, readable)
            return
        self.setTransform(QTransform.fromScale(scale, scale))
        self.centerOn(framed.center())

    def zoom_at(self, factor: float, anchor: QPointF) -> None:
        """Scales by ``factor`` keeping the scene point under ``anchor`` (viewport pixels) still."""
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom * factor))
        factor = target / self.zoom
        if abs(factor - 1.0) < 1e-9:
            return
        # Scrolling is in whole pixels; reusing the scene point of the previous step at the
        # same spot (nothing else moved the view since) keeps rounding from adding up.
        if self._zoom_anchor is not None and self._zoom_anchor[0] == (anchor, self._view_state()):
            fixed = self._zoom_anchor[1]
        else:
            fixed = self.viewportTransform().inverted()[0].map(anchor)
        self.scale(factor, factor)
        drift = self.viewportTransform().map(fixed) - anchor
        self._scroll_by(drift.x(), drift.y())
        self._zoom_anchor = ((QPointF(anchor), self._view_state()), fixed)

    def _view_state(self) -> tuple[int, int, float]:
        return self.horizontalScrollBar().value(), self.verticalScrollBar().value(), self.zoom

    def _scroll_by(self, dx: float, dy: float) -> None:
        horizontal, vertical = self.horizontalScrollBar(), self.verticalScrollBar()
        horizontal.setValue(horizontal.value() + round(dx))
        vertical.setValue(vertical.value() + round(dy))

    def wheelEvent(self, event) -> None:
        pixels = event.pixelDelta()
        if not pixels.isNull() and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._scroll_by(-pixels.x(), -pixels.y())  # a touchpad's two-finger scroll pans
        else:
            self.zoom_at(math.pow(1.0015, event.angleDelta().y()), event.position())
        event.accept()

    def show_start(self) -> None:
        """The first look at a network: all of it if it fits at a readable zoom, else its
        beginning (where the Input is) at that zoom."""
        self._fit(self.canvas_scene.itemsBoundingRect(), START_ZOOM)

    def _show_beginning(self, rect: QRectF, zoom: float) -> None:
        """``rect`` at ``zoom``, scrolled to where it begins: the Input if it is inside, else the top left."""
        self.setTransform(QTransform.fromScale(zoom, zoom))
        view = self.viewport().rect()
        seen_width, seen_height = view.width() / zoom, view.height() / zoom
        # Keep the Input in view (a wrapped chain starts in a corner, not mid-height).
        inputs = self.document.graph.nodes_of_type("input")
        card = self.canvas_scene.card_for(inputs[0].id) if inputs else None
        anchor = card.sceneBoundingRect().center() if card is not None else None
        if anchor is None or not rect.contains(anchor):
            anchor = rect.topLeft()

        def clamp(value: float, low: float, high: float) -> float:
            return max(low, min(value, high)) if low <= high else (low + high) / 2

        if self.document.layout_direction == "TB":
            self.centerOn(clamp(anchor.x(), rect.left() - FIT_MARGIN + seen_width / 2,
                                rect.right() + FIT_MARGIN - seen_width / 2),
                          rect.top() - FIT_MARGIN + seen_height / 2)
        else:
            self.centerOn(rect.left() - FIT_MARGIN + seen_width / 2,
                          clamp(anchor.y(), rect.top() - FIT_MARGIN + seen_height / 2,
                                rect.bottom() + FIT_MARGIN - seen_height / 2))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.minimap.update_visibility()  # keeps it in the corner

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._fitted:
            self._fitted = True
            self.show_start()

    def _on_project_replaced(self) -> None:
        if self.isVisible():
            QTimer.singleShot(0, self.show_start)
        else:
            self._fitted = False

    # --- mouse ------------------------------------------------------------------------------

    def _reach(self, pixels: float) -> float:
        return pixels / self.zoom

    def mousePressEvent(self, event) -> None:
        pos = event.position()
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (button == Qt.MouseButton.LeftButton and self._space_held):
            self._pan_from = pos
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if button == Qt.MouseButton.LeftButton:
            item = self.itemAt(pos.toPoint())
            if self.blocks.press(item, self.mapToScene(pos.toPoint())):  # a block's toggle or title
                event.accept()
                return
            gesture = self._edge_gesture_at(item, self.mapToScene(pos.toPoint()))
            if gesture is not None:
                # Starts once the pointer moves: a plain click selects instead.
                self._pending_edge_drag = (*gesture, pos)
                if isinstance(item, EdgeItem):
                    super().mousePressEvent(event)
                event.accept()
                return
            if isinstance(item, NodeItem):
                self.canvas_scene.canvas_style.snapping = True
                super().mousePressEvent(event)
                self._move_start = {i.node_id: i.pos() for i in self.canvas_scene.selectedItems()
                                    if isinstance(i, NodeItem)}
                self.node_clicked.emit(item.node_id)
                return
            self._rubber_band = item is None
        super().mousePressEvent(event)

    def _edge_gesture_at(self, item, scene_pos: QPointF):
        """(fixed port, picked-up edge or None) for an edge gesture starting on ``item``, else None."""
        if isinstance(item, PortItem):
            if item.is_input and not item.variadic:
                taken = self.document.graph.incoming(item.node_id, item.name)
                if taken:
                    return self.canvas_scene.card_for(taken[-1].src).output, taken[-1]
            return item, None
        if isinstance(item, EdgeItem) and len(item.edges) == 1:  # one line for several edges stays put
            end = item.end_point() - scene_pos
            # Near its input end, but never more than a third of a short edge.
            reach = min(self._reach(EDGE_GRAB_DISTANCE), item.path().length() / 3)
            if math.hypot(end.x(), end.y()) <= reach:
                return item.source.output, item.edge
        return None

    def _start_edge_drag(self, fixed: PortItem, detached, scene_pos: QPointF) -> None:
        if self.document.refuse_if_read_only():
            return
        grabber = self.canvas_scene.mouseGrabberItem()
        if grabber is not None:
            grabber.ungrabMouse()
        self.canvas_scene.clearSelection()
        self._edge_drag = EdgeDrag(self.canvas_scene, fixed, detached)
        self._edge_drag.move(scene_pos, self._reach(PORT_REACH))
        self.viewport().setCursor(Qt.CursorShape.CrossCursor)

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        if self._pan_from is not None:
            delta = pos - self._pan_from
            self._pan_from = pos
            self._scroll_by(-delta.x(), -delta.y())
            event.accept()
            return
        if self._pending_edge_drag is not None:
            fixed, detached, pressed_at = self._pending_edge_drag
            if (pos - pressed_at).manhattanLength() < QApplication.startDragDistance():
                event.accept()
                return
            self._pending_edge_drag = None
            self._start_edge_drag(fixed, detached, self.mapToScene(pos.toPoint()))
        if self._edge_drag is not None:
            self._edge_drag.move(self.mapToScene(pos.toPoint()), self._reach(PORT_REACH))
            self._show_refusal(self._edge_drag.refusal(), pos)
            event.accept()
            return
        super().mouseMoveEvent(event)

    def _end_edge_drag(self, apply: bool) -> None:
        drag, self._edge_drag = self._edge_drag, None
        if self._last_refusal is not None:
            self.document.show_status("")  # the hover's refusal is over; a refused drop says it again
        self._last_refusal = None
        QToolTip.hideText()
        self._restore_cursor()
        if apply:
            drag.finish()
        else:
            drag.cancel()

    def _show_refusal(self, text: str | None, pos: QPointF) -> None:
        self.viewport().setCursor(Qt.CursorShape.ForbiddenCursor if text else Qt.CursorShape.CrossCursor)
        if text == self._last_refusal:
            return
        shown, self._last_refusal = self._last_refusal, text
        if text:
            QToolTip.showText(self.viewport().mapToGlobal(pos.toPoint()), text, self.viewport())
            self.document.show_status(text)
        else:
            QToolTip.hideText()
            if shown is not None:
                self.document.show_status("")  # off the refused port: its refusal no longer applies

    def mouseReleaseEvent(self, event) -> None:
        self._pending_edge_drag = None
        if self._pan_from is not None and event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._pan_from = None
            self._restore_cursor()
            event.accept()
            return
        if self._edge_drag is not None and event.button() == Qt.MouseButton.LeftButton:
            self._edge_drag.move(self.mapToScene(event.position().toPoint()), self._reach(PORT_REACH))
            self._end_edge_drag(apply=True)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        event.accept()  # the canvas handles every release (Qt leaves those ending a rubber band ignored)
        if self._move_start is not None:
            self._finish_move()
        if self._rubber_band:
            self._rubber_band = False
            self._keep_inner_edges_selected()

    def _finish_move(self) -> None:
        self.canvas_scene.canvas_style.snapping = False
        start, self._move_start = self._move_start, None
        cards = {key: self.canvas_scene.card_for(key) for key in start}  # nodes and block cards
        moved = {key: (card.x(), card.y()) for key, card in cards.items()
                 if card is not None and card.pos() != start[key]}
        if moved:
            self.document.move_nodes(moved)

    def _keep_inner_edges_selected(self) -> None:
        """A selection rectangle takes the edges between chosen cards, not every edge it crosses."""
        for item in self.canvas_scene.selectedItems():
            if isinstance(item, EdgeItem) and not (item.source.isSelected() and item.target.isSelected()):
                item.setSelected(False)

    def mouseDoubleClickEvent(self, event) -> None:
        item = self.itemAt(event.position().toPoint())
        if isinstance(item, PortItem):
            item = item.node_item
        if self.blocks.double_click(item):  # expands a block card, collapses a frame
            event.accept()
            return
        if isinstance(item, NodeItem):
            self.node_activated.emit(item.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event) -> None:
        item = self.itemAt(event.pos())
        if isinstance(item, PortItem):
            item = item.node_item
        if item is None:
            self.show_quick_add(self.mapToScene(event.pos()))
        elif isinstance(item, (BlockItem, BlockFrame)):
            if isinstance(item, BlockItem) and not item.isSelected():
                self.select_nodes([item.group_id])
            menu = QMenu(self)
            self.blocks.fill_menu(menu, item)
            if isinstance(item, BlockItem):
                menu.addSeparator()
                menu.addAction("Duplicate", self.duplicate_selection)
                menu.addAction("Copy", self.copy_selection)
                menu.addSeparator()
                menu.addAction("Delete", self.delete_selection)
            menu.exec(event.globalPos())
        elif isinstance(item, NodeItem):
            if not item.isSelected():
                self.select_nodes([item.node_id])
            menu = QMenu(self)
            node = self.document.graph.nodes[item.node_id]
            if node.type == "conv2d":
                node_id = item.node_id
                menu.addAction("Explain This Convolution…", lambda: self.explain_requested.emit(node_id))
                menu.addSeparator()
            elif topic_for(node.type, node.params) is not None:
                node_id = item.node_id
                menu.addAction("Explain This Block…", lambda: self.explain_block_requested.emit(node_id))
                menu.addSeparator()
            menu.addAction("Duplicate", self.duplicate_selection)
            menu.addAction("Copy", self.copy_selection)
            chosen = self.selected_node_ids()  # freezing: weights kept while training (fine-tuning)
            frozen = all(self.document.graph.nodes[i].frozen for i in chosen)
            menu.addAction("Unfreeze" if frozen else "Freeze", lambda: self.document.set_frozen(chosen, not frozen))
            menu.addSeparator()
            self.blocks.fill_menu(menu, item)
            menu.addSeparator()
            menu.addAction("Delete", self.delete_selection)
            menu.exec(event.globalPos())
        elif isinstance(item, EdgeItem):
            menu = QMenu(self)
            menu.addAction("Delete connection", lambda: self.document.disconnect([item.edge]))
            menu.exec(event.globalPos())
        event.accept()

    def _restore_cursor(self) -> None:
        if self._space_held:
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.viewport().unsetCursor()

    # --- keyboard ---------------------------------------------------------------------------

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape and self._edge_drag is not None:
            self._end_edge_drag(apply=False)
        elif key == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self._space_held = True
                self.setDragMode(QGraphicsView.DragMode.NoDrag)
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selection()
        elif key in ARROW_KEYS and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.move_selection(self._arrow_move(key))
        elif event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
        elif event.matches(QKeySequence.StandardKey.Cut):
            self.cut_selection()
        elif event.matches(QKeySequence.StandardKey.Paste):
            self.paste()
        elif event.matches(QKeySequence.StandardKey.SelectAll):
            self.select_all()
        elif key == Qt.Key.Key_D and event.modifiers() == Qt.KeyboardModifier.ControlModifier:
            self.duplicate_selection()
        elif event.keyCombination().toCombined() == QKeySequence(GROUP_KEYS)[0].toCombined():
            self.blocks.group_selection()
        elif event.keyCombination().toCombined() == QKeySequence(UNGROUP_KEYS)[0].toCombined():
            self.blocks.ungroup()
        elif event.keyCombination().toCombined() == QKeySequence(QUICK_ADD_KEYS)[0].toCombined():
            self.show_quick_add()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
            if self._pan_from is None:
                self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def _arrow_move(self, key) -> str:
        """What an arrow key means here: along the flow, against it, or across it (keyboard_nav)."""
        forward, back = (Qt.Key.Key_Down, Qt.Key.Key_Up) if self.canvas_scene.vertical else (
            Qt.Key.Key_Right, Qt.Key.Key_Left)
        if key == forward:
            return keyboard_nav.DOWNSTREAM
        if key == back:
            return keyboard_nav.UPSTREAM
        return keyboard_nav.NEXT if key in (Qt.Key.Key_Down, Qt.Key.Key_Right) else keyboard_nav.PREVIOUS

    def move_selection(self, move: str) -> str | None:
        """Selects the card one ``move`` away from the selection (the Input with none), brings it into
        view and has screen readers say what it is; None where there is nothing that way."""
        selection = self._selection()
        key = keyboard_nav.step(self.document, selection[-1] if selection else None, move,
                                self.canvas_scene.vertical)
        if key is None:
            return None
        self.select_nodes([key])
        self.keep_in_view(key)
        announce(self, self.card_description(key))
        return key

    def keep_in_view(self, key: str) -> None:
        """Scrolls (no zoom change) just enough for the card ``key`` to be on show."""
        card = self.canvas_scene.card_for(key)
        if card is not None:
            margin = round(KEEP_IN_VIEW)
            self.ensureVisible(card.sceneBoundingRect(), margin, margin)

    def card_description(self, key: str) -> str:
        """What a screen reader says for a card: name, type, output shape and problems."""
        return summarise(self.document.graph, self.document.analysis, key).spoken()

    # --- edit commands (the window's Edit menu calls these) ---------------------------------------

    def delete_selection(self) -> None:
        nodes, edges = self.selected_node_ids(), self.canvas_scene.selected_edges()
        blocks = self.selected_group_ids()  # a collapsed block goes with its members
        if nodes or edges or blocks:
            # One card gone, the selection steps to its neighbour: the keys can go on from there.
            selection = self._selection()
            neighbour = None
            if len(selection) == 1 and not edges:
                vertical = self.canvas_scene.vertical
                neighbour = (keyboard_nav.step(self.document, selection[0], keyboard_nav.UPSTREAM, vertical)
                             or keyboard_nav.step(self.document, selection[0], keyboard_nav.DOWNSTREAM, vertical))
            self.document.delete(nodes, edges, group_ids=blocks)
            if neighbour is not None and self.canvas_scene.card_for(neighbour) is not None:
                self.select_nodes([neighbour])

    def copy_selection(self) -> bool:
        ids = self.blocks.selected_with_members()
        if not ids:
            self.document.show_status("Nothing to copy: select some blocks first.")
            return False
        clipboard.put_on_clipboard(self.document.copy_nodes(ids))
        return True

    def cut_selection(self) -> None:
        if self.copy_selection():
            # The first paste goes back where the cut nodes were: that place is clear now.
            self.document.delete(self.selected_node_ids(), [], verb="Cut", group_ids=self.selected_group_ids())

    def paste(self) -> list[str]:
        payload = clipboard.from_mime(QGuiApplication.clipboard().mimeData())
        if payload is None:
            self.document.show_status("Nothing to paste: copy some blocks first.")
            return []
        xs = [float(n.get("ui", {}).get("x", 0)) for n in payload["nodes"]]
        ys = [float(n.get("ui", {}).get("y", 0)) for n in payload["nodes"]]
        copied = QRectF(min(xs, default=0), min(ys, default=0),
                        max(xs, default=0) - min(xs, default=0) + style.CARD_W,
                        max(ys, default=0) - min(ys, default=0) + style.CARD_H)
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        offset = QPointF(0, 0)
        if not visible.intersects(copied):
            # The originals are out of sight: paste in the middle of the view instead.
            centre = visible.center() - copied.center()
            offset = QPointF(snapped(centre.x()), snapped(centre.y()))
        offset = self._clear_offset(copied, offset)
        ids = self.document.paste(payload, (offset.x(), offset.y()))
        self.select_nodes(ids)
        return ids

    def _clear_offset(self, rect: QRectF, offset: QPointF) -> QPointF:
        """``offset``, moved on across the flow (down, or right in a top-to-bottom network) until
        ``rect`` moved by it covers no card on show: pasted cards never land on the originals."""
        taken = [card.sceneBoundingRect() for card in self.canvas_scene.cards() if card.isVisible()]
        if self.canvas_scene.vertical:
            step = QPointF(snapped(rect.width() + PASTE_GAP), 0)
        else:
            step = QPointF(0, snapped(rect.height() + PASTE_GAP))
        while any(rect.translated(offset).intersects(card) for card in taken):
            offset += step
        return offset

    def duplicate_selection(self) -> list[str]:
        ids = self.document.duplicate(self.blocks.selected_with_members())
        self.select_nodes(ids)
        return ids

    # --- find ----------------------------------------------------------------------------------

    def show_find(self) -> FindBar:
        """Opens the find bar (Edit ▸ Find) over the canvas, completing the names on it."""
        if self._find_bar is None:
            self._find_bar = FindBar(self)
            self._find_bar.chosen.connect(self._found)
            self._find_bar.not_found.connect(
                lambda text: self.document.show_status(f"Nothing on the canvas is called “{text.strip()}”"))
        self._find_bar.open(self.document.graph)
        return self._find_bar

    def _found(self, key: str) -> None:
        graph = self.document.graph
        group = graph.groups.get(key)
        self.center_on_nodes(list(group.members) if group is not None and not group.collapsed else [key])
        name = graph.nodes[key].name if key in graph.nodes else graph.groups[key].name
        self.document.show_status(f"Found {name}")

    # --- quick add -----------------------------------------------------------------------------

    def show_quick_add(self, at_scene_pos: QPointF | None = None) -> QuickAddPopup | None:
        """Opens the block search; the block lands at ``at_scene_pos`` (a right-click's spot), or
        without one (Shift+A) after the selection, clear of every card."""
        if self.document.refuse_if_read_only():
            return None
        self._quick_add_at = QPointF(at_scene_pos) if at_scene_pos is not None else None
        if self._quick_add is None:
            self._quick_add = QuickAddPopup(self)
            self._quick_add.chosen.connect(self._add_from_quick_add)
        self._quick_add.popup(self._popup_spot(at_scene_pos))
        return self._quick_add

    def _popup_spot(self, at_scene_pos: QPointF | None):
        """Where a popup opens (global): at ``at_scene_pos``, else at the selection, the cursor or the middle."""
        if at_scene_pos is not None:
            return self.viewport().mapToGlobal(self.mapFromScene(at_scene_pos))
        selection = self._nodes_rect(self._selection())
        spot = self.mapFromScene(selection.bottomRight()) if not selection.isNull() else \
            self.viewport().mapFromGlobal(QCursor.pos())
        if not self.viewport().rect().contains(spot):
            spot = self.viewport().rect().center()
        return self.viewport().mapToGlobal(spot)

    @property
    def quick_add_popup(self) -> QuickAddPopup | None:
        """The quick-add popup once it has been opened (it is reused)."""
        return self._quick_add

    def _add_from_quick_add(self, type_id: str) -> None:
        after = self.blocks.selection_output() if len(self._selection()) == 1 else None
        at = self._quick_add_at
        pos = None if at is None else (snapped(at.x() - style.CARD_W / 2), snapped(at.y() - style.CARD_H / 2))
        node_id = self.document.add_node_after(type_id, after, pos)
        if node_id:
            self.select_nodes([node_id])
            self.keep_in_view(node_id)
        self.setFocus()

    # --- connect by name --------------------------------------------------------------------------

    def show_connect(self) -> ConnectPopup | None:
        """Edit ▸ Connect To: wires the selected card's output to a block chosen by typing its name."""
        if self.document.refuse_if_read_only():
            return None
        source = self.blocks.selection_output()
        if source is None or len(self._selection()) != 1:
            self.document.show_status("Select one block first: its output is what Connect To connects.")
            return None
        if self._connect_popup is None:
            self._connect_popup = ConnectPopup(self)
            self._connect_popup.chosen.connect(self._connect_chosen)
        self._connect_popup.open_for(self.document.graph, source, self._popup_spot(None))
        return self._connect_popup

    @property
    def connect_popup(self) -> ConnectPopup | None:
        return self._connect_popup

    def _connect_chosen(self, source: str, target: str, port: str) -> None:
        if self.document.connect(source, target, port) is not None:
            self.document.show_status(f"Connected {self.document.graph.nodes[source].name} → "
                                      f"{self.document.graph.nodes[target].name}")
        self.setFocus()

    # --- drops ------------------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        mime = event.mimeData()
        if (mime.hasFormat(BLOCK_MIME) or mime.hasFormat(LIBRARY_MIME)) and not self.document.read_only:
            event.acceptProposedAction()
        else:
            event.ignore()  # file URLs and the rest belong to the window

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dragLeaveEvent(self, event) -> None:
        event.accept()

    def dropEvent(self, event) -> None:
        mime = event.mimeData()
        if mime.hasFormat(LIBRARY_MIME) and not self.document.read_only:  # a saved block ("My Blocks")
            at = self.mapToScene(event.position().toPoint())
            group_id = drop_library_block(self.document, mime, (snapped(at.x() - style.CARD_W / 2),
                                                                snapped(at.y() - style.CARD_H / 2)))
            event.acceptProposedAction()
            if group_id:
                self.select_nodes([group_id])
                self.setFocus()
            return
        if not mime.hasFormat(BLOCK_MIME) or self.document.read_only:
            event.ignore()
            return
        type_id = bytes(mime.data(BLOCK_MIME).data()).decode("utf-8", errors="replace").strip()
        at = self.mapToScene(event.position().toPoint())
        node_id = self.document.add_node(type_id, (snapped(at.x() - style.CARD_W / 2),
                                                   snapped(at.y() - style.CARD_H / 2)))
        event.acceptProposedAction()
        if node_id:
            self.select_nodes([node_id])
            self.setFocus()

    # --- look ----------------------------------------------------------------------------------------

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (event.Type.PaletteChange, event.Type.FontChange):
            self.canvas_scene.set_style(self.palette(), self.font())
            self.resetCachedContent()

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.hasFocus():  # the stylesheet's focus frame would resize the viewport: paint one over it
            painter = QPainter(self.viewport())
            pen = QPen(self.palette().color(QPalette.ColorRole.Highlight), FOCUS_FRAME)
            pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
            painter.setPen(pen)
            inset = FOCUS_FRAME / 2
            painter.drawRect(QRectF(self.viewport().rect()).adjusted(inset, inset, -inset, -inset))
            painter.end()

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        self.viewport().update()

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.viewport().update()

    def drawBackground(self, painter, rect: QRectF) -> None:
        colours = self.canvas_scene.canvas_style.colours
        painter.fillRect(rect, colours.canvas)
        spacing = style.GRID
        while spacing * self.zoom < 16:  # keep dots a comfortable distance apart on screen
            spacing *= 2
        left, top = math.floor(rect.left() / spacing), math.floor(rect.top() / spacing)
        right, bottom = math.ceil(rect.right() / spacing), math.ceil(rect.bottom() / spacing)
        points = [QPointF(x * spacing, y * spacing) for x in range(left, right + 1) for y in range(top, bottom + 1)]
        pen = QPen(colours.grid, 1.5)
        pen.setCosmetic(True)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.drawPoints(points)
