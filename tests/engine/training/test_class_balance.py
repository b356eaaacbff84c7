"""The Data view's remedies as training applies them: a weighted loss, a resampled epoch, the Input's own
normalisation and the project's exclusion list."""
from __future__ import annotations

import pytest
import torch

from engine import Project
from engine.data import DataSplit, TensorData
from engine.training import Trainer

from ..data.data_folders import imbalanced_folder
from .conftest import CLASSES, bar_images, tiny_config, tiny_graph


def lopsided_split() -> DataSplit:
    images, labels = bar_images(120, 1)
    keep = (labels != 2) | (torch.arange(120) < 6)  # 40, 40 and 2 images
    return DataSplit(train=TensorData(images[keep], labels[keep]), val=TensorData(*bar_images(30, 2)),
                     class_names=list(CLASSES), input_shape=(1, 8, 8), mean=(0.0,), std=(1.0,), source="bars")


def test_weighting_the_loss_gives_the_small_class_a_large_weight():
    trainer = Trainer(Project(tiny_graph(), training=tiny_config(epochs=1, balance="weight")))
    result = trainer.fit(lopsided_split())
    note = next(n for n in result.notes if n.startswith("class balance: loss weighted"))
    assert "bottom 13.67" in note and "top 0.68" in note  # 82 / (3 × 2), 82 / (3 × 40)


def test_resampling_draws_the_small_class_about_as_often_as_the_others():
    seen = []

    class Counting(TensorData):
        def iter_batches(self, *args, **kwargs):
            for images, labels in super().iter_batches(*args, **kwargs):
                seen.append(labels)
                yield images, labels

    data = lopsided_split()
    data.train = Counting(data.train.images, data.train.labels)
    result = Trainer(Project(tiny_graph(), training=tiny_config(epochs=2, balance="resample"))).fit(data)
    labels = torch.cat(seen)
    assert len(labels) == 2 * 82
    assert (labels == 2).float().mean().item() > 0.2  # 2 of 82 (2 %) without resampling
    assert any("resamples" in note for note in result.notes)


def test_the_projects_normalisation_and_exclusions_reach_the_loaded_data(tmp_path):
    root = imbalanced_folder(tmp_path / "pets", {"cats": 12, "dogs": 12}, channels=1)
    graph = tiny_graph(classes=2)
    graph.set_param(graph.nodes_of_type("input")[0].id, "normalisation", "0.25 / 0.5")
    config = tiny_config(dataset=str(root), epochs=1, exclude="cats/0000.png\n")
    result = Trainer(Project(graph, training=config)).fit()
    assert any("normalised with the Input's mean 0.2500 and std 0.5000" in note for note in result.notes)
    assert any("left out 1 file(s) the project excludes" in note for note in result.notes)
    data_note = next(note for note in result.notes if note.startswith("data:"))
    train, val = [int(w) for w in data_note.split() if w.isdigit()][-2:]
    assert train + val == 23


def test_a_normalisation_with_the_wrong_channel_count_is_refused_in_one_sentence(tmp_path):
    root = imbalanced_folder(tmp_path / "pets", {"cats": 6, "dogs": 6}, channels=1)
    graph = tiny_graph(classes=2)
    graph.set_param(graph.nodes_of_type("input")[0].id, "normalisation", "0.1,0.2,0.3 / 1,1,1")
    config = tiny_config(dataset=str(root), epochs=1)
    with pytest.raises(Exception, match="has 3 channel\\(s\\) but the Input takes 1"):
        Trainer(Project(graph, training=config)).fit()
