"""File ▸ Export: a picture of the network (PNG, SVG) and its Python source, driven through the menu actions."""
from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from engine.compiler import InvalidGraphError
from engine.codegen import python_source


def choose(dialogs, target):
    """Answers the next file dialog with ``target``, as a user typing the name would."""
    def answer(dialog):
        assert dialog.objectName() == "exportFileDialog"
        dialog.selectFile(str(target))
        dialog.accept()

    dialogs.expect(answer)


def test_png_export_draws_the_whole_network_at_twice_the_size(qtbot, window, dialogs, tmp_path):
    target = tmp_path / "lenet.png"
    window.canvas.select_nodes(["conv1"])
    choose(dialogs, target)
    window.export_picture_action.trigger()

    image = QImage(str(target))
    assert not image.isNull()
    assert image.width() > 800
    corner = image.pixel(0, 0)
    assert any(image.pixel(x, image.height() // 2) != corner for x in range(image.width()))
    assert window.canvas.selected_node_ids() == ["conv1"]  # the picture left the selection alone
    assert str(target) in window.statusBar().currentMessage()
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")] == []


def test_svg_export_writes_a_drawing(qtbot, window, dialogs, tmp_path):
    target = tmp_path / "lenet.svg"
    choose(dialogs, target)
    window.export_picture_action.trigger()

    text = target.read_text(encoding="utf-8")
    assert "<svg" in text
    assert "LeNet-5" in text  # the title


def test_a_picture_name_without_a_suffix_becomes_a_png(qtbot, window, dialogs, tmp_path):
    choose(dialogs, tmp_path / "lenet")
    window.export_picture_action.trigger()
    assert not QImage(str(tmp_path / "lenet.png")).isNull()


def test_python_export_writes_source_that_defines_the_network(qtbot, window, dialogs, tmp_path):
    target = tmp_path / "lenet.py"
    choose(dialogs, target)
    window.export_python_action.trigger()

    source = target.read_text(encoding="utf-8")
    compile(source, str(target), "exec")
    assert "class LeNet5" in source
    assert str(target) in window.statusBar().currentMessage()


def test_an_invalid_network_shows_the_engine_message_and_writes_nothing(qtbot, window, dialogs, tmp_path):
    window.document.set_param("conv2", "kernel_size", 30)
    with pytest.raises(InvalidGraphError) as error:
        python_source(window.document.graph, window.document.project.name)
    window.export_python_action.trigger()

    # The only dialog is the error: no file dialog first (it would be seen, and rejected).
    assert [(d.name, d.text) for d in dialogs.seen] == [("errorDialog", str(error.value))]
    assert "kernel" in str(error.value)
    assert list(tmp_path.glob("*.py")) == []
