"""The Runs panel: every training run under the runs folder (``runs/`` beside the project unless the user
chose another; the panel shows which and changes it), sortable, overlaid, compared, renamed, tagged,
moved to the trash. What ``convcanvas runs`` lists, in the window.

Dialogs here open window-modal without blocking (``open``), so the panel
never stops the event loop and tests answer them with real key presses.
"""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QFile, QItemSelectionModel, QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.experiments.compare import RunCompareError, compare_runs
from engine.experiments.folders import PROJECT_FILE
from engine.experiments.listing import COLUMN_KEYS, RunRow, list_runs
from engine.experiments.status import RunStatusError, update_user_fields

from .compare_dialog import CompareRunsDialog
from ..training.lazy_view import LazyView
from .run_curves import RunCurvesView, size_hints
from .runs_model import RunsTableModel, sorting_proxy


class RunsPanel(QWidget):
    open_network = Signal(Path)
    """A run's project snapshot to open (the window opens it as a new, unsaved document)."""

    def __init__(self, runs_folder, parent: QWidget | None = None) -> None:
        """``runs_folder``: a ``RunsFolder`` (app.training.runs_folder), where the current project's runs go."""
        super().__init__(parent)
        self.setObjectName("runsPanel")
        self.runs_folder = runs_folder
        self.model = RunsTableModel(self)
        self.proxy = sorting_proxy(self.model)
        self.table = QTableView()
        self.table.setObjectName("runsTable")
        self.table.setAccessibleName("Training runs")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COLUMN_KEYS.index("started"), Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move between runs
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        # Built when the Runs tab is first shown (it starts behind the Problems): its two pyqtgraph plots
        # cost ~0.1 s of the window's start-up (issue 19).
        self.curves_host = LazyView(RunCurvesView, "runCurvesHost", size_hints=size_hints(self.screen()))
        self.message = QLabel()
        self.message.setObjectName("runsMessage")
        self.message.setWordWrap(True)
        self.message.hide()  # shown with something to say: the dock is short
        self.folder_label = QLabel()
        self.folder_label.setObjectName("runsFolder")
        self.folder_label.setWordWrap(True)
        # Mouse only: a label Tab can enter moves between its links and never lets Tab go on; the keyboard
        # opens the folder from the Folder… menu instead.
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                                  | Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.folder_label.setOpenExternalLinks(False)
        self.folder_label.linkActivated.connect(lambda _link: self.open_folder())
        self.folder_button = QPushButton("Folder…")
        self.folder_button.setObjectName("runs_folder")
        self.folder_button.setToolTip("Where new runs go: runs/ beside the project, or a folder of your choice")
        folder_menu = QMenu(self.folder_button)
        self.open_folder_action = folder_menu.addAction("Open in the file manager", self.open_folder)
        self.choose_folder_action = folder_menu.addAction("Choose a folder…", self.choose_folder)
        self.beside_action = folder_menu.addAction("runs/ beside the project (default)",
                                                   lambda: self.runs_folder.choose(None))
        self.folder_button.setMenu(folder_menu)
        runs_folder.changed.connect(self._on_folder_changed)

        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for name, text, tip, slot in (
            ("refresh", "Refresh", "Read the runs folder again", self.refresh),
            ("open", "Open network", "Open the selected run's network, as it was trained, as a new document",
             self.open_selected),
            ("compare", "Compare", "What changed between the two selected runs", self.compare_selected),
            ("rename", "Rename…", "Give the selected run a name (its folder keeps its own)", self.rename_selected),
            ("tag", "Tags…", "Tag the selected runs (comma-separated)", self.tag_selected),
            ("delete", "Move to trash", "Move the selected runs' folders to the system trash", self.delete_selected),
        ):
            button = QPushButton(text)
            button.setObjectName(f"runs_{name}")
            button.setToolTip(tip)
            button.clicked.connect(lambda _checked=False, slot=slot: slot())
            row.addWidget(button)
            self.buttons[name] = button
        row.addStretch(1)

        # Side by side: the bottom docks are wide and short (about 150 px at 1280x720), where a table above
        # its curves showed one run and no curve.
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(self.curves_host)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(splitter, 1)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(self.folder_button)
        layout.addLayout(folder_row)
        layout.addWidget(self.message)
        self.dialog: QWidget | None = None
        self._show_folder()
        self._update_buttons()

    @property
    def curves(self) -> RunCurvesView:
        """The selected runs' curves (built now if not yet)."""
        return self.curves_host.view

    @property
    def runs_root(self) -> Path:
        return self.runs_folder.root

    # --- reading -------------------------------------------------------------------

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        # Read when shown (a tab brought to the front), not while the window starts: runs written by the
        # command line or a sweep meanwhile appear too.
        super().showEvent(event)
        self.refresh()

    def _show_folder(self) -> None:
        root = self.runs_folder.root
        shown = f"{root.parent.name}/{root.name}" if root.parent.name else str(root)
        url = QUrl.fromLocalFile(str(root)).toString()
        self.folder_label.setText(f"Runs in <a href='{html.escape(url)}'>{html.escape(shown)}</a> "
                                  f"({html.escape(self.runs_folder.note())})")
        self.folder_label.setToolTip(str(root))

    def _on_folder_changed(self) -> None:
        """Another project, or another folder chosen: list the runs of the folder new runs now go to."""
        self._show_folder()
        if self.isVisible():
            self.refresh()

    def open_folder(self) -> None:
        if not self.runs_root.is_dir():
            return self.say(f"No runs yet: the first run makes {self.runs_root}.")
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.runs_root)))

    def choose_folder(self) -> None:
        dialog = QFileDialog(self, "Runs folder", str(self.runs_root))
        dialog.setObjectName("runsFolderDialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly)
        dialog.fileSelected.connect(lambda path: self.runs_folder.choose(Path(path)) if path else None)
        self._show(dialog)

    def refresh(self) -> None:
        """Reads the runs folder again, keeping the selected runs selected."""
        selected = {row.folder for row in self.selected_rows()}
        self.model.set_rows(list_runs(self.runs_root))
        selection = self.table.selectionModel()
        for folder in selected:
            source_row = self.model.row_of(folder)
            if source_row is not None:
                index = self.proxy.mapFromSource(self.model.index(source_row, 0))
                selection.select(index, QItemSelectionModel.SelectionFlag.Select
                                 | QItemSelectionModel.SelectionFlag.Rows)
        self._on_selection_changed()

    def selected_rows(self) -> list[RunRow]:
        rows = sorted({self.proxy.mapToSource(index).row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.rows[row] for row in rows if row < len(self.model.rows)]

    def select_folders(self, folders: list[Path]) -> None:
        selection = self.table.selectionModel()
        selection.clearSelection()
        for folder in folders:
            source_row = self.model.row_of(folder)
            if source_row is not None:
                selection.select(self.proxy.mapFromSource(self.model.index(source_row, 0)),
                                 QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)

    def _on_selection_changed(self, *_args) -> None:
        rows = self.selected_rows()
        self.curves_host.apply(lambda view: view.show_runs(rows), key="runs")
        self._update_buttons()

    def _update_buttons(self) -> None:
        count = len(self.selected_rows())
        self.buttons["open"].setEnabled(count == 1)
        self.buttons["compare"].setEnabled(count == 2)
        self.buttons["rename"].setEnabled(count == 1)
        self.buttons["tag"].setEnabled(count >= 1)
        self.buttons["delete"].setEnabled(count >= 1)

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # --- actions ---------------------------------------------------------------------

    def open_selected(self) -> None:
        rows = self.selected_rows()
        if len(rows) != 1:
            return self.say("Select one run to open its network.")
        self.open_network.emit(rows[0].folder / PROJECT_FILE)

    def compare_selected(self) -> None:
        rows = self.selected_rows()
        if len(rows) != 2:
            return self.say("Select two runs to compare them.")
        first, second = sorted(rows, key=lambda row: row.started)  # from the older to the newer
        try:
            comparison = compare_runs(first.folder, second.folder)
        except RunCompareError as error:
            return self.say(f"Cannot compare: {error}")
        self._show(CompareRunsDialog(first, second, comparison, self))

    def rename_selected(self) -> None:
        rows = self.selected_rows()
        if len(rows) != 1:
            return self.say("Select one run to rename it.")
        dialog = self._input("renameRunDialog", "Rename run", "Name of the run (empty: its folder's name):",
                             rows[0].name)
        dialog.textValueSelected.connect(lambda text: self._store(rows, name=text.strip()))

    def tag_selected(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return self.say("Select the runs to tag.")
        dialog = self._input("tagRunsDialog", "Tag runs", "Tags, separated by commas:", ", ".join(rows[0].tags))
        dialog.textValueSelected.connect(
            lambda text: self._store(rows, tags=[tag.strip() for tag in text.split(",") if tag.strip()]))

    def delete_selected(self) -> None:
        rows = self.selected_rows()
        if not rows:
            return self.say("Select the runs to move to the trash.")
        running = [row.name for row in rows if row.status == "running"]
        if running:
            return self.say(f"{', '.join(running)} is still training: stop it before moving it to the trash.")
        _make_data_folder()
        failed = [row for row in rows if not QFile.moveToTrash(str(row.folder))]
        self.refresh()
        if failed:
            names = "\n".join(str(row.folder) for row in failed)
            self._show_problem("Could not move to the trash",
                               f"These run folders could not be moved to the system trash (the folder is gone, "
                               f"or this system has no trash for it). Nothing of them was deleted; remove them "
                               f"by hand if you want them gone:\n{names}")
        moved = len(rows) - len(failed)
        self.say(f"Moved {moved} run(s) to the trash." if moved else "No run was moved to the trash.")

    # --- parts -----------------------------------------------------------------------

    def _store(self, rows: list[RunRow], **changes) -> None:
        try:
            for row in rows:
                update_user_fields(row.folder, **changes)
        except (OSError, RunStatusError) as error:
            self.say(f"Cannot change the run: {error}")
        self.refresh()

    def _input(self, name: str, title: str, label: str, text: str) -> QInputDialog:
        dialog = QInputDialog(self)
        dialog.setObjectName(name)
        dialog.setWindowTitle(title)
        dialog.setAccessibleName(title)
        dialog.setLabelText(label)
        dialog.setTextValue(text)
        self._show(dialog)
        return dialog

    def _show_problem(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("runsProblemDialog")
        self._show(box)

    def _show(self, dialog: QWidget) -> None:
        """Window-modal and non-blocking; deleted when closed."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.open()


def _make_data_folder() -> None:
    """Qt's trash lives in the user's data folder and fails when that folder does not exist yet."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericDataLocation)
    if location:
        try:
            Path(location).mkdir(parents=True, exist_ok=True)
        except OSError:
            pass  # then the move fails, and the panel says so
