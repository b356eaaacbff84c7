"""The run folder's TensorBoard events, read back with TensorBoard's own reader."""
from __future__ import annotations

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from engine.training import ProbeMailbox

from .run_helpers import train_recorded


def test_events_hold_every_metric_the_learning_rate_the_graph_feature_maps_and_histograms(tmp_path):
    probe = ProbeMailbox(interval=0.0)
    probe.watch("conv1")
    folder = train_recorded(tmp_path, probe=probe, epochs=2)
    events = EventAccumulator(str(folder), size_guidance={"images": 0, "histograms": 0, "scalars": 0})
    events.Reload()
    tags = events.Tags()
    for name in ("epoch/train_loss", "epoch/train_accuracy", "epoch/val_loss", "epoch/val_accuracy", "epoch/lr",
                 "batch/loss", "batch/lr"):
        assert name in tags["scalars"], name
    assert [event.step for event in events.Scalars("epoch/val_loss")] == [1, 2]
    assert tags["graph"] is True
    assert "feature_maps/conv1" in tags["images"]
    assert "weights/conv1.weight" in tags["histograms"]
