"""What an edit's redraw skips (issue 19: large graphs stay interactive) never hides a change: the problems
list, the cards and the training panel's fit check show the new analysis, not the last one."""
from __future__ import annotations

from engine.analysis import ERROR, Analysis, Issue, analyze

from .test_window import wait_for_analysis


def test_the_problems_list_shows_new_problems_even_when_their_count_is_the_same(window):
    panel = window.issues
    first = Analysis({}, [Issue("conv1", ERROR, "conv1: first problem.")], [])
    second = Analysis({}, [Issue("conv2", ERROR, "conv2: second problem.")], [])
    panel.show_analysis(first)
    panel.show_analysis(second)
    assert [panel.tree.topLevelItem(0).text(0)] == ["conv2: second problem."]
    panel.show_analysis(Analysis({}, [], []))
    assert panel.tree.topLevelItemCount() == 0 and window.issues_dock.windowTitle() == "Problems"


def test_a_card_shows_a_changed_shape_and_keeps_an_unchanged_one(qtbot, window):
    document = window.document
    card = window.canvas.canvas_scene.node_items["conv2"]
    before = card._report_text
    document.set_param("conv1", "out_channels", 8)  # conv2's input changes, its output does not
    wait_for_analysis(qtbot, window)
    assert card._report_text[0] == before[0]
    document.set_param("conv2", "out_channels", 12)
    wait_for_analysis(qtbot, window)
    assert card._report_text[0] == "→ 12×10×10" != before[0]
    assert document.analysis == analyze(document.graph, batch_size=document.project.training.batch_size,
                                         optimizer=document.project.training.optimizer)


def test_the_fit_check_follows_an_edit_of_the_network_once_it_is_analysed(qtbot, window):
    panel = window.training_ui.panel
    qtbot.waitUntil(lambda: panel.dataset_info is not None)
    assert "fits" in panel.fit_label.text()
    window.document.set_param("fc3", "out_features", 7)
    wait_for_analysis(qtbot, window)
    assert "The Output gives 7 scores" in panel.fit_label.text()
    window.document.undo_stack.undo()
    wait_for_analysis(qtbot, window)
    assert "fits" in panel.fit_label.text()
