"""The block palette: every catalogue block by category, searchable, draggable.

Dragging a block carries its type id as ``BLOCK_MIME`` data (the canvas adds
it where it is dropped); double-clicking it, or pressing Enter in the search
box, asks for it to be added after the selected node (``block_requested``).
"My Blocks" lists the user's saved composite blocks (``set_library_entries``):
they drag as ``LIBRARY_MIME`` templates, and double-clicks and their context
menu are requests the block library controller answers (app.blocks.library).
"""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.catalogue import BlockSpec, blocks_by_category
from engine.library import LibraryEntry

from .blocks.guide import tooltip_html
from .accessibility import name_clear_button
from .blocks.library import LIBRARY_MIME, entry_search_text, entry_tooltip, library_mime_data
from .clipboard import BLOCK_MIME
from .icons import CATEGORY_TITLES, category_icon, icon

TYPE_ROLE = Qt.ItemDataRole.UserRole
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 1  # lower-case title and summary
LIBRARY_ROLE = Qt.ItemDataRole.UserRole + 2  # a saved block's type name ("My Blocks")
TEMPLATE_ROLE = Qt.ItemDataRole.UserRole + 3  # its template as JSON-ready dict
MY_BLOCKS = "My Blocks"


def block_mime_data(type_id: str) -> QMimeData:
    mime = QMimeData()
    mime.setData(BLOCK_MIME, type_id.encode("utf-8"))
    return mime


#: Logical px: a saved block's long name may be elided (its tooltip has it) rather than widen the dock further.
MAX_NAMES_WIDTH = 300


class BlockTree(QTreeWidget):
    """Category groups of block items; only block items drag."""

    return_pressed = Signal(QTreeWidgetItem)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(True)
        self.setIndentation(14)
        self.setIconSize(QSize(18, 18))
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAnimated(True)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # Row heights measured before the stylesheet polished the items are stale.
        self.doItemsLayout()
        self.fit_names()

    def fit_names(self) -> None:
        """At least as wide as the longest shown name (up to MAX_NAMES_WIDTH): a narrow dock at 2× cut
        "AdaptiveAvgPool2d" short; now the dock cannot be made narrower than the names."""
        names = self.sizeHintForColumn(0) + 2 * self.frameWidth() + self.verticalScrollBar().sizeHint().width()
        self.setMinimumWidth(min(names, MAX_NAMES_WIDTH))

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentItem():
            self.return_pressed.emit(self.currentItem())
        else:
            super().keyPressEvent(event)

    def mimeTypes(self) -> list[str]:
        return [BLOCK_MIME, LIBRARY_MIME]

    def mimeData(self, items) -> QMimeData:
        templates = [item.data(0, TEMPLATE_ROLE) for item in items if item.data(0, TEMPLATE_ROLE)]
        if templates:
            return library_mime_data(templates[0])
        type_ids = [item.data(0, TYPE_ROLE) for item in items if item.data(0, TYPE_ROLE)]
        return block_mime_data(type_ids[0] if type_ids else "")


