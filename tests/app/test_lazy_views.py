"""Views a user rarely opens are built when their dock is first seen, then show what the runs sent them
meanwhile (issue 19: a training window made its ~16 pyqtgraph plots up front, seconds per window)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QTabBar

from app.training.boxes import BoxView
from app.training.clinical_view import ClinicalView
from app.training.embeddings import EmbeddingView
from app.training.gradients import GradientsView
from app.training.lazy_view import LazyView
from app.training.masks import MaskView

from .test_segmentation_window import choose_task
from .test_training import open_studio, tiny_graph

RARE_VIEWS = {"clinical": ClinicalView, "masks": MaskView, "embeddings": EmbeddingView, "boxes": BoxView,
              "gradients": GradientsView}


def built(ui) -> set[str]:
    return {name for name in RARE_VIEWS if getattr(ui, f"{name}_host").is_built}


def views_in(window) -> set[str]:
    """The rare views that exist as widgets anywhere in the window."""
    return {name for name, kind in RARE_VIEWS.items() if window.findChildren(kind)}


def click_tab(window, title: str) -> None:
    bar = next(bar for bar in window.findChildren(QTabBar)
               if title in [bar.tabText(index) for index in range(bar.count())])
    index = next(index for index in range(bar.count()) if bar.tabText(index) == title)
    QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())


def test_a_classification_run_builds_no_rare_view_and_a_clicked_tab_shows_what_was_kept(qtbot, tmp_path):
    studio = open_studio(qtbot, tmp_path, tiny_graph(), "tiny")
    ui, window = studio.ui, studio.window
    studio.train(qtbot)
    qtbot.wait(100)  # the paints after the run: none reaches a view behind a tab or in a hidden dock
    assert built(ui) == set() and views_in(window) == set()

    click_tab(window, "Clinical")
    qtbot.waitUntil(lambda: ui.clinical_host.is_built)
    clinical = ui.clinical_host.view
    assert clinical.table.rowCount() == 10  # the digits' classes, from the epoch the run validated
    assert clinical.headline.text().startswith("epoch 1:")
    click_tab(window, "Gradients")
    qtbot.waitUntil(lambda: ui.gradients_host.is_built)
    assert ui.gradients_host.view.status.text().startswith("run 1: tiny")
    assert built(ui) == {"clinical", "gradients"}  # the task views of other tasks are still not made
    ui.jobs.wait(10_000)


def test_choosing_a_task_builds_its_view_and_only_that_one(qtbot, tmp_path):
    studio = open_studio(qtbot, tmp_path, tiny_graph(), "tiny")
    ui = studio.ui
    qtbot.wait(100)
    assert built(ui) == set()
    choose_task(ui.panel, "Embedding (faces)")
    qtbot.waitUntil(lambda: ui.embeddings_host.is_built)
    assert ui.embeddings_host.view.isVisible() and built(ui) == {"embeddings"}
    ui.jobs.wait(10_000)  # the new task's dataset look-up


def test_calls_wait_in_order_and_a_keyed_call_replaces_the_same_call_just_before_it(qtbot):
    host = LazyView(lambda: QLabel("new"), "labelHost")
    qtbot.addWidget(host)
    host.apply(lambda label: label.setText(label.text() + " a"), key="a")
    host.apply(lambda label: label.setText(label.text() + " A"), key="a")  # replaces " a"
    host.apply(lambda label: label.setText(label.text() + " b"))
    host.apply(lambda label: label.setText(label.text() + " c"), key="a")  # not just after " A": kept
    host.if_built(lambda label: label.setText("never"))
    assert not host.is_built
    host.resize(200, 100)  # (Qt paints no widget of no size)
    host.show()
    qtbot.waitUntil(lambda: host.is_built)  # its first paint built it
    assert host.view.text() == "new A b c"
    host.apply(lambda label: label.setText("now"))
    assert host.view.text() == "now"


def test_the_data_view_is_built_when_first_asked_for_and_knows_a_run_ended_meanwhile(qtbot, tmp_path):
    from app.data.dock import install_data_view
    from app.data.view import DataView

    studio = open_studio(qtbot, tmp_path, tiny_graph(), "tiny")
    data = install_data_view(studio.window, studio.ui)
    qtbot.wait(50)  # its dock is hidden: nothing paints it, nothing builds it
    assert not data.host.is_built and not studio.window.findChildren(DataView)
    studio.ui.training_ended.emit()  # a run ends before anyone looked at the data
    view = data.view  # asked for: built now, with what it was sent
    assert data.host.is_built and view.hardest.find.isEnabled()
    studio.ui.jobs.wait(10_000)
