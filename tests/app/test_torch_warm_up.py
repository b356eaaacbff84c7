"""torch's heavy imports happen on one thread at a time: the warm-up's, then everyone else's.

Importing torch's compiler stack on one thread while another imported torchvision failed once in
~30 launches (``'_OpNamespace' 'prims' object has no attribute 'sum'``). A fresh process opens the
window and, at once, everything that uses torch elsewhere (the import and weights dialogs, a
background job, a training run); an import spy records who imports what while the warm-up runs.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
RACE = Path(__file__).with_name("warm_up_race.py")
THREAD_NAME = "ConvCanvas torch warm-up"
HEAVY = ("torch", "torchvision", "sympy", "functorch")


def test_nothing_imports_torch_internals_beside_the_warm_up(tmp_path):
    log = tmp_path / "imports.tsv"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run([sys.executable, str(RACE), str(log)], cwd=REPO_ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line.split("\t") for line in log.read_text(encoding="utf-8").splitlines()]
    warm_up = [name for thread, _warming, name in rows if thread == THREAD_NAME]
    assert "torchvision" in warm_up and "torch._dynamo" in warm_up
    assert warm_up.index("torchvision") < warm_up.index("torch._dynamo")  # registrations before the compiler
    beside = [(thread, name) for thread, warming, name in rows
              if thread != THREAD_NAME and warming == "True" and name.split(".")[0] in HEAVY]
    from app.training.warm_up import THREAD_NAME as app_thread_name

    assert app_thread_name == THREAD_NAME  # the spy recognises the warm-up by its name
    assert not beside, f"imported while the warm-up ran: {beside[:10]}"
    assert any(thread != THREAD_NAME and warming == "False" for thread, warming, _name in rows)  # the others ran after
