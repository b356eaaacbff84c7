"""The Data view in the window: a dock beside the problems and curves, File ▸ Open Data… (choose a folder:
it becomes the project's dataset, one undoable edit, and the view opens) and the training panel's View Data
button."""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow

from ..shell.docks import add_dock
from ..training.lazy_view import LazyView
from ..training.settings_command import set_training_setting
from .view import DataView, listing_key

DOCK_NAME = "dataDock"
HEIGHT_SHARE = 0.55  # of the window's height the dock takes when it opens: room for the grid
WIDTH_SHARE = 0.75  # and of its width, beside the feature maps


class DataViewController(QObject):
    def __init__(self, window: QMainWindow, training_ui) -> None:
        super().__init__(window)
        self.window, self.document = window, training_ui.document
        # Built when first shown or asked for (see lazy_view.py): its dock stays hidden until then, and
        # building it cost ~0.1 s of every start-up.
        self.host = LazyView(lambda: DataView(self.document, training_ui.jobs, lambda: training_ui.trained),
                             "dataViewHost")
        self.dock: QDockWidget = add_dock(window, "Data", DOCK_NAME, self.host, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.dock.hide()  # until asked for: listing a dataset costs a scan
        self.open_action = QAction("Open &Data…", self)
        self.open_action.setStatusTip("Choose an image folder (one sub-folder per class, or images/ and masks/) "
                                      "as the project's dataset and look at it")
        self.open_action.triggered.connect(self.choose_folder)
        self.show_action = QAction("&Data View", self)
        self.show_action.setStatusTip("Look at the project's dataset: samples, balance, what the network "
                                      "receives, statistics, problems")
        self.show_action.triggered.connect(self.show)
        training_ui.panel.data_view_requested.connect(self.show)
        training_ui.training_ended.connect(
            lambda: self.host.apply(lambda view: view.hardest.set_available(True), key="hardest"))

    @property
    def view(self) -> DataView:
        """The Data view (built on first use)."""
        return self.host.view

    def show(self) -> None:
        first = not self.dock.isVisible()
        self.dock.show()
        self.dock.raise_()
        if first and not self.dock.isFloating():
            window = self.window
            window.resizeDocks([self.dock], [int(window.height() * HEIGHT_SHARE)], Qt.Orientation.Vertical)
            window.resizeDocks([self.dock], [int(window.width() * WIDTH_SHARE)], Qt.Orientation.Horizontal)
        if self.view.loaded_key != listing_key(self.document.project.training, self.document.graph):
            self.view.load()

    def choose_folder(self, folder: str | None = None) -> bool:
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self.window, "Open a dataset folder")
            if not folder:
                return False
        if folder != self.document.project.training.dataset:
            if not set_training_setting(self.document, "dataset", folder):
                return False
        self.show()
        return True


def install_data_view(window: QMainWindow, training_ui) -> DataViewController:
    return DataViewController(window, training_ui)
