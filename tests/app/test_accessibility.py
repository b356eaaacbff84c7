"""Every control of ConvCanvas is named for assistive technology (issue 24, item 7).

The walk covers the main window (every dock, including those in tabs behind
others, and the inspector's pages) and each dialog. A widget's name is what
Qt's accessibility layer exposes as ``QAccessible.Name``: an accessible name
set by us, a button's or check box's own text (Qt derives it, without the
``&``), or, for a field, the text of the label whose buddy it is. A tooltip
alone does not count: Qt exposes it as the *description*, which screen
readers read later or not at all.

Left out are Qt's own parts of composite widgets (scroll bars, header views,
a combo box's popup list, a spin box's inner line edit, objects Qt names
``qt_…``): screen readers reach their content through the named owner.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGraphicsView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QToolButton,
    QWidget,
)

INTERACTIVE = (QAbstractButton, QLineEdit, QAbstractSpinBox, QComboBox, QAbstractItemView, QGraphicsView,
               QTabBar, QAbstractSlider, QPlainTextEdit, QTextEdit, pg.PlotWidget, pg.GraphicsLayoutWidget)
FIELDS = (QLineEdit, QAbstractSpinBox, QComboBox, QPlainTextEdit, QCheckBox)


def qt_internal(widget: QWidget) -> bool:
    """A part Qt builds inside a composite widget, reached through its named owner."""
    if isinstance(widget, (QScrollBar, QHeaderView)) or widget.objectName().startswith("qt_"):
        return True
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QComboBox, QAbstractSpinBox)):
            return True  # the popup list, the spin box's line edit
        parent = parent.parentWidget()
    return False


def accessible_name(widget: QWidget) -> str:
    interface = QAccessible.queryAccessibleInterface(widget)
    return interface.text(QAccessible.Text.Name).strip() if interface is not None else ""


def describe(widget: QWidget) -> str:
    chain, parent = [], widget
    while parent is not None:
        chain.append(f"{type(parent).__name__}({parent.objectName()})" if parent.objectName()
                     else type(parent).__name__)
        parent = parent.parentWidget()
    return " < ".join(chain[:5])


def unnamed_controls(root: QWidget) -> list[str]:
    controls = [root, *root.findChildren(QWidget)]
    return [describe(widget) for widget in controls
            if isinstance(widget, INTERACTIVE) and not qt_internal(widget) and not accessible_name(widget)]


def form_fields(root: QWidget) -> list[QWidget]:
    """The inputs in the field column of every form layout (inside editor widgets too)."""
    fields = []
    for form in root.findChildren(QFormLayout):
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            widget = item.widget() if item is not None else None
            if widget is None:
                continue
            inputs = [widget] if isinstance(widget, FIELDS) else widget.findChildren(QWidget)
            fields.extend(field for field in inputs if isinstance(field, FIELDS) and not qt_internal(field)
                          and not (isinstance(field, QCheckBox) and field.text()))
    return fields


def unlabelled_fields(root: QWidget) -> list[str]:
    """Form fields no label points at (``QLabel.buddy``, the field or the editor holding it)."""
    buddies = [label.buddy() for label in root.findChildren(QLabel) if label.buddy() is not None]
    return [describe(field) for field in form_fields(root)
            if not any(buddy is field or buddy.isAncestorOf(field) for buddy in buddies)]


def assert_accessible(root: QWidget) -> None:
    assert unnamed_controls(root) == []
    assert unlabelled_fields(root) == []


def test_the_walk_finds_what_it_looks_for(qtbot):
    """The checks themselves: an icon-only button, a bare list and an unlinked field are caught."""
    root = QWidget()
    qtbot.addWidget(root)
    form = QFormLayout(root)
    form.addRow(QLabel("Epochs"), QLineEdit())
    form.addRow(QToolButton())
    form.addRow(QListWidget())
    assert len(unnamed_controls(root)) == 3
    assert len(unlabelled_fields(root)) == 1


def test_every_control_of_the_main_window_is_named_and_every_field_labelled(window, qtbot):
    ui = window.training_ui
    for host in (ui.clinical_host, ui.masks_host, ui.embeddings_host, ui.boxes_host, ui.gradients_host):
        host.build()  # the views built on first use (lazy_view.py) are walked too
    assert_accessible(window)
    window.canvas.select_nodes(["conv1"])  # the inspector's node page and its parameter editors
    assert_accessible(window)
    window.canvas.select_nodes(["conv1", "relu1"] if "relu1" in window.document.graph.nodes else [])
    assert_accessible(window)


def test_every_dialog_is_named(window, qtbot, tmp_path):
    from app.blocks.guide import BlockGuideDialog
    from app.explainer import show_convolution_explainer
    from app.training.export_dialog import ExportDialog

    dialogs = [
        window.model_menu.show_analyzer(),
        show_convolution_explainer(window),
        window.importer.show_torchvision_dialog(),
        window.importer.show_python_dialog(),
        ExportDialog(tmp_path / "run" / "checkpoint.pt", window.training_ui.jobs, window),
        BlockGuideDialog(window),
    ]
    dialogs.append(window.model_menu.show_weights_dialog())
    dialogs.append(window.show_sweep_dialog())
    problems = {}
    for dialog in dialogs:
        dialog.show()
        problems[type(dialog).__name__] = unnamed_controls(dialog) + unlabelled_fields(dialog)
        dialog.close()
    assert problems == {name: [] for name in problems}


def test_the_about_box_is_named(window, qtbot, dialogs):
    seen = []

    def check(box: QWidget) -> None:
        seen.append((unnamed_controls(box), unlabelled_fields(box)))
        box.accept()

    dialogs.expect(check)
    window.show_about()
    assert seen == [([], [])]


def test_training_progress_is_a_named_value_screen_readers_follow(window):
    panel = window.training_ui.panel
    bar = QAccessible.queryAccessibleInterface(panel.progress)
    assert bar.text(QAccessible.Text.Name) == "Training progress"
    panel.show_progress({"epoch": 1, "epochs": 2, "batch": 5, "batches_per_epoch": 10,
                         "images_per_second": 100.0, "eta_seconds": 30})
    value = bar.valueInterface()  # readers say the share of the range, which Qt reports on each change
    assert value.currentValue() / value.maximumValue() == 0.25
    status = QAccessible.queryAccessibleInterface(panel.status_label)
    assert status.text(QAccessible.Text.Name).startswith("Epoch 1/2 · batch 5/10")
