"""Model ▸ Analyze: the whole network as a sortable table that follows the canvas."""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.panels.analyzer import COLUMNS, NetworkAnalyzer
from app.presets_menu import presets_folder
from engine.layer_table import layer_rows

LEFT = Qt.MouseButton.LeftButton


def open_analyzer(qtbot, window) -> NetworkAnalyzer:
    window.open_preset(presets_folder() / "lenet5.cnn.json")
    action = window.model_menu.analyze_action
    assert action in window.model_menu.actions() and action.shortcut().toString() == "Ctrl+Shift+A"
    action.trigger()
    analyzer = window.findChild(NetworkAnalyzer)
    qtbot.waitExposed(analyzer)
    return analyzer


def column(analyzer: NetworkAnalyzer, name: str) -> list[str]:
    index = COLUMNS.index(name)
    return [analyzer.proxy.index(row, index).data() for row in range(analyzer.proxy.rowCount())]


def click_header(analyzer: NetworkAnalyzer, name: str) -> None:
    header = analyzer.table.horizontalHeader()
    section = COLUMNS.index(name)
    x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
    QTest.mouseClick(header.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, QPoint(x, header.height() // 2))


def test_the_menu_opens_one_row_per_layer_with_the_analysis_numbers(qtbot, window):
    analyzer = open_analyzer(qtbot, window)
    document = window.document
    rows = layer_rows(document.graph, document.analysis)
    assert analyzer.proxy.rowCount() == len(document.graph.nodes) == 14
    assert column(analyzer, "Layer") == [row.name for row in rows]
    assert column(analyzer, "Parameters") == [f"{row.params:,}" for row in rows]
    assert column(analyzer, "MACs") == [f"{row.macs:,}" for row in rows]
    assert column(analyzer, "Output shape")[1] == "6×28×28"
    assert "14 layers" in analyzer.totals.text() and "61,706 parameters" in analyzer.totals.text()
    window.model_menu.analyze_action.trigger()  # again: the same window comes to the front
    assert window.findChildren(NetworkAnalyzer) == [analyzer]


def test_a_header_click_sorts_by_the_numbers_not_their_text(qtbot, window):
    analyzer = open_analyzer(qtbot, window)
    click_header(analyzer, "Parameters")
    params = [int(text.replace(",", "")) for text in column(analyzer, "Parameters")]
    assert params in (sorted(params), sorted(params, reverse=True))
    assert params != sorted(params, key=str)  # as text, "850" would come after "48,120"
    click_header(analyzer, "#")
    assert column(analyzer, "Layer")[:2] == ["input", "conv1"]  # "#" is the flow order again


def test_double_clicking_a_row_selects_its_node_on_the_canvas(qtbot, window):
    analyzer = open_analyzer(qtbot, window)
    row = column(analyzer, "Layer").index("conv2")
    table = analyzer.table
    point = table.visualRect(analyzer.proxy.index(row, 1)).center()
    QTest.mouseClick(table.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, point)
    QTest.mouseDClick(table.viewport(), LEFT, Qt.KeyboardModifier.NoModifier, point)
    assert window.canvas.selected_node_ids() == ["conv2"]


def test_the_table_follows_edits_while_it_is_open(qtbot, window):
    analyzer = open_analyzer(qtbot, window)
    document = window.document
    with qtbot.waitSignal(document.analysis_changed, timeout=2000):
        document.set_param("conv2", "kernel_size", 30)
    row = column(analyzer, "Layer").index("conv2")
    assert column(analyzer, "Issues")[row] == "1 error"
    assert column(analyzer, "Output shape")[row] == "?"
    assert "error" in analyzer.totals.text()
    with qtbot.waitSignal(document.analysis_changed, timeout=2000):
        document.undo_stack.undo()
    assert column(analyzer, "Issues")[row] == "—" and column(analyzer, "Output shape")[row] == "16×10×10"


def test_a_sorted_table_stays_sorted_when_an_edit_changes_the_numbers(qtbot, window):
    analyzer = open_analyzer(qtbot, window)
    click_header(analyzer, "Parameters")
    descending = analyzer.table.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    before = column(analyzer, "Layer").index("conv1")
    with qtbot.waitSignal(window.document.analysis_changed, timeout=2000):
        window.document.set_param("conv1", "out_channels", 512)  # conv1 (and conv2) grow a lot
    params = [int(text.replace(",", "")) for text in column(analyzer, "Parameters")]
    assert params == sorted(params, reverse=descending)
    assert column(analyzer, "Layer").index("conv1") != before  # it moved to its new place
