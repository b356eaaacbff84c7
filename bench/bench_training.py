"""Does ConvCanvas train as fast as plain PyTorch? Three comparisons, each as a ratio.

(a) One optimisation step of a compiled preset (LeNet-5, ResNet-8) against
    the same network written as a plain ``nn.Module`` (same weights, same
    batch, same optimiser). Target: ratio <= 1.03.
(b) One epoch of ``Trainer`` on the bundled digits (train + validation)
    against a hand-written loop over the same tensors, target <= 1.10, and
    against the scripts people usually write: a ``TensorDataset`` with a
    ``DataLoader``, and a per-sample torchvision transform ``Dataset`` with a
    ``DataLoader`` (both should be slower than the Trainer).
(c) Training with a feature-map probe every 250 ms against training
    without one. Target: ratio <= 1.05.

The machine may be noisy (2 shared cores), so the variants run in
alternation, round after round, and each figure is the median over rounds.
"""
from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from engine import compile_graph, load_project
from engine.codegen import python_source
from engine.compiler import example_input
from engine.data import load_dataset
from engine.data.digits import load_digits
from engine.training import ProbeMailbox, Trainer, output_size
from engine.training.optim import build_scheduler

PRESETS = Path(__file__).resolve().parent.parent / "presets"
STEP_ROUNDS = {"lenet5": 400, "resnet8": 40}
EPOCH_ROUNDS = 11
PROBE_ROUNDS, PROBE_EPOCHS = 9, 2


def alternate(variants: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """Runs each variant once per round, in turn, after one warm-up round; returns the median seconds.

    A variant returns the seconds it wants counted (so it can leave set-up out)."""
    for run in variants.values():
        run()
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for round_index in range(rounds):
        names = list(variants)
        if round_index % 2:  # alternate who goes first, so drift hits both alike
            names.reverse()
        for name in names:
            timings[name].append(variants[name]())
    return {name: statistics.median(values) for name, values in timings.items()}


def report(label: str, ours: float, theirs: float, their_name: str, target: str = "") -> None:
    ratio = ours / theirs
    goal = f"  (target {target})" if target else ""
    print(f"  {label:36s} ConvCanvas {ours * 1e3:9.2f} ms   {their_name} {theirs * 1e3:9.2f} ms   "
          f"ratio {ratio:.3f}{goal}", flush=True)


# --- (a) step time -----------------------------------------------------------


class HandLeNet5(nn.Module):
    """LeNet-5 as one would type it; attribute names match the preset's node names."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.avg_pool2d(torch.tanh(self.conv1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = torch.tanh(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return self.fc3(x)


def plain_module_from_source(graph, name: str) -> nn.Module:
    """The standalone PyTorch source ConvCanvas exports: the network as a person would write it."""
    namespace: dict = {"__name__": "plain_source"}
    exec(compile(python_source(graph, name), f"<{name}>", "exec"), namespace)
    classes = [value for value in namespace.values() if isinstance(value, type) and issubclass(value, nn.Module)
               and value is not nn.Module]
    return classes[-1]()


def step_timer(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> Callable[[], float]:
    """One optimisation step per call: the finest alternation, so a stall hits single steps, not rounds."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    model.train()

    def run() -> float:
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        return time.perf_counter() - start
    return run


def bench_steps() -> None:
    print("(a) one training step (forward, backward, Adam), compiled graph vs plain nn.Module", flush=True)
    cases = [("lenet5", 32, lambda graph: HandLeNet5(), "hand-written"),
             ("resnet8", 64, lambda graph: plain_module_from_source(graph, "ResNet8"), "plain source")]
    for preset, batch, plain_factory, plain_name in cases:
        path = PRESETS / f"{preset}.cnn.json"
        if not path.exists():
            print(f"  {preset}: preset not found, skipped")
            continue
        graph = load_project(path).graph
        torch.manual_seed(0)
        compiled = compile_graph(graph, name=preset)
        plain = plain_factory(graph)
        plain.load_state_dict(compiled.state_dict())  # same weights
        images = example_input(graph, batch)
        labels = torch.randint(0, output_size(graph), (batch,))
        times = alternate({"compiled": step_timer(compiled, images, labels),
                           "plain": step_timer(plain, images, labels)}, STEP_ROUNDS[preset])
        report(f"{preset}, batch {batch}", times["compiled"], times["plain"], plain_name, "<= 1.03")


# --- (b) epoch time ------------------------------------------------------------


def trainer_epoch(project, config, data) -> Callable[[], float]:
    def run() -> float:
        result = Trainer(project, config).fit(data)
        return result.history[0]["seconds"]  # the epoch alone: no set-up, no compilation
    return run


def hand_loop_epoch(project, config, data) -> Callable[[], float]:
    """The lean loop a PyTorch user would write over tensors already in memory."""
    def run() -> float:
        torch.manual_seed(0)
        model = compile_graph(project.graph)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        scheduler = build_scheduler(optimizer, config, data.train.num_batches(config.batch_size))
        loss_fn = nn.CrossEntropyLoss()
        images, labels = data.train.images, data.train.labels
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(labels))
        for begin in range(0, len(labels), config.batch_size):
            index = order[begin : begin + config.batch_size]
            x, y = images[index], labels[index]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
        validate(model, DataLoaderLike(data.val.images, data.val.labels, config.batch_size * 2))
        return time.perf_counter() - start
    return run


