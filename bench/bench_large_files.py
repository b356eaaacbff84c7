"""Do load and analysis stay linear? ``convcanvas summary``'s work on chains of 1k, 5k and 20k nodes.

A 19,000-node chain once took 83 s to summarise (quadratic name, edge and
group checks). Each size is written as a project file, then loaded and
analysed as ``summary`` does; the best of a few runs is kept (the least
disturbed by other work on the machine). Linear growth makes
time(20k) / time(5k) about 4; the target allows 5. The same curve is run
for chains grouped into blocks of ten, as imported networks are.
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from engine import analyze, load_project

from .chains import chain_document, grouped_chain_document

SIZES = (1_000, 5_000, 20_000)
RUNS = 3
TARGET_RATIO = 5.0
"""time(20k) / time(5k): 4 is perfectly linear."""


def best_seconds(path: Path) -> tuple[float, float]:
    """(load, analyse) seconds, each the best of ``RUNS``."""
    loads, analyses = [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        project = load_project(path)
        loaded = time.perf_counter()
        report = analyze(project.graph)
        analyses.append(time.perf_counter() - loaded)
        loads.append(loaded - start)
        if not report.valid:
            raise SystemExit(f"{path.name}: the generated network is not valid: {report.errors[0]}")
    return min(loads), min(analyses)


def curve(title: str, make_document, folder: Path) -> bool:
    totals = {}
    print(f"{title}:")
    for size in SIZES:
        path = folder / f"{title.replace(' ', '_')}_{size}.cnn.json"
        path.write_text(json.dumps(make_document(size)), encoding="utf-8")
        load, analysis = best_seconds(path)
        totals[size] = load + analysis
        print(f"  {size:>6,} nodes ({path.stat().st_size / 1e6:4.1f} MB)  load {load:6.2f} s  "
              f"analyze {analysis:6.2f} s  total {load + analysis:6.2f} s")
    ratio = totals[20_000] / totals[5_000]
    met = ratio <= TARGET_RATIO
    print(f"  time(20k) / time(5k) = {ratio:.2f}  (target <= {TARGET_RATIO:.0f}; 4 is linear)  "
          f"{'MET' if met else 'MISSED'}")
    return met


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        chain = curve("chain", chain_document, Path(folder))
        grouped = curve("grouped chain", grouped_chain_document, Path(folder))
    return 0 if chain and grouped else 1


if __name__ == "__main__":
    raise SystemExit(main())
