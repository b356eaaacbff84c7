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
from engine.data import dataset_info, load_dataset
from engine.project import save_project
from engine.training import FitError, Trainer
from engine.training.data_setup import refit_to_loaded_classes

LEFT_OUT = "class(es) 'broken' left out: none of their images could be read"


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
    assert f"adapted the network: fc: units {scores} → 2 (dataset '{folder}' has 2 classes)" in result.notes
    assert "left out class(es) with no readable image: broken" in result.notes
    assert result.metrics["val_accuracy"] >= 0  # validated: the confusion matrix fits the two classes


def test_without_adapt_the_refusal_names_the_class_left_out_and_why(folder):
    # The network fits the three folder names, not the two classes that can be read.
    with pytest.raises(FitError) as caught:
        Trainer(project_for(folder, 3)).fit()

    assert str(caught.value).startswith(
        f"The Output gives 3 scores but dataset '{folder}' has 2 classes (blue, red); {LEFT_OUT}. ")


def test_the_dataset_info_the_window_shows_counts_only_readable_classes(folder):
    info = dataset_info(str(folder))
    assert info.class_names == ("blue", "red") and info.class_counts == (10, 10)
    assert info.left_out == ("broken",) and "left out broken: no readable image" in info.description


@pytest.mark.parametrize("adapt", [True, False])
def test_a_class_that_became_unreadable_after_the_check_is_fitted_again(folder, adapt):
    (folder / "green").mkdir()
    for index in range(10):
        Image.new("RGB", (8, 8), (30, 220, 30)).save(folder / "green" / f"{index}.png")
    graph = project_for(folder, 3).graph
    info = dataset_info(str(folder))
    assert info.class_names == ("blue", "green", "red")  # the three outputs fit
    for image in (folder / "red").iterdir():  # red breaks between the check and the loading
        image.write_bytes(b"no longer an image")
    data = load_dataset(str(folder), (3, 8, 8))
    assert data.class_names == ["blue", "green"]

    if adapt:
        assert refit_to_loaded_classes(graph, info, data, adapt=True) == [
            "class(es) 'red' left out: none of their images could be read",
            f"adapted the network: fc: units 3 → 2 (dataset '{folder}' has 2 classes)"]
        assert graph.nodes["fc"].params["out_features"] == 2
    else:
        with pytest.raises(FitError) as caught:
            refit_to_loaded_classes(graph, info, data, adapt=False)
        assert str(caught.value).startswith(
            f"The Output gives 3 scores but dataset '{folder}' has 2 classes (blue, green); class(es) 'broken', "
            "'red' left out: none of their images could be read. ")


def test_the_cli_says_it_in_one_line(folder, tmp_path, capsys):
    project_file = save_project(project_for(folder, 3), tmp_path / "colours.cnn.json")

    assert main(["train", str(project_file), "--out", str(tmp_path / "run")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "'broken'" in error and "Traceback" not in error
