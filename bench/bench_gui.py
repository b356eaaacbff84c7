"""Does live training keep the GUI responsive, and what does watching it cost?

LeNet-5 trains on the bundled digits in the app's main window (its worker
thread) with the live views open (curves, and the feature maps of conv1
selected on the canvas), while a 10 ms
QTimer heartbeat records the gaps of the GUI event loop (targets, in every
round: longest < 50 ms, 99th percentile < 17 ms, one frame at 60 Hz). The
same training runs headless through the engine's ``Trainer``, and the
training throughput (images/s) of both is compared (target: the app reaches
>= 0.95× of headless). The app trains with one core fewer than headless
(``threads.py``: cores - 1 intra-op threads, so the window keeps a core), so
the target is judged like for like, against headless at the app's thread
count; the ratio against headless at torch's default count is printed
beside it (what the choice of threads costs). Each round runs headless both
ways and then in the app, so that all three meet the same load; the median
of the rounds' ratios is reported.

Measuring starts when Train is pressed on a window that is already shown and
painted (its first paint, tens of ms of the GUI thread, belongs to start-up, see
bench_startup) and ends when the run has ended in the window; quitting the
application after it is not measured.

For the gaps over one frame it also prints how much of their time the GUI
thread itself ran and how much it waited, ready to run, for a core (Linux's
schedstat); the rest is the heartbeat's own idle time and waits for the GIL.
On this project's 2-core machine shared by several sessions (load 12-16) the
core wait was ~70 % of the long gaps, the GUI thread's own work ~10 %: the
window waited for the machine, not for the GIL, so the compute stays in a
thread (a child process would not shorten a wait for a core).

Each run starts once the app's start-up warm-up has imported torch's compiler
stack, as it has by the time a person clicks Train (Train is disabled until
then): that import loads triton's native library with the GIL held, a one-off
stall of about 0.2 s here, which lands in the first seconds after start-up
rather than in a run. The bench starts that warm-up itself, as the window does
once it is shown: without it the first run imported the compiler stack on its
own thread (torch's optimiser does), and the ~130,000 objects that import
leaves were not frozen out of the GUI thread's garbage collections, which
then held the window still for 7-20 ms every second and for ~140 ms once.

    python -m bench gui            (QT_QPA_PLATFORM=offscreen is set when there is no display)
"""
from __future__ import annotations

import gc
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

EPOCHS = 30
BATCH_SIZE = 64
ROUNDS = 3
HEARTBEAT_MS = 10
#: The window is shown and left to paint this long before Train is pressed (its first paint is start-up).
SETTLE_MS = 500
GAP_TARGET_MS = 50.0
P99_TARGET_MS = 17.0
THROUGHPUT_TARGET = 0.95
PRESET = Path(__file__).resolve().parent.parent / "presets" / "lenet5.cnn.json"


def _ensure_platform() -> None:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _project():
    from engine.project import load_project

    project = load_project(PRESET)
    project.training = project.training.replace(dataset="digits", epochs=EPOCHS, batch_size=BATCH_SIZE, seed=0)
    return project


def _train_rate(history: list[dict]) -> float:
    """Training images per second over the run (each epoch's images / its training time)."""
    return statistics.fmean(entry["images_per_second"] for entry in history)


def headless_rate(threads: int | None = None) -> float:
    """The engine trainer alone, on a plain thread like the app's worker: on this project's
    machines torch's OpenMP training ran markedly slower on the main thread than on any other,
    so the comparison is thread against thread and isolates what the GUI costs. ``threads``:
    torch's intra-op threads for the run (None: torch's default), set on that thread as the
    app's worker sets its own."""
    import torch

    from engine.training import Trainer

    results = []

    def train() -> None:
        if threads:
            torch.set_num_threads(threads)
        results.append(Trainer(_project()).fit())

    thread = threading.Thread(target=train)
    thread.start()
    thread.join()
    if not results:
        raise RuntimeError("the headless run failed (see the traceback above)")
    return _train_rate(results[0].history)


