"""Leaving the real program, again and again: every launch must exit with status 0.

tests/app/test_clean_exit.py launches each way of leaving once (a crash on
most exits shows there); the rarer crash needs repeats, which cost a fresh
process with torch and Qt each (~10 s), so they live here: 10 launches in
all, the explainer's exit (which once crashed 9 in 10) most often.
"""
from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

TEST = Path(__file__).resolve().parent.parent / "tests" / "app" / "test_clean_exit.py"
LAUNCHES = {"explainer-quit": 4, "tour-quit": 2, "tour-close": 2, "training-quit": 2}


def _clean_exit_test():
    """The test module's ``launch`` and ``exit_problem``: one definition of a launch and of a clean exit."""
    spec = importlib.util.spec_from_file_location("clean_exit_launches", TEST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    test = _clean_exit_test()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"leaving the program: {sum(LAUNCHES.values())} launches, load average {load:.1f}", flush=True)
    clean = total = 0
    with tempfile.TemporaryDirectory() as folder:
        for mode, count in LAUNCHES.items():
            for attempt in range(count):
                total += 1
                problem = test.exit_problem(test.launch(mode, Path(folder) / f"{mode}-{attempt}"))
                clean += problem is None
                if problem:
                    print(f"  {mode} launch {attempt + 1}: {problem}", flush=True)
    verdict = "MET" if clean == total else "MISSED"
    print(f"  clean exits {clean}/{total} (target {total}/{total}): {verdict}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
