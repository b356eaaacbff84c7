"""After a detection run: Try an Image draws the detector's boxes on the user's image, the Predictions gallery
lists the validation images whose boxes match worst first, and the detector exports from the window."""
from __future__ import annotations

import numpy as np
import onnxruntime
import pytest
import torch
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.training.box_matching import match_boxes
from app.training.worker import display_images, validation_sample
from engine.checkpoint import build_model, load_checkpoint
from engine.predict_boxes import predict_boxes
from engine.tasks import DETECTION

from .test_detection_window import open_detection_studio
from .test_training import RUN_TIMEOUT_MS, Studio, drop_file, export_dialog_clicking_export


@pytest.fixture
def trained_detection(qtbot, tmp_path) -> Studio:
    studio = open_detection_studio(qtbot, tmp_path)
    studio.train(qtbot)
    assert studio.ui.trained is not None and studio.ui.trained.task == "detection"
    yield studio
    qtbot.waitUntil(lambda: not studio.ui.jobs.busy, timeout=60_000)  # answers reach the panel while it exists


def shapes_file(studio: Studio, tmp_path) -> str:
    """A validation image, saved larger and not square (64×48), as a user's own picture would be."""
    data = studio.ui.trained.data
    pixels = display_images(validation_sample(data, 1)[0][None], data.mean, data.std)[0]
    path = tmp_path / "shapes.png"
    Image.fromarray(pixels).resize((64, 48), Image.Resampling.NEAREST).save(path)
    return str(path)


def test_try_an_image_draws_the_boxes_with_the_threshold(trained_detection, qtbot, tmp_path):
    ui = trained_detection.ui
    view, picture = ui.predict_view, ui.predict_view.box_picture
    # Grad-CAM explains class guesses: a detector's Try an Image says so and shows boxes instead.
    assert picture.isVisibleTo(view) and not view.gradcam.isVisibleTo(view) and not view.scores.isVisibleTo(view)
    assert "detection network" in view.gradcam_note.text() and view.gradcam_note.isVisibleTo(view)

    path = shapes_file(trained_detection, tmp_path)
    drop_file(view, path)
    qtbot.waitUntil(lambda: picture.visible_boxes() is not None)
    trained = ui.trained
    for percent, key in ((30, None), (0, Qt.Key.Key_Home), (100, Qt.Key.Key_End)):
        if key is not None:
            picture.threshold.setFocus()
            QTest.keyClick(picture.threshold, key)
        assert picture.threshold.value() == percent
        # What is drawn is what `convcanvas predict` finds at that threshold (down to the probe's floor).
        (expected,) = predict_boxes(trained.model, [path], input_shape=trained.input_shape, mean=trained.mean,
                                    std=trained.std, class_names=trained.class_names,
                                    score_threshold=max(percent / 100, 0.05), write_pictures=False)
        shown = picture.visible_boxes()
        assert shown.captions(trained.class_names) == [f"{box.name} {box.score:.2f}" for box in expected.boxes]
        np.testing.assert_allclose(shown.boxes * [64, 48, 64, 48],
                                   np.array([[b.x0, b.y0, b.x1, b.y1] for b in expected.boxes]).reshape(-1, 4),
                                   atol=1e-3)
        assert picture.found.text().startswith(f"{len(expected.boxes)} box(es) scoring ≥ {percent / 100:.2f}")
    assert not picture.picture.pixmap().isNull()
    assert not (tmp_path / "shapes.boxes.png").exists()  # the window draws the boxes; it writes no file

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    drop_file(view, broken)
    qtbot.waitUntil(lambda: "broken.png" in view.hint.text())
    assert "Traceback" not in view.hint.text() and picture.visible_boxes() is None


def test_the_gallery_lists_validation_images_whose_boxes_match_worst_first(trained_detection, qtbot):
    ui = trained_detection.ui
    gallery = ui.gallery
    ui.dock("galleryDock").raise_()
    qtbot.waitUntil(lambda: gallery.item_count() > 0)
    data, model = ui.trained.data, ui.trained.model
    assert gallery.item_count() == len(data.val)
    captions = [gallery.list.item(row).text() for row in range(gallery.item_count())]
    values = [float(caption.removeprefix("F1 ")) for caption in captions]
    assert values == sorted(values), captions
    assert "the worst first" in gallery.title.text() and not gallery.explain_action.isEnabled()
    for row in (0, gallery.item_count() - 1):  # each caption is that image's own match
        index = gallery.list.item(row).data(Qt.ItemDataRole.UserRole)
        image, rows = validation_sample(data, index)
        with torch.inference_mode():
            (found,) = DETECTION.decode(model(image[None]), score_threshold=0.3)
        rows = rows[rows[:, 0] >= 0]
        match = match_boxes(found["boxes"].numpy(), found["labels"].numpy(), rows[:, 1:].numpy(),
                            rows[:, 0].long().numpy())
        assert captions[row] == f"F1 {match.f1:.2f}"
    assert not gallery.list.item(0).icon().isNull()


def test_a_detector_exports_to_onnx_from_the_window_giving_the_networks_maps(trained_detection, qtbot, tmp_path):
    ui = trained_detection.ui
    target = tmp_path / "detector.onnx"
    dialog = export_dialog_clicking_export(trained_detection, qtbot, tmp_path, "onnx", target)
    qtbot.waitUntil(lambda: dialog.written == [target], timeout=RUN_TIMEOUT_MS)
    assert target.is_file() and str(target) in dialog.result_label.text()
    image = validation_sample(ui.trained.data, 0)[0][None]
    session = onnxruntime.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    (maps,) = session.run(None, {session.get_inputs()[0].name: image.numpy()})
    exported = build_model(load_checkpoint(ui.trained.checkpoint))  # the best epoch's network is what exports
    with torch.inference_mode():
        expected = exported.eval()(image)
    assert maps.shape == (1, 7, 8, 8)
    np.testing.assert_allclose(maps, expected.numpy(), atol=1e-4)
    dialog.close()
    # The Python export says how to turn the maps into boxes.
    script = tmp_path / "detector.py"
    dialog = export_dialog_clicking_export(trained_detection, qtbot, tmp_path, "python", script)
    qtbot.waitUntil(lambda: not dialog.result_label.text().startswith("Exporting"), timeout=RUN_TIMEOUT_MS)
    assert script in dialog.written, dialog.result_label.text()  # with its weights beside it
    assert "decode_maps" in script.read_text()
    dialog.close()


def test_an_opened_detection_checkpoint_answers_with_boxes(trained_detection, qtbot, tmp_path):
    ui, document = trained_detection.ui, trained_detection.document
    checkpoint = ui.trained.checkpoint
    path = shapes_file(trained_detection, tmp_path)
    document.new_project()
    assert ui.open_checkpoint(checkpoint)
    view = ui.predict_view
    assert ui.trained.task == "detection" and view.box_picture.isVisibleTo(view)
    assert ui.dock("boxesDock").toggleViewAction().isEnabled()
    drop_file(view, path)
    qtbot.waitUntil(lambda: view.box_picture.visible_boxes() is not None)
    assert view.hint.text().startswith("shapes.png: ")