def gui_run(app) -> tuple[float, float, float, float, float, tuple[int, float, float]]:
    """(images/s, longest heartbeat gap ms, 99th percentile gap ms, GUI thread's share of one core,
    its share of the time of the gaps over one frame, the garbage collections on the GUI thread
    during the run: count, total ms, longest ms) of one run in the app."""
    from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer
    from PySide6.QtCore import QSettings

    from app.main_window import MainWindow
    from app.training.warm_up import wait_for_torch_warm_up

    with tempfile.TemporaryDirectory() as folder:
        # The whole app (canvas, palette, inspector…), with settings and runs in a temp folder.
        window = MainWindow(settings=QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat),
                            recovery_dir=Path(folder) / "recovery", runs_root=Path(folder) / "runs",
                            library_dir=Path(folder) / "blocks")
        window.resize(1400, 900)
        window.document.new_project(_project())
        window.show()
        ui = window.training_ui
        for name in ("curvesDock", "featureMapsDock"):
            ui.dock(name).raise_()
        window.canvas.select_nodes([window.document.graph.node_by_name("conv1").id])

        class Recorder(QObject):
            def __init__(self) -> None:
                super().__init__()
                self.history: list[dict] = []
                self.gaps: list[float] = []
                self.clock = QElapsedTimer()
                self.last = 0
                self.cpu = 0.0
                self.last_cpu = 0.0
                self.long_gaps_ms = 0.0  # wall time of the gaps over one frame
                self.long_gaps_cpu_ms = 0.0  # the GUI thread's CPU time within them
                self.long_gaps_queued_ms = 0.0  # its time ready to run but waiting for a core
                self.last_queued = 0.0

            def epoch(self, metrics: dict) -> None:
                self.history.append(metrics)

            def beat(self) -> None:
                now, cpu, queued = self.clock.nsecsElapsed(), time.thread_time(), _queued_ms()
                if self.last:
                    gap = (now - self.last) / 1e6
                    self.gaps.append(gap)
                    if gap > P99_TARGET_MS:
                        self.long_gaps_ms += gap
                        self.long_gaps_cpu_ms += 1000 * (cpu - self.last_cpu)
                        self.long_gaps_queued_ms += queued - self.last_queued
                self.last, self.last_cpu, self.last_queued = now, cpu, queued

        recorder = Recorder()
        collections = _CollectionTimer()
        heartbeat = QTimer()
        heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
        heartbeat.setInterval(HEARTBEAT_MS)
        heartbeat.timeout.connect(recorder.beat)
        measured = {}

        def end() -> None:
            # The run's end (results, gallery, the trained model's first probe) is measured; quitting
            # the application that follows is not.
            heartbeat.stop()
            collections.stop()
            measured["seconds"] = recorder.clock.nsecsElapsed() / 1e9
            measured["cpu"] = time.thread_time() - recorder.cpu
            app.quit()

        ui.training_ended.connect(end)
        shown = []

        def start() -> None:
            if ui.panel.dataset_info is None:  # the dataset look-up runs in the background
                QTimer.singleShot(20, start)
                return
            handle = window.windowHandle()
            if handle is None or not handle.isExposed():
                QTimer.singleShot(20, start)
                return
            if not shown:  # as a person clicks Train: on a window that is shown and painted
                shown.append(True)
                QTimer.singleShot(SETTLE_MS, start)
                return
            wait_for_torch_warm_up()
            if not ui.start_training():
                print("could not start:", ui.panel.message_label.text())
                app.quit()
                return
            ui.run.worker.epoch_finished.connect(recorder.epoch)
            recorder.clock.start()
            recorder.cpu = time.thread_time()
            collections.start()
            heartbeat.start()

        QTimer.singleShot(0, start)
        app.exec()
        heartbeat.stop()
        collections.stop()
        gui_share = measured.get("cpu", 0.0) / max(measured.get("seconds", 0.0), 1e-9)
        ui.stop_and_wait()
        frames = len(ui.feature_maps.image_items)
        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()
    if not recorder.history or not frames:
        raise RuntimeError("the run in the app did not finish or showed no feature maps: "
                           + ui.panel.message_label.text())
    gaps = sorted(recorder.gaps)
    long_ms = recorder.long_gaps_ms or float("inf")
    in_gaps = (recorder.long_gaps_cpu_ms / long_ms, recorder.long_gaps_queued_ms / long_ms)
    return (_train_rate(recorder.history), gaps[-1], gaps[int(0.99 * (len(gaps) - 1))], gui_share, in_gaps,
            collections.summary())


class _CollectionTimer:
    """Times the cyclic garbage collections made on this (the GUI) thread while started: a collection
    holds the GIL, so it stills the window and the training alike."""

    def __init__(self) -> None:
        self.durations: list[float] = []
        self._thread = threading.get_ident()
        self._began = 0.0

    def start(self) -> None:
        if self._record not in gc.callbacks:
            gc.callbacks.append(self._record)

    def stop(self) -> None:
        if self._record in gc.callbacks:
            gc.callbacks.remove(self._record)

    def _record(self, phase: str, info: dict) -> None:
        if threading.get_ident() != self._thread:
            return
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.durations.append(1000 * (time.perf_counter() - self._began))

    def summary(self) -> tuple[int, float, float]:
        return len(self.durations), sum(self.durations), max(self.durations, default=0.0)


