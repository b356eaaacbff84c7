"""The detection loss reports its parts (heat map, box) per epoch, and they add up to the loss."""
from __future__ import annotations

import pytest
import torch

from engine import Project, TrainingConfig
from engine.tasks.detection_ops import DetectionLoss
from engine.training import Trainer
from tests.engine.graphs import det_graph


def test_the_parts_of_the_loss_sum_to_the_loss_weighted_by_images_and_are_taken_once():
    loss = DetectionLoss(3)
    torch.manual_seed(0)
    boxes = torch.tensor([[[0, .1, .1, .4, .5], [2, .5, .5, .9, .8]], [[1, .2, .3, .6, .7], [-1, 0, 0, 0, 0]]])
    first = loss(torch.randn(2, 7, 8, 8), boxes)
    second = loss(torch.randn(1, 7, 8, 8), boxes[:1])
    empty = loss(torch.randn(1, 7, 8, 8), torch.full((1, 1, 5), -1.0))  # no box: the box part is 0
    parts = loss.take_part_means()
    mean = (2 * first + second + empty).item() / 4
    assert parts["loss_heatmap"] + parts["loss_box"] == pytest.approx(mean, rel=1e-6)
    assert 0 < parts["loss_heatmap"] < mean  # both parts count: a box part of 0 would fail this
    assert loss.take_part_means() == {}  # taken: the next epoch starts from nothing


def test_each_epoch_records_the_train_and_validation_loss_parts_which_sum_to_its_losses(tmp_path):
    config = TrainingConfig(dataset="det-shapes:40", epochs=2, batch_size=8, lr=0.01, device="cpu")
    result = Trainer(Project(det_graph(size=32), task="detection"), config, report_interval=0).fit()
    for entry in result.history:
        for split in ("train", "val"):
            heat, box = entry[f"{split}_loss_heatmap"], entry[f"{split}_loss_box"]
            assert heat > 0 and box > 0
            assert heat + box == pytest.approx(entry[f"{split}_loss"], rel=1e-4)


def test_the_precision_recall_curves_per_class_are_the_evaluators_at_iou_half():
    from engine.tasks.detection_ops import PR_RECALLS, DetectionMetrics

    metrics = DetectionMetrics(3, "cpu")
    # Class 0: found; class 2: one of two found, after a false alarm of class 2 scoring higher; class 1 absent.
    maps = torch.full((1, 7, 8, 8), -20.0)
    maps[0, 3:5] = 2.0  # every box 2×2 cells (channels 3, 4 after the 3 heat maps)
    maps[0, 5:] = 0.0  # centres at the cells' corners
    maps[0, 0, 1, 1] = 3.0  # class 0 at cell (1, 1): box 0..0.25
    maps[0, 2, 5, 5] = 2.0  # class 2 at cell (5, 5)
    maps[0, 2, 1, 6] = 4.0  # class 2, nothing there
    truth = torch.tensor([[[0, 0, 0, .25, .25], [2, .5, .5, .75, .75], [2, .0, .5, .2, .7]]])
    metrics.update(maps, truth)
    found = metrics.compute()
    curves = found["val_pr"]
    assert curves[1] is None and len(curves[0]) == len(PR_RECALLS) == 101
    assert curves[0] == [1.0] * 101  # one true box, found first
    # Class 2: recall 0.5 reached at precision 1/2 (the false alarm scored first), recall > 0.5 never.
    assert curves[2][:51] == [0.5] * 51 and curves[2][51:] == [0.0] * 50
    assert found["val_ap"][0] == pytest.approx(1.0) and found["val_ap"][1] is None
