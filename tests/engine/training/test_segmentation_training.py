"""Training a segmentation network: the same Trainer and callbacks, the task's loss and metrics."""
from __future__ import annotations

import pytest

from engine import Project, TrainingConfig
from engine.checkpoint import load_checkpoint
from engine.training import Callback, FitError, Trainer
from tests.engine.graphs import lenet5, seg_graph


class Recorder(Callback):
    def __init__(self) -> None:
        self.batches, self.validations, self.epochs = [], [], []

    def on_batch_end(self, state, metrics):
        self.batches.append(metrics)

    def on_validation_end(self, state, metrics):
        self.validations.append(metrics)

    def on_epoch_end(self, state, metrics):
        self.epochs.append(metrics)


def config(**changes) -> TrainingConfig:
    return TrainingConfig(**{"dataset": "seg-shapes:40", "epochs": 2, "batch_size": 8, "lr": 0.01,
                             "device": "cpu", **changes})


def test_a_segmentation_run_reports_pixel_accuracy_and_iou_through_the_callbacks(tmp_path):
    recorder = Recorder()
    project = Project(seg_graph(size=16, classes=4), task="segmentation")
    result = Trainer(project, config(dice=True, class_weights="0.5,1,1,1", augment_scale=0.3, augment_crop=True,
                                     augment_flip=True), callbacks=[recorder],
                     out=tmp_path, report_interval=0).fit()
    assert result.epochs_completed == 2 and 0 <= recorder.batches[-1]["accuracy"] <= 1
    validation = recorder.validations[-1]
    assert len(validation["val_iou"]) == 4 and 0 <= validation["val_miou"] <= 1
    assert validation["val_miou"] == pytest.approx(sum(validation["val_iou"]) / 4)
    assert 0 <= validation["val_pixel_accuracy"] <= 1 and validation["val_pixel_accuracy"] == pytest.approx(
        validation["val_accuracy"])
    assert "val_miou" in result.history[-1] and recorder.epochs[-1]["best_metric"] == "val_miou"
    assert load_checkpoint(tmp_path / "best.pt").project.task == "segmentation"


def test_a_classification_dataset_for_a_segmentation_project_is_refused_with_what_to_do():
    project = Project(seg_graph(size=16, classes=4), task="segmentation")
    with pytest.raises(FitError, match="Dataset 'digits' is for classification but the project's task is "
                                       "segmentation: pick a segmentation dataset"):
        Trainer(project, config(dataset="digits")).fit()
    with pytest.raises(FitError, match="is for segmentation but the project's task is classification"):
        Trainer(Project(lenet5()), config()).fit()


def test_the_class_count_is_adapted_on_the_last_conv_for_segmentation():
    project = Project(seg_graph(size=16, classes=2), task="segmentation")
    with pytest.raises(FitError, match="The Output gives 2 scores but dataset 'seg-shapes' has 4 classes"):
        Trainer(project, config(epochs=1)).fit()
    result = Trainer(project, config(epochs=1), adapt=True).fit()
    assert any("channels 2 → 4" in note for note in result.notes)


def test_class_weights_must_match_the_classes():
    project = Project(seg_graph(size=16, classes=4), task="segmentation")
    with pytest.raises(Exception, match="class weights give 2 numbers but the dataset has 4 classes"):
        Trainer(project, config(class_weights="1,2")).fit()
