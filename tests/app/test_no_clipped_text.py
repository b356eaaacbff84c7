"""Text that used to be cut off: the My Blocks hint, the confusion table, the checkpoint link and
the predictions gallery's captions. Each is measured against the room it gets."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.training.confusion import ConfusionView
from app.training.gallery import GalleryView

CIFAR = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def test_the_my_blocks_hint_fits_the_palette_line_by_line(qtbot, window):
    window.resizeDocks([window.palette_dock], [200], Qt.Orientation.Horizontal)
    tree = window.palette_panel.tree
    my_blocks = window.palette_panel.my_blocks
    my_blocks.setExpanded(True)
    hint = my_blocks.child(0)
    rect = tree.visualItemRect(hint)
    metrics = tree.fontMetrics()
    lines = hint.text(0).split("\n")
    assert len(lines) == 2
    text_left = rect.left() + tree.iconSize().width() // 2
    for line in lines:
        assert text_left + metrics.horizontalAdvance(line) <= tree.viewport().width(), line
    assert rect.height() >= 2 * metrics.lineSpacing()  # both lines shown, not one clipped


def test_confusion_table_columns_are_never_narrower_than_their_text(qtbot):
    view = ConfusionView()
    qtbot.addWidget(view)
    view.resize(420, 300)  # a narrow dock: the splitter would squeeze the table
    view.show()
    matrix = np.eye(10, dtype=int) * 90 + 1
    view.show_confusion(matrix, CIFAR)
    table, header = view.table, view.table.horizontalHeader()
    metrics = table.fontMetrics()
    for column in range(table.columnCount()):
        widest = max([metrics.horizontalAdvance(table.item(row, column).text()) for row in range(10)]
                     + [header.sectionSizeFromContents(column).width() - 8])
        assert header.sectionSize(column) >= widest, table.horizontalHeaderItem(column).text()
    QApplication.processEvents()  # the splitter lays the table out
    needed = sum(max(table.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in range(table.columnCount()))
    assert table.viewport().width() >= needed  # every column in sight, none cut at the table's edge


def test_the_checkpoint_link_names_the_run_and_keeps_the_whole_path_in_its_tooltip(window):
    panel = window.training_ui.panel
    deep = Path("/home/someone/projects/convcanvas/experiments/2026-12-07/runs/20261207-084001-lenet-5")
    path = deep / "checkpoint-best.pt"
    panel.show_checkpoint(path)
    label = panel.run_label

    def shown() -> str:
        return re.sub("<[^>]+>", "", label.text())

    assert label.toolTip() == str(path)
    assert shown() == f"Best checkpoint: {deep.name}/checkpoint-best.pt"
    panel.show_run_folder(deep)
    assert label.toolTip() == str(deep) and shown() == f"Checkpoints go to {deep.name}"
    # A word-wrapped label can break the sentence but not a path: the one long word decides its width.
    assert label.minimumSizeHint().width() <= 320


def test_gallery_cells_are_as_wide_as_the_longest_caption(qtbot):
    view = GalleryView()
    qtbot.addWidget(view)
    view.resize(520, 300)
    view.show()
    images = np.zeros((4, 8, 8), np.uint8)
    view.show_predictions(images, [1, 1, 9, 0], [0, 1, 1, 0], [0.97, 0.8, 0.7, 0.9], CIFAR)
    metrics = view.list.fontMetrics()
    widest = max(metrics.horizontalAdvance(line) for index in range(view.list.count())
                 for line in view.list.item(index).text().split("\n"))
    assert view.list.gridSize().width() >= widest + 8
    assert view.list.gridSize().height() >= 64 + 2 * metrics.lineSpacing()
    assert view.body.sizes()[0] > view.body.sizes()[1]  # the thumbnails get most of the room


def test_confusion_counts_are_left_out_where_they_would_not_fit_their_cells(qtbot):
    view = ConfusionView()
    qtbot.addWidget(view)
    view.show()
    matrix = np.full((10, 10), 123)
    view.show_confusion(matrix, CIFAR)

    def counts_change_the_picture() -> bool:
        QApplication.processEvents()
        with_counts = view.graphics.grab().toImage()
        view.counts.setVisible(False)
        without = view.graphics.grab().toImage()
        view.counts.setVisible(True)
        return with_counts != without

    view.resize(900, 700)
    assert counts_change_the_picture()  # big cells: "123" in each
    view.resize(260, 200)
    assert not counts_change_the_picture()  # tiny cells: numbers would overlap, so none are drawn
