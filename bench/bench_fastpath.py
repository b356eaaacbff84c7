"""Is the fast path faster than a hand-written loop, and does it know when compiling pays?

(a) ResNet-18 at 32×32, batch 32: one training step (forward, backward, Adam)
    of the fast path against the hand-written eager loop (default for-each
    Adam) on the same network, weights and batch. Target <= 0.85. The fast
    path steps with a fused optimizer and, where the run is long enough,
    compiles; its in-run trial keeps the compiled network only if a compiled
    step beats an eager one, so its step is the faster of the two. Also
    reported: channels_last alone (why the CPU path leaves it off), the compile
    time (inductor's cache is used, so a second run of this bench measures a
    warm compile; the first on a machine, a cold one), the break-even step
    count measured and the one the fast path estimates before compiling.
(b) LeNet-5 on digits with the preset's own run length: the fast path must
    stay off (compiling would not pay back in so few steps).

The machine may be busy (2 shared cores), so the variants run in alternation,
round after round, and each figure is the median over rounds.
"""
from __future__ import annotations

import copy
import os
import time
from pathlib import Path

import torch
from torch import nn

from bench.bench_training import alternate, step_timer
from engine.config import TrainingConfig
from engine.training.compile_memory import Measured
from engine.training.optim import build_optimizer
from engine import compile_graph, load_project
from engine.compiler import example_input
from engine.data.digits import load_digits
from engine.training import output_size
from engine.training.fast_path import (channels_last_input, compile_problem, decide, layer_mix, time_eager_steps,
                                       to_channels_last)

PRESETS = Path(__file__).resolve().parent.parent / "presets"
STEP_ROUNDS = 5
RESNET_RUN_EPOCHS = 10
TARGET_RATIO = 0.85


def verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def resnet18_at_32():
    project = load_project(PRESETS / "resnet18.cnn.json")
    graph = project.graph
    node = graph.nodes_of_type("input")[0]
    graph.set_param(node.id, "height", 32)
    graph.set_param(node.id, "width", 32)
    return project, graph


