"""Is the fast path faster than a hand-written loop, and does it know when compiling pays?

(a) ResNet-18 at 32×32, batch 32: one training step (forward, backward, Adam)
    of the fast path (torch.compile; channels_last on CUDA only) against the hand-written
    eager loop on the same network, weights and batch. Target <= 0.85. Also
    reported: channels_last alone (why the CPU path leaves it off), the cold compile time, the break-even step
    count measured (compile seconds / seconds saved per step) and the one the
    fast path estimates before compiling.
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
from engine import compile_graph, load_project
from engine.compiler import example_input
from engine.data.digits import load_digits
from engine.training import output_size
from engine.training.fast_path import (channels_last_input, compile_problem, decide, layer_mix, time_eager_steps,
                                       to_channels_last)

PRESETS = Path(__file__).resolve().parent.parent / "presets"
STEP_ROUNDS = 9
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
    fast = torch.compile(copy.deepcopy(eager))  # as the trainer's fast path on the CPU: NCHW, compiled
    fast_step = step_timer(fast, images, labels)
    import torch._inductor.config as inductor_config

    with inductor_config.patch(force_disable_caches=True):  # a cold compile, as a user's first run has
        started = time.perf_counter()
        fast_step()
        compile_seconds = time.perf_counter() - started
    times = alternate({"eager": step_timer(eager, images, labels),
                       "channels_last": step_timer(channels_last, channels_last_input(images), labels),
                       "fast": fast_step}, STEP_ROUNDS)
    ratio = times["fast"] / times["eager"]
    saved = times["eager"] - times["fast"]
    measured_break_even = compile_seconds / saved if saved > 0 else float("inf")
    print(f"  hand-written eager {times['eager'] * 1e3:8.1f} ms   channels_last {times['channels_last'] * 1e3:8.1f} "
          f"ms ({times['channels_last'] / times['eager']:.3f}x)   fast path {times['fast'] * 1e3:8.1f} ms")
    print(f"  fast path / hand-written eager: {ratio:.3f}  (target <= {TARGET_RATIO})  {verdict(ratio <= TARGET_RATIO)}")
    print(f"  compile (cold cache) {compile_seconds:.1f} s, estimated {decision.compile_seconds:.0f} s; "
          f"break-even measured ~{measured_break_even:,.0f} steps, estimated ~{decision.break_even_steps:,.0f} "
          f"(estimated step ratio {decision.step_ratio:.2f}, measured {ratio:.2f})", flush=True)


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
