"""Do the minimap and the analyzer stay cheap on big networks? ResNet-50 and VGG-16.

Measures (medians) the minimap's redraw of the whole network into its
picture (done ~¼ s after an edit, never while panning), its repaint per pan
step of the main view (a picture and a rectangle), compared with the main
view's own repaint for that step, and the Analyze table's refill after an
edit. Budgets: a redraw within one 16 ms frame; a minimap repaint at most a
quarter of the main view's; a refill within two frames (it runs once per
debounced analysis, not per frame). Runs offscreen when there is no display.
"""
from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

PRESETS = Path(__file__).resolve().parent.parent / "presets"
FRAME_MS = 16.0
RUNS = 15


def median_ms(work: Callable[[], object]) -> float:
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1e3


def verdict(ms: float, budget_ms: float) -> str:
    ratio = ms / budget_ms
    return f"{ms:7.2f} ms  ratio {ratio:5.2f} of {budget_ms:.2f} ms  {'MET' if ratio <= 1 else 'MISSED'}"


def main() -> int:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.canvas import CanvasView
    from app.document import Document
    from app.panels.analyzer import NetworkAnalyzer

    application = QApplication.instance() or QApplication([])
    missed = 0
    for preset in ("resnet50", "vgg16"):
        document = Document()
        document.load(PRESETS / f"{preset}.cnn.json")
        view = CanvasView(document)
        view.resize(1200, 700)
        view.show()
        application.processEvents()
        minimap = view.minimap
        redraw = median_ms(minimap._render)
        bar = view.horizontalScrollBar()
        pans, repaints = [], []
        for _ in range(RUNS):
            bar.setValue(bar.value() + 40)
            start = time.perf_counter()
            application.processEvents()  # the main view repaints, as in the event loop
            middle = time.perf_counter()
            minimap.repaint()
            repaints.append(time.perf_counter() - middle)
            pans.append(middle - start)
        main_view, panning = statistics.median(pans) * 1e3, statistics.median(repaints) * 1e3
        analyzer = NetworkAnalyzer(document)
        analyzer.show()
        refill = median_ms(lambda: (analyzer.show_analysis(document.analysis), application.processEvents()))
        print(f"{preset}: {len(document.graph.nodes)} nodes, minimap {'shown' if minimap.isVisible() else 'hidden'}")
        print(f"  minimap redraw of the network  {verdict(redraw, FRAME_MS)}")
        print(f"  main view repaint per pan step {main_view:7.2f} ms")
        print(f"  minimap repaint per pan step   {verdict(panning, main_view / 4)}")
        print(f"  analyzer refill after an edit  {verdict(refill, 2 * FRAME_MS)}")
        missed += sum(ms > budget for ms, budget in ((redraw, FRAME_MS), (panning, main_view / 4),
                                                     (refill, 2 * FRAME_MS)))
        analyzer.close()
        view.close()
    return 0 if not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