class BlockPalette(QWidget):
    block_requested = Signal(str)  # a type id to add after the selected node
    library_block_requested = Signal(str)  # a saved block's type name, to add after the selected node
    library_delete_requested = Signal(str)  # a saved block's type name, to delete (after asking)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setObjectName("paletteSearch")
        self.search.setPlaceholderText("Search blocks")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition).setText("Search")
        name_clear_button(self.search, "Clear search")
        self.search.setToolTip("Filter blocks by name or description (Ctrl+F); Enter adds the first match")
        self.search.setAccessibleName("Search blocks")
        self.search.setAccessibleDescription(self.search.toolTip())
        self.tree = BlockTree()
        self.tree.setAccessibleName("Blocks")
        self.tree.setAccessibleDescription("Block types to add to the network, by group")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 0)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._library_entries: list[LibraryEntry] = []
        self._populate()
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._add_first_match)
        # Double-click (not "activate": some desktops activate on a single click).
        self.tree.itemDoubleClicked.connect(self._item_chosen)
        self.tree.return_pressed.connect(self._item_chosen)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._show_context_menu)
        # Ctrl+F anywhere in the window focuses the search box (the main window, whose Ctrl+F finds
        # blocks on the canvas, turns this off and calls focus_search itself).
        self.search_shortcut = QShortcut(QKeySequence.StandardKey.Find, self,
                                         context=Qt.ShortcutContext.WindowShortcut)
        self.search_shortcut.activated.connect(self.focus_search)

    def _populate(self) -> None:
        self.my_blocks = QTreeWidgetItem(self.tree, [MY_BLOCKS])
        self.my_blocks.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = self.my_blocks.font(0)
        font.setWeight(font.Weight.DemiBold)
        self.my_blocks.setFont(0, font)
        self.set_library_entries([])
        for category, specs in blocks_by_category().items():
            group = QTreeWidgetItem(self.tree, [CATEGORY_TITLES[category]])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setWeight(font.Weight.DemiBold)
            group.setFont(0, font)
            for spec in specs:
                self._items[spec.type_id] = self._block_item(group, spec, category)
            group.setExpanded(True)

    @staticmethod
    def _block_item(group: QTreeWidgetItem, spec: BlockSpec, category: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem(group, [spec.title])
        item.setIcon(0, category_icon(category))
        item.setData(0, TYPE_ROLE, spec.type_id)
        item.setData(0, SEARCH_ROLE, f"{spec.title} {spec.summary}".lower())
        item.setToolTip(0, tooltip_html(spec))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
        return item

    def item_for(self, type_id: str) -> QTreeWidgetItem:
        return self._items[type_id]

    def set_library_entries(self, entries: list[LibraryEntry]) -> None:
        """Shows the saved blocks under "My Blocks" (a hint when there are none)."""
        if entries == self._library_entries and self.my_blocks.childCount():
            return  # the folder watcher repeats itself; rebuilding would break a click in progress
        self._library_entries = list(entries)
        expanded = self.my_blocks.isExpanded() or not self.my_blocks.childCount()
        self.my_blocks.takeChildren()
        for entry in entries:
            item = QTreeWidgetItem(self.my_blocks, [entry.type])
            item.setIcon(0, icon("warning" if entry.broken else "library_block"))
            item.setData(0, LIBRARY_ROLE, entry.type)
            item.setData(0, SEARCH_ROLE, entry_search_text(entry))
            item.setToolTip(0, entry_tooltip(entry))
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if not entry.broken:
                item.setData(0, TEMPLATE_ROLE, entry.template)
                flags |= Qt.ItemFlag.ItemIsDragEnabled
            item.setFlags(flags)
        if not entries:
            # Two short lines: a tree row does not wrap, and the palette is narrow.
            hint = QTreeWidgetItem(self.my_blocks, ["Save a block to\nreuse it here"])
            hint.setFlags(Qt.ItemFlag.NoItemFlags)
            hint.setData(0, SEARCH_ROLE, "")
            hint.setToolTip(0, "Select a composite block on the canvas, then Edit ▸ Save Block to Library…")
        self.my_blocks.setExpanded(expanded)
        self.filter(self.search.text())
        self.tree.fit_names()

    def library_item(self, type_name: str) -> QTreeWidgetItem | None:
        return next((self.my_blocks.child(index) for index in range(self.my_blocks.childCount())
                     if self.my_blocks.child(index).data(0, LIBRARY_ROLE) == type_name), None)

    def library_types(self) -> list[str]:
        """The saved blocks listed under "My Blocks", in order."""
        return [self.my_blocks.child(index).data(0, LIBRARY_ROLE) for index in range(self.my_blocks.childCount())
                if self.my_blocks.child(index).data(0, LIBRARY_ROLE)]

    def visible_types(self) -> list[str]:
        """Type ids that the current search shows, in palette order."""
        return [type_id for type_id, item in self._items.items()
                if not item.isHidden() and not item.parent().isHidden()]

    def filter(self, text: str) -> None:
        words = text.lower().split()
        for index in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(index)
            shown = 0
            for child_index in range(group.childCount()):
                item = group.child(child_index)
                match = all(word in item.data(0, SEARCH_ROLE) for word in words)
                item.setHidden(not match)
                shown += match
            group.setHidden(shown == 0)
            if words and shown:
                group.setExpanded(True)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _add_first_match(self) -> None:
        matches = self.visible_types()
        if self.search.text().strip() and matches:
            self.block_requested.emit(matches[0])

    def _item_chosen(self, item: QTreeWidgetItem) -> None:
        type_id = item.data(0, TYPE_ROLE)
        if type_id:
            self.block_requested.emit(type_id)
        elif item.data(0, TEMPLATE_ROLE):
            self.library_block_requested.emit(item.data(0, LIBRARY_ROLE))

    def library_menu(self, item: QTreeWidgetItem) -> QMenu | None:
        """The context menu of a "My Blocks" entry (None for other items)."""
        type_name = item.data(0, LIBRARY_ROLE) if item is not None else None
        if not type_name:
            return None
        menu = QMenu(self)
        menu.setObjectName("libraryBlockMenu")
        insert = menu.addAction("Insert", lambda: self.library_block_requested.emit(type_name))
        insert.setEnabled(bool(item.data(0, TEMPLATE_ROLE)))
        menu.addSeparator()
        delete = menu.addAction("Delete from Library…", lambda: self.library_delete_requested.emit(type_name))
        delete.setObjectName("deleteFromLibrary")
        return menu

    def _show_context_menu(self, pos) -> None:
        menu = self.library_menu(self.tree.itemAt(pos))
        if menu is not None:
            menu.exec(self.tree.viewport().mapToGlobal(pos))
            menu.deleteLater()
