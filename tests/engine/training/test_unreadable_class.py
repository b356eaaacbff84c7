"""An image folder whose every image of one class is unreadable: the classes come from the readable files.

Before, ``--adapt`` set the head from the folder names (three classes), the data held two, and the
first validation crashed in ``confusion_counts``.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from engine import Project, TrainingConfig
from engine.builders import GraphBuilder
from engine.cli import main
from engine.project import save_project
from engine.training import FitError, Trainer

LEFT_OUT = "class(es) 'broken' of dataset '{folder}' left out: none of their images could be read"


@pytest.fixture
def folder(tmp_path) -> Path:
    """red/ and blue/ hold good 8×8 PNGs; broken/ holds files named .png that are not images."""
    root = tmp_path / "pictures"
    for name, colour in (("red", (220, 30, 30)), ("blue", (30, 30, 220))):
        (root / name).mkdir(parents=True)
        for index in range(10):
            Image.new("RGB", (8, 8), tuple(min(255, value + 3 * index) for value in colour)).save(
                root / name / f"{index}.png")
    (root / "broken").mkdir()
    for index in range(4):
        (root / "broken" / f"{index}.png").write_bytes(b"\x89PNG but not really" * 4)
    return root


def project_for(folder: Path, scores: int) -> Project:
    builder = GraphBuilder()
    builder.add("input", "image", channels=3, height=8, width=8)
    builder.add("flatten", "flat")
    builder.add("dense", "fc", out_features=scores)
    builder.add("output", "scores")
    config = TrainingConfig(dataset=str(folder), epochs=1, batch_size=8, device="cpu", seed=0)
    return Project(builder.graph, "Colours", training=config)


@pytest.mark.parametrize("scores", [3, 5])
def test_adapt_fits_the_head_to_the_classes_that_have_readable_images(folder, scores):
    result = Trainer(project_for(folder, scores), adapt=True).fit()

    assert result.class_names == ["blue", "red"]
    assert result.model.fc.out_features == 2
    assert LEFT_OUT.format(folder=folder) in result.notes
    assert result.metrics["val_accuracy"] >= 0  # validated: the confusion matrix fits the two classes


def test_without_adapt_the_refusal_names_the_class_left_out_and_why(folder):
    # The network fits the three folder names, not the two classes that can be read.
    with pytest.raises(FitError) as caught:
        Trainer(project_for(folder, 3)).fit()

    message = str(caught.value)
    assert message.startswith(f"The Output gives 3 scores but dataset '{folder}' has 2 classes (blue, red). ")
    assert "Class(es) 'broken' of dataset" in message and "none of their images could be read" in message


def test_the_cli_says_it_in_one_line(folder, tmp_path, capsys):
    project_file = save_project(project_for(folder, 3), tmp_path / "colours.cnn.json")

    assert main(["train", str(project_file), "--out", str(tmp_path / "run")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "'broken'" in error and "Traceback" not in error
