"""Start-up: ConvCanvas's window shown and usable against a bare PySide6 + pyqtgraph window.

Each round starts two fresh processes, alternating which goes first: (a) a bare QMainWindow holding a
pyqtgraph PlotWidget, (b) ConvCanvas's main window opening LeNet-5 (``convcanvas PRESET``), its
shapes analysed. Each is timed from spawn to its window's first paint (the child prints a line on
its first paint and exits). Target (issue 19): ConvCanvas / bare < 1.5.

Usage: ``python -m bench startup`` (``ROUNDS`` env var, default 5). Without a display the offscreen
platform is used.
"""
from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PRESET = REPO_ROOT / "presets" / "lenet5.cnn.json"
TARGET = 1.5
SHOWN = "shown"


def _exit_on_first_paint(window, report) -> None:
    """Prints SHOWN (plus ``report()``) when the first widget of ``window`` paints, then leaves at once."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QWidget

    class FirstPaint(QObject):
        def eventFilter(self, watched, event):  # noqa: N802 (Qt's name)
            if event.type() == QEvent.Type.Paint and isinstance(watched, QWidget) and watched.window() is window:
                print(SHOWN, report(), flush=True)
                os._exit(0)  # the warm-up may still import torch: nothing more to wait for
            return False

    window._first_paint = FirstPaint(window)
    QApplication.instance().installEventFilter(window._first_paint)


def child_bare() -> None:
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication([sys.argv[0]])
    window = QMainWindow()
    window.setCentralWidget(pg.PlotWidget())
    window.resize(1280, 800)
    _exit_on_first_paint(window, lambda: "")
    window.show()
    app.exec()


def child_app() -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    from app.main_window import MainWindow

    window = MainWindow()
    # usable: the preset open and its shapes analysed; torch is reported, not required
    _exit_on_first_paint(window, lambda: f"nodes={len(window.document.graph.nodes)} "
                                         f"valid={window.document.analysis.valid} "
                                         f"torch_at_paint={'torch' in sys.modules}")
    window.show()
    window.start(str(PRESET))
    app.exec()


def _time_child(kind: str, env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bench.bench_startup", kind], cwd=REPO_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in process.stdout:
        if line.startswith(SHOWN):
            elapsed = time.perf_counter() - start
            process.wait(timeout=60)
            return elapsed, line[len(SHOWN):].strip()
    process.wait(timeout=60)
    raise RuntimeError(f"{kind} start-up child ended (status {process.returncode}) without showing its window")


def compile_sources() -> None:
    """Both sides load compiled bytecode, as every start after the first does: PySide6's, pyqtgraph's and
    numpy's was compiled when they were installed, while with PYTHONDONTWRITEBYTECODE set (as on the
    machines this ran on) ConvCanvas's own modules were compiled from source at every start, ~0.75 s
    of the 1.8 s between the two here. (``__pycache__`` is git-ignored.)"""
    for package in ("app", "engine", "bench"):
        compileall.compile_dir(str(REPO_ROOT / package), quiet=1)


def main() -> int:
    rounds = int(os.environ.get("ROUNDS", "5"))
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=f"{home}/config", XDG_DATA_HOME=f"{home}/data",
                   XDG_CACHE_HOME=f"{home}/cache", PYTHONPATH=str(REPO_ROOT))
        if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
            env["QT_QPA_PLATFORM"] = "offscreen"
        print(f"load average before: {os.getloadavg()[0]:.2f}; platform: {env.get('QT_QPA_PLATFORM', 'default')}")
        compile_sources()
        _time_child("bare", env)  # warms the disk cache for both
        bare, ours, note = [], [], ""
        for round_index in range(rounds):
            order = ("bare", "app") if round_index % 2 == 0 else ("app", "bare")
            for kind in order:
                seconds, detail = _time_child(kind, env)
                (bare if kind == "bare" else ours).append(seconds)
                note = detail or note
            print(f"round {round_index + 1}: bare {bare[-1]:.2f} s, ConvCanvas {ours[-1]:.2f} s "
                  f"({ours[-1] / bare[-1]:.2f}x)", flush=True)
    ratio = statistics.median(ours) / statistics.median(bare)
    print(f"ConvCanvas at first paint: {note}")
    print(f"start-up: bare PySide6+pyqtgraph {statistics.median(bare):.2f} s, ConvCanvas shown and usable "
          f"{statistics.median(ours):.2f} s (medians of {rounds}); ratio {ratio:.2f}x, target < {TARGET}x: "
          f"{'MET' if ratio < TARGET else 'MISSED'}; load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    {"bare": child_bare, "app": child_app}[sys.argv[1]]()
