"""After a segmentation run: Try an Image shows the predicted mask over the user's image, and the
Predictions gallery lists the validation images by IoU, the worst first, through real Qt events."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from torchmetrics.classification import MulticlassJaccardIndex

from app.training.masks import colour_mask
from app.training.worker import display_images, validation_sample
from engine.predict_masks import class_shares, segment_file
from engine.tasks.segmentation import IGNORE_INDEX

from .test_segmentation_window import open_segmentation_studio
from .test_training import Studio, drop_file


@pytest.fixture
def trained_segmentation(qtbot, tmp_path) -> Studio:
    studio = open_segmentation_studio(qtbot, tmp_path)
    studio.train(qtbot)
    assert studio.ui.trained is not None and studio.ui.trained.task == "segmentation"
    yield studio
    qtbot.waitUntil(lambda: not studio.ui.jobs.busy, timeout=60_000)  # answers reach the panel while it exists


def shape_file(studio: Studio, tmp_path) -> str:
    """A validation image, saved larger and not square (48×32), as a user's own picture would be."""
    data = studio.ui.trained.data
    pixels = display_images(validation_sample(data, 1)[0][None], data.mean, data.std)[0]
    path = tmp_path / "shapes.png"
    Image.fromarray(pixels).resize((48, 32), Image.Resampling.NEAREST).save(path)
    return str(path)


def test_try_an_image_shows_the_predicted_mask_over_the_image_with_class_shares(trained_segmentation, qtbot,
                                                                                 tmp_path):
    ui = trained_segmentation.ui
    view, picture = ui.predict_view, ui.predict_view.mask_picture
    # Grad-CAM explains class guesses: a segmentation network's Try an Image says so instead.
    assert picture.isVisibleTo(view) and not view.gradcam.isVisibleTo(view)
    assert view.gradcam_note.isVisibleTo(view) and "Grad-CAM" in view.gradcam_note.text()
    assert not view.scores.isVisibleTo(view)

    path = shape_file(trained_segmentation, tmp_path)
    drop_file(view, path)
    qtbot.waitUntil(lambda: picture.displayed is not None)
    trained = ui.trained
    expected = segment_file(trained.model, path, input_shape=trained.input_shape, mean=trained.mean, std=trained.std)
    assert picture.displayed.shape == (32, 48, 3)  # at the image's own size
    picture.opacity.setFocus()
    QTest.keyClick(picture.opacity, Qt.Key.Key_End)  # 100 %: the mask's colours alone
    np.testing.assert_array_equal(picture.displayed, colour_mask(expected.numpy()))
    QTest.keyClick(picture.opacity, Qt.Key.Key_Home)  # 0 %: the image alone
    np.testing.assert_array_equal(picture.displayed, np.asarray(Image.open(path).convert("RGB")))
    assert not picture.picture.pixmap().isNull()

    shares = sorted((share for share in class_shares(expected, trained.class_names) if share[1] > 0),
                    key=lambda share: -share[1])
    text = picture.shares.text()
    assert text.startswith(f"Pixels: {shares[0][0]} {100 * shares[0][1]:.1f} %"), text
    assert all(name in text for name, _share in shares)
    assert view.hint.text().startswith(f"shapes.png: mostly {shares[0][0]}")
    assert not (tmp_path / "shapes.mask.png").exists()  # the window shows the mask; it writes no file

    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    drop_file(view, broken)
    qtbot.waitUntil(lambda: "broken.png" in view.hint.text())
    assert "Traceback" not in view.hint.text() and picture.displayed is None


def test_the_gallery_lists_validation_images_by_iou_the_worst_first(trained_segmentation, qtbot):
    ui = trained_segmentation.ui
    gallery = ui.gallery
    ui.dock("galleryDock").raise_()
    qtbot.waitUntil(lambda: gallery.item_count() > 0)
    data, model = ui.trained.data, ui.trained.model
    assert gallery.item_count() == len(data.val)
    captions = [gallery.list.item(row).text() for row in range(gallery.item_count())]
    values = [float(caption.removeprefix("IoU ")) for caption in captions]
    assert values == sorted(values), captions
    assert "the worst first" in gallery.title.text()
    assert not gallery.mistakes_only.isVisibleTo(gallery) and not gallery.explain_action.isEnabled()

    # Each caption is that image's mean IoU over the classes in its masks (torchmetrics' class metric).
    for row in (0, gallery.item_count() - 1):
        index = gallery.list.item(row).data(Qt.ItemDataRole.UserRole)
        image, mask = validation_sample(data, index)
        with torch.inference_mode():
            predicted = model(image[None]).argmax(1)
        metric = MulticlassJaccardIndex(len(data.class_names), average="macro", ignore_index=IGNORE_INDEX)
        assert captions[row] == f"IoU {float(metric(predicted, mask[None])):.2f}"
    icon = gallery.list.item(0).icon()
    assert not icon.isNull()

    # Grad-CAM is a classifier's: clicking a mask thumbnail asks for no heat map.
    item = gallery.list.item(0)
    QTest.mouseClick(gallery.list.viewport(), Qt.MouseButton.LeftButton,
                     pos=gallery.list.visualItemRect(item).center())
    assert not gallery.side.isVisibleTo(gallery) and gallery.gradcam.result is None


def test_an_opened_segmentation_checkpoint_answers_with_masks(trained_segmentation, qtbot, tmp_path):
    ui, document = trained_segmentation.ui, trained_segmentation.document
    checkpoint = ui.trained.checkpoint
    path = shape_file(trained_segmentation, tmp_path)
    document.new_project()  # a classifier: Try an Image has no model, and shows scores again
    assert ui.trained is None
    assert ui.open_checkpoint(checkpoint)
    view = ui.predict_view
    assert ui.trained.task == "segmentation" and view.mask_picture.isVisibleTo(view)
    drop_file(view, path)
    qtbot.waitUntil(lambda: view.mask_picture.displayed is not None)
    trained = ui.trained
    expected = segment_file(trained.model, path, input_shape=trained.input_shape, mean=trained.mean, std=trained.std)
    view.mask_picture.opacity.setFocus()
    QTest.keyClick(view.mask_picture.opacity, Qt.Key.Key_End)
    np.testing.assert_array_equal(view.mask_picture.displayed, colour_mask(expected.numpy()))
