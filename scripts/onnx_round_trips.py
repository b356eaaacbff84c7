"""Every preset exported to ONNX by ConvCanvas and imported back, with the largest difference in outputs:
the round trip of tests/engine/onnx_import/test_onnx_round_trips.py for all presets, the large ones too
(minutes each on two cores). Run: PYTHONPATH=. python scripts/onnx_round_trips.py [NAME ...]"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import torch

from engine import compile_graph, load_project
from engine.compiler import example_input
from engine.export.onnx_format import export_onnx
from engine.importer import ModelImportError, import_onnx

PRESETS = Path(__file__).resolve().parents[1] / "presets"


def round_trip(name: str, folder: Path) -> str:
    project = load_project(PRESETS / f"{name}.cnn.json")
    torch.manual_seed(0)
    model = compile_graph(project.graph).eval()
    started = time.perf_counter()
    result = import_onnx(export_onnx(model, example_input(project.graph), folder / f"{name}.onnx"))
    copy = compile_graph(result.project.graph).eval()
    copy.load_state_dict(result.state_dict)
    batch = torch.randn(2, *example_input(project.graph).shape[1:])
    with torch.no_grad():
        difference = float((copy(batch) - model(batch)).abs().max())
    verdict = "ok" if difference <= 1e-5 else "DIFFERS"
    return f"{verdict:7} {name}: {result.counts()}, largest difference {difference:.2g} " \
           f"({time.perf_counter() - started:.0f} s)"


def main(names: list[str]) -> int:
    names = names or sorted(path.name.removesuffix(".cnn.json") for path in PRESETS.glob("*.cnn.json"))
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            try:
                line = round_trip(name, Path(folder))
            except ModelImportError as error:
                line = f"REFUSED {name}: {error.summary}"
            failures += not line.startswith("ok")
            print(line, flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
