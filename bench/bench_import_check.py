"""``convcanvas import --list --check``: every torchvision classifier checked, in one fresh process.

Times every model's check in one fresh process (torch's import included) with the slowest models, then
the command itself twice with a fresh cache (``import_checks.json``): the second run builds no model.
Target (issue 16): under 20 s. Measured at load 1.0–1.8: 52.9 s with nothing remembered (MISSED),
9.6 s remembered (MET). After the models were shared among forked workers (one per core), shapes recorded
without ShapeProp's strides, GraphModule code left uncompiled and remembered runs kept from importing
torchvision and onnx, the command itself (two cores shared with other work, same output line for line):
nothing remembered 522.8 s → 182.4 s wall (load 15 → 8–11; CPU 67.6 s → 59.9 s, the workers' included),
remembered 74.6 s → 19.6 s wall (load 12 → 10.6; CPU 10.9 s → 5.0 s). Not yet measured on a quiet machine.
Then the meta-device shortcuts (nn.init's functions called with tensor=, kaiming_uniform_'s inner uniform_,
element-wise and broadcasting arithmetic, conv2d and linear answered from shapes with torch.empty, which is
~100× cheaper than torch.empty_like on meta), one analysis per import instead of two, and the ONNX line worked
out while the workers check: nothing remembered, measured back to back at load 8.5–10.5 (same output line for
line): CPU (user+sys, workers included) 55.4 s → 43.0 s, wall 137.6 s → 69.8 s; again at load 4.3–4.6:
CPU 49.4 s → 44.3 s, wall 51.2 s → 46.2 s (a busy machine's CPU times vary by 10–20 %); the models' checks alone
in one process 44.4 s → 32.5 s CPU. Remembered: 4.8 s wall, 4.2 s CPU (MET). On two quiet cores that is about 6–8 s of imports (torch, torchvision with
torch._dynamo), then ~17 s of checks per core: about 24 s, still over the 20 s target (what remains is spread
over fx tracing, building the modules, the interpreter and the graph: no single pass is done twice now).
Measured on the quiet machine (load 0.2–0.9): the command's first run 21.6 s (1.08× the target, MISSED),
remembered 4.4 s; every check in one process 35.1 s, of which 6.8 s imports (torchvision.ops.roi_align
imports torch._dynamo: 2.1 s of them).
Then (each measured against the code before it, runs interleaved on the same busy machine, same output
line for line): the workers check with the garbage collector off (collecting what tracing leaves was a
fifth of the checks' CPU), the collector paused while torch, torchvision and the importer are imported (the
serial start: ~1.4 s less CPU), the ONNX line worked out in a process forked before torchvision is imported
(on the core idle meanwhile), meta shortcuts that find each function's kind once and answer adaptive
pooling, and layers looked up in a table: the command's CPU (user+sys, workers included, two pairs each)
41.9 s → 31.9 s at load 4.1–4.8 (before the table) and 51.0 s → 40.2 s at load 4.7–5.5 (a busy machine's
CPU seconds grow with its load); wall 18.3 s at load 3.3–3.7 (the old code: 48.7–79.4 s at load 4–5). On two quiet cores that is ~6 s of serial imports, then ~9–10 s of checks
per core: about 16 s (≈0.8× the target); not yet measured on a quiet machine.
The per-model lines of this bench time ``check_torchvision`` in one process (no workers). Before this bench, the check laid out every
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
import gc
gc.disable()  # as in the command's workers
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
    print(f"every model checked in one process (no workers): {total:.1f} s")
    return _command()


def _command() -> int:
    """The command itself, twice, with a fresh cache: the first run checks every model, the second builds
    none. CPU is user+sys of the command and its workers: on a busy machine it varies less than the wall."""
    import resource
    import tempfile

    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "CONVCANVAS_CACHE": cache}
        runs = []
        for _ in range(2):
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "engine", "import", "--list", "--check"], cwd=REPO_ROOT,
                                  env=env, capture_output=True, text=True, check=False)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime
            runs.append((wall, cpu, load))
            if done.returncode != 0:
                print(f"import --list --check failed: exit {done.returncode}")
                return 1
    for (wall, cpu, load), what in zip(runs, ("nothing remembered", "remembered")):
        verdict = "MET" if wall < TARGET_S else "MISSED"
        print(f"convcanvas import --list --check, {what}: {wall:.1f} s ({cpu:.1f} s CPU, load {load:.1f}) = "
              f"{wall / TARGET_S:.2f}× the {TARGET_S:.0f} s target: {verdict}")
    return 0
