"""The sample grid paints its cells itself: each thumbnail lands in the cell Qt's list layout gives its row,
and a scroll draws only the cells that came into view (issue #22's smooth scrolling)."""
from __future__ import annotations

import torch
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.data.sample_grid import CELL_SIDE, SampleGrid
from engine.data.sample_index import array_samples

COUNT = 6_000


def _grey_samples():
    """Sample i is a flat 28×28 grey of brightness i % 251, so a painted pixel names its sample."""
    shades = (torch.arange(COUNT) % 251).to(torch.uint8)
    images = shades.view(COUNT, 1, 1, 1).expand(COUNT, 1, 28, 28).contiguous()
    labels = torch.arange(COUNT) % 10
    return array_samples("greys", [str(i) for i in range(10)], "label", images[:5_000], images[5_000:],
                         labels[:5_000], labels[5_000:])


def _shown_grid(qtbot) -> SampleGrid:
    grid = SampleGrid()
    qtbot.addWidget(grid)
    grid.resize(640, 420)
    grid.show()
    qtbot.waitExposed(grid)
    grid.set_samples(_grey_samples())
    qtbot.waitUntil(lambda: grid.verticalScrollBar().maximum() > 0 and grid.grid_model.decoded > 0)
    qtbot.waitUntil(lambda: grid.placeholders == 0)  # (a loaded machine may need a frame more to decode)
    return grid


def _painted_shade(grid: SampleGrid, row: int, picture) -> int:
    centre = grid.visualRect(grid.model().index(row, 0)).center()
    ratio = picture.devicePixelRatio()
    return picture.pixelColor(round(centre.x() * ratio), round(centre.y() * ratio)).red()


def test_each_thumbnail_is_painted_in_the_cell_qt_lays_out_for_its_row(qtbot):
    grid = _shown_grid(qtbot)
    grid.painted_cells = 0
    grid.verticalScrollBar().setValue(37 * CELL_SIDE + 11)  # mid-way down, not on a cell boundary
    qtbot.waitUntil(lambda: grid.painted_cells > 0 and grid.placeholders == 0)
    picture = grid.viewport().grab().toImage()
    first = grid.indexAt(QPoint(CELL_SIDE // 2, CELL_SIDE // 2)).row()
    assert first > 0
    columns = grid.columns()
    for row in (first, first + 1, first + columns - 1, first + columns, first + 3 * columns + 2):
        assert _painted_shade(grid, row, picture) == row % 251, row


def test_a_scroll_draws_only_the_cells_that_came_into_view_even_with_the_mouse_over_the_grid(qtbot):
    grid = _shown_grid(qtbot)
    viewport = grid.viewport()
    columns = grid.columns()
    visible_lines = -(-viewport.height() // CELL_SIDE) + 1
    # The mouse rests on a cell: scrolling moves a new sample under it, whose hover state dirties that cell
    # at the top while the new strip is dirtied at the bottom.
    QTest.mouseMove(viewport, QPoint(CELL_SIDE // 2, CELL_SIDE // 2))
    for warm_up in (CELL_SIDE // 2, CELL_SIDE):  # (the mouse's arrival repaints the whole grid once)
        grid.painted_cells = 0
        grid.verticalScrollBar().setValue(warm_up)
        qtbot.waitUntil(lambda: grid.painted_cells > 0 and grid.placeholders == 0)
    for step in range(1, 6):
        grid.painted_cells = 0
        grid.verticalScrollBar().setValue(CELL_SIDE + step * 2 * CELL_SIDE)  # two lines a step
        qtbot.waitUntil(lambda: grid.painted_cells > 0 and grid.placeholders == 0)
        # two new lines (three where they straddle a cell boundary) and the cell under the mouse
        assert grid.painted_cells <= 3 * columns + 4 < visible_lines * columns, step
    picture = viewport.grab().toImage()  # and what is on screen is still right everywhere
    for point in (QPoint(CELL_SIDE // 2, CELL_SIDE // 2), QPoint(viewport.width() // 2, viewport.height() - 20)):
        row = grid.indexAt(point).row()
        assert _painted_shade(grid, row, picture) == row % 251


def test_the_chosen_sample_is_framed_in_the_highlight_colour(qtbot):
    grid = _shown_grid(qtbot)
    grid.setFocus()
    QTest.keyClick(grid, Qt.Key.Key_Right)
    assert grid.currentIndex().row() == 1
    picture = grid.viewport().grab().toImage()
    rect = grid.visualRect(grid.model().index(1, 0))
    ratio = picture.devicePixelRatio()
    edge = picture.pixelColor(round((rect.left() + 1) * ratio), round(rect.center().y() * ratio))
    assert edge == grid.palette().highlight().color()


def test_files_too_slow_for_one_frame_show_placeholders_then_their_images(qtbot, tmp_path):
    """Reading an image file takes about half a millisecond: a frame decodes what fits in its budget,
    draws a placeholder in the other new cells and paints their images right after."""
    from engine.data.sample_index import open_samples

    from ..engine.data.data_folders import imbalanced_folder

    samples = open_samples(imbalanced_folder(tmp_path / "pets", {"cats": 60, "dogs": 60}, channels=1))
    grid = SampleGrid()
    qtbot.addWidget(grid)
    grid.resize(640, 420)
    grid.decode_budget_s = 0.0  # every frame over budget after its first image (a very slow disk)
    grid.show()
    qtbot.waitExposed(grid)
    grid.set_samples(samples)
    qtbot.waitUntil(lambda: grid.placeholders > 0)  # the first frame: one image, the rest waiting
    first_frame_made = grid.grid_model.decoded
    qtbot.waitUntil(lambda: not grid.filling_in and grid.grid_model.decoded > first_frame_made)
    _assert_every_visible_cell_has_its_image(grid)
    assert grid.grid_model.decoded < len(samples)  # only what is on screen
    # Scrolling while placeholders wait moves them with the picture: they are still filled in where they went.
    grid.painted_cells = 0
    for value in (CELL_SIDE, 2 * CELL_SIDE, 3 * CELL_SIDE):
        grid.verticalScrollBar().setValue(value)
        qtbot.waitUntil(lambda: grid.painted_cells > 0)  # a frame with placeholders, then the next scroll
        grid.painted_cells = 0
    qtbot.waitUntil(lambda: not grid.filling_in)
    _assert_every_visible_cell_has_its_image(grid)


def _assert_every_visible_cell_has_its_image(grid: SampleGrid) -> None:
    viewport, model = grid.viewport(), grid.grid_model
    first = grid.indexAt(QPoint(1, 1)).row()
    last = grid.indexAt(QPoint(grid.columns() * CELL_SIDE - 2, viewport.height() - 2)).row()
    last = model.count - 1 if last < 0 else last
    assert 0 <= first < last
    missing = [row for row in range(first, last + 1) if model.cached(int(model.rows[row])) is None]
    assert not missing
