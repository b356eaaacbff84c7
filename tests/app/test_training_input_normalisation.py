"""A run started from the window normalises with the Input node's own values, as `convcanvas train` does, and
its checkpoint records them for predict and the exports (the window once loaded its data without them)."""
from __future__ import annotations

from engine.checkpoint import load_checkpoint

from .test_training import open_studio, tiny_graph


def test_a_window_run_normalises_with_the_inputs_values_and_its_checkpoint_keeps_them(qtbot, tmp_path):
    studio = open_studio(qtbot, tmp_path, tiny_graph(), "normalised")
    try:
        (input_node,) = studio.document.graph.nodes_of_type("input")
        assert studio.document.set_param(input_node.id, "normalisation", "0.25 / 0.5")
        studio.train(qtbot)
        trained = studio.ui.trained
        assert trained is not None and trained.checkpoint is not None, studio.ui.panel.status_label.text()
        assert (trained.data.mean, trained.data.std) == ((0.25,), (0.5,))
        checkpoint = load_checkpoint(trained.checkpoint)
        assert (tuple(checkpoint.mean), tuple(checkpoint.std)) == ((0.25,), (0.5,))
    finally:
        studio.ui.jobs.wait(10_000)
