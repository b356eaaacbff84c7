"""Is the canvas fast enough for big networks? ResNet-50 opened, rendered, panned and zoomed.

Measures opening the preset in a ``Document`` (file read + analysis), building
the scene, the first full render (``view.grab()``), then full re-renders after
a pan step and after a wheel-zoom step, and deleting and restoring 40 nodes;
then compares opening and repainting ResNet-50 with LeNet-5 (medians, ratio).
A frame under ~16 ms keeps 60 fps; every figure here is a full render, which
is more than the incremental repaints the view does while panning.
Runs offscreen when there is no display.
"""
from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

PRESETS = Path(__file__).resolve().parent.parent / "presets"
RESNET50 = PRESETS / "resnet50.cnn.json"
LENET5 = PRESETS / "lenet5.cnn.json"
FRAMES = 20
OPENS = 7
VIEW_SIZE = (1200, 700)


def median_ms(work: Callable[[], object], runs: int = FRAMES) -> tuple[float, float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1e3, max(timings) * 1e3


def open_into_scene(path: Path):
    """Load + build the scene + first show and full render: what opening a preset costs."""
    from PySide6.QtWidgets import QApplication

    from app.canvas import CanvasView
    from app.document import Document

    document = Document()
    document.load(path)
    view = CanvasView(document)
    view.resize(*VIEW_SIZE)
    view.show()
    QApplication.processEvents()
    view.grab()
    return document, view


def close(view) -> None:
    from PySide6.QtWidgets import QApplication

    view.close()
    view.deleteLater()
    QApplication.processEvents()


def compare_sizes() -> None:
    """How the cost grows from a small network to a big one (medians, same view size)."""
    figures = {}
    for label, path in (("LeNet-5", LENET5), ("ResNet-50", RESNET50)):
        views = []

        def work() -> None:
            views.append(open_into_scene(path)[1])

        opened, _ = median_ms(work, OPENS)
        for view in views[:-1]:
            close(view)
        view = views[-1]
        as_opened, _ = median_ms(view.grab)
        view.fit_to_view()  # the whole network on screen: every card is painted
        fitted, _ = median_ms(view.grab)
        figures[label] = (opened, as_opened, fitted, len(view.document.graph.nodes))
        close(view)
    (big, small) = figures["ResNet-50"], figures["LeNet-5"]
    size = "×".join(map(str, VIEW_SIZE))
    for index, what in ((0, "open into scene"), (1, f"full repaint {size} as opened"),
                        (2, f"full repaint {size} fitted to view")):
        print(f"{what}: ResNet-50 {big[index]:.1f} ms vs LeNet-5 {small[index]:.1f} ms = "
              f"{big[index] / small[index]:.1f}x ({big[3]} vs {small[3]} nodes)")


def main() -> int:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QApplication

    from app.canvas import CanvasView
    from app.document import Document

    application = QApplication.instance() or QApplication([])
    start = time.perf_counter()
    document = Document()
    document.load(RESNET50)
    loaded = time.perf_counter()
    view = CanvasView(document)
    view.resize(*VIEW_SIZE)
    built = time.perf_counter()
    view.show()
    application.processEvents()
    view.grab()
    rendered = time.perf_counter()

    graph = document.graph
    print(f"ResNet-50: {len(graph.nodes)} nodes, {len(graph.edges)} edges, view 1200×700 at zoom {view.zoom:.2f}")
    print(f"  open file + analysis        {(loaded - start) * 1e3:7.1f} ms")
    print(f"  build scene                 {(built - loaded) * 1e3:7.1f} ms")
    print(f"  first show + full render    {(rendered - built) * 1e3:7.1f} ms")
    print(f"  total to first picture      {(rendered - start) * 1e3:7.1f} ms")

    def pan() -> None:
        view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + 80)
        view.grab()

    steps = iter([1.1] * 10 + [1 / 1.1] * 10)
    centre = QPointF(view.viewport().rect().center())

    def zoom() -> None:
        view.zoom_at(next(steps), centre)
        view.grab()

    for label, work in (("pan 80 px + full render", pan), ("wheel-zoom step + full render", zoom)):
        median, worst = median_ms(work)
        print(f"  {label:28s}{median:7.1f} ms median, {worst:.1f} ms worst (of {FRAMES})")
    view.fit_to_view()
    median, worst = median_ms(view.grab, 5)
    print(f"  fitted to view (zoom {view.zoom:.2f}) {median:7.1f} ms median per full render")

    doomed = list(graph.nodes)[:40]
    start = time.perf_counter()
    document.remove_nodes(doomed)
    removed = time.perf_counter()
    document.undo_stack.undo()
    restored = time.perf_counter()
    print(f"  delete 40 nodes / undo      {(removed - start) * 1e3:7.1f} ms / {(restored - removed) * 1e3:.1f} ms")
    view.close()
    compare_sizes()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
