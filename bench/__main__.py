"""Run every ``bench/bench_*.py`` module's ``main()`` in turn.

Usage: ``python -m bench [NAME ...]`` where NAME picks modules by substring
(e.g. ``python -m bench analysis``); with no NAME every benchmark runs.
Exit status is non-zero when any benchmark raised or returned non-zero.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback
from pathlib import Path


def discover() -> list[str]:
    here = Path(__file__).resolve().parent
    return sorted(
        f"bench.{info.name}"
        for info in pkgutil.iter_modules([str(here)])
        if info.name.startswith("bench_") and not info.ispkg
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names = discover()
    if argv:
        names = [n for n in names if any(word in n for word in argv)]
    if not names:
        print("no benchmarks found")
        return 0

    failed = []
    for name in names:
        print(f"=== {name}", flush=True)
        start = time.perf_counter()
        try:
            module = importlib.import_module(name)
            result = module.main()
        except SystemExit as exc:  # a bench may end with sys.exit(...)
            result = exc.code
        except Exception:
            traceback.print_exc()
            result = 1
        elapsed = time.perf_counter() - start
        if result not in (None, 0):
            failed.append(name)
            print(f"=== {name} FAILED ({result!r}) in {elapsed:.1f} s", flush=True)
        else:
            print(f"=== {name} done in {elapsed:.1f} s", flush=True)

    if failed:
        print(f"{len(failed)} benchmark(s) failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
