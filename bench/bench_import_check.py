"""``convcanvas import --list --check``: every torchvision classifier checked, in one fresh process.

Times the whole command (spawn to exit, torch's import included) and the slowest models from its own
per-model timing. Target (issue 16): under 20 s. Before this bench, the check laid out every
imported graph's cards and built each RegNet on the CPU with all of its weights initialised
(regnet_y_128gf: 644 million); at load 12–19 on two cores the whole list took 1,663 s.

Usage: ``python -m bench import_check``.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 20.0
_CHILD = """
import sys, time
start = time.perf_counter()
from engine.importer import ModelImportError, check_torchvision, torchvision_models
import torch  # noqa: F401 - counted in the total, as the command counts it
print(f"IMPORTS {time.perf_counter() - start:.2f}", flush=True)
for name in torchvision_models():
    began = time.perf_counter()
    try:
        check_torchvision(name)
        verdict = "ok"
    except ModelImportError:
        verdict = "refused"
    print(f"MODEL {time.perf_counter() - began:.2f} {name} {verdict}", flush=True)
"""


def main() -> int:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD], cwd=REPO_ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, check=False)
    total = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
        return 1
    models = [line.split()[1:] for line in done.stdout.splitlines() if line.startswith("MODEL")]
    imports = next(float(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("IMPORTS"))
    importing = sum(1 for *_, verdict in models if verdict == "ok")
    slowest = sorted(models, key=lambda row: -float(row[0]))[:5]
    print(f"{importing} of {len(models)} models import; load {load:.1f} at the start")
    print(f"imports {imports:.1f} s; slowest: " + ", ".join(f"{name} {float(s):.1f} s" for s, name, _ in slowest))
    verdict = "MET" if total < TARGET_S else "MISSED"
    print(f"import --list --check: {total:.1f} s = {total / TARGET_S:.2f}× the {TARGET_S:.0f} s target: {verdict}")
    return 0
