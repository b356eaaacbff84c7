"""What keeps the window smooth while a network trains (behaviour only; the timings are in
``make bench``, bench/bench_gui.py): the run's torch thread count, coalesced curve redraws
and axes that stay put between updates."""
from __future__ import annotations

import threading

import pytest
import torch
from PySide6.QtCore import QEvent, QObject, QSettings
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QGraphicsItem, QLabel, QMainWindow, QWidget

from app.document import Document
from app.labels import SteadyLabel
from app.training import install_training_ui
from app.training.curves import REDRAW_INTERVAL_MS, CurvesView, round_step_above
from app.training.run import TrainingRun
from app.training.threads import SETTINGS_KEY, default_threads, in_app_threads
from app.training.worker import RunRequest
from engine import Project, TrainingConfig
from engine.builders import GraphBuilder

RUN_TIMEOUT_MS = 60_000


def tiny_project(epochs: int = 1) -> Project:
    builder = GraphBuilder()
    builder.add("input", "image", channels=1, height=8, width=8)
    builder.add("conv2d", "conv", out_channels=2, kernel_size=3)
    builder.add("flatten", "flat")
    builder.add("dense", "fc", out_features=10)
    builder.add("output", "scores")
    config = TrainingConfig(dataset="digits", epochs=epochs, batch_size=64, device="cpu")
    return Project(builder.graph, "Tiny", training=config)


def settings_with(tmp_path, **values) -> QSettings:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    for key, value in values.items():
        settings.setValue(key, value)
    return settings


# --- torch's intra-op threads ---------------------------------------------------------------


def test_the_default_leaves_one_core_to_the_window():
    assert default_threads(2) == 1
    assert default_threads(8) == 7
    assert default_threads(1) == 1


def test_the_setting_overrides_the_default_and_nonsense_falls_back(tmp_path):
    assert in_app_threads(settings_with(tmp_path, **{SETTINGS_KEY: 3})) == 3
    assert in_app_threads(settings_with(tmp_path / "a", **{SETTINGS_KEY: "many"})) == default_threads()
    assert in_app_threads(settings_with(tmp_path / "b", **{SETTINGS_KEY: 0})) == default_threads()
    assert in_app_threads(None) == default_threads()


def test_a_run_computes_with_the_threads_it_asks_for_and_gives_the_count_back(qtbot, tmp_path):
    before = torch.get_num_threads()
    wanted = before + 1  # differs from what any thread would use otherwise
    project = tiny_project()
    run = TrainingRun(RunRequest(project, project.training, tmp_path / "run", threads=wanted))
    seen = []
    run.worker.started.connect(lambda info: seen.append(info["device"]))
    with qtbot.waitSignal(run.ended, timeout=RUN_TIMEOUT_MS):
        run.start()
    qtbot.waitUntil(lambda: bool(seen), timeout=5_000)
    assert f"CPU ({wanted} threads)" in seen[0]  # chosen on the run's thread, where torch computes
    # Torch hands a thread's count on to threads started later: the run puts the previous one back.
    assert torch.get_num_threads() == before
    later = []
    thread = threading.Thread(target=lambda: later.append(torch.get_num_threads()))
    thread.start()
    thread.join()
    assert later == [before]


def test_the_window_passes_its_thread_setting_to_the_run(qtbot, tmp_path):
    window = QMainWindow()
    window.setCentralWidget(QWidget())
    window.settings = settings_with(tmp_path, **{SETTINGS_KEY: 3})
    document = Document(tiny_project(), parent=window)
    ui = install_training_ui(window, document, None, runs_root=tmp_path / "runs")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: ui.panel.dataset_info is not None)
    with qtbot.waitSignal(ui.training_ended, timeout=RUN_TIMEOUT_MS):
        assert ui.start_training(), ui.panel.message_label.text()
        assert ui.run.request.threads == 3
    ui.jobs.wait(10_000)


# --- the status bar's progress text -------------------------------------------------------------


