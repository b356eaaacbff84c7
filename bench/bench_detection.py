"""How well and how fast the detector-small preset learns the bundled det-shapes set (issue 15's targets).

(a) Trains ``presets/detector-small.cnn.json`` with its default settings through ``convcanvas train --json``
    and prints the validation mAP@0.5 against the 0.80 target and the time against the five-minute budget,
    each as MET/MISSED. mAP comes from torchmetrics' MeanAveragePrecision, which needs a COCO backend
    (faster-coco-eval or pycocotools); without one the mAP line says so and counts as MISSED, and the
    centre recall (the share of objects whose class heat map fires at their centre) is printed instead.
(b) One epoch (training and validation with mAP) of ``Trainer`` against a hand-written PyTorch loop of
    the same model, loss, optimiser, schedule, flips and metric over the same tensors: target <= 1.10.
    The two run in alternation, round after round, and each figure is the median (the machine is shared).
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import torch

from engine import compile_graph, load_project
from engine.data import Augment, load_dataset
from engine.data.augment import paired_boxes
from engine.tasks import DETECTION
from engine.tasks.detection_ops import METRIC_SCALE, DetectionLoss, box_targets, decode_maps
from engine.training.optim import build_scheduler

from .bench_training import alternate, report, trainer_epoch
from .preset_runs import PresetRun, load_average, report_time, run_preset

TARGET_MAP50 = 0.80
BUDGET_S = 300.0
TARGET_EPOCH_RATIO = 1.10
EPOCH_ROUNDS = 3
PRESET = Path(__file__).resolve().parent.parent / "presets" / "detector-small.cnn.json"


def train_once(seed: int = 0) -> PresetRun:
    """One headless run of the preset, measured."""
    return run_preset("detector-small", "det-shapes", seed, "--device", "cpu")


def hand_loop_epoch(project, config, data) -> Callable[[], float]:
    """The loop a PyTorch user would write: the same network, CenterNet loss, Adam + one-cycle, random flips
    moving the boxes, then validation loss and mAP@0.5 from torchmetrics on the decoded boxes."""
    from torchmetrics.detection import MeanAveragePrecision

    flips = Augment(crop_padding=0, flip=config.augment_flip)
    num_classes = len(data.class_names)

    def run() -> float:
        torch.manual_seed(0)
        model = compile_graph(project.graph)
        DETECTION.prepare_model(model)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        scheduler = build_scheduler(optimizer, config, data.train.num_batches(config.batch_size))
        loss_fn = DetectionLoss(num_classes)
        generator = torch.Generator().manual_seed(0)
        images, boxes = data.train.images, data.train.labels
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(images), generator=generator)
        for begin in range(0, len(images), config.batch_size):
            index = order[begin:begin + config.batch_size]
            x, y = paired_boxes(flips, images[index], boxes[index], generator)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
        model.eval()
        metric = MeanAveragePrecision(box_format="xyxy", iou_type="bbox", backend="faster_coco_eval")
        loss_sum = 0.0
        with torch.no_grad():
            step = config.batch_size * 2
            for begin in range(0, len(data.val.images), step):
                x, y = data.val.images[begin:begin + step], data.val.labels[begin:begin + step]
                maps = model(x)
                loss_sum += float(loss_fn(maps, y)) * len(x)
                predictions, truths = decode_maps(maps, score_threshold=0.01), box_targets(y)
                for entry in (*predictions, *truths):
                    entry["boxes"] = entry["boxes"] * METRIC_SCALE
                metric.update(predictions, truths)
        metric.compute()
        return time.perf_counter() - start
    return run


def bench_epoch_ratio() -> None:
    project = load_project(PRESET)
    config = project.training.replace(epochs=1, device="cpu")
    data = load_dataset(config.dataset, (3, 64, 64), val_fraction=config.val_fraction, seed=config.seed)
    print(f"(b) one epoch of detector-small on det-shapes ({len(data.train)} train + {len(data.val)} validation "
          f"images, batch {config.batch_size}, Adam + one-cycle, flips, mAP), median of {EPOCH_ROUNDS} rounds",
          flush=True)
    times = alternate({"trainer": trainer_epoch(project, config, data),
                       "hand": hand_loop_epoch(project, config, data)}, EPOCH_ROUNDS)
    report("Trainer vs hand-written loop", times["trainer"], times["hand"], "hand loop", f"<= {TARGET_EPOCH_RATIO}")
    ratio = times["trainer"] / times["hand"]
    print(f"  epoch ratio {ratio:.3f} (target <= {TARGET_EPOCH_RATIO:.2f}): "
          f"{'MET' if ratio <= TARGET_EPOCH_RATIO else 'MISSED'}", flush=True)


def main() -> int:
    print(f"detector-small preset on det-shapes, {os.cpu_count()} CPUs, load average {load_average():.1f}",
          flush=True)
    print("(a) the preset's default run", flush=True)
    run = train_once()
    summary = run.summary
    map50 = summary.get("val_map50")
    if map50 is None:
        print(f"  mAP@0.5 n/a: no COCO backend (pip install faster-coco-eval) (target >= {TARGET_MAP50:.2f}): "
              f"MISSED; centre recall {summary['val_accuracy']:.1%}, val loss {summary['val_loss']:.3f}", flush=True)
    else:
        print(f"  mAP@0.5 {map50:.3f}, mAP@[.5:.95] {summary['val_map']:.3f} (target mAP@0.5 >= {TARGET_MAP50:.2f}): "
              f"{'MET' if map50 >= TARGET_MAP50 else 'MISSED'}", flush=True)
    report_time(run, BUDGET_S)
    bench_epoch_ratio()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
