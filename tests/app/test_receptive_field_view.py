"""Selecting a node draws one unit's receptive field on the probe image, as the engine computes it."""
from __future__ import annotations

import pytest

from .test_training import Studio, open_studio, tiny_graph


@pytest.fixture
def studio(qtbot, tmp_path) -> Studio:
    studio = open_studio(qtbot, tmp_path, tiny_graph(), "tiny")
    yield studio
    studio.ui.jobs.wait(10_000)


def test_selecting_a_node_draws_its_middle_units_window_on_the_probe_image(studio, qtbot):
    ui = studio.ui
    studio.train(qtbot)
    picture = ui.feature_maps.receptive
    ui.show_node("conv1")  # 8×8 input, 3×3 kernel: a 6×6 map whose unit (3, 3) sees rows and columns 3..5
    qtbot.waitUntil(lambda: picture.box is not None)
    assert picture.box == (3, 3, 5, 5)
    assert not picture.picture.pixmap().isNull()
    assert "3×3 window" in picture.caption.text() and "1 pixel apart" in picture.caption.text()
    ui.show_node("fc1")  # a Dense unit sees everything
    qtbot.waitUntil(lambda: picture.box == (0, 0, 7, 7))
    assert "whole input" in picture.caption.text()
