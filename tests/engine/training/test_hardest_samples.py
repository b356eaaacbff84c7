"""After training, the validation samples with the highest loss come first: mislabelled ones among them."""
from __future__ import annotations

import csv

import torch

from engine import Project
from engine.data import DataSplit, TensorData
from engine.training import Trainer
from engine.training.hardest import hardest_samples, write_hardest_csv

from .conftest import CLASSES, bar_images, tiny_config, tiny_graph


def test_mislabelled_validation_samples_are_listed_first_and_exported(tmp_path):
    val_images, val_labels = bar_images(60, 2)
    wrong = [3, 17, 40]
    for index in wrong:
        val_labels[index] = (val_labels[index] + 1) % len(CLASSES)
    data = DataSplit(train=TensorData(*bar_images(240, 1)), val=TensorData(val_images, val_labels),
                     class_names=list(CLASSES), input_shape=(1, 8, 8), mean=(0.0,), std=(1.0,), source="bars")
    result = Trainer(Project(tiny_graph(), training=tiny_config(epochs=6, augment_crop=False))).fit(data)
    rows = hardest_samples(result.model, data.val)
    assert len(rows) == 60 and rows[0].loss >= rows[-1].loss
    assert sorted(row.index for row in rows[:3]) == wrong
    assert all(row.predicted != row.given for row in rows[:3])
    names = [f"val/{i}.png" for i in range(60)]
    write_hardest_csv(tmp_path / "hardest.csv", rows, CLASSES, names)
    with open(tmp_path / "hardest.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert [row["file"] for row in table[:3]] == [names[row.index] for row in rows[:3]]
    assert table[0]["given"] == CLASSES[rows[0].given] and table[0]["predicted"] == CLASSES[rows[0].predicted]
    assert torch.is_grad_enabled()  # scoring left autograd as it was