def bench_resnet18() -> None:
    print("(a) ResNet-18 at 32x32, batch 32: fast path step vs the hand-written eager loop", flush=True)
    problem = compile_problem(torch.device("cpu"))
    if problem:
        print(f"  torch.compile cannot run here: {problem}; MISSED")
        return
    project, graph = resnet18_at_32()
    batch = 32
    torch.manual_seed(0)
    eager = compile_graph(graph, name="resnet18")
    images = example_input(graph, batch)
    labels = torch.randint(0, output_size(graph), (batch,))
    criterion = nn.CrossEntropyLoss()

    eager_step = time_eager_steps(eager, images, labels, criterion, _no_autocast)
    steps_per_epoch = -(-40_000 // batch)  # CIFAR-10's 50,000 images less a 20 % validation share
    decision = decide("ResNet-18", layer_mix(eager), eager_step, RESNET_RUN_EPOCHS * steps_per_epoch)
    print(f"  a {RESNET_RUN_EPOCHS}-epoch CIFAR-10 run: {decision.message}", flush=True)

    channels_last = to_channels_last(copy.deepcopy(eager))
    fused = copy.deepcopy(eager)  # the fast path's step when it does not compile
    compiled = torch.compile(copy.deepcopy(eager))  # as the trainer's fast path on the CPU: NCHW, compiled
    fused_step = fast_path_step_timer(fused, images, labels)
    compiled_step = fast_path_step_timer(compiled, images, labels)
    started = time.perf_counter()
    compiled_step()
    compile_seconds = time.perf_counter() - started
    times = alternate({"eager": step_timer(eager, images, labels),
                       "channels_last": step_timer(channels_last, channels_last_input(images), labels),
                       "fused": fused_step, "compiled": compiled_step}, STEP_ROUNDS)
    keeps_compiled = times["compiled"] < times["fused"]  # the in-run trial's rule
    fast = min(times["compiled"], times["fused"])
    ratio = fast / times["eager"]
    print(f"  hand-written eager {times['eager'] * 1e3:7.1f} ms   channels_last {times['channels_last'] * 1e3:7.1f} "
          f"ms ({times['channels_last'] / times['eager']:.3f}x)   fused optimizer {times['fused'] * 1e3:7.1f} ms "
          f"({times['fused'] / times['eager']:.3f}x)   fused + compiled {times['compiled'] * 1e3:7.1f} ms "
          f"({times['compiled'] / times['eager']:.3f}x)")
    print(f"  the trial keeps the {'compiled' if keeps_compiled else 'eager'} network: fast path / hand-written "
          f"eager: {ratio:.3f}  (target <= {TARGET_RATIO})  {verdict(ratio <= TARGET_RATIO)}")
    saved = times["fused"] - times["compiled"]
    on_top = f"~{compile_seconds / saved:,.0f} steps" if saved > 0 else "never (not faster per step)"
    against_hand = f"~{compile_seconds / (times['eager'] - fast):,.0f} steps" if keeps_compiled else "1 step"
    print(f"  break-even against the hand-written loop: {against_hand}; of compiling on top of the fused "
          f"step: {on_top}", flush=True)
    measured = Measured(max(0.0, compile_seconds - times["compiled"]), times["compiled"] / times["fused"])
    again = decide("ResNet-18", layer_mix(eager), times["fused"], RESNET_RUN_EPOCHS * steps_per_epoch, measured)
    print(f"  the next run, deciding from these measurements: {again.message}")
    print(f"  compile {compile_seconds:.1f} s (inductor cache as found), estimated {decision.compile_seconds:.0f} s; "
          f"estimated step ratio {decision.step_ratio:.2f}, measured {times['compiled'] / times['fused']:.2f} "
          f"(compiled / eager, both fused)", flush=True)


def bench_lenet5() -> None:
    print("(b) LeNet-5 on digits, the preset's own run: the fast path must not compile", flush=True)
    project = load_project(PRESETS / "lenet5.cnn.json")
    config = project.training
    torch.manual_seed(0)
    model = compile_graph(project.graph, name="lenet5")
    images = example_input(project.graph, config.batch_size)
    labels = torch.randint(0, output_size(project.graph), (config.batch_size,))
    eager_step = time_eager_steps(model, images, labels, nn.CrossEntropyLoss(), _no_autocast)
    train_images = round(len(load_digits()[0]) * (1 - config.val_fraction))
    run_steps = config.epochs * -(-train_images // config.batch_size)
    decision = decide(project.name, layer_mix(model), eager_step, run_steps)
    print(f"  {decision.message}")
    print(f"  fast path stays off for LeNet-5 ({run_steps:,} steps): {verdict(not decision.compile)}", flush=True)


def fast_path_step_timer(model: nn.Module, images: torch.Tensor, labels: torch.Tensor):
    """``step_timer`` with the fast path's optimizer (fused Adam, as ``Trainer`` builds it with ``fast``)."""
    optimizer = build_optimizer(model.parameters(), TrainingConfig(optimizer="adam", lr=1e-3), fused=True)
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


def _no_autocast():
    import contextlib

    return contextlib.nullcontext()


def main() -> int:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, load average "
          f"{load:.1f}; medians over {STEP_ROUNDS} alternating rounds", flush=True)
    cores = os.cpu_count() or 1
    if load > cores and torch.get_num_threads() > 1:
        # Two OpenMP threads on two busy cores wait on each other at every barrier (a ResNet-18 step took
        # 5 s with 2 threads and 1 s with 1 at load 11): one thread keeps both variants comparable.
        torch.set_num_threads(1)
        print(f"  note: the machine is busy (load {load:.1f} on {cores} cores): measuring with 1 thread", flush=True)
    bench_lenet5()
    bench_resnet18()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
