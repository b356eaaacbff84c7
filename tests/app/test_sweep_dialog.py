"""Training ▸ Sweep…: a tiny sweep from the window, live rows and front, Stop, and a trial opened on the canvas."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from engine import save_project

from ..engine.experiments.conftest import tiny_digits_project

PRESETS = Path(__file__).resolve().parents[2] / "presets"


@pytest.fixture
def sweep_dialog(window, tmp_path, qtbot):
    path = save_project(tiny_digits_project(), tmp_path / "tiny.cnn.json")
    assert window.open_path(path, ask=False)
    window.sweep_action.trigger()
    dialog = window.sweep_dialog
    qtbot.waitExposed(dialog)
    yield dialog
    dialog.shut_down()
    dialog.close()


def choose_parameter(qtbot, dialog, name: str, text: str) -> None:
    dialog.param_choice.setCurrentIndex(dialog.param_choice.findText(name))
    dialog.range_edit.clear()
    qtbot.keyClicks(dialog.range_edit, text)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)


def test_a_tiny_sweep_fills_the_table_and_front_and_opens_a_trial(window, sweep_dialog, qtbot):
    dialog = sweep_dialog
    choose_parameter(qtbot, dialog, "conv1.out_channels", "2..8")
    assert dialog.parameter_texts() == ["conv1.out_channels=2..8"]
    dialog.trials_spin.setValue(2)
    dialog.epochs_spin.setValue(1)
    dialog.objective_choice.setCurrentIndex(1)  # metric against MACs
    with qtbot.waitSignal(dialog.sweep_ended, timeout=600_000):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        assert not dialog.start_button.isEnabled() and dialog.stop_button.isEnabled()
    assert dialog.table.rowCount() == 2
    assert [dialog.table.item(row, 1).text() for row in range(2)] == ["complete", "complete"]
    assert dialog.pareto.front_numbers and len(dialog.pareto.trials.data) == 2
    assert dialog.importances.text().startswith("Importances:")
    number = dialog.pareto.front_numbers[0]
    width = dialog.rows[number].params["conv1.out_channels"]
    dialog.table.setFocus()
    dialog.table.setCurrentCell(list(sorted(dialog.rows)).index(number), 0)
    QTest.keyClick(dialog.table, Qt.Key.Key_Return)  # Enter opens the trial's network as a new document
    assert window.document.path is None
    assert window.document.project.graph.node_by_name("conv1").params["out_channels"] == width
    # Start now would sweep the opened trial in the first network's study: the dialog follows the canvas first.
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert not dialog.running and "another network" in dialog.message.text()
    assert dialog.study_choice.currentText() == "New sweep" and dialog.parameter_texts() == []


def test_a_bad_range_is_refused_with_one_message(sweep_dialog, qtbot):
    choose_parameter(qtbot, sweep_dialog, "conv1.out_channels", "64..8")
    assert sweep_dialog.parameter_texts() == []
    assert "from a lower to a higher number" in sweep_dialog.message.text()
    qtbot.mouseClick(sweep_dialog.start_button, Qt.MouseButton.LeftButton)
    assert "nothing to sweep" in sweep_dialog.message.text() and not sweep_dialog.running


def test_stop_ends_the_sweep_cleanly(sweep_dialog, qtbot):
    choose_parameter(qtbot, sweep_dialog, "lr", "1e-3..1e-1")
    sweep_dialog.trials_spin.setValue(50)
    sweep_dialog.epochs_spin.setValue(20)
    with qtbot.waitSignal(sweep_dialog.sweep_ended, timeout=300_000):
        qtbot.mouseClick(sweep_dialog.start_button, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(sweep_dialog.stop_button, Qt.MouseButton.LeftButton)
    assert not sweep_dialog.running and sweep_dialog.start_button.isEnabled()
    assert all(row.state == "stopped" for row in sweep_dialog.rows.values()) and len(sweep_dialog.rows) <= 1


def test_a_stopped_sweep_continues_in_a_new_window_as_the_same_study(make_window, tmp_path, qtbot):
    path = save_project(tiny_digits_project(), tmp_path / "tiny.cnn.json")
    first = make_window()
    assert first.open_path(path, ask=False)
    first.sweep_action.trigger()
    dialog = first.sweep_dialog
    qtbot.waitExposed(dialog)
    assert dialog.study_choice.currentText() == "New sweep" and dialog.study_choice.count() == 1
    choose_parameter(qtbot, dialog, "lr", "1e-3..1e-1")
    dialog.trials_spin.setValue(3)
    dialog.epochs_spin.setValue(1)
    with qtbot.waitSignal(dialog.sweep_ended, timeout=300_000):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: any(row.state == "complete" for row in dialog.rows.values()), timeout=300_000)
        qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    study = dialog.study_name
    done = sum(row.state != "running" for row in dialog.rows.values())
    assert 1 <= done < 3
    assert dialog.study_choice.currentText() == f"Continue sweep '{study}' ({done} of 3 trials done)"
    first.close()  # the window goes; the study stays in runs/sweeps.db beside the project

    second = make_window()
    assert second.open_path(path, ask=False)
    second.sweep_action.trigger()
    dialog = second.sweep_dialog
    qtbot.waitExposed(dialog)
    assert dialog.study_choice.count() == 2  # "New sweep" and the stopped one, chosen
    assert dialog.study_choice.currentText() == f"Continue sweep '{study}' ({done} of 3 trials done)"
    assert dialog.parameter_texts() == ["lr=1e-3..1e-1"] and not dialog.add_button.isEnabled()
    assert dialog.trials_spin.value() == 3 and dialog.table.rowCount() == done
    with qtbot.waitSignal(dialog.sweep_ended, timeout=300_000):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert sorted(dialog.rows) == list(range(len(dialog.rows)))  # one study, its trials numbered on
    assert sum(row.state != "running" for row in dialog.rows.values()) == 3
    assert dialog.study_name == study
    assert dialog.study_choice.currentText() == f"Continue sweep '{study}' (3 of 3 trials done)"
    assert sorted(folder.name for folder in (tmp_path / "runs").iterdir() if folder.is_dir()) == \
        [f"{study}-trial-{number:04d}" for number in sorted(dialog.rows)]
    dialog.study_choice.setCurrentIndex(0)  # New sweep: the form is free again, the table empty
    assert dialog.add_button.isEnabled() and dialog.table.rowCount() == 0
    dialog.close()


def test_a_finished_pareto_sweep_is_offered_again_with_its_objective(sweep_dialog, qtbot):
    dialog = sweep_dialog
    window = dialog.window
    window.findChild(type(window.issues_dock), "runsDock").raise_()
    assert window.runs_panel.isVisible() and window.runs_panel.model.rows == []
    choose_parameter(qtbot, dialog, "conv1.out_channels", "2..8")
    dialog.trials_spin.setValue(1)
    dialog.epochs_spin.setValue(1)
    dialog.objective_choice.setCurrentIndex(1)  # metric against MACs
    assert not dialog.pruning_check.isEnabled()  # Optuna prunes one objective only: no promise it cannot keep
    with qtbot.waitSignal(dialog.sweep_ended, timeout=300_000):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.study_choice.currentText() == f"Continue sweep '{dialog.study_name}' (1 of 1 trials done)"
    assert dialog.objective_choice.currentData() == ("accuracy", "macs")  # was "Best metric" once read back
    assert dialog.importances.text().startswith("Importances:") and dialog.table.rowCount() == 1
    panel = sweep_dialog.window.runs_panel  # the Runs tab in front: the trial is listed without a Refresh
    assert [row.folder.name for row in panel.model.rows] == [f"{dialog.study_name}-trial-0000"]
    assert "raise Trials" not in dialog.message.text()  # the sweep's own summary stays in view
    dialog.trials_spin.setValue(2)  # one more trial in the same study
    with qtbot.waitSignal(dialog.sweep_ended, timeout=300_000):
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.study_choice.currentText() == f"Continue sweep '{dialog.study_name}' (2 of 2 trials done)"
    assert [dialog.rows[number].state for number in sorted(dialog.rows)] == ["complete", "complete"]


def test_the_dialog_offers_the_repeat_count_of_stages_whose_blocks_chain(window, qtbot):
    assert window.open_path(PRESETS / "resnet8.cnn.json", ask=False)
    window.sweep_action.trigger()
    dialog = window.sweep_dialog
    qtbot.waitExposed(dialog)
    try:
        offered = [dialog.param_choice.itemText(i) for i in range(dialog.param_choice.count())]
        # layer1's block keeps its input's shape; layer2's and layer3's downsample, so copies would not chain.
        assert "layer1.repeat" in offered and "layer2.repeat" not in offered
        dialog.param_choice.setCurrentIndex(dialog.param_choice.findText("layer1.repeat"))
        assert dialog.range_edit.text() == "1..2"  # the suggestion
        choose_parameter(qtbot, dialog, "layer1.repeat", "1..3")
        assert dialog.parameter_texts() == ["layer1.repeat=1..3"]
        choose_parameter(qtbot, dialog, "layer1.repeat", "0..3")
        assert dialog.parameter_texts() == ["layer1.repeat=1..3"] and "layer1.repeat" in dialog.message.text()
    finally:
        dialog.shut_down()
        dialog.close()
