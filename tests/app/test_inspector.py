"""The inspector: editors generated from ParamSpecs, each commit one undoable edit."""
from __future__ import annotations

import gc
import weakref

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox

from app.document import Document
from app.formatting import compact_text
from app.inspector import Inspector, NodePage, ProjectPage, SelectionPage
from app.param_editors import (
    BoolEditor,
    ChoiceEditor,
    FloatEditor,
    IntEditor,
    PaddingEditor,
    PairEditor,
    SmallFloatEditor,
    editor_for as make_editor,
)
from app.presets_menu import first_launch_preset
from engine.catalogue import block
from engine.config import TRAINING_SETTINGS
from engine.project import load_project

ENTER = Qt.Key.Key_Return


@pytest.fixture
def document(qtbot):
    return Document(load_project(first_launch_preset()))


@pytest.fixture
def inspector(qtbot, document):
    widget = Inspector(document)
    qtbot.addWidget(widget)
    widget.resize(340, 800)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def type_into(widget, text: str) -> None:
    """Focus, select all, type and press Enter, as a user edits a field."""
    widget.setFocus()
    line = widget.lineEdit() if isinstance(widget, QSpinBox) else widget
    line.selectAll()
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, ENTER)


def test_every_parameter_kind_gets_a_fitting_editor_with_its_help(qtbot):
    def editor_for(spec):  # owned by qtbot, so deleted at the end (they have no parent here)
        editor = make_editor(spec)
        qtbot.addWidget(editor)
        return editor


    kinds = {
        ("conv2d", "out_channels"): IntEditor, ("conv2d", "kernel_size"): PairEditor,
        ("conv2d", "padding"): PaddingEditor, ("conv2d", "bias"): BoolEditor,
        ("activation", "function"): ChoiceEditor, ("dropout", "p"): FloatEditor,
        ("batchnorm2d", "eps"): SmallFloatEditor,
    }
    for (type_id, name), kind in kinds.items():
        spec = block(type_id).param(name)
        editor = editor_for(spec)
        assert type(editor) is kind, name
        assert editor.toolTip() == spec.help
        assert editor.value() == spec.default
    channels = editor_for(block("conv2d").param("out_channels"))
    assert (channels.spin.minimum(), channels.spin.maximum()) == (1, 65_536)
    dropout = editor_for(block("dropout").param("p"))
    assert dropout.spin.maximum() < 1.0  # p must stay below 1
    for spec in TRAINING_SETTINGS:  # the training form can reuse the editors
        assert editor_for(spec).value() == spec.default


def test_a_node_shows_its_name_parameters_numbers_and_guide(inspector, document):
    inspector.show_nodes(["conv2"])
    page = inspector.page
    assert isinstance(page, NodePage)
    assert page.name_edit.text() == "conv2"
    assert list(page.editors) == [p.name for p in block("conv2d").params]
    assert page.editors["out_channels"].value() == 16
    assert page.shape_label.text() == "16×10×10"
    assert page.params_label.text() == "2,416"
    assert page.macs_label.text() == compact_text(document.analysis.nodes["conv2"].macs)
    assert page.findChild(type(page.title), "inspectorTitle").text() == "conv2"
    texts = " ".join(label.text() for label in page.findChildren(type(page.title)))
    assert block("conv2d").summary in texts and block("conv2d").shape_formula in texts
    assert not page.issues_heading.isVisibleTo(page)


def test_a_convolution_with_groups_equal_to_its_input_channels_is_called_depthwise(qtbot, inspector, document):
    inspector.show_nodes(["conv2"])
    page = inspector.page
    assert document.analysis.nodes["conv2"].input_shapes == [(6, 14, 14)]
    assert document.set_param("conv2", "out_channels", 12)
    with qtbot.waitSignal(document.analysis_changed, timeout=2000):
        assert document.set_param("conv2", "groups", 6)
    qtbot.waitUntil(lambda: page.shape_label.text() == "12×10×10 (depthwise)")
    with qtbot.waitSignal(document.analysis_changed, timeout=2000):
        assert document.set_param("conv2", "groups", 2)
    qtbot.waitUntil(lambda: page.shape_label.text() == "12×10×10 (grouped, 2 groups)")
    with qtbot.waitSignal(document.analysis_changed, timeout=2000):
        assert document.set_param("conv2", "groups", 1)
    qtbot.waitUntil(lambda: page.shape_label.text() == "12×10×10")


