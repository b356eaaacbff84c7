"""Does the Data view's grid scroll smoothly through 60,000 MNIST-size images? (issue #22)

A 60,000-image set of 28×28 greys is listed in the grid (nothing decoded up front), then scrolled as a
mouse wheel scrolls it (three rows a frame, 400 frames), then jumped a whole screen at a time; each step is
painted synchronously: a frame is the scroll plus the repaint, including decoding the thumbnails that came
into view. Target: wheel-scrolling median frame under 16 ms (60 fps); the jumps are printed for reference. Runs offscreen when there is no display.
Each frame's CPU time (this process's) is printed beside its wall time: on a shared, loaded machine the
wall time includes waiting for a core, the CPU time is what the frame itself cost. A frame decodes new
thumbnails for up to half its budget and shows a placeholder in the rest, painted right after; so the time
until every thumbnail of the step is on screen ("complete") is printed too, with the placeholders shown.
"""
from __future__ import annotations

import os
import random
import statistics
import time

COUNT = 60_000
TARGET_MS = 16.0
VIEW_SIZE = (1000, 600)
JUMPS = 60
WHEEL_FRAMES = 400
WHEEL_ROWS = 3


def main() -> int:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import torch
    from PySide6.QtWidgets import QApplication

    from app.data.sample_grid import SampleGrid
    from engine.data.sample_index import array_samples

    app = QApplication.instance() or QApplication([])
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (COUNT, 1, 28, 28), dtype=torch.uint8, generator=generator)
    labels = torch.arange(COUNT) % 10
    samples = array_samples("mnist-size", [str(i) for i in range(10)], "label", images[:50_000], images[50_000:],
                            labels[:50_000], labels[50_000:])
    grid = SampleGrid()
    grid.resize(*VIEW_SIZE)
    grid.show()
    app.processEvents()
    start = time.perf_counter()
    grid.set_samples(samples)
    app.processEvents()
    grid.viewport().repaint()
    listed_ms = (time.perf_counter() - start) * 1e3
    bar = grid.verticalScrollBar()
    row = grid.gridSize().height()

    placeholders = [0]

    def frames_of(values) -> list[float]:
        """Each frame: scroll, then deliver the paint Qt asks for (a scroll repaints only the strip that came
        into view; the rest of the picture is moved)."""
        frames, cpu, complete = [], [], []
        for value in values:
            begin, begin_cpu = time.perf_counter(), time.process_time()
            bar.setValue(value)
            app.processEvents()
            frames.append((time.perf_counter() - begin) * 1e3)
            cpu.append((time.process_time() - begin_cpu) * 1e3)
            placeholders[0] += grid.placeholders
            while grid.filling_in:  # the placeholders' images, painted after the frame
                app.processEvents()
                placeholders[0] += grid.placeholders
            complete.append((time.perf_counter() - begin) * 1e3)
        return frames, cpu, complete

    # A mouse wheel's notch scrolls three rows: the frames a user scrolling through the set sees.
    wheel, wheel_cpu, wheel_complete = frames_of(range(0, min(bar.maximum(), WHEEL_FRAMES * WHEEL_ROWS * row) + 1, WHEEL_ROWS * row))
    rng = random.Random(0)
    wheel_placeholders, placeholders[0] = placeholders[0], 0
    pages, pages_cpu, pages_complete = frames_of([*range(0, bar.maximum() + 1, 20 * bar.pageStep()),
                       *(rng.randrange(bar.maximum() + 1) for _ in range(JUMPS))])
    print(f"grid of {COUNT:,} images listed and first painted in {listed_ms:.0f} ms; "
          f"{grid.grid_model.decoded:,} thumbnails made in all")
    for title, frames, cpu, complete, waited in (
            ("wheel scrolling (3 rows a frame)", wheel, wheel_cpu, wheel_complete, wheel_placeholders),
            ("jumps (a whole new screen a frame)", pages, pages_cpu, pages_complete, placeholders[0])):
        median, p95 = statistics.median(frames), sorted(frames)[int(0.95 * (len(frames) - 1))]
        verdict = ("MET" if median < TARGET_MS else "MISSED") if frames is wheel else "(no target)"
        print(f"{title}: {len(frames)} frames, median {median:.1f} ms, p95 {p95:.1f} ms, max {max(frames):.1f} ms: "
              f"{median / TARGET_MS:.2f}× the {TARGET_MS:.0f} ms budget {verdict}; CPU per frame median "
              f"{statistics.median(cpu):.1f} ms, p95 {sorted(cpu)[int(0.95 * (len(cpu) - 1))]:.1f} ms; complete "
              f"(every thumbnail shown) median {statistics.median(complete):.1f} ms, p95 "
              f"{sorted(complete)[int(0.95 * (len(complete) - 1))]:.1f} ms, {waited:,} placeholder cell paints")
    if hasattr(os, "getloadavg"):
        print(f"load average {os.getloadavg()[0]:.1f}")
    grid.close()
    grid.deleteLater()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
