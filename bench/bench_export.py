"""How long does a user wait for an ONNX export? Each exporter on LeNet-5, checks included.

``export_onnx`` tries the TorchScript-based exporter first and falls back to
the dynamo one; this prints both (the first export in a process and the
median of the next ones) and the ratio dynamo / TorchScript-based. Goal: the
default export takes at most a third of the dynamo exporter's time.
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from engine import compile_graph, load_project
from engine.compiler import example_input
from engine.export.onnx_format import EXPORTERS, export_onnx, require_onnx_packages

LENET = Path(__file__).resolve().parent.parent / "presets" / "lenet5.cnn.json"
RUNS = 3
GOAL_RATIO = 3.0


def main() -> int:
    start = time.perf_counter()
    require_onnx_packages()
    print(f"importing onnx, onnxscript, onnxruntime: {time.perf_counter() - start:.2f} s")
    graph = load_project(LENET).graph
    model = compile_graph(graph, name="lenet5").eval()
    image = example_input(graph)
    medians = {}
    with tempfile.TemporaryDirectory() as folder:
        for exporter in reversed(EXPORTERS):  # dynamo first: it pays for the imports both share
            timings = []
            for run in range(RUNS + 1):
                start = time.perf_counter()
                export_onnx(model, image, Path(folder) / f"{exporter}{run}.onnx", exporters=(exporter,))
                timings.append(time.perf_counter() - start)
            medians[exporter] = statistics.median(timings[1:])
            print(f"  {exporter:12s} first {timings[0]:6.2f} s, then median {medians[exporter]:6.2f} s "
                  f"(of {RUNS}, checks included)")
    ratio = medians["dynamo"] / medians["torchscript"]
    print(f"  dynamo / TorchScript-based = {ratio:.1f}  (goal ≥ {GOAL_RATIO}: "
          f"{'MET' if ratio >= GOAL_RATIO else 'MISSED'})")
    return 0
