"""The Output card warns when training the network would need more memory than this machine has."""
from __future__ import annotations

from app.canvas.scene import CanvasScene
from app.document import Document
from engine import Project, analyze
from engine.builders import GraphBuilder
from engine.memory import machine_memory


def huge_dense_project(batch_size: int) -> Project:
    """A Dense layer of 2,147,450,879 weights (just under 2³¹): analysed only, never allocated."""
    builder = GraphBuilder()
    builder.add("input", "input", channels=1, height=256, width=256)
    builder.add("flatten", "flatten", inputs="input")
    builder.add("dense", "fc", out_features=32_767, inputs="flatten")
    builder.add("output", "output", inputs="fc")
    for index, node in enumerate(builder.graph.nodes.values()):
        node.ui.update(x=index * 200, y=0)
    project = Project(builder.graph, "Huge")
    project.training = project.training.replace(batch_size=batch_size, optimizer="adam")
    return project


def test_the_output_card_warns_when_training_would_not_fit_this_machine(qtbot):
    project = huge_dense_project(batch_size=65_536)
    document = Document(project)
    scene = CanvasScene(document)
    needed = analyze(project.graph, batch_size=65_536, available_memory=10**15).memory.training
    assert needed > 70 * 10**9  # ~34 GB of weights, gradients and Adam state, ~43 GB of activations
    too_big = machine_memory() is not None and needed > machine_memory()
    issues = document.analysis.nodes["output"].issues
    assert [issue.severity for issue in issues] == (["warning"] if too_big else [])
    assert scene.node_items["output"].severity == ("warning" if too_big else None)
    if too_big:
        assert "activations for a batch of 65,536" in issues[0].message


def test_the_estimate_follows_the_batch_size_and_optimizer_settings(qtbot):
    from app.training.settings_command import set_training_setting

    document = Document(huge_dense_project(batch_size=64))
    assert (document.analysis.memory.batch_size, document.analysis.memory.optimizer_name) == (64, "adam")
    with qtbot.waitSignal(document.analysis_changed, timeout=2000):
        assert set_training_setting(document, "batch_size", 8)
    assert document.analysis.memory.batch_size == 8
    with qtbot.waitSignal(document.analysis_changed, timeout=2000):
        assert set_training_setting(document, "optimizer", "sgd")
    assert document.analysis.memory.optimizer == document.analysis.memory.weights  # one momentum value per weight
    with qtbot.waitSignal(document.analysis_changed, timeout=2000):
        document.undo_stack.undo()
    assert document.analysis.memory.optimizer_name == "adam"
