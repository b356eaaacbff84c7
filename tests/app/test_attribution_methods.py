"""Try an Image and the gallery offer captum's Integrated Gradients, Saliency and Occlusion next to
Grad-CAM: the method chooser, through real key presses, shows exactly the engine's map."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.training.gradcam_view import blend_heatmap
from app.training.worker import preprocess_file, validation_sample
from engine.explain.attributions import attribute

from .test_gradcam_view import digit_file, step, trained_studio  # noqa: F401 - the fixture

METHODS_IN_ORDER = ["Grad-CAM", "Integrated Gradients", "Saliency", "Occlusion"]
IDS = ["gradcam", "integrated_gradients", "saliency", "occlusion"]


def wait_for_method(qtbot, panel, title: str) -> None:
    qtbot.waitUntil(lambda: panel.result is not None and panel.result.node == title)


def assert_shows(panel, trained, image, method: str) -> None:
    expected = attribute(trained.model, trained.graph, image, method, class_index=panel.result.class_index)
    np.testing.assert_allclose(panel.heatmap, expected.heatmap, atol=1e-6)
    np.testing.assert_array_equal(panel.displayed, blend_heatmap(panel.image, panel.heatmap))


def test_try_an_image_switches_between_the_four_methods(trained_studio, qtbot, tmp_path):  # noqa: F811
    ui = trained_studio.ui
    panel = ui.predict_view.gradcam
    path = digit_file(tmp_path)
    ui.predict_file(path)
    wait_for_method(qtbot, panel, "conv2")
    assert [panel.method_box.itemText(i) for i in range(panel.method_box.count())] == METHODS_IN_ORDER
    image = preprocess_file(path, ui.trained)
    for title, method in zip(METHODS_IN_ORDER[1:], IDS[1:]):
        step(panel.method_box, Qt.Key.Key_Down)
        wait_for_method(qtbot, panel, title)
        assert not panel.node_box.isEnabled()  # the layer is Grad-CAM's only
        assert_shows(panel, ui.trained, image, method)
        assert title in panel.image_label.toolTip()
    step(panel.method_box, Qt.Key.Key_Home)
    wait_for_method(qtbot, panel, "conv2")
    assert panel.node_box.isEnabled()


def test_the_gallery_explains_a_thumbnail_with_the_chosen_method(trained_studio, qtbot):  # noqa: F811
    ui = trained_studio.ui
    gallery = ui.gallery
    ui.dock("galleryDock").raise_()
    qtbot.waitUntil(lambda: gallery.item_count() > 0)
    panel = gallery.gradcam
    first = gallery.list.item(0)
    rect = gallery.list.visualItemRect(first)
    QTest.mouseClick(gallery.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    wait_for_method(qtbot, panel, "conv2")
    step(panel.method_box, Qt.Key.Key_End)
    wait_for_method(qtbot, panel, "Occlusion")
    image, _ = validation_sample(ui.trained.data, first.data(Qt.ItemDataRole.UserRole))
    assert_shows(panel, ui.trained, image, "occlusion")