def test_typing_a_value_is_one_undo_step_and_arrow_steps_merge_into_it(qtbot, inspector, document):
    inspector.show_nodes(["conv1"])
    spin = inspector.page.editors["out_channels"].spin
    type_into(spin, "32")
    assert document.graph.nodes["conv1"].params["out_channels"] == 32
    assert document.undo_stack.count() == 1  # not one per keystroke
    QTest.keyClick(spin, Qt.Key.Key_Up)
    QTest.keyClick(spin, Qt.Key.Key_Up)
    assert document.graph.nodes["conv1"].params["out_channels"] == 34
    assert document.undo_stack.count() == 1
    assert document.undo_stack.undoText() == "Set conv1 out channels to 34"
    document.undo_stack.undo()
    assert spin.value() == 6  # the editor follows undo


def test_linked_pair_stays_square_and_unlinked_sides_differ(inspector, document):
    inspector.show_nodes(["conv1"])
    editor = inspector.page.editors["kernel_size"]
    assert editor.linked
    type_into(editor.height_spin, "3")
    assert document.graph.nodes["conv1"].params["kernel_size"] == 3
    assert editor.width_spin.value() == 3
    QTest.mouseClick(editor.link, Qt.MouseButton.LeftButton)
    assert not editor.linked
    type_into(editor.width_spin, "5")
    assert document.graph.nodes["conv1"].params["kernel_size"] == [3, 5]
    QTest.mouseClick(editor.link, Qt.MouseButton.LeftButton)  # relinking squares it again
    assert document.graph.nodes["conv1"].params["kernel_size"] == 3


def test_padding_switches_between_pixels_and_same(qtbot, inspector, document):
    inspector.show_nodes(["conv1"])
    editor = inspector.page.editors["padding"]
    assert editor.pixels.isVisibleTo(editor)
    combo: QComboBox = editor.mode
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Down)  # pixels → same
    assert document.graph.nodes["conv1"].params["padding"] == "same"
    assert not editor.pixels.isVisibleTo(editor)
    document.undo_stack.undo()
    assert document.graph.nodes["conv1"].params["padding"] == 0
    assert combo.currentData() == "number" and editor.pixels.isVisibleTo(editor)


def test_check_box_choice_and_small_float_editors_commit(qtbot, inspector, document):
    inspector.show_nodes(["conv1"])
    bias: QCheckBox = inspector.page.editors["bias"].check
    QTest.mouseClick(bias, Qt.MouseButton.LeftButton)
    assert document.graph.nodes["conv1"].params["bias"] is False

    inspector.show_nodes(["tanh1"])
    combo: QComboBox = inspector.page.editors["function"].combo
    assert combo.currentText() == "Tanh"
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Home)
    assert document.graph.nodes["tanh1"].params["function"] == "relu"

    bn = document.add_node("batchnorm2d", (0, 300))
    inspector.show_nodes([bn])
    eps: QLineEdit = inspector.page.editors["eps"].line
    assert eps.text() == "1e-05"
    type_into(eps, "1e-3")
    assert document.graph.nodes[bn].params["eps"] == pytest.approx(1e-3)
    assert document.undo_stack.undoText() == f"Set {bn} eps to 0.001"


def test_renaming_works_and_taken_or_invalid_names_are_refused(inspector, document):
    inspector.show_nodes(["conv1"])
    page = inspector.page
    type_into(page.name_edit, "stem")
    assert document.graph.nodes["conv1"].name == "stem"
    assert page.title.text() == "stem"
    type_into(page.name_edit, "conv2")
    assert document.graph.nodes["conv1"].name == "stem"
    assert "already used" in page.name_problem.text()
    assert page.name_edit.text() == "stem"
    page.name_edit.setFocus()
    QTest.keyClicks(page.name_edit, " x")
    assert "not a valid node name" in page.name_problem.text()  # said while typing
    page.name_edit.clearFocus()  # leaving the field tries the name, and keeps the old one
    assert page.name_edit.text() == "stem" and "Kept “stem”" in page.name_problem.text()
    document.undo_stack.undo()
    assert page.name_edit.text() == "conv1"


