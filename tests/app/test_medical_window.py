"""The Input's window/level in the Inspector (undoable, saved in the project) and the Clinical view."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QComboBox

from app.document import Document
from app.inspector import Inspector
from app.presets_menu import first_launch_preset
from app.training.clinical_view import EMPTY_TEXT, ClinicalView
from engine.project import dumps_project, load_project, loads_project


@pytest.fixture
def document(qtbot):
    return Document(load_project(first_launch_preset()))


def test_the_window_is_set_in_the_inspector_saved_in_the_project_and_undone(qtbot, document):
    inspector = Inspector(document)
    qtbot.addWidget(inspector)
    inspector.resize(340, 900)
    inspector.show()
    qtbot.waitExposed(inspector)
    (node,) = document.graph.nodes_of_type("input")
    assert '"window"' not in dumps_project(document.project)  # the default stays out of the file
    inspector.show_nodes([node.id])
    combo: QComboBox = inspector.page.editors["window"].combo
    combo.setFocus()
    QTest.keyClick(combo, Qt.Key.Key_Down)  # file → lung
    assert document.graph.nodes[node.id].params["window"] == "lung"
    assert "window" in document.undo_stack.undoText()
    centre, width = inspector.page.editors["window_centre"], inspector.page.editors["window_width"]
    # the preset's own band, greyed: the manual numbers (40/400) read as if they applied beside "lung"
    assert not centre.isEnabled() and not width.isEnabled()
    assert (centre.value(), width.value()) == (-600.0, 1500.0)
    saved = loads_project(dumps_project(document.project))
    assert saved.graph.nodes[node.id].params["window"] == "lung"
    document.undo_stack.undo()
    assert document.graph.nodes[node.id].params["window"] == "file"
    centre = inspector.page.editors["window_centre"]
    assert centre.value() == 40.0 and not centre.isEnabled()  # the file's own window: nothing to type
    assert document.set_param(node.id, "window", "manual")
    assert inspector.page.editors["window_centre"].isEnabled() and inspector.page.editors["window_width"].isEnabled()


def _metrics() -> dict:
    return {"val_auc": [0.9, None], "val_ap": [0.8, None], "val_mean_auc": 0.9, "val_sensitivity": [0.75, None],
            "val_specificity": [0.9, 1.0], "val_target_sensitivity": 0.95, "val_threshold": [0.31, 1.0],
            "val_sensitivity_at_threshold": [1.0, None], "val_specificity_at_threshold": [0.6, 1.0],
            "val_positives": [4, 0], "val_ece": 0.123,
            "val_reliability": {"confidence": [0.05, 0.0, 0.95], "frequency": [0.1, 0.0, 0.8], "count": [5, 0, 3]}}


def test_the_clinical_view_shows_each_class_and_the_reliability_points(qtbot):
    view = ClinicalView()
    qtbot.addWidget(view)
    assert view.headline.text() == EMPTY_TEXT
    assert not view.show_metrics({"val_accuracy": 0.5}, ["a", "b"], "epoch 1")  # segmentation: nothing to show
    assert view.show_metrics(_metrics(), ["Effusion", "Nodule"], "epoch 3")
    assert view.table.rowCount() == 2 and view.table.item(0, 0).text() == "Effusion"
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    assert headers[-2:] == ["sens@95%", "spec"] and view.table.item(0, 6).text() == "0.310"
    assert view.table.item(1, 2).text() == "—"  # no positives: no AUC
    xs, ys = view.points.getData()
    assert list(xs) == [0.05, 0.95] and list(ys) == [0.1, 0.8]  # empty bins are not drawn
    assert "expected calibration error 0.123" in view.headline.text() and "epoch 3" in view.headline.text()


def test_a_multi_label_checkpoint_answers_try_an_image_with_each_findings_own_probability(tmp_path):
    from app.training.trained import classify_file, trained_from_checkpoint
    from app.training.worker import validation_sample
    from engine import Project, TrainingConfig
    from engine.training import Trainer
    from tests.engine.medical.findings_data import findings_graph, write_nih

    table = write_nih(tmp_path / "nih", count=24)
    config = TrainingConfig(dataset=str(table), epochs=1, batch_size=8, device="cpu")
    result = Trainer(Project(findings_graph(), "f", training=config, task="multilabel"), config,
                     out=tmp_path / "run").fit()
    trained, _ = trained_from_checkpoint(result.best_checkpoint)
    prediction, _, _ = classify_file(trained, str(tmp_path / "nih" / "images" / "00000002_000.png"), None)
    assert prediction.ok and len(prediction.top) == 2
    assert {name.removesuffix(" (present)") for name, _ in prediction.top} == {"Effusion", "Nodule"}
    assert sum(p for _, p in prediction.top) != pytest.approx(1.0)  # sigmoids, not a softmax
    # the probe image of a multi-label run: its findings vector (int() of it failed before)
    from engine.data import load_dataset

    _, findings = validation_sample(load_dataset(str(table), (1, 16, 16)), 0)
    assert findings.shape == (2,)


def test_a_probe_file_is_read_through_the_runs_window(tmp_path):
    import torch

    from app.training.worker import preprocess_file
    from engine.data import load_dataset
    from engine.data.windowing import Window
    from tests.engine.medical.medical_writers import ct_slice, dicom_class_folder, write_dicom

    data = load_dataset(str(dicom_class_folder(tmp_path / "ct", per_class=3)), (1, 16, 16), window=Window("bone"))
    probe = write_dicom(tmp_path / "probe.dcm", ct_slice(16, True, 9), intercept=-1024, window=(40, 400))
    from engine.data.image_folder import decode_image

    expected = data.preprocess(decode_image(probe, Window("bone")))[0]
    assert torch.allclose(preprocess_file(str(probe), data), expected)  # not the file's own 40/400 window


def test_the_multi_label_gallery_names_found_and_true_findings_the_most_wrong_first(qtbot):
    import numpy as np
    from PySide6.QtCore import QPoint

    from app.training.gallery import GalleryView

    names = ["Effusion", "Nodule", "Mass", "Edema"]
    true = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]], dtype=bool)
    found = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [1, 1, 1, 1]], dtype=bool)
    probabilities = np.array([[0.9, 0.1, 0.1, 0.1], [0.3, 0.2, 0.8, 0.1], [0.1, 0.6, 0.1, 0.1],
                              [0.9, 0.9, 0.9, 0.6]])
    view = GalleryView()
    qtbot.addWidget(view)
    view.resize(700, 400)
    view.show()
    chosen = []
    view.image_chosen.connect(chosen.append)
    view.show_findings(np.zeros((4, 8, 8), np.uint8), true, found, probabilities, names)
    assert "2 with a finding wrong" in view.title.text()
    order = [view.list.item(row).data(Qt.ItemDataRole.UserRole) for row in range(view.item_count())]
    assert order == [1, 2, 3, 0]  # three findings wrong, then one, then the all-right ones, least sure first
    assert view.list.item(0).text() == "found: Mass\ntrue: Effusion, Nodule"
    assert view.list.item(1).text() == "found: Nodule\ntrue: none"
    assert view.list.item(2).text() == "found: Effusion, Nodule +2"  # right: the truth is not repeated
    tip = view.list.item(0).toolTip()
    assert "Effusion: 30% not found — wrong: it is present" in tip
    assert "Mass: 80% found — wrong: it is absent" in tip
    assert "Edema: 10% not found\n" not in tip and tip.endswith("Edema: 10% not found")
    view.mistakes_only.setChecked(True)
    assert view.item_count() == 2
    rect = view.list.visualItemRect(view.list.item(1))
    QTest.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert chosen == [2] and view.chosen_label.text() == "Image #2: found Nodule; true none."
    view.mistakes_only.setChecked(False)


def test_a_multi_label_run_gives_the_gallery_each_images_findings_at_the_runs_thresholds(tmp_path):
    import numpy as np

    from app.training.worker import validation_findings_predictions
    from engine import Project, TrainingConfig
    from engine.data import load_dataset
    from engine.training import Trainer
    from tests.engine.medical.findings_data import FINDINGS, findings_graph, write_nih

    table = write_nih(tmp_path / "nih", count=24)
    config = TrainingConfig(dataset=str(table), epochs=1, batch_size=8, device="cpu")
    result = Trainer(Project(findings_graph(), "f", training=config, task="multilabel"), config,
                     out=tmp_path / "run").fit()
    data = load_dataset(str(table), (1, 16, 16))
    thresholds = [0.0, 1.01]  # every effusion found, no nodule: the run's thresholds decide, not 0.5
    gallery = validation_findings_predictions(result.model, data, 100, thresholds)
    count = len(data.val)
    assert gallery["class_names"] == list(FINDINGS) and gallery["images"].shape[0] == count
    assert gallery["true_findings"].shape == (count, 2) and gallery["true_findings"].dtype == bool
    assert np.array_equal(gallery["true_findings"], data.val.labels.numpy() > 0.5)
    assert gallery["found_findings"][:, 0].all() and not gallery["found_findings"][:, 1].any()
    assert ((gallery["probabilities"] > 0) & (gallery["probabilities"] < 1)).all()
    half = validation_findings_predictions(result.model, data, 3, None)  # no thresholds: 0.5
    assert np.array_equal(half["found_findings"], half["probabilities"] >= 0.5) and len(half["images"]) == 3
