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


TAB_VIEWS = ("confusion_host", "gallery_host", "predict_host", "filters_host")


def test_the_views_behind_tabs_are_built_when_their_tab_is_clicked_and_show_what_a_run_sent(qtbot, tmp_path):
    from app.training.confusion import ConfusionView
    from app.training.filters import FiltersView
    from app.training.gallery import GalleryView
    from app.training.predict_view import PredictView

    studio = open_studio(qtbot, tmp_path, tiny_graph(), "tiny")
    ui, window = studio.ui, studio.window
    conv = next(node for node in studio.document.graph.nodes.values() if node.type == "conv2d")
    ui.show_node(conv.id)  # its kernels go to the Filters, a tab behind the Feature Maps
    studio.train(qtbot)
    qtbot.waitUntil(lambda: bool(ui.feature_maps.image_items))  # the trained model probed (the maps are on screen)
    qtbot.wait(100)  # the paints after the run: none reaches a view behind a tab
    assert not any(getattr(ui, name).is_built for name in TAB_VIEWS)
    assert not any(window.findChildren(kind) for kind in (ConfusionView, GalleryView, PredictView, FiltersView))

    click_tab(window, "Confusion")
    qtbot.waitUntil(lambda: ui.confusion_host.is_built)
    assert ui.confusion_host.view.confusion is not None  # the run's last matrix
    assert "— epoch 1." in ui.confusion_host.view.title.text()
    click_tab(window, "Predictions")
    qtbot.waitUntil(lambda: ui.gallery_host.is_built)
    qtbot.waitUntil(lambda: ui.gallery_host.view.item_count() > 0)  # the validation images, worst first
    click_tab(window, "Try an Image")
    qtbot.waitUntil(lambda: ui.predict_host.is_built)
    assert ui.predict_host.view.choose_button.isEnabled()  # the trained network is there to try
    click_tab(window, "Filters")
    qtbot.waitUntil(lambda: ui.filters_host.is_built)
    qtbot.waitUntil(lambda: ui.filters_host.view.title.text().startswith(f"{ui.probe.node_name(ui.trained.graph)}:"))
    assert "4 filters" in ui.filters_host.view.title.text()
    ui.jobs.wait(10_000)


def test_the_feature_maps_behind_a_tab_wait_for_it_and_show_the_node_chosen_meanwhile(qtbot, tmp_path):
    from PySide6.QtWidgets import QMainWindow, QWidget

    from app.document import Document
    from app.training import install_training_ui
    from engine.project import Project

    window = QMainWindow()
    window.setCentralWidget(QWidget())
    ui = install_training_ui(window, Document(Project(tiny_graph(), "tiny"), parent=window), None,
                             runs_root=tmp_path / "runs")
    ui.dock("filtersDock").raise_()  # the Feature Maps behind the Filters' tab at first paint
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.wait(100)
    assert not ui.feature_maps_host.is_built
    conv = next(node for node in ui.document.graph.nodes.values() if node.type == "conv2d")
    ui.show_node(conv.id)  # no trained model: the view will say so
    click_tab(window, "Feature Maps")
    qtbot.waitUntil(lambda: ui.feature_maps_host.is_built)
    assert ui.feature_maps_host.view.title.text().startswith("Train the network")
    ui.jobs.wait(10_000)


def test_the_curves_behind_a_tab_wait_for_a_run_and_keep_the_task_s_titles(qtbot, tmp_path):
    from PySide6.QtWidgets import QMainWindow, QWidget

    from app.document import Document
    from app.training import install_training_ui
    from app.training.curves import CurvesView
    from engine.project import Project

    window = QMainWindow()
    window.setCentralWidget(QWidget())
    document = Document(Project(tiny_graph(), "tiny"), parent=window)
    ui = install_training_ui(window, document, None, runs_root=tmp_path / "runs")
    ui.dock("confusionDock").raise_()  # the Curves behind the Confusion's tab at first paint, as in the main window
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    choose_task(ui.panel, "Segmentation")  # an edit: the curves' titles follow the task
    qtbot.wait(100)
    assert not ui.curves_host.is_built and not window.findChildren(CurvesView)
    click_tab(window, "Curves")
    qtbot.waitUntil(lambda: ui.curves_host.is_built)
    assert ui.curves_host.view.titles() == ("Loss (cross-entropy per pixel)", "Pixel accuracy")
    ui.jobs.wait(10_000)