def test_issues_of_the_node_are_listed(qtbot, inspector, document):
    inspector.show_nodes(["fc1"])
    with qtbot.waitSignal(document.analysis_changed, timeout=2000):
        document.remove_nodes(["flatten"])
    page = inspector.page
    assert page.issues_heading.isVisibleTo(page)
    shown = lambda: [label.text() for label in page.findChildren(type(page.title), "issueText")  # noqa: E731
                     if label.isVisible() and label.property("severity") == "error"]
    qtbot.waitUntil(lambda: any("fc1: Dense needs an input" in text for text in shown()))


def test_deleting_the_shown_node_shows_the_project(qtbot, inspector, document):
    inspector.show_nodes(["conv1"])
    document.remove_nodes(["conv1"])
    assert isinstance(inspector.page, ProjectPage)
    document.undo_stack.undo()
    inspector.show_nodes(["conv1"])
    assert isinstance(inspector.page, NodePage)


def test_several_nodes_show_a_count_and_their_totals(inspector, document):
    inspector.show_nodes(["conv1", "conv2", "tanh1"])
    page = inspector.page
    assert isinstance(page, SelectionPage)
    assert page.findChild(type(page.params_label), "inspectorTitle").text() == "3 nodes selected"
    assert page.params_label.text() == f"{156 + 2416:,}"


def test_no_selection_shows_the_project_with_editable_name_and_totals(qtbot, inspector, document):
    inspector.show_nodes([])
    page = inspector.page
    assert isinstance(page, ProjectPage)
    assert page.params_label.text() == "61,706"
    assert page.shape_label.text() == "1×32×32 → 10"
    assert page.validity_label.text() == "Ready to train"
    type_into(page.name_edit, "My LeNet")
    assert document.project.name == "My LeNet"
    assert document.is_dirty
    assert document.undo_stack.undoText() == "Change project name"
    document.undo_stack.undo()
    assert document.project.name == "LeNet-5"
    assert page.name_edit.text() == "LeNet-5"


def test_editing_is_disabled_while_read_only(inspector, document):
    inspector.show_nodes(["conv1"])
    document.read_only = True
    assert not inspector.page.isEnabled()
    inspector.show_nodes(["conv2"])
    assert not inspector.page.isEnabled()
    document.read_only = False
    assert inspector.page.isEnabled()


def test_the_guide_section_says_when_to_use_the_block_its_shape_and_each_parameter(inspector):
    from PySide6.QtGui import QTextDocument
    from PySide6.QtWidgets import QLabel

    from engine.catalogue.guide import allowed_values, default_text

    for node, type_id in (("conv2", "conv2d"), ("pool1", "avgpool2d"), ("flatten", "flatten")):
        inspector.show_nodes([node])
        document = QTextDocument()
        document.setHtml("<br>".join(label.text() for label in inspector.page.findChildren(QLabel)))
        text = " ".join(document.toPlainText().split())
        spec = block(type_id)
        assert f"When to use it: {spec.when}" in text and f"Shape: {spec.shape_formula}" in text
        for param in spec.params:
            assert f"{param.title}: {param.help} ({allowed_values(param)}; default " \
                   f"{default_text(param.default)})" in text


def test_a_deleted_inspector_lets_its_document_go(qtbot):
    """Its connections to the document end with it (a lambda holding it kept both alive for good)."""
    document = Document(load_project(first_launch_preset()))
    inspector = Inspector(document)
    inspector.show_nodes(["conv1"])
    inspector.deleteLater()
    del inspector
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gone = weakref.ref(document)
    del document
    gc.collect()
    assert gone() is None