class LayoutRequests(QObject):
    """Counts the layout passes Qt asks of one widget (a main window: every dock and toolbar)."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def progress_texts(count: int) -> list[str]:
    """Status texts of a run, each a little different in width (the numbers change)."""
    return [f"read-only · Epoch {1 + i // 23}/30 · batch {1 + i % 23}/23 · {900 + 37 * i:,} images/s · "
            f"0:{59 - i:02d} left" for i in range(count)]


def laid_out_per_text(qtbot, window: QMainWindow, label: QLabel, texts: list[str]) -> int:
    window.statusBar().addPermanentWidget(label)
    label.show()  # as a run shows it (the training UI's is hidden between runs)
    window.show()
    qtbot.waitExposed(window)
    label.setText(texts[0])
    qtbot.wait(20)  # the first text may widen the label once
    requests = LayoutRequests(window)
    for text in texts[1:]:
        label.setText(text)
        QApplication.processEvents()
    return requests.count


def test_a_plain_label_in_the_status_bar_lays_the_whole_window_out_on_each_text(qtbot):
    # Why SteadyLabel exists (and a check that the counting below can see relayouts at all).
    window = QMainWindow()
    qtbot.addWidget(window)
    assert laid_out_per_text(qtbot, window, QLabel(), progress_texts(20)) >= 10


def test_the_runs_progress_text_rarely_lays_the_window_out(qtbot, tmp_path):
    window = QMainWindow()
    window.setCentralWidget(QWidget())
    document = Document(tiny_project(), parent=window)
    ui = install_training_ui(window, document, None, runs_root=tmp_path / "runs")
    qtbot.addWidget(window)
    assert laid_out_per_text(qtbot, window, ui.status_label, progress_texts(20)) <= 2
    ui.jobs.wait(10_000)


def test_a_steady_label_grows_for_a_longer_text_and_never_cuts_it(qtbot):
    label = SteadyLabel()
    qtbot.addWidget(label)
    label.setText("short")
    label.show()
    narrow = label.width()
    label.setText("a much longer text than the first one, " * 3)
    assert label.width() > narrow
    assert label.width() >= QLabel(label.text()).sizeHint().width()
    label.setText("short")
    assert label.width() > narrow  # it does not shrink while texts keep coming…
    label.release()
    label.setText("short")
    assert label.width() == narrow  # …until the run is over


# --- the curves -------------------------------------------------------------------------------


def test_a_burst_of_points_becomes_few_redraws(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    view.show()
    view.begin_run("run 1", epochs=2)
    qtbot.wait(2 * REDRAW_INTERVAL_MS)  # the start of the run has been drawn and the throttle is cool
    view.redraws = 0
    for index in range(500):  # far more reports than one interval can show
        view.add_train_point(index / 500, 2.0 - index / 400, 0.1 + index / 1000)
    assert view.redraws == 1  # the first at once, the rest wait for the interval
    qtbot.waitUntil(lambda: view.redraws == 2, timeout=5 * REDRAW_INTERVAL_MS)
    qtbot.wait(3 * REDRAW_INTERVAL_MS)
    assert view.redraws == 2  # one trailing redraw shows the last points, then none while idle
    assert len(view.plots["loss"].smooth.getData()[0]) == 500


def test_curves_behind_a_tab_or_in_a_closed_dock_wait_and_draw_when_shown_again(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget

    window = QMainWindow()
    window.setCentralWidget(QWidget())
    view = CurvesView()
    docks = []
    for title, widget in (("Curves", view), ("Confusion", QLabel("matrix"))):
        dock = QDockWidget(title, window)
        dock.setWidget(widget)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        docks.append(dock)
    window.tabifyDockWidget(*docks)
    docks[0].visibilityChanged.connect(view.show_pending)  # as the training window connects it
    qtbot.addWidget(window)
    window.resize(900, 600)
    window.show()
    qtbot.waitExposed(window)
    view.begin_run("run 1", epochs=2)
    docks[1].raise_()
    qtbot.waitUntil(lambda: view.isVisible() and view.visibleRegion().isEmpty())  # behind the other tab
    view.redraws = 0
    for index in range(40):
        view.add_train_point(index / 20, 2.0 - index / 40, 0.5)
        view.redraw()
    assert view.redraws == 0 and len(view.plots["loss"].smooth.getData()[0] or []) == 0
    docks[0].raise_()
    qtbot.waitUntil(lambda: view.redraws == 1)
    assert len(view.plots["loss"].smooth.getData()[0]) == 40  # every point kept meanwhile is drawn
    docks[0].close()  # the user closes the Curves dock: points wait again
    view.add_train_point(2.0, 1.0, 0.5)
    view.redraw()
    assert view.redraws == 1
    docks[0].show()
    qtbot.waitUntil(lambda: len(view.plots["loss"].smooth.getData()[0]) == 41)


def test_the_loss_axis_moves_only_when_a_round_step_is_crossed(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    view.show()
    view.begin_run("run 1", epochs=1)
    plot = view.plots["loss"].plot
    ranges = []
    plot.vb.sigYRangeChanged.connect(lambda _box, y_range: ranges.append(tuple(y_range)))
    for index, loss in enumerate((2.3, 1.9, 1.2, 0.7, 0.4, 0.2, 0.1)):  # a falling loss, one redraw each
        view.add_train_point(index / 10, loss, 0.5)
        view.redraw()
    assert len(ranges) == 1  # set once, for 0..5, and kept while the loss falls
    low, high = plot.vb.viewRange()[1]
    assert low <= 0 < 2.3 < 5.0 <= high
    view.add_train_point(0.8, 7.0, 0.5)  # a spike above the step
    view.redraw()
    assert len(ranges) == 2 and plot.vb.viewRange()[1][1] >= 10.0


def test_round_steps():
    assert [round_step_above(value) for value in (0.03, 0.1, 0.11, 2.3, 7.0, float("nan"), 0.0)] == \
        [0.05, 0.1, 0.2, 5.0, 10.0, 1.0, 1.0]


def test_validation_symbols_are_rebuilt_only_when_a_validation_point_arrives(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    view.begin_run("run 1", epochs=2)
    updates = []
    view.plots["loss"].validation.sigPlotChanged.connect(lambda *_: updates.append(1))
    for index in range(5):
        view.add_train_point(index / 10, 1.0, 0.5)
        view.redraw()
    assert updates == []  # (begin_run drew the empty set) the batches leave the symbols alone
    view.add_validation_point(1, 0.9, 0.6)
    view.redraw()
    assert len(updates) == 1
    assert list(view.plots["loss"].validation.getData()[1]) == [0.9]


# --- cached axes --------------------------------------------------------------------------------


def curves_after(qtbot, runs: list[int], cached: bool = True) -> QImage:
    """A curves view that began a run of each of ``runs`` epochs in turn, drawn."""
    view = CurvesView()
    if not cached:
        for plot in view.plots.values():
            for name in ("left", "bottom"):
                plot.plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.NoCache)
    qtbot.addWidget(view)
    view.resize(500, 360)
    view.show()
    qtbot.waitExposed(view)
    for index, epochs in enumerate(runs):
        view.begin_run(f"run {index + 1}", epochs=epochs)
        for step in range(40):
            view.add_train_point(step / 40 * epochs, 2.0 - step / 30, step / 40)
        view.redraw()
        view.graphics.grab()  # painted (and the axes cached) before the next run moves them
    return view.graphics.grab().toImage()


def test_the_live_plots_axes_are_drawn_from_a_cache(qtbot):
    view = CurvesView()
    qtbot.addWidget(view)
    for plot in view.plots.values():
        for name in ("left", "bottom"):
            assert plot.plot.getAxis(name).cacheMode() == QGraphicsItem.CacheMode.DeviceCoordinateCache


def test_a_cached_axis_shows_its_new_range(qtbot):
    # The x axis spans the whole run: a second, shorter run must relabel it, not show the cached one.
    assert curves_after(qtbot, [30, 5]) == curves_after(qtbot, [30, 5], cached=False)
    assert curves_after(qtbot, [30, 5]) != curves_after(qtbot, [30, 30])  # (the comparison can fail)
