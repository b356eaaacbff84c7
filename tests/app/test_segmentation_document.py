"""A segmentation project in the window's document: analysed with its own task."""
from __future__ import annotations

from app.document import Document
from app.presets_menu import presets_folder
from engine.project import load_project


def test_a_segmentation_preset_opens_without_an_output_error(qtbot):
    document = Document(load_project(presets_folder() / "unet-small.cnn.json"))
    assert document.project.task == "segmentation"
    assert document.analysis.valid, document.analysis.error_text()
    document.project.task = "classification"  # the same network read as a classifier: the card says why
    document.refresh_analysis()
    (issue,) = document.analysis.errors
    assert issue.node_id == "output" and "Output needs a flat input" in issue.message
