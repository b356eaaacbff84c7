"""Names the compiled network cannot carry are refused where the user types them, and a
network loaded with one shows the error on the node's card (in the inspector)."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.document import Document
from app.inspector import Inspector

from .canvas_helpers import lenet_project
from .test_inspector import inspector  # noqa: F401 - the fixture, over this file's document


@pytest.fixture
def document(qtbot):
    return Document(lenet_project())


def messages_of(document: Document) -> list[str]:
    messages: list[str] = []
    document.status_message.connect(messages.append)
    return messages


@pytest.mark.parametrize("name", ["forward", "training", "state_dict", "graph", "code", "self", "_modules", "__init__"])
def test_the_inspector_refuses_a_name_the_network_already_has(qtbot, inspector, document, name):
    inspector.show_nodes(["conv1"])
    page = inspector.page
    page.name_edit.setFocus()
    page.name_edit.selectAll()
    QTest.keyClicks(page.name_edit, name)
    assert "call it" in page.name_problem.text()  # said while typing
    QTest.keyClick(page.name_edit, Qt.Key.Key_Return)
    assert document.graph.nodes["conv1"].name == "conv1"
    assert page.name_edit.text() == "conv1" and "Kept “conv1”" in page.name_problem.text()
    assert document.undo_stack.count() == 0


def test_the_document_refuses_reserved_node_and_block_names_with_a_fix(document):
    messages = messages_of(document)
    assert not document.rename("conv1", "forward")
    assert messages[-1] == ("Cannot rename: 'forward' is already the name of a PyTorch module attribute "
                            "(model.forward); call it forward_1 instead")
    assert document.group_nodes(["conv1", "relu1"], "training.0", "Stem") is None
    assert messages[-1].startswith("Cannot group these nodes: 'training' is already the name of a PyTorch")
    group_id = document.group_nodes(["conv1", "relu1"], "stem", "Stem")
    assert not document.update_block(group_id, name="state_dict")
    assert "choose another block name" in messages[-1]
    assert document.undo_stack.count() == 1  # only the grouping


def test_a_loaded_network_with_such_a_name_shows_the_error_on_the_card(qtbot):
    project = lenet_project()
    project.graph.rename("conv1", "forward")  # as a file may hold it
    document = Document(project)
    (issue,) = document.analysis.nodes["conv1"].issues
    assert issue.message.startswith("forward: 'forward' is already the name of a PyTorch module attribute")
    assert issue.hint == "Rename it, e.g. to forward_1."
    assert not document.analysis.valid
    widget = Inspector(document)
    qtbot.addWidget(widget)
    widget.show()
    widget.show_nodes(["conv1"])
    page = widget.page
    shown = lambda: [label.text() for label in page.findChildren(type(page.title), "issueText")  # noqa: E731
                     if label.isVisible() and label.property("severity") == "error"]
    qtbot.waitUntil(lambda: any("Rename it, e.g. to forward_1." in text for text in shown()))
