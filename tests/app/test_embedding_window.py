"""The embedding task (faces) in the window: the Task box, the live ROC and identity map, Try an Image
with two images and the threshold, and the export carrying the threshold."""
from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.training.embeddings import EmbeddingView, operating_point

from ..engine.graphs import seg_graph
from ..engine.tasks.test_embedding import embedder
from .test_segmentation_window import choose_task, open_segmentation_studio
from .test_training import RUN_TIMEOUT_MS


def test_the_task_box_offers_embedding_its_datasets_and_view_and_undo_takes_it_back(qtbot, tmp_path):
    studio = open_segmentation_studio(qtbot, tmp_path, graph=seg_graph(size=16, classes=4))
    ui, document, panel = studio.ui, studio.document, studio.ui.panel
    embeddings, masks = ui.dock("embeddingsDock"), ui.dock("masksDock")
    qtbot.waitUntil(masks.isVisible)
    assert not embeddings.isVisible() and not embeddings.toggleViewAction().isEnabled()

    choose_task(panel, "Embedding (faces)")
    assert (document.project.task, document.project.training.dataset) == ("embedding", "face-shapes")
    assert document.undo_stack.undoText() == "Set task to embedding (faces)"
    offered = [panel.dataset.combo.itemData(i) for i in range(panel.dataset.combo.count())]
    assert offered == ["face-shapes", "lfw", "folder"]
    qtbot.waitUntil(embeddings.isVisible)
    assert not masks.isVisible()
    # The U-Net ends in a mask, not a vector: the Output card says what to add.
    qtbot.waitUntil(lambda: any("an embedding Output needs a flat vector" in issue.message
                                for issue in document.analysis.errors))
    issue = next(issue for issue in document.analysis.errors if "embedding Output" in issue.message)
    assert "L2 Normalize" in issue.hint
    qtbot.waitUntil(lambda: panel.dataset_info is not None and panel.dataset_info.target == "identity",
                    timeout=60_000)
    assert panel.dataset.info_label.text().startswith("150 identities")

    document.undo_stack.undo()  # the arrow keys passed through Detection and Multi-label on the way: one edit each
    assert (document.project.task, document.project.training.dataset) == ("multilabel", "medmnist:chestmnist")
    document.undo_stack.undo()
    assert document.project.task == "detection"
    document.undo_stack.undo()
    assert document.project.task == "segmentation"
    qtbot.waitUntil(lambda: masks.isVisible() and not embeddings.isVisible())