class DataLoaderLike:
    """Batches of in-memory tensors by slicing (for the hand-written loop's validation)."""

    def __init__(self, images, labels, batch_size) -> None:
        self.images, self.labels, self.batch_size = images, labels, batch_size

    def __iter__(self):
        for begin in range(0, len(self.labels), self.batch_size):
            yield self.images[begin : begin + self.batch_size], self.labels[begin : begin + self.batch_size]


def validate(model: nn.Module, batches) -> float:
    model.eval()
    correct = total = 0
    loss_sum = 0.0
    with torch.no_grad():
        for x, y in batches:
            logits = model(x)
            loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
            correct += (logits.argmax(1) == y).sum().item()
            total += len(y)
    return correct / total


class DigitsWithTransforms(Dataset):
    """The torchvision way: raw 8×8 digits, a transform pipeline run on each sample as it is fetched."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, mean: float, std: float) -> None:
        from torchvision import transforms

        self.images, self.labels = images, labels
        self.transform = transforms.Compose([
            transforms.Resize((32, 32), antialias=True),
            transforms.Normalize((mean,), (std,)),
        ])

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        return self.transform(self.images[index]), self.labels[index]


def dataloader_epoch(project, config, train_set: Dataset, val_set: Dataset) -> Callable[[], float]:
    def run() -> float:
        torch.manual_seed(0)
        model = compile_graph(project.graph)
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        train_loader = DataLoader(train_set, batch_size=config.batch_size, shuffle=True)
        scheduler = build_scheduler(optimizer, config, len(train_loader))
        loss_fn = nn.CrossEntropyLoss()
        start = time.perf_counter()
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
        validate(model, DataLoader(val_set, batch_size=config.batch_size * 2))
        return time.perf_counter() - start
    return run


def bench_epochs() -> None:
    project = load_project(PRESETS / "lenet5.cnn.json")
    config = project.training.replace(epochs=1, augment_crop=False, device="cpu")
    data = load_dataset("digits", (1, 32, 32), val_fraction=config.val_fraction, seed=config.seed)
    raw, _ = load_digits()
    # The same split for the torchvision-style datasets (images already at 32×32 for TensorDataset).
    tensor_train = TensorDataset(data.train.images, data.train.labels)
    tensor_val = TensorDataset(data.val.images, data.val.labels)
    mean, std = data.mean[0], data.std[0]
    split = torch.Generator().manual_seed(0)
    order = torch.randperm(len(raw), generator=split)
    cut = len(raw) - len(data.val)
    per_sample_train = DigitsWithTransforms(raw.images[order[:cut]], raw.labels[order[:cut]], mean, std)
    per_sample_val = DigitsWithTransforms(raw.images[order[cut:]], raw.labels[order[cut:]], mean, std)

    print(f"(b) one epoch of LeNet-5 on digits ({len(data.train)} train + {len(data.val)} validation images, "
          f"batch {config.batch_size}, Adam + one-cycle, no augmentation)", flush=True)
    times = alternate({
        "trainer": trainer_epoch(project, config, data),
        "hand": hand_loop_epoch(project, config, data),
        "tensor_dataset": dataloader_epoch(project, config, tensor_train, tensor_val),
        "per_sample": dataloader_epoch(project, config, per_sample_train, per_sample_val),
    }, EPOCH_ROUNDS)
    report("Trainer vs hand-written loop", times["trainer"], times["hand"], "hand loop", "<= 1.10")
    report("Trainer vs TensorDataset+DataLoader", times["trainer"], times["tensor_dataset"], "DataLoader",
           "< 1: faster")
    report("Trainer vs per-sample transforms", times["trainer"], times["per_sample"], "DataLoader", "< 1: faster")


# --- (c) probes ----------------------------------------------------------------------


def bench_probe() -> None:
    project = load_project(PRESETS / "lenet5.cnn.json")
    config = project.training.replace(epochs=PROBE_EPOCHS, device="cpu")
    data = load_dataset("digits", (1, 32, 32), val_fraction=config.val_fraction, seed=config.seed)
    frames = []

    def train(probe: ProbeMailbox | None) -> Callable[[], float]:
        def run() -> float:
            if probe is not None:
                probe.watch("conv1")
            result = Trainer(project, config, probe=probe).fit(data)
            if probe is not None and probe.latest() is not None:
                frames.append(probe.latest())
            return sum(entry["seconds"] for entry in result.history)
        return run

    print(f"(c) {PROBE_EPOCHS} epochs of LeNet-5 on digits with a conv1 probe every 250 ms vs none", flush=True)
    times = alternate({"probe": train(ProbeMailbox(interval=0.25)), "plain": train(None)}, PROBE_ROUNDS)
    report("training with probe vs without", times["probe"], times["plain"], "no probe", "<= 1.05")
    print(f"  ({len(frames)} runs produced frames; last frame {frames[-1].images.shape} uint8)" if frames else
          "  (no frames were produced)")


def main() -> int:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, load average "
          f"{load:.1f}; medians over alternating rounds", flush=True)
    if load > (os.cpu_count() or 1) * 0.5:
        print("  note: the machine is busy; other processes stall torch's threads, so expect noisy ratios")
    bench_steps()
    bench_epochs()
    bench_probe()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
