"""A tiny network and a tiny learnable dataset: real training in a fraction of a second."""
from __future__ import annotations

import pytest
import torch

from engine import Graph, Project, TrainingConfig
from engine.data import DataSplit, TensorData

CLASSES = ["top", "middle", "bottom"]


def tiny_graph(classes: int = len(CLASSES), channels: int = 1) -> Graph:
    """input 1×8×8 → conv → bn → relu → pool → flatten → dropout → fc → output.

    BatchNorm and dropout are there on purpose: they are what probes and resumes could disturb."""
    graph = Graph()
    ids = {}
    for type_id, name, params in [
        ("input", "image", {"channels": channels, "height": 8, "width": 8}),
        ("conv2d", "conv1", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        ("batchnorm2d", "bn1", {}),
        ("activation", "relu1", {}),
        ("maxpool2d", "pool1", {}),
        ("flatten", "flat", {}),
        ("dropout", "drop", {"p": 0.2}),
        ("dense", "fc", {"out_features": classes}),
        ("output", "scores", {}),
    ]:
        ids[name] = graph.add_node(type_id, params, name=name).id
    names = list(ids)
    for src, dst in zip(names, names[1:]):
        graph.connect(ids[src], ids[dst])
    return graph


def bar_images(count: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """8×8 images with a bright horizontal bar at the top, middle or bottom (the label), plus noise."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(count) % len(CLASSES)
    images = torch.randn(count, 1, 8, 8, generator=generator) * 0.3
    for index, label in enumerate(labels.tolist()):
        images[index, 0, 1 + 3 * label : 3 + 3 * label, :] += 2.0
    return images, labels


def tiny_split(train: int = 96, val: int = 48) -> DataSplit:
    return DataSplit(train=TensorData(*bar_images(train, 1)), val=TensorData(*bar_images(val, 2)),
                     class_names=list(CLASSES), input_shape=(1, 8, 8), mean=(0.0,), std=(1.0,),
                     source="bars (synthetic)")


def tiny_config(**changes) -> TrainingConfig:
    settings = dict(dataset="digits", epochs=2, batch_size=16, optimizer="adam", lr=0.01, seed=3,
                    device="cpu", augment_crop=True)
    settings.update(changes)
    return TrainingConfig(**settings)


@pytest.fixture
def project() -> Project:
    return Project(tiny_graph(), "Tiny", training=tiny_config())


@pytest.fixture
def data() -> DataSplit:
    return tiny_split()


@pytest.fixture(autouse=True)
def compile_measurements_in_tmp(tmp_path, monkeypatch):
    """The fast path remembers compile measurements in the user's cache: tests keep theirs apart."""
    from engine.training.compile_memory import CACHE_ENV

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