def _queued_ms() -> float:
    """Milliseconds this thread has waited, ready to run, for a core (Linux's schedstat; 0 elsewhere).

    The share of the long gaps spent so says whether the window waited for the machine (other
    processes, torch's threads) rather than for its own painting or for the GIL."""
    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as stats:
            return int(stats.read().split()[1]) / 1e6
    except (OSError, IndexError, ValueError):
        return 0.0


def _verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def main() -> int:
    _ensure_platform()
    from PySide6.QtWidgets import QApplication

    from app.qt_workarounds import GuiThreadGarbageCollector
    from app.training.threads import default_threads
    from app.training.warm_up import wait_for_torch_warm_up, warm_up_torch
    app = QApplication.instance() or QApplication(sys.argv[:1])
    # As the app does: the worker thread never runs the collector, and what imports leave is frozen.
    GuiThreadGarbageCollector(parent=app, freeze_imports=True)
    warm_up_torch()  # as the window does once it is shown (MainWindow.start); every run waits for it
    wait_for_torch_warm_up()
    import torch

    print(f"LeNet-5 on digits, {EPOCHS} epochs of batch {BATCH_SIZE}, torch {torch.__version__}; headless "
          f"{torch.get_num_threads()} intra-op threads, in the app {default_threads()} (its default: cores - 1); "
          f"live views: curves + feature maps of conv1; {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}")
    started = time.perf_counter()
    headless_rate()  # warm-up: first-use costs (imports, allocator) go to neither side
    app_threads = default_threads()
    headless, like_for_like, in_app, worst_gaps, p99_gaps = [], [], [], [], []
    for round_index in range(ROUNDS):
        headless.append(headless_rate())
        like_for_like.append(headless_rate(app_threads))
        rate, gap, p99, gui_share, in_gaps, collections = gui_run(app)
        (busy_in_gaps, queued_in_gaps), (collected, collect_ms, longest_collect) = in_gaps, collections
        in_app.append(rate)
        worst_gaps.append(gap)
        p99_gaps.append(p99)
        print(f"  round {round_index + 1}: headless {headless[-1]:,.0f} images/s ({like_for_like[-1]:,.0f} with "
              f"{app_threads} thread(s)), in the app {rate:,.0f} images/s ({rate / like_for_like[-1]:.2f}× like for "
              f"like, {rate / headless[-1]:.2f}× headless's default), longest GUI gap {gap:.1f} ms, 99th percentile "
              f"{p99:.1f} ms; GUI thread "
              f"busy {100 * gui_share:.0f} % of one core; of the gaps over {P99_TARGET_MS:.0f} ms it ran "
              f"{100 * busy_in_gaps:.0f} % and waited for a core {100 * queued_in_gaps:.0f} %; garbage "
              f"collections on the GUI thread: {collected}, {collect_ms:.0f} ms in all, longest {longest_collect:.0f} "
              f"ms; load average "
              f"{os.getloadavg()[0]:.1f}")
    # Rounds pair a headless run with an app run made right after it, under the same load.
    ratio = statistics.median(app_rate / base for app_rate, base in zip(in_app, like_for_like))
    default_ratio = statistics.median(app_rate / base for app_rate, base in zip(in_app, headless))
    worst_gap, worst_p99 = max(worst_gaps), max(p99_gaps)
    print(f"GUI event loop, longest gap: worst round {worst_gap:.1f} ms (target < {GAP_TARGET_MS:.0f} ms in every "
          f"round): {_verdict(worst_gap < GAP_TARGET_MS)}")
    print(f"GUI event loop, 99th percentile gap: worst round {worst_p99:.1f} ms (target < {P99_TARGET_MS:.0f} ms in "
          f"every round): {_verdict(worst_p99 < P99_TARGET_MS)}")
    print(f"throughput: app / headless at the app's {app_threads} intra-op thread(s) = {ratio:.2f}× (median of the "
          f"rounds; best runs: app {max(in_app):,.0f} vs headless {max(like_for_like):,.0f} images/s; target >= "
          f"{THROUGHPUT_TARGET:.2f}×): {_verdict(ratio >= THROUGHPUT_TARGET)}")
    print(f"  against headless at torch's default {torch.get_num_threads()} thread(s): {default_ratio:.2f}× (the app "
          f"leaves a core to the window by design; best headless run {max(headless):,.0f} images/s)")
    print(f"({time.perf_counter() - started:.0f} s, load average at the end {os.getloadavg()[0]:.1f}; all three "
          f"figures depend on how busy the machine is)")
    return 0
