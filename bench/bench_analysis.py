"""How cheap is live analysis? ``analyze`` and ``tidy_layout`` on ResNet-50 next to one forward pass.

The app reruns ``analyze`` after every edit, so it must cost a small fraction
of what running the network costs. Prints medians and the ratio
analysis time / forward time.
"""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

from engine import analyze, compile_graph, load_project
from engine.compiler import example_input
from engine.layout import tidy_layout

RESNET50 = Path(__file__).resolve().parent.parent / "presets" / "resnet50.cnn.json"
ANALYSIS_RUNS = 50
LAYOUT_RUNS = 20
FORWARD_RUNS = 5


def median_seconds(work: Callable[[], object], runs: int) -> float:
    work()  # warm-up: first calls pay for imports and allocator growth
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> int:
    graph = load_project(RESNET50).graph
    analysis = median_seconds(lambda: analyze(graph), ANALYSIS_RUNS)
    layout = median_seconds(lambda: tidy_layout(graph), LAYOUT_RUNS)

    model = compile_graph(graph, name="resnet50").eval()
    image = example_input(graph)
    with torch.no_grad():
        forward = median_seconds(lambda: model(image), FORWARD_RUNS)

    print(f"ResNet-50: {len(graph.nodes)} nodes, {len(graph.edges)} edges, {torch.get_num_threads()} torch threads")
    print(f"  analyze()                    {analysis * 1e3:9.2f} ms  (median of {ANALYSIS_RUNS})")
    print(f"  tidy_layout()                {layout * 1e3:9.2f} ms  (median of {LAYOUT_RUNS})")
    print(f"  forward 1×3×224×224, no_grad {forward * 1e3:9.2f} ms  (median of {FORWARD_RUNS}, eval mode)")
    print(f"  analysis / forward = {analysis / forward:.4f}  (an edit's analysis costs "
          f"{analysis / forward:.2%} of one forward pass)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
