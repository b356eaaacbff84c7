"""What the canvas does with composite blocks: group, ungroup, expand, collapse, open, rename.

The view hands clicks, double-clicks, menus and keys on block cards and
frames to ``BlockActions``; every edit goes through the document (one
undo step each), so the view itself stays a gesture translator.
"""
from __future__ import annotations

import weakref

from PySide6.QtCore import QPointF
from PySide6.QtGui import QTransform
from PySide6.QtWidgets import QDialog, QMenu

from engine.groups import unique_path, unique_type_name

from .block_dialog import BlockDialog
from .block_item import BlockFrame, BlockItem
from .node_item import NodeItem

READABLE_ZOOM = 0.75  # opening a block never zooms out further than this
OPEN_MARGIN = 40.0
GROUP_KEYS = "Ctrl+G"
UNGROUP_KEYS = "Ctrl+Shift+G"


class BlockActions:
    def __init__(self, view) -> None:
        # A weak link: a view that is deleted must not be kept alive by a cycle through its helper.
        self._view = weakref.ref(view)

    @property
    def view(self):
        return self._view()

    @property
    def document(self):
        return self.view.document

    @property
    def scene(self):
        return self.view.canvas_scene

    # --- which blocks ---------------------------------------------------------------------------

    def chosen_blocks(self) -> list[str]:
        """Blocks the selection points at: selected block cards, and the blocks of selected members."""
        graph = self.document.graph
        chosen = list(self.scene.selected_group_ids())
        for node_id in self.scene.selected_node_ids():
            group = graph.group_of(node_id)
            if group is not None and group.id not in chosen:
                chosen.append(group.id)
        return chosen

    def selection_output(self) -> str | None:
        """The node whose result a newly added block should take: the last selected node, or the
        output member of the last selected block card; None when nothing is selected."""
        graph = self.document.graph
        outputs = [*self.scene.selected_node_ids(),
                   *(graph.groups[group_id].output for group_id in self.scene.selected_group_ids())]
        outputs = [node_id for node_id in outputs if node_id is not None]
        return outputs[-1] if outputs else None

    def selected_with_members(self) -> list[str]:
        """Selected nodes plus every member of the selected block cards (what copy and delete take)."""
        graph = self.document.graph
        ids = list(self.scene.selected_node_ids())
        for group_id in self.scene.selected_group_ids():
            ids.extend(graph.groups[group_id].members)
        return ids

    # --- gestures -------------------------------------------------------------------------------

    def press(self, item, scene_pos: QPointF) -> bool:
        """A left click on a block's toggle expands or collapses it, one on a frame's title
        selects the block's members; True when the click was taken."""
        if isinstance(item, BlockItem) and item.toggle_hit(scene_pos):
            self.set_collapsed(item.group_id, False)
            return True
        if isinstance(item, BlockFrame):
            if item.toggle_hit(scene_pos):
                self.set_collapsed(item.group_id, True)
            else:
                self.view.select_nodes([member.node_id for member in item.members])
            return True
        return False

    def double_click(self, item) -> bool:
        """Double-click: a block card expands, a frame's title collapses; True when taken."""
        if isinstance(item, BlockItem):
            self.set_collapsed(item.group_id, False)
            return True
        if isinstance(item, BlockFrame):
            self.set_collapsed(item.group_id, True)
            return True
        return False

    def fill_menu(self, menu: QMenu, item) -> None:
        """The block entries of the context menu of a block card, a frame, or a node card."""
        graph = self.document.graph
        if isinstance(item, (BlockItem, BlockFrame)):
            group_id = item.group_id
        else:
            group = graph.group_of(item.node_id) if isinstance(item, NodeItem) else None
            group_id = group.id if group is not None else None
            if group_id is None or len(self.scene.selected_node_ids()) > 1:
                menu.addAction(f"Group into Block…\t{GROUP_KEYS}", self.group_selection).setObjectName("groupBlock")
                if group_id is None:
                    return
        group = graph.groups[group_id]
        entries = [("expandBlock", "Expand", lambda: self.set_collapsed(group_id, False)) if group.collapsed
                   else ("collapseBlock", "Collapse", lambda: self.set_collapsed(group_id, True)),
                   ("openBlock", "Open", lambda: self.open_block(group_id)),
                   ("renameBlock", "Rename Block…", lambda: self.rename_block(group_id)),
                   ("ungroupBlock", f"Ungroup\t{UNGROUP_KEYS}", lambda: self.ungroup([group_id]))]
        if isinstance(item, (BlockItem, BlockFrame)):
            freezing = self.document.block_freezing(group_id)
            thaw = freezing.all_frozen
            extra = []
            if freezing.weighted:  # a block of ReLUs has no weights to keep
                extra.append(("unfreezeBlock" if thaw else "freezeBlock", "Unfreeze Block" if thaw else "Freeze Block",
                              lambda: self.document.set_block_frozen(group_id, not thaw)))
            save = getattr(self.view.window(), "save_block_to_library", None)  # only in a main window
            if save is not None:
                extra.append(("saveBlockToLibrary", "Save Block to Library…", lambda: save(group_id)))
            entries[-1:-1] = extra  # before Ungroup
        for name, text, slot in entries:
            menu.addAction(text, slot).setObjectName(name)

    # --- edits ------------------------------------------------------------------------------------

    def set_collapsed(self, group_id: str, collapsed: bool) -> None:
        self.document.set_block_collapsed(group_id, collapsed)

    def open_block(self, group_id: str) -> None:
        """Expands the block and zooms to it."""
        if group_id not in self.document.graph.groups:
            return
        self.set_collapsed(group_id, False)
        frame = self.scene.frame_items.get(group_id)
        if frame is None:
            return
        view, rect = self.view, frame.frame_rect()
        view.fit_rect(rect)
        if view.zoom < READABLE_ZOOM:  # a long block: its start at a zoom where the cards can be read
            view.setTransform(QTransform.fromScale(READABLE_ZOOM, READABLE_ZOOM))
            seen = view.mapToScene(view.viewport().rect()).boundingRect()
            view.centerOn(rect.left() - OPEN_MARGIN + seen.width() / 2, rect.center().y())

    def group_selection(self) -> str | None:
        """Asks for a name and type, then groups the selected nodes into one block (Ctrl+G)."""
        document = self.document
        ids = self.scene.selected_node_ids()
        problem = document.block_problem(ids)
        if problem:
            document.show_status(f"Cannot group these nodes: {problem}")
            return None
        if document.refuse_if_read_only():
            return None
        graph = document.graph
        dialog = BlockDialog(graph, ids, unique_path(graph, "block"), unique_type_name(graph, "Block"),
                             parent=self.view)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        group_id = document.group_nodes(ids, dialog.name, dialog.type_name)
        if group_id:
            self.view.select_nodes([group_id])
        return group_id

    def rename_block(self, group_id: str) -> bool:
        graph = self.document.graph
        if group_id not in graph.groups or self.document.refuse_if_read_only():
            return False
        group = graph.groups[group_id]
        dialog = BlockDialog(graph, list(group.members), group.name, group.type, group_id, parent=self.view)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        return self.document.update_block(group_id, name=dialog.name, type=dialog.type_name)

    def ungroup(self, group_ids: list[str] | None = None) -> None:
        """Ungroups the given blocks, or those the selection points at (Ctrl+Shift+G)."""
        group_ids = self.chosen_blocks() if group_ids is None else group_ids
        if not group_ids:
            self.document.show_status("Nothing to ungroup: select a block first.")
            return
        groups = self.document.graph.groups
        members = [member for group_id in group_ids if group_id in groups for member in groups[group_id].members]
        for group_id in group_ids:
            self.document.ungroup(group_id)
        self.view.select_nodes(members)
