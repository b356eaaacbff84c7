"""Grad-CAM in the app: the heat map over the image in Try an Image and the gallery, through real Qt.

A tiny two-convolution network trains one epoch on the bundled 8×8 digits
(about a second); every map shown must equal the engine's ``grad_cam`` for
the same image, class and layer.
"""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.training.gradcam_view import as_rgb, blend_heatmap
from app.training.worker import display_images, preprocess_file, validation_sample
from engine.data import load_dataset
from engine.explain.gradcam import grad_cam
from engine.graph import Graph

from .test_training import Studio, open_studio


def two_conv_graph() -> Graph:
    graph = Graph()
    chain = [
        graph.add_node("input", {"channels": 1, "height": 8, "width": 8}, ui={"x": 0, "y": 0}),
        graph.add_node("conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, ui={"x": 200, "y": 0}),
        graph.add_node("activation", ui={"x": 400, "y": 0}),
        graph.add_node("conv2d", {"out_channels": 6, "kernel_size": 3, "padding": 1}, ui={"x": 600, "y": 0}),
        graph.add_node("activation", ui={"x": 800, "y": 0}),
        graph.add_node("flatten", ui={"x": 1000, "y": 0}),
        graph.add_node("dense", {"out_features": 10}, ui={"x": 1200, "y": 0}),
        graph.add_node("output", ui={"x": 1400, "y": 0}),
    ]
    for source, target in zip(chain, chain[1:]):
        graph.connect(source.id, target.id)
    return graph


@pytest.fixture
def trained_studio(qtbot, tmp_path) -> Studio:
    studio = open_studio(qtbot, tmp_path, two_conv_graph(), "two convs")
    studio.train(qtbot)
    assert studio.ui.trained is not None, studio.ui.panel.message_label.text()
    yield studio
    studio.ui.jobs.wait(10_000)


def digit_file(tmp_path) -> str:
    pixels = load_dataset("digits", (1, 8, 8)).val.images[3, 0]
    path = tmp_path / "digit.png"
    Image.fromarray(((pixels - pixels.min()) / (pixels.max() - pixels.min()) * 255).byte().numpy()).save(path)
    return str(path)


def step(combo, key: Qt.Key) -> None:
    """An arrow key on the closed combo box, as a user picks the next or previous entry."""
    combo.setFocus()
    QTest.keyClick(combo, key)


def click_check_box(box) -> None:
    """A click on the box's indicator (the widget may be wider than its text)."""
    QTest.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))


def shown_pixels(panel) -> bytes:
    image = panel.image_label.pixmap().toImage()
    return bytes(image.constBits())


def wait_for_map(qtbot, panel, node: str, class_index: int | None = None) -> None:
    qtbot.waitUntil(lambda: panel.result is not None and panel.result.node == node
                    and (class_index is None or panel.result.class_index == class_index))


def assert_shows_the_engine_map(panel, trained, image) -> None:
    result = panel.result
    expected = grad_cam(trained.model, trained.graph, image, node=result.node, class_index=result.class_index)
    np.testing.assert_array_equal(panel.heatmap, expected.heatmap)
    np.testing.assert_array_equal(panel.displayed, blend_heatmap(panel.image, expected.heatmap))


def test_try_an_image_overlays_the_map_and_follows_the_class_layer_and_switch(trained_studio, qtbot, tmp_path):
    ui = trained_studio.ui
    panel = ui.predict_view.gradcam
    path = digit_file(tmp_path)
    ui.predict_file(path)
    wait_for_map(qtbot, panel, "conv2")  # the last convolution by default
    trained, image = ui.trained, preprocess_file(path, ui.trained)
    assert [panel.node_box.itemText(i) for i in range(panel.node_box.count())] == ["conv1", "conv2"]
    predicted = panel.result.predicted
    assert panel.result.class_index == predicted == panel.class_box.currentIndex()
    assert panel.class_box.currentText() == f"{trained.class_names[predicted]} (predicted)"
    assert ui.predict_view.class_labels[0].text() == trained.class_names[predicted]  # agrees with the top-5
    assert panel.displayed.shape == (8, 8, 3)  # the network's view of the file, at its input size
    assert_shows_the_engine_map(panel, trained, image)
    with_predicted = shown_pixels(panel)

    step(panel.class_box, Qt.Key.Key_Down)
    other = (predicted + 1) % 10
    wait_for_map(qtbot, panel, "conv2", other)
    assert_shows_the_engine_map(panel, trained, image)
    with_other_class = shown_pixels(panel)
    assert with_other_class != with_predicted

    step(panel.node_box, Qt.Key.Key_Up)
    wait_for_map(qtbot, panel, "conv1", other)  # the class chosen stays
    assert_shows_the_engine_map(panel, trained, image)
    assert shown_pixels(panel) not in (with_predicted, with_other_class)

    click_check_box(panel.show_box)
    assert not panel.show_box.isChecked()
    np.testing.assert_array_equal(panel.displayed, as_rgb(panel.image))  # the plain image
    click_check_box(panel.show_box)
    assert_shows_the_engine_map(panel, trained, image)

    ui.predict_file(path)  # a new image starts again from the predicted class, at the layer chosen
    wait_for_map(qtbot, panel, "conv1", predicted)


def test_a_gallery_thumbnail_shows_its_heat_map_when_clicked_or_explained(trained_studio, qtbot):
    ui = trained_studio.ui
    gallery = ui.gallery
    ui.dock("galleryDock").raise_()
    qtbot.waitUntil(lambda: gallery.item_count() > 1)
    assert gallery.side.isVisible()
    first, second = gallery.list.item(0), gallery.list.item(1)
    rect = gallery.list.visualItemRect(first)
    QTest.mouseClick(gallery.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    index = first.data(Qt.ItemDataRole.UserRole)
    wait_for_map(qtbot, gallery.gradcam, "conv2")
    assert f"Image #{index}:" in gallery.chosen_label.text()
    image, _ = validation_sample(ui.trained.data, index)
    assert_shows_the_engine_map(gallery.gradcam, ui.trained, image)
    thumbnail = display_images(image[None], ui.trained.mean, ui.trained.std)[0]
    np.testing.assert_array_equal(gallery.gradcam.image, thumbnail)

    gallery.list.setCurrentItem(second)
    gallery.explain_action.trigger()  # the thumbnail's context-menu action
    index = second.data(Qt.ItemDataRole.UserRole)
    qtbot.waitUntil(lambda: f"Image #{index}:" in gallery.chosen_label.text() and gallery.gradcam.result is not None)
    image, _ = validation_sample(ui.trained.data, index)
    assert_shows_the_engine_map(gallery.gradcam, ui.trained, image)



def test_try_an_image_with_the_input_selected_explains_at_the_last_convolution(qtbot, tmp_path):
    """The Input has no activations of its own: selected (as when the user checks its window), Try an Image
    failed with "no node named 'input' has activations" (torch.fx calls the presets' Input "input_1")."""
    graph = two_conv_graph()
    (input_node,) = graph.nodes_of_type("input")
    graph.rename(input_node.id, "input")  # as the presets name it
    studio = open_studio(qtbot, tmp_path, graph, "named input")
    studio.train(qtbot)
    ui = studio.ui
    ui.show_node(input_node.id)  # what selecting it on the canvas does
    ui.predict_file(digit_file(tmp_path))
    wait_for_map(qtbot, ui.predict_view.gradcam, "conv2")
    qtbot.waitUntil(lambda: ui.predict_view.class_labels[0].text() != "")
    assert "has activations" not in ui.predict_view.hint.text()
    ui.jobs.wait(10_000)
