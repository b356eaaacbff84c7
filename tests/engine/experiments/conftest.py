"""A tiny network on the bundled digits, one epoch: a sweep's trial trains in seconds."""
from __future__ import annotations

import pytest

from engine import Graph, Project, TrainingConfig, save_project


def tiny_digits_project(epochs: int = 1) -> Project:
    """input 1×8×8 → conv1 → relu → pool → flatten → drop → fc (10 digits) → output."""
    graph = Graph()
    ids = [graph.add_node(type_id, params, name=name).id for type_id, name, params in [
        ("input", "image", {"channels": 1, "height": 8, "width": 8}),
        ("conv2d", "conv1", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        ("activation", "relu1", {}),
        ("maxpool2d", "pool1", {}),
        ("flatten", "flat", {}),
        ("dropout", "drop", {"p": 0.2}),
        ("dense", "fc", {"out_features": 10}),
        ("output", "scores", {}),
    ]]
    for source, target in zip(ids, ids[1:]):
        graph.connect(source, target)
    settings = TrainingConfig(dataset="digits", epochs=epochs, batch_size=128, lr=0.02, seed=1, device="cpu")
    return Project(graph, "Tiny digits", training=settings)


@pytest.fixture
def project_file(tmp_path):
    return save_project(tiny_digits_project(), tmp_path / "tiny.cnn.json")
