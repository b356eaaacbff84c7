"""The task seam: the project's task decides what the Output must be, the loss and the metrics."""
from __future__ import annotations

import json

import pytest
import torch
from torchmetrics.classification import MulticlassJaccardIndex

from engine import Graph, analyze, dumps_project, load_project, loads_project
from engine.project import VERSION, ProjectError
from engine.tasks import CLASSIFICATION, SEGMENTATION, TASK_NAMES, TaskError, task_for
from engine.tasks.base import class_indices
from engine.tasks.segmentation import IGNORE_INDEX
from tests.engine.graphs import seg_graph


def test_the_known_tasks_and_an_unknown_one():
    assert TASK_NAMES == ("classification", "segmentation", "detection", "multilabel", "embedding")
    assert task_for("segmentation") is SEGMENTATION
    with pytest.raises(TaskError, match="unknown task 'keypoints'.*classification, segmentation, detection, multilabel"):
        task_for("keypoints")


def test_a_segmentation_mask_smaller_than_the_input_is_an_error_on_the_output_card_with_the_fix():
    graph = seg_graph(size=64, upsample=False, classes=2)
    report = analyze(graph, task="segmentation")
    output = graph.nodes_of_type("output")[0]
    (issue,) = report.errors
    assert issue.node_id == output.id
    assert "the mask is 2×32×32 but the input is 64×64" in issue.message
    assert "add an upsampling stage" in issue.hint
    # The same network is fine once it upsamples back to the Input's size.
    assert analyze(seg_graph(size=64, upsample=True), task="segmentation").valid


def test_a_flat_output_is_wrong_for_segmentation_and_a_mask_wrong_for_classification():
    from tests.engine.graphs import lenet5

    message = str(analyze(lenet5(), task="segmentation").errors[0])
    assert "needs a classes×height×width mask" in message and "1×1 Conv2d" in message
    message = str(analyze(seg_graph(), task="classification").errors[0])
    assert "Output needs a flat input but" in message and "Flatten" in message
    assert analyze(lenet5()).valid  # classification is the default


def test_old_files_open_as_classification_and_the_task_round_trips(tmp_path):
    old = {"format": "convcanvas.project", "version": 2, "name": "old", "nodes": [], "edges": []}
    project = loads_project(json.dumps(old))
    assert project.task == "classification"
    project.task = "segmentation"
    again = loads_project(dumps_project(project))
    assert again.task == "segmentation" and json.loads(dumps_project(again))["version"] == VERSION == 3
    with pytest.raises(ProjectError, match="task.*unknown task 'boxes'"):
        loads_project(json.dumps({**old, "version": 3, "task": "boxes"}))


def test_presets_say_their_task():
    assert load_project("presets/lenet5.cnn.json").task == "classification"


def test_segmentation_loss_ignores_unlabelled_pixels_and_dice_adds_to_it():
    logits = torch.randn(2, 3, 4, 4)
    targets = torch.randint(0, 3, (2, 4, 4))
    targets[0, 0, 0] = IGNORE_INDEX
    loss = SEGMENTATION.loss(num_classes=3)(logits, targets)
    keep = targets != IGNORE_INDEX
    by_hand = torch.nn.functional.cross_entropy(logits.permute(0, 2, 3, 1)[keep], targets[keep])
    assert torch.allclose(loss, by_hand)
    with_dice = SEGMENTATION.loss(num_classes=3, dice=True)(logits, targets)
    assert with_dice > loss
    weighted = SEGMENTATION.loss(num_classes=3, class_weights=[0.0, 1.0, 1.0])(logits, targets)
    assert not torch.allclose(weighted, loss)


def test_perfect_logits_have_zero_dice():
    targets = torch.randint(0, 3, (2, 8, 8))
    logits = torch.nn.functional.one_hot(targets, 3).permute(0, 3, 1, 2).float() * 100
    assert SEGMENTATION.loss(num_classes=3, dice=True)(logits, targets) < 1e-3


def test_segmentation_metrics_are_torchmetrics_and_match_its_documented_example():
    # torchmetrics' MulticlassJaccardIndex docs: target [2,1,0,0], preds [2,1,0,1] → per class IoU.
    metrics = SEGMENTATION.metrics(3, "cpu")
    target = torch.tensor([[[2, 1], [0, 0]]])
    predicted = torch.tensor([[[2, 1], [0, 1]]])
    logits = torch.nn.functional.one_hot(predicted, 3).permute(0, 3, 1, 2).float()
    metrics.update(logits, target)
    values = metrics.compute()
    expected = MulticlassJaccardIndex(3, average="none")(predicted, target)
    assert expected.tolist() == pytest.approx([0.5, 0.5, 1.0])
    assert values["val_iou"] == pytest.approx(expected.tolist())
    assert values["val_miou"] == pytest.approx(2 / 3)
    assert values["val_pixel_accuracy"] == pytest.approx(0.75)


def test_correct_and_count_is_per_image_or_per_labelled_pixel():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [5.0, 0.0]])
    correct, count = CLASSIFICATION.correct_and_count(logits, torch.tensor([0, 1, 1]))
    assert (int(correct), int(count)) == (2, 3)
    masks = torch.tensor([[[0, 1], [IGNORE_INDEX, 1]]])
    pixel_logits = torch.zeros(1, 2, 2, 2)
    pixel_logits[:, 1] = 1.0  # predicts class 1 everywhere
    correct, count = SEGMENTATION.correct_and_count(pixel_logits, masks)
    assert (int(correct), int(count)) == (2, 3)
    assert SEGMENTATION.decode(pixel_logits).shape == (1, 2, 2)


def test_class_indices_are_argmax_exactly_with_ties_and_nan_in_scores_and_masks():
    # class_indices (max(1), the fast one on a CPU) must pick what argmax(1) picks, ties to the lowest class.
    generator = torch.Generator().manual_seed(0)
    masks = torch.randint(0, 3, (4, 5, 8, 8), generator=generator).float()  # many ties among 5 classes
    masks[0, 2, 1, 1] = float("nan")
    scores = torch.randint(0, 2, (32, 6), generator=generator).float()
    scores[3] = 0.0  # a row of ties only
    for logits in (masks, scores, torch.randn(2, 4, 3, 3, generator=generator)):
        assert torch.equal(class_indices(logits), logits.argmax(1))
    assert torch.equal(SEGMENTATION.decode(masks), masks.argmax(1))
    correct, _ = SEGMENTATION.correct_and_count(masks, masks.argmax(1))
    assert int(correct) == masks[:, 0].numel()


def test_each_task_offers_the_datasets_of_its_target_kind():
    from engine.data import DATASET_NAMES, SEGMENTATION_DATASET_NAMES, dataset_info

    assert SEGMENTATION.dataset_kinds == SEGMENTATION_DATASET_NAMES
    assert CLASSIFICATION.dataset_kinds == DATASET_NAMES
    assert all(dataset_info(name).target == "mask" for name in SEGMENTATION.dataset_kinds)
    assert all(dataset_info(name).target == "label" for name in CLASSIFICATION.dataset_kinds)
