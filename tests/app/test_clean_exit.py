"""Every way of leaving the real program exits with status 0.

Each launch is a fresh process (``exit_tour.py`` drives ``app.main.run_app``):
a crash at shutdown only shows in the exit status. The convolution explainer
once crashed 9 launches in 10 on the way out (exit 139): one launch per way of
leaving catches a crash that frequent; ``make bench`` (bench/bench_clean_exit.py)
repeats the launches, 10 in all, for the rarer ones.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parents[2]
TOUR = Path(__file__).with_name("exit_tour.py")
MODES = ("explainer-quit", "tour-quit", "tour-close", "training-quit")

pytestmark = pytest.mark.slow  # each launch starts torch and Qt: ~10 s


def launch(mode: str, tmp_path: Path) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    image = tmp_path / "digit.png"
    if not image.exists():
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (28, 28), dtype=np.uint8)).save(image)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"), PYTHONPATH=str(REPO_ROOT))
    return subprocess.run([sys.executable, str(TOUR), mode, str(image)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def exit_problem(result: subprocess.CompletedProcess) -> str | None:
    """Why a launch did not leave cleanly (exit status, traceback, a tour that never ran), or None."""
    problems = "\n".join(line for line in result.stderr.splitlines() if "exit tour: windows" not in line)
    if result.returncode != 0:
        return f"exited {result.returncode}:\n{problems[-3000:]}"
    if "Traceback" in result.stderr:
        return f"printed a traceback:\n{problems[-3000:]}"
    if "exit tour: windows up: MainWindow" not in result.stderr:
        return f"the tour did not run:\n{problems[-3000:]}"
    return None


@pytest.mark.parametrize("mode", MODES)
def test_leaving_the_program_after_its_windows_and_dialogs_exits_with_status_0(mode, tmp_path):
    problem = exit_problem(launch(mode, tmp_path))
    assert problem is None, problem
