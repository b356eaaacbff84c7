"""Training a detector: the same Trainer, callbacks and CLI, detection's loss, metrics and boxes."""
from __future__ import annotations

import json

import pytest
import torch
from PIL import Image

from engine import Project, TrainingConfig, save_project
from engine.checkpoint import load_checkpoint
from engine.cli import main
from engine.data.det_shapes import generate_det_shapes
from engine.training import FitError, Trainer
from tests.engine.graphs import det_graph, seg_graph


def config(**changes) -> TrainingConfig:
    return TrainingConfig(**{"dataset": "det-shapes:40", "epochs": 2, "batch_size": 8, "lr": 0.01,
                             "device": "cpu", **changes})


def test_a_detection_run_trains_with_moved_boxes_and_records_map_and_its_task(tmp_path):
    project = Project(det_graph(size=32), task="detection")
    result = Trainer(project, config(augment_flip=True, augment_crop=True), out=tmp_path, report_interval=0).fit()
    assert result.epochs_completed == 2
    first, last = result.history
    assert {"val_map50", "val_map"} <= set(last) and result.metrics["best_metric"] == "val_map50"
    assert torch.isfinite(torch.tensor([first["train_loss"], last["train_loss"]])).all()
    assert last["train_loss"] < first["train_loss"]
    assert 0 <= last["val_accuracy"] <= 1  # centre recall
    assert load_checkpoint(tmp_path / "best.pt").project.task == "detection"


def test_a_segmentation_dataset_for_a_detection_project_is_refused_with_what_to_do():
    with pytest.raises(FitError, match="Dataset 'seg-shapes' is for segmentation but the project's task is "
                                       "detection: pick a detection dataset \\(det-shapes\\)"):
        Trainer(Project(det_graph(), task="detection"), config(dataset="seg-shapes:40")).fit()
    with pytest.raises(FitError, match="is for detection but the project's task is segmentation"):
        Trainer(Project(seg_graph(), task="segmentation"), config()).fit()


def test_the_head_is_adapted_to_the_classes_plus_four_box_channels():
    project = Project(det_graph(channels=6), task="detection")
    with pytest.raises(FitError, match="The Output gives 2 scores but dataset 'det-shapes' has 3 classes"):
        Trainer(project, config(epochs=1)).fit()
    result = Trainer(project, config(epochs=1), adapt=True).fit()
    assert any("channels 6 → 7" in note for note in result.notes)


def test_cli_trains_a_detector_prints_each_epoch_then_predict_prints_boxes_and_writes_the_picture(tmp_path, capsys):
    project = Project(det_graph(size=32), "Det", training=config(epochs=1), task="detection")
    file = save_project(project, tmp_path / "det.cnn.json")
    assert main(["train", str(file), "--out", str(tmp_path / "run"), "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    epoch = next(line for line in lines if line.startswith("epoch 1/1"))
    assert "mAP" in epoch
    assert {"epochs", "val_loss", "checkpoint"} <= set(json.loads(lines[-1]))
    images, _ = generate_det_shapes(1, (48, 40), seed=5)
    picture = tmp_path / "shapes.png"
    Image.fromarray((images[0].permute(1, 2, 0) * 255).to(torch.uint8).numpy()).save(picture)
    checkpoint = tmp_path / "run" / "best.pt"
    assert main(["predict", str(checkpoint), str(picture), "--min-score", "0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{picture} → {tmp_path / 'shapes.boxes.png'}"
    name, score, *corners = out[1].split()
    assert name in ("circle", "square", "triangle") and 0 <= float(score) <= 1
    x0, y0, x1, y1 = (float(value) for value in corners)
    assert 0 <= x0 <= x1 <= 40 and 0 <= y0 <= y1 <= 48  # the image's own pixels, not the Input's
    with Image.open(tmp_path / "shapes.boxes.png") as drawn:
        assert drawn.size == (40, 48) and drawn.mode == "RGB"
    assert main(["predict", str(checkpoint), str(picture), "--json", "--min-score", "0"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["boxes"][0]["class"] == name and len(entry["boxes"][0]["box"]) == 4
    assert main(["predict", str(checkpoint), str(picture), "--min-score", "2"]) == 2
    assert "--min-score must be from 0 to 1, got 2.0" in capsys.readouterr().err


def test_the_fast_path_trains_a_detector_too():
    result = Trainer(Project(det_graph(size=32), task="detection"), config(epochs=1, fast=True)).fit()
    assert result.epochs_completed == 1 and torch.isfinite(torch.tensor(result.history[0]["train_loss"]))