def _image(path, seed: int) -> str:
    pixels = np.random.default_rng(seed).integers(0, 255, (24, 24, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return str(path)


def test_a_run_draws_the_roc_and_identity_map_and_try_an_image_compares_two_images(qtbot, tmp_path):
    studio = open_segmentation_studio(qtbot, tmp_path, graph=embedder(), task="embedding",
                                      dataset="face-shapes:120")
    ui = studio.ui
    view = ui.embeddings
    assert ui.dock("embeddingsDock").isVisible()
    with qtbot.waitSignal(ui.training_ended, timeout=RUN_TIMEOUT_MS):
        assert ui.start_training()
    assert "verification AUC" in ui.panel.status_label.text(), ui.panel.status_label.text()
    assert view.epoch == 2 and view.roc is not None
    x, y = view.curve.getData()
    assert len(x) >= 2 and x[0] == 0.0 and y[-1] == 1.0
    assert len(view.points) == 20 and len(set(view.point_labels.tolist())) == 2  # 2 unseen identities × 10
    assert view.map_spread() > 0.0
    assert view.status.text().startswith("Epoch 2: verification AUC")
    eer_threshold = ui.trained and view.threshold

    # Moving the threshold with the keyboard moves the operating point along the ROC.
    view.slider.setFocus()
    QTest.keyClick(view.slider, Qt.Key.Key_Home)
    (far,), (tar,) = view.marker.getData()
    assert (far, tar) == (1.0, 1.0) and view.threshold == -1.0
    QTest.keyClick(view.slider, Qt.Key.Key_End)
    assert view.threshold == 1.0 and view.marker.getData()[0][0] <= 1e-3

    # Try an Image: two images → similarity and the verdict at the slider's threshold.
    assert ui.predict_view.compare.isVisibleTo(ui.predict_view) and ui.predict_view.compare.isEnabled()
    compare = ui.predict_view.compare
    first, second = _image(tmp_path / "a.png", 1), _image(tmp_path / "b.png", 2)
    compare.set_image(0, first)
    assert "now choose the other image" in compare.verdict()
    compare.set_image(1, first)
    qtbot.waitUntil(lambda: compare.similarity is not None, timeout=30_000)
    assert abs(compare.similarity - 1.0) < 1e-4
    assert compare.verdict().startswith("Same identity: similarity +1.000 ≥ threshold +1.000")
    compare.set_image(1, second)
    qtbot.waitUntil(lambda: compare.similarity is not None, timeout=30_000)
    assert compare.similarity < 1.0 and compare.verdict().startswith("Different identities")
    # The first image's nearest neighbours among the validation images (the gallery), most similar first.
    assert len(compare.neighbour_labels) == 5
    assert compare.neighbours_title.text().startswith("Nearest to the first image among the validation")
    shown = [float(part.rsplit(" ", 1)[1]) for part in compare.neighbours_title.text().split(": ", 1)[1].split(", ")]
    assert shown == sorted(shown, reverse=True)
    QTest.keyClick(view.slider, Qt.Key.Key_Home)  # threshold −1: everything is accepted
    assert compare.verdict().startswith("Same identity") and "threshold -1.000" in compare.verdict()

    # A broken second image: one clear message, no crash.
    (tmp_path / "broken.png").write_bytes(b"not a png")
    compare.set_image(1, str(tmp_path / "broken.png"))
    qtbot.waitUntil(lambda: "broken.png" in compare.verdict(), timeout=30_000)
    assert "not a readable image" in compare.verdict()

    # The export dialog carries the slider's threshold.
    dialog = ui.show_export_dialog()
    assert dialog is not None and dialog.threshold == view.threshold == -1.0
    assert eer_threshold is not None
    dialog.close()


def test_operating_point_follows_the_listed_thresholds():
    roc = {"fpr": [0.0, 0.1, 0.5, 1.0], "tpr": [0.0, 0.6, 0.9, 1.0], "thresholds": [1.0, 0.8, 0.2, -1.0]}
    assert operating_point(roc, 0.9) == (0.0, 0.0)
    assert operating_point(roc, 0.5) == (0.1, 0.6)
    assert operating_point(roc, -1.0) == (1.0, 1.0)


def test_an_epoch_sets_the_equal_error_threshold_until_the_user_moves_it(qtbot):
    view = EmbeddingView()
    qtbot.addWidget(view)
    roc = {"fpr": [0.0, 0.2, 1.0], "tpr": [0.0, 0.9, 1.0], "thresholds": [1.0, 0.4, -1.0]}
    metrics = {"val_roc": roc, "val_threshold": 0.4, "val_auc": 0.93, "val_points": [[0, 0], [1, 1], [0, 1]],
               "val_point_labels": [5, 5, 6]}
    with qtbot.waitSignal(view.threshold_changed):
        view.show_epoch(metrics, 1)
    assert view.threshold == 0.4 and "false accepts 20.00 %" in view.threshold_label.text()
    view.set_threshold(0.7)
    view.show_epoch({**metrics, "val_threshold": 0.1}, 2)
    assert view.threshold == 0.7  # the user's choice stays
    view.clear()
    view.show_epoch({**metrics, "val_threshold": 0.1}, 1)
    assert view.threshold == 0.1


def test_a_task_change_replaces_a_sized_generated_set_of_another_task():
    from app.training.settings_command import dataset_for_task

    # "seg-shapes:96" was taken for a folder path and kept, so the embedding task got a segmentation set.
    assert dataset_for_task("embedding", "seg-shapes:96") == "face-shapes"
    assert dataset_for_task("segmentation", "seg-shapes:96") == "seg-shapes:96"
    assert dataset_for_task("embedding", "face-shapes:400") == "face-shapes:400"
    assert dataset_for_task("embedding", "/data/lfw") == "/data/lfw"
    assert dataset_for_task("classification", "") == "digits"
