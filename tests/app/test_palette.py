"""The block palette: generated from the catalogue, searchable, draggable, keyboard-friendly."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.clipboard import BLOCK_MIME
from app.icons import CATEGORY_TITLES
from app.blocks.library import LIBRARY_MIME
from app.palette import MY_BLOCKS, BlockPalette, block_mime_data
from engine.catalogue import ALL_BLOCKS, CATEGORIES, block


@pytest.fixture
def palette(qtbot):
    widget = BlockPalette()
    qtbot.addWidget(widget)
    widget.resize(260, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_categories_come_in_catalogue_order_with_every_block(palette):
    tree = palette.tree
    titles = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert titles == [MY_BLOCKS] + [CATEGORY_TITLES[category] for category in CATEGORIES]
    assert sorted(palette.visible_types()) == sorted(spec.type_id for spec in ALL_BLOCKS)
    item = palette.item_for("conv2d")
    assert item.text(0) == "Conv2d"
    assert block("conv2d").summary in item.toolTip(0)
    assert not item.icon(0).isNull()


def test_search_filters_by_title_and_summary(palette):
    QTest.keyClicks(palette.search, "pool")
    assert palette.visible_types() == ["maxpool2d", "avgpool2d", "adaptiveavgpool2d"]
    palette.search.clear()
    QTest.keyClicks(palette.search, "overfitting")  # only in Dropout's summary
    assert palette.visible_types() == ["dropout"]
    assert palette.tree.topLevelItem(1 + CATEGORIES.index("convolution")).isHidden()
    palette.search.clear()
    assert len(palette.visible_types()) == len(ALL_BLOCKS)


def test_enter_in_the_search_box_requests_the_first_match(qtbot, palette):
    QTest.keyClicks(palette.search, "dense")
    with qtbot.waitSignal(palette.block_requested) as requested:
        QTest.keyClick(palette.search, Qt.Key.Key_Return)
    assert requested.args == ["dense"]


def test_enter_with_an_empty_search_requests_nothing(qtbot, palette):
    with qtbot.assertNotEmitted(palette.block_requested):
        QTest.keyClick(palette.search, Qt.Key.Key_Return)


def test_ctrl_f_focuses_the_search_box(qtbot, palette):
    palette.tree.setFocus()
    QTest.keyClick(palette.tree, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert palette.search.hasFocus()


def test_double_click_and_enter_on_a_block_request_it(qtbot, palette):
    tree = palette.tree
    item = palette.item_for("flatten")
    point = tree.visualItemRect(item).center()
    with qtbot.waitSignal(palette.block_requested) as requested:
        QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
        QTest.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    assert requested.args == ["flatten"]
    tree.setCurrentItem(palette.item_for("add"))
    with qtbot.waitSignal(palette.block_requested) as requested:
        QTest.keyClick(tree, Qt.Key.Key_Return)
    assert requested.args == ["add"]


def test_double_clicking_a_category_adds_nothing(qtbot, palette):
    tree = palette.tree
    point = tree.visualItemRect(tree.topLevelItem(0)).center()
    with qtbot.assertNotEmitted(palette.block_requested):
        QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
        QTest.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)


def test_dragging_a_block_carries_its_type_id(palette):
    tree = palette.tree
    assert tree.mimeTypes() == [BLOCK_MIME, LIBRARY_MIME]  # LIBRARY_MIME: "My Blocks" entries
    mime = tree.mimeData([palette.item_for("maxpool2d")])
    assert mime.formats() == [BLOCK_MIME]
    assert bytes(mime.data(BLOCK_MIME).data()).decode() == "maxpool2d"
    assert bytes(block_mime_data("concat").data(BLOCK_MIME).data()) == b"concat"
    assert not (palette.tree.topLevelItem(0).flags() & Qt.ItemFlag.ItemIsDragEnabled)


def plain_text(html: str) -> str:
    from PySide6.QtGui import QTextDocument

    document = QTextDocument()
    document.setHtml(html)
    return " ".join(document.toPlainText().split())


def explains_fully(text: str, spec) -> bool:
    """The block's summary, when to use it, its shape formula and every parameter's help, allowed values
    and default are all in ``text``."""
    from engine.catalogue.guide import allowed_values, default_text

    needed = [spec.summary, spec.when, spec.shape_formula]
    for param in spec.params:
        needed += [f"{param.title}: {param.help}", f"({allowed_values(param)}; default {default_text(param.default)})"]
    missing = [piece for piece in needed if piece not in text]
    assert not missing, missing
    return True


def test_hovering_a_block_shows_when_to_use_it_its_shape_and_its_parameters(palette, qtbot):
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    tree = palette.tree
    for type_id in ("conv2d", "dropout", "flatten"):
        point = tree.visualItemRect(palette.item_for(type_id)).center()
        QApplication.sendEvent(tree.viewport(),
                               QHelpEvent(QEvent.Type.ToolTip, point, tree.viewport().mapToGlobal(point)))
        qtbot.waitUntil(QToolTip.isVisible)
        assert explains_fully(plain_text(QToolTip.text()), block(type_id))
        QToolTip.hideText()


def test_the_block_guide_dialog_explains_every_block(qtbot):
    from app.blocks.guide import BlockGuideDialog

    dialog = BlockGuideDialog()
    qtbot.addWidget(dialog)
    text = " ".join(dialog.browser.toPlainText().split())
    for spec in ALL_BLOCKS:
        assert spec.title in text and explains_fully(text, spec)
    from engine.catalogue.guide import PATTERNS

    for name, blocks, why in PATTERNS:  # and how the modern families combine them
        assert " ".join(f"{name}: {blocks} {why}".split()) in text
