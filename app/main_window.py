"""The main window: canvas in the middle, palette left, inspector right, problems below.

The window wires the pieces together and owns the file workflow: new, open
(menu, recent files, presets, dropped files), save, save as, revert, asking
before unsaved work is lost, autosaving to a recovery file and offering it
back after a crash. Layout, recent files and the theme live in QSettings.
"""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu, QMessageBox, QStackedWidget, QWidget

from engine.analysis import Analysis
from engine.codegen import python_source
from engine.compiler import InvalidGraphError
from engine.fileio import atomic_write_text, write_error
from engine.project import EXTENSION, ProjectError

from . import dialogs
from .blocks.guide import BlockGuideDialog
from .blocks.library import BlockLibraryController
from .canvas.picture import render_png, render_svg
from .canvas.view import QUICK_ADD_KEYS, CanvasView
from .document import Document
from .files import RecentFiles, RecoverySession
from .icons import app_icon
from .import_dialog import ModelImporter
from .formatting import compact_text, count_text
from .inspector import Inspector, NodePage
from .issues_panel import IssuesPanel
from .data.dock import install_data_view
from .experiments import RunsPanel
from .model_menu import ModelMenu
from .palette import BlockPalette
from .panels.outline import NetworkOutline
from .insight.plain_vs_residual import PlainVsResidualExample
from .presets_menu import PresetsMenu
from .shell.docks import add_dock
from .shell.geometry import place_window
from .shell.panel_focus import PanelFocus, focus_dock
from .shell.start_page import StartPage
from .shell.toolbar import OPEN_CHECKPOINT_KEY, PRESETS_KEY, MainToolBar
from .theme import MODES, ThemeManager, set_style_property
from .training import install_training_ui
from .training.warm_up import schedule_warm_up, wait_for_torch_warm_up

APP_NAME = "ConvCanvas"
AUTOSAVE_DELAY_MS = 3000
STATE_VERSION = 1
TALL_WINDOW = 880  # px from which the dashboards get a good third of the height
SIDE_BY_SIDE_ROW = 800  # the bottom row's width from which feature maps sit beside the problems, not behind
LAST_FOLDER_KEY = "files/last_folder"
PICTURE_FORMATS = [("PNG image", ".png"), ("SVG drawing", ".svg")]
PYTHON_FORMATS = [("Python source", ".py")]
CONNECT_KEY, RENAME_KEY, EDIT_KEY = "Ctrl+K", "F2", "Return"


def redo_shortcuts(platform_keys: list[QKeySequence], platform: str = sys.platform) -> list[QKeySequence]:
    """The platform's Redo keys, plus Ctrl+Y outside macOS: GNOME's and KDE's schemes bind only
    Ctrl+Shift+Z, yet people coming from Windows programs press Ctrl+Y."""
    extra = QKeySequence("Ctrl+Y")
    return list(platform_keys) + ([extra] if platform != "darwin" and extra not in platform_keys else [])


class MainWindow(QMainWindow):
    def __init__(
        self,
        settings: QSettings | None = None,
        recovery_dir: Path | None = None,
        runs_root: Path | None = None,
        autosave_ms: int = AUTOSAVE_DELAY_MS,
        library_dir: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        schedule_warm_up()  # torch is imported behind the shown window (see start): nothing imports it before
        self.settings = settings if settings is not None else QSettings()
        self.theme = ThemeManager(self.settings, self)
        self.recent = RecentFiles(self.settings)
        self.recovery = RecoverySession(recovery_dir)
        self.document = Document(parent=self)
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        # Side panels run full height; the problems panel sits under the canvas only.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)

        self.canvas = CanvasView(self.document, self)
        self.start_page = StartPage()  # instead of the canvas until there is a network to show
        self.central_stack = QStackedWidget()
        self.central_stack.addWidget(self.canvas)
        self.central_stack.addWidget(self.start_page)
        self.setCentralWidget(self.central_stack)
        self.palette_panel = BlockPalette()
        self.inspector = Inspector(self.document)
        self.block_library = BlockLibraryController(self, library_dir)  # "My Blocks" in the palette
        self.issues = IssuesPanel()
        areas = Qt.DockWidgetArea
        self.palette_dock = self._dock("Blocks", "paletteDock", self.palette_panel, areas.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector, areas.RightDockWidgetArea)
        self.issues_dock = self._dock("Problems", "issuesDock", self.issues, areas.BottomDockWidgetArea)
        self.add_training_docks(runs_root)
        # The network as rows for screen readers (and anyone who wants a list), a tab behind the inspector
        # (beside the palette or the problems, its tab bar would widen the window's least width).
        self.outline = NetworkOutline(self.document)
        self.outline_dock = self._dock("Outline", "outlineDock", self.outline, areas.RightDockWidgetArea)
        self.tabifyDockWidget(self.training_ui.dock("trainingDock"), self.outline_dock)
        self.data_view = install_data_view(self, self.training_ui)  # File ▸ Open Data…, View Data…
        self.tabifyDockWidget(self.issues_dock, self.data_view.dock)
        self.data_view.dock.hide()
        self.inspector_dock.raise_()

        self._autosave = QTimer(self)
        self._autosave.setSingleShot(True)
        self._autosave.setInterval(autosave_ms)
        self._autosave.timeout.connect(self.autosave)

        self._build_status_bar()
        self.panel_focus = PanelFocus(self)
        self._build_actions()
        self._build_menus()
        self.toolbar = MainToolBar(self, self.open_preset_action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.toolbar)
        self._build_training_menu()
        # The theme's style sheet goes on once every widget exists: applied first, Qt re-polished each widget
        # again as it was reparented into its dock (~0.2 s of start-up); the first paint is the same.
        self.theme.apply()
        self._connect()
        self._restore_layout()
        self._show_analysis(self.document.analysis)
        self._update_title()

    # --- construction ----------------------------------------------------------------------------

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        return add_dock(self, title, name, widget, area)

    def add_training_docks(self, runs_root: Path | None = None) -> None:
        """The training panel and dashboards (app.training): Training beside the inspector,
        the curves and after-training views as tabs beside the problems, feature maps to their right."""
        self.training_ui = install_training_ui(self, self.document, self.canvas, runs_root)
        self.runs_panel = RunsPanel(self.training_ui.runs_folder)  # every run kept (app.experiments)
        self.runs_panel.open_network.connect(self.open_run_network)
        self.training_ui.training_started.connect(self.runs_panel.refresh)
        self.training_ui.training_ended.connect(self.runs_panel.refresh)
        runs_dock = add_dock(self, "Runs", "runsDock", self.runs_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.training_docks = [*self.training_ui.docks, runs_dock]
        docks = {dock.objectName(): dock for dock in self.training_docks}
        self.tabifyDockWidget(self.inspector_dock, docks["trainingDock"])
        for name in ("curvesDock", "gradientsDock", "confusionDock", "clinicalDock", "galleryDock", "predictDock",
                     "runsDock"):
            # Qt only tabifies a dock that is in no tab group yet: take it out of its own first.
            self.removeDockWidget(docks[name])
            self.tabifyDockWidget(self.issues_dock, docks[name])
            docks[name].show()
        self.inspector_dock.raise_()
        self.issues_dock.raise_()

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.params_status = QLabel()
        self.params_status.setObjectName("statusParams")
        self.macs_status = QLabel()
        self.macs_status.setObjectName("statusMacs")
        self.validity_status = QLabel()
        self.validity_status.setObjectName("issueText")
        for label in (self.params_status, self.macs_status, self.validity_status):
            bar.addPermanentWidget(label)

    def _action(self, text: str, slot, shortcut=None, tip: str = "", scope: QWidget | None = None,
                only_widget: bool = False) -> QAction:
        """A menu action; with ``scope`` its shortcut only works while that widget (or, unless
        ``only_widget``, a widget inside it) has the focus."""
        action = QAction(text, self)
        if isinstance(shortcut, QKeySequence.StandardKey):
            action.setShortcuts(QKeySequence.keyBindings(shortcut))  # the platform's own keys
        elif shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        if scope is not None:
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut if only_widget
                                      else Qt.ShortcutContext.WidgetWithChildrenShortcut)
        (scope or self).addAction(action)  # shortcuts work while the menu bar is hidden too
        return action

    def _build_actions(self) -> None:
        keys = QKeySequence.StandardKey
        canvas = self.canvas
        self.new_action = self._action("&New", self.new_project, keys.New, "Start a new network")
        self.open_action = self._action("&Open…", self.open_file, keys.Open, "Open a project file")
        self.save_action = self._action("&Save", self.save, keys.Save, "Save the project")
        self.save_as_action = self._action("Save &As…", self.save_as, keys.SaveAs, "Save under a new name")
        self.revert_action = self._action("Re&vert", self.revert, None, "Go back to the saved file")
        self.open_preset_action = self._action("Open Prese&t…", self.show_start_page, PRESETS_KEY,
                                               "Choose a preset network from pictures of each")
        self.open_checkpoint_action = self._action(
            "Open &Checkpoint…", self.open_checkpoint, OPEN_CHECKPOINT_KEY,
            "Open a trained network (.pt) to predict with it, export it or continue training it")
        self.export_picture_action = self._action(
            "&Picture (PNG or SVG)…", self.export_picture, None, "Save a picture of the whole network")
        self.export_python_action = self._action(
            "P&ython Source…", self.export_python, None, "Save the network as a PyTorch nn.Module in a .py file")
        self.quit_action = self._action("&Quit", self.close, keys.Quit)
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)

        self.undo_action = self.document.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(QKeySequence.keyBindings(keys.Undo))
        self.redo_action = self.document.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts(redo_shortcuts(QKeySequence.keyBindings(keys.Redo)))
        # The canvas's own keys: in a panel (the palette, the problems list) they must not
        # delete or copy blocks behind the user's back.
        self.cut_action = self._action("Cu&t", canvas.cut_selection, keys.Cut, scope=canvas)
        self.copy_action = self._action("&Copy", canvas.copy_selection, keys.Copy, scope=canvas)
        self.paste_action = self._action("&Paste", canvas.paste, keys.Paste, scope=canvas)
        self.duplicate_action = self._action("Dupl&icate", canvas.duplicate_selection, "Ctrl+D", scope=canvas)
        self.delete_action = self._action("&Delete", canvas.delete_selection, keys.Delete, scope=canvas)
        self.select_all_action = self._action("Select &All", canvas.select_all, keys.SelectAll, scope=canvas)
        self.group_action = self._action("&Group into Block…", canvas.blocks.group_selection, "Ctrl+G",
                                         "Make the selected nodes one named composite block", scope=canvas)
        self.ungroup_action = self._action("U&ngroup Block", canvas.blocks.ungroup, "Ctrl+Shift+G",
                                           "Turn the selected block back into its nodes", scope=canvas)
        self.find_action = self._action("&Find…", self.find, keys.Find,
                                        "Find a block or layer by name, select it and bring it into view")
        self.palette_panel.search_shortcut.setEnabled(False)  # one Ctrl+F: self.find decides
        # Not Tab: Tab moves the focus on, out of the canvas as out of every panel.
        self.quick_add_action = self._action("Add &Block…", canvas.show_quick_add, QUICK_ADD_KEYS,
                                             "Search for a block and add it", scope=canvas)
        # Keys for the selected card (issue 24: a network built and changed without a mouse). Only
        # while the canvas itself has the focus: Enter in the find bar over it must still find.
        self.connect_action = self._action("C&onnect To…", canvas.show_connect, CONNECT_KEY,
                                           "Connect the selected block's output to a block chosen by name",
                                           scope=canvas, only_widget=True)
        self.rename_action = self._action("Rena&me…", self.rename_selection, RENAME_KEY,
                                          "Rename the selected block (in the Inspector)", scope=canvas, only_widget=True)
        self.edit_action = self._action("&Edit Parameters", self.edit_selection, EDIT_KEY,
                                        "Edit the selected block's parameters in the Inspector",
                                        scope=canvas, only_widget=True)
        self.edit_action.setShortcuts([QKeySequence(EDIT_KEY), QKeySequence("Enter")])  # and the keypad's

        self.zoom_in_action = self._action("Zoom &In", canvas.zoom_in, keys.ZoomIn)
        self.zoom_out_action = self._action("Zoom &Out", canvas.zoom_out, keys.ZoomOut)
        self.fit_action = self._action("&Fit to Window", canvas.fit_to_view, "Ctrl+0")
        self.reset_zoom_action = self._action("&Actual Size", canvas.reset_zoom, "Ctrl+1")
        self.zoom_selection_action = self._action("Zoom to &Selection", canvas.zoom_to_selection, "Ctrl+2")
        self.tidy_lr_action = self._action("Tidy Layout &Left to Right", lambda: canvas.tidy_layout("LR"),
                                           "Ctrl+L", "Arrange the blocks in layers, flowing right")
        self.tidy_tb_action = self._action("Tidy Layout &Top to Bottom", lambda: canvas.tidy_layout("TB"),
                                           "Ctrl+Shift+L", "Arrange the blocks in layers, flowing down")

        self.theme_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for mode in MODES:
            action = QAction(mode.capitalize() if mode != "system" else "Follow System", self, checkable=True)
            action.setChecked(mode == self.theme.mode)
            action.triggered.connect(lambda _checked=False, m=mode: self.theme.set_mode(m))
            group.addAction(action)
            self.theme_actions[mode] = action

        self.guide_action = self._action("Block &Guide", self.show_block_guide, keys.HelpContents,
                                         "What every block does")
        self.learn_convolution_action = self._action(
            "Learn &Convolution", lambda: self.show_convolution_explainer(), "Shift+F1",
            "Step through a convolution: the sliding window, products and sums, stride, padding, pooling")
        self.about_action = self._action("&About ConvCanvas", self.show_about)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addActions([self.new_action, self.open_action, self.open_preset_action,
                              self.data_view.open_action])
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.presets_menu = PresetsMenu(self)
        file_menu.addMenu(self.presets_menu)
        self.examples_menu = file_menu.addMenu("Open Exa&mple")
        self.examples_menu.setObjectName("examplesMenu")
        self.plain_vs_residual = PlainVsResidualExample(self)  # app.insight: an experiment, not a preset
        self.examples_menu.addAction(self.plain_vs_residual.action)
        self.importer = ModelImporter(self, self.training_ui.jobs)  # File ▸ Import (app.import_dialog)
        self.import_menu = file_menu.addMenu("&Import")
        self.import_menu.setObjectName("importMenu")
        self.import_menu.addActions(self.importer.actions)
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action, self.revert_action])
        file_menu.addSeparator()
        self.export_menu = file_menu.addMenu("&Export")
        self.export_menu.setObjectName("exportMenu")
        self.export_menu.addActions([self.export_picture_action, self.export_python_action])
        file_menu.addActions([self.open_checkpoint_action, self.training_ui.export_action])
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        edit_menu = bar.addMenu("&Edit")
        edit_menu.addActions([self.undo_action, self.redo_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.cut_action, self.copy_action, self.paste_action, self.duplicate_action,
                              self.delete_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.select_all_action, self.find_action, self.quick_add_action])
        edit_menu.addActions([self.connect_action, self.rename_action, self.edit_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.group_action, self.ungroup_action])
        edit_menu.addSeparator()
        edit_menu.addAction(self.block_library.save_action)

        self.model_menu = ModelMenu(self.document, self.training_ui.jobs, self)  # fine-tuning
        self.model_menu.node_chosen.connect(self._issue_chosen)
        bar.addMenu(self.model_menu)
        # What builds torch models on this thread waits, visibly, while PyTorch imports behind the window.
        self.training_ui.needs_torch(*self.importer.actions, self.model_menu.weights_action,
                                     self.open_checkpoint_action, self.learn_convolution_action)

        view_menu = bar.addMenu("&View")
        view_menu.addActions([self.zoom_in_action, self.zoom_out_action, self.fit_action,
                              self.reset_zoom_action, self.zoom_selection_action])
        view_menu.addSeparator()
        view_menu.addActions([self.tidy_lr_action, self.tidy_tb_action])
        view_menu.addAction(self.data_view.show_action)
        view_menu.addSeparator()
        minimap = self.canvas.minimap.toggle_action  # remembered: turned off, it stays off
        minimap.setChecked(self.settings.value("view/minimap", True, type=bool))
        minimap.toggled.connect(lambda shown: self.settings.setValue("view/minimap", shown))
        view_menu.addAction(minimap)
        theme_menu = view_menu.addMenu("T&heme")
        theme_menu.addActions(list(self.theme_actions.values()))
        go_to_menu = view_menu.addMenu("&Go To")
        go_to_menu.addActions(self.panel_focus.actions)
        self.panels_menu = view_menu.addMenu("&Panels")
        self.panels_menu.aboutToShow.connect(self._fill_panels_menu)

        self.view_menu = view_menu
        help_menu = bar.addMenu("&Help")
        help_menu.addActions([self.guide_action, self.learn_convolution_action, self.about_action])

    def _build_training_menu(self) -> None:
        """Train, Pause and Stop (the toolbar's actions, so both mirror the panel), then exporting."""
        menu = QMenu("&Training", self)
        menu.setObjectName("trainingMenu")
        toolbar = self.toolbar
        menu.addActions([toolbar.train_action, toolbar.pause_action, toolbar.stop_action])
        menu.addSeparator()
        self.sweep_action = self._action("S&weep…", self.show_sweep_dialog,
                                         tip="Search training settings and node parameters with Optuna")
        self.sweep_action.setObjectName("sweepAction")
        menu.addAction(self.sweep_action)
        menu.addSeparator()
        menu.addAction(toolbar.export_action)
        self.menuBar().insertMenu(self.view_menu.menuAction(), menu)
        self.training_menu = menu
        self.sweep_dialog = None

    def show_sweep_dialog(self):
        """Training ▸ Sweep…: one dialog per window, made on first use (it imports Optuna's side lazily)."""
        if self.sweep_dialog is None:
            from .experiments.sweep_dialog import SweepDialog

            self.sweep_dialog = SweepDialog(self, self.document, self.training_ui.runs_folder)
            # Each trial is a run: the Runs panel lists it as it ends, as it does the window's own runs.
            self.sweep_dialog.trial_shown.connect(self._sweep_trial_shown)
        self.sweep_dialog.show()
        self.sweep_dialog.raise_()
        self.sweep_dialog.activateWindow()
        return self.sweep_dialog

    def _sweep_trial_shown(self, _number: int) -> None:
        if self.runs_panel.isVisible():
            self.runs_panel.refresh()

    def _connect(self) -> None:
        document = self.document
        document.graph_changed.connect(self._graph_changed)
        document.dirty_changed.connect(self._dirty_changed)
        document.path_changed.connect(lambda _path: self._update_title())
        document.analysis_changed.connect(self._show_analysis)
        document.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        document.read_only_changed.connect(self._read_only_changed)
        self.canvas.selection_changed.connect(self.inspector.show_nodes)
        self.canvas.selection_changed.connect(self.outline.show_selection)
        self.outline.selection_chosen.connect(self._outline_chosen)
        self.outline.edit_requested.connect(self.edit_selection)
        self.inspector.save_block_requested.connect(self.save_block_to_library)
        self.canvas.node_activated.connect(self._node_activated)
        self.canvas.explain_requested.connect(lambda node_id: self.show_convolution_explainer(node_id))
        self.canvas.explain_block_requested.connect(lambda node_id: self.show_block_explainer(node_id))
        self.palette_panel.block_requested.connect(self.add_block)
        self.issues.node_chosen.connect(self._issue_chosen)
        self.issues.count_changed.connect(self._issue_count_changed)
        self.presets_menu.preset_chosen.connect(self.open_preset)
        document.project_replaced.connect(self.close_start_page)
        self.start_page.preset_chosen.connect(self.open_preset)
        self.start_page.recent_chosen.connect(self.open_path)
        self.start_page.blank_requested.connect(self.new_project)
        self.start_page.open_requested.connect(self.open_file)
        self.start_page.back_requested.connect(self.close_start_page)
        self.theme.changed.connect(lambda _scheme: self._show_analysis(self.document.analysis))

    def _restore_layout(self) -> None:
        self.layout().activate()  # the minimum size as the docks now stand, not as one was being added
        place_window(self, self.settings.value("window/geometry"))
        state = self.settings.value("window/state")
        restored = isinstance(state, QByteArray) and self.restoreState(state, STATE_VERSION)
        # Without a saved layout, dock sizes are set once the window has its real size.
        self._needs_default_layout = not restored

    def _default_dock_sizes(self) -> None:
        self.resizeDocks([self.palette_dock, self.inspector_dock], [220, 340], Qt.Orientation.Horizontal)
        # The problems and dashboards get a quarter of a laptop's height (the canvas keeps 400+ px at
        # 720) and a good third of a taller window's, where plots and feature maps need the room.
        bottom = max(160, self.height() // 4) if self.height() < TALL_WINDOW else self.height() * 36 // 100
        self.resizeDocks([self.issues_dock], [bottom], Qt.Orientation.Vertical)
        feature_maps = self.training_ui.dock("featureMapsDock")
        row = max(2, self.width() - 560)
        if row < SIDE_BY_SIDE_ROW:
            # A laptop: side by side, both halves of the bottom row would be too narrow to read.
            for dock in (feature_maps, self.training_ui.dock("filtersDock")):
                self.removeDockWidget(dock)  # Qt tabifies only a dock in no tab group yet
                self.tabifyDockWidget(self.issues_dock, dock)
                dock.show()
            self.issues_dock.raise_()
        else:  # the problems share their row with five dashboards' tabs: room for their titles
            self.resizeDocks([self.issues_dock, feature_maps], [row * 55 // 100, row * 45 // 100],
                             Qt.Orientation.Horizontal)

    def save_layout(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(STATE_VERSION))
        self.settings.sync()

    # --- start ----------------------------------------------------------------------------------------

    def start(self, path: str | Path | None = None) -> None:
        """What to show once the window is up: recovered work, ``path``, or the start page."""
        if not self.offer_recovery() and (path is None or not self.open_path(Path(path))):
            self.show_start_page(returnable=False)
        self.layout().activate()  # the docks take their size first, so the view frames what is left
        self.canvas.show_start()
        # PyTorch imports behind the shown window from here on; whatever needs it waits for it.
        self.training_ui.start_warm_up()

    def show_convolution_explainer(self, node_id: str | None = None) -> None:
        wait_for_torch_warm_up()  # from the canvas (the menu waits, disabled): never beside the warm-up
        from .explainer import show_convolution_explainer  # imports torch: never on the way to the first window

        show_convolution_explainer(self, node_id)

    def show_block_explainer(self, node_id: str | None = None) -> None:
        wait_for_torch_warm_up()  # as the convolution explainer: never beside the warm-up
        from .explainer.block_window import show_block_explainer  # imports torch

        show_block_explainer(self, node_id)

    def show_start_page(self, returnable: bool = True) -> None:
        """The presets, the LeNet-5 steps and the recent files; ``returnable`` offers a way back."""
        if self.document.read_only:
            return
        self.start_page.show_recent(self.recent.paths())
        self.start_page.set_returnable(returnable)
        self.central_stack.setCurrentWidget(self.start_page)
        self.toolbar.set_nothing_open(not returnable)
        self.inspector.set_nothing_open(not returnable)
        self._show_analysis(self.document.analysis)

    def close_start_page(self) -> None:
        if self.start_page_shown:
            self.central_stack.setCurrentWidget(self.canvas)
            self.toolbar.set_nothing_open(False)
            self.inspector.set_nothing_open(False)
            self._show_analysis(self.document.analysis)

    @property
    def start_page_shown(self) -> bool:
        return self.central_stack.currentWidget() is self.start_page

    def offer_recovery(self) -> bool:
        """Offers the newest autosaved copy a crashed session left; True if restored."""
        abandoned = self.recovery.abandoned()
        if not abandoned:
            return False
        newest = abandoned[0]
        saved_at = newest.saved_at.strftime("%d %b %Y, %H:%M")
        restore = dialogs.ask_to_restore(self, newest.project_name, saved_at)
        if restore:
            try:
                project = newest.load()
            except (OSError, ValueError, KeyError, ProjectError) as error:
                dialogs.show_error(self, "Cannot restore", f"The autosaved copy is damaged: {error}")
                restore = False
            else:
                self.document.new_project(project)
                self.document.undo_stack.resetClean()  # restored work is unsaved work
        newest.discard()
        return restore

    # --- file workflow ------------------------------------------------------------------------------------

    def maybe_save(self) -> bool:
        """True when it is fine to drop the current project (saved, discarded or clean)."""
        if self.document.read_only:  # training runs on it
            self.statusBar().showMessage("Stop training before opening another network.", 8000)
            return False
        return self._ask_to_save()

    def _ask_to_save(self) -> bool:
        if not self.document.is_dirty:
            return True
        answer = dialogs.ask_to_save(self, self.document.project.name)
        if answer == dialogs.SAVE:
            return self.save()
        return answer == dialogs.DISCARD

    def new_project(self) -> None:
        if self.maybe_save():
            self.document.new_project()
            self.recovery.clear()

    def open_file(self) -> None:
        if not self.maybe_save():
            return
        path = dialogs.open_project_path(self, self._last_folder())
        if path is not None:
            self.open_path(path, ask=False)

    def open_path(self, path: str | Path, ask: bool = True) -> bool:
        """Opens a project file; on failure shows the engine's message and keeps the current project."""
        if ask and not self.maybe_save():
            return False
        path = Path(path)
        try:
            self.document.load(path)
        except ProjectError as error:
            dialogs.show_error(self, "Cannot open project", str(error))
            if not path.exists():
                self.recent.remove(path)
            return False
        self.recent.add(path)
        self.settings.setValue(LAST_FOLDER_KEY, str(path.resolve().parent))
        self.recovery.clear()
        self.statusBar().showMessage(f"Opened {path.name}", 5000)
        return True

    def open_run_network(self, path: Path) -> bool:
        """A run's network as it was trained, opened as a new unsaved document (saving asks where: the
        run's own snapshot stays as it was)."""
        if self.training_ui.run is not None:
            dialogs.show_error(self, "Cannot open the run's network", "A run is training: stop it first.")
            return False
        if not self.maybe_save():
            return False
        try:
            self.document.load(path, as_new=True)
        except ProjectError as error:
            dialogs.show_error(self, "Cannot open the run's network", str(error))
            return False
        self.recovery.clear()
        self.statusBar().showMessage(f"Opened the network of run {path.parent.name}", 5000)
        return True

    def open_preset(self, path: Path) -> None:
        if self.maybe_save():
            self.document.load(path, as_new=True)
            self.recovery.clear()

    def open_checkpoint(self) -> None:
        if self.maybe_save():
            self.training_ui.choose_checkpoint()

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        path = dialogs.save_project_path(self, self._suggested_path(EXTENSION))
        return path is not None and self._save_to(path)

    def _suggested_path(self, suffix: str) -> Path:
        """The project's name as a file name, in the project's folder (or the last one used)."""
        name = self.document.project.name
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name.lower()).strip("-") or "network"
        folder = self.document.path.parent if self.document.path else self._last_folder()
        return folder / f"{stem}{suffix}"

    def export_picture(self) -> bool:
        path = dialogs.export_path(self, "Export picture", self._suggested_path(".png"), PICTURE_FORMATS)
        if path is None:
            return False
        render = render_svg if path.suffix.lower() == ".svg" else render_png
        return self._export(path, lambda: render(self.canvas.canvas_scene, path))

    def export_python(self) -> bool:
        # Check first: choosing a file name for a network that cannot be written wastes the user's time.
        try:
            source = python_source(self.document.graph, self.document.project.name)
        except InvalidGraphError as error:
            dialogs.show_error(self, "Cannot export Python source", str(error))
            return False
        path = dialogs.export_path(self, "Export Python source", self._suggested_path(".py"), PYTHON_FORMATS)
        return path is not None and self._export(path, lambda: atomic_write_text(path, source))

    def _export(self, path: Path, write) -> bool:
        try:
            write()
        except OSError as error:  # the engine's WriteError: one line naming the file and the cause
            dialogs.show_error(self, "Cannot export", str(write_error(path, error)))
            return False
        self.statusBar().showMessage(f"Exported to {path}", 8000)
        return True

    def _save_to(self, path: Path) -> bool:
        try:
            saved = self.document.save(path)
        except OSError as error:  # the document stays dirty: nothing of the work is lost
            dialogs.show_error(self, "Cannot save project", str(write_error(path, error)))
            return False
        self.recent.add(saved)
        self.settings.setValue(LAST_FOLDER_KEY, str(saved.resolve().parent))
        self.recovery.clear()
        self._update_title()
        self.statusBar().showMessage(f"Saved {saved.name}", 5000)
        return True

    def revert(self) -> None:
        if not self.document.is_dirty:
            return
        if dialogs.ask_to_revert(self, self.document.project.name):
            try:
                self.document.revert()
            except ProjectError as error:
                dialogs.show_error(self, "Cannot revert", str(error))

    def _last_folder(self) -> Path:
        folder = Path(str(self.settings.value(LAST_FOLDER_KEY, str(Path.home()))))
        return folder if folder.is_dir() else Path.home()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = self.recent.paths()
        for path in paths:
            action = self.recent_menu.addAction(path.name)
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.triggered.connect(lambda _checked=False, p=path: self.open_path(p))
        if not paths:
            self.recent_menu.addAction("No recent files").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Menu", self.recent.clear)

    # --- autosave --------------------------------------------------------------------------------------------

    def autosave(self) -> None:
        """Writes unsaved work to the recovery file (a clean document needs none)."""
        if not self.document.is_dirty:
            self.recovery.clear()
            return
        try:
            self.recovery.write(self.document.project)
        except OSError as error:  # a status line, not a dialog: autosave runs every few seconds
            self.statusBar().showMessage(f"Autosave failed: {write_error(self.recovery.path, error)}", 8000)

    def _graph_changed(self) -> None:
        self._update_title()
        if self.document.is_dirty:
            self._autosave.start()

    def _dirty_changed(self, dirty: bool) -> None:
        self._update_title()
        if not dirty:
            self._autosave.stop()
            self.recovery.clear()

    # --- views ------------------------------------------------------------------------------------------------

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.project.name}[*] — {APP_NAME}")
        self.setWindowModified(self.document.is_dirty)
        self.revert_action.setEnabled(self.document.is_dirty)

    def _show_analysis(self, analysis: Analysis) -> None:
        if self.start_page_shown and not self.start_page.returnable:
            analysis = Analysis({}, [], [])  # nothing is open yet: the placeholder network's problems are no one's
        self.params_status.setText(f"{count_text(analysis.total_params)} parameters")
        self.macs_status.setText(f"{compact_text(analysis.total_macs)} MACs")
        errors = len(analysis.errors)
        self.validity_status.setText(f"{errors} error{'s' * (errors != 1)}" if errors else "Valid")
        set_style_property(self.validity_status, "severity", "error" if errors else "ok")
        self.issues.show_analysis(analysis)

    def _issue_count_changed(self, errors: int, warnings: int) -> None:
        total = errors + warnings
        self.issues_dock.setWindowTitle(f"Problems ({total})" if total else "Problems")

    def _outline_chosen(self, keys: list[str]) -> None:
        self.canvas.select_nodes(keys)
        if keys:
            self.canvas.keep_in_view(keys[-1])

    def _issue_chosen(self, node_id: str) -> None:
        self.canvas.center_on_nodes([node_id])

    def _node_activated(self, _node_id: str) -> None:
        self.inspector_dock.show()
        self.inspector_dock.raise_()

    def add_block(self, type_id: str) -> None:
        """Adds a block after the selected node or block card (connected to it), or beside the network."""
        self.close_start_page()  # building from the palette: show what is being built
        node_id = self.document.add_node_after(type_id, self.canvas.blocks.selection_output())
        if node_id:
            self.canvas.select_nodes([node_id])

    def save_block_to_library(self, group_id: str) -> bool:
        """Asks for a type name and description and saves the block to the library (My Blocks)."""
        return self.block_library.save_block(group_id)

    def _read_only_changed(self, read_only: bool) -> None:
        """While a network trains, nothing may change it or replace it."""
        for action in (self.cut_action, self.paste_action, self.duplicate_action, self.delete_action,
                       self.tidy_lr_action, self.tidy_tb_action, self.quick_add_action, self.new_action,
                       self.connect_action, self.rename_action,
                       self.group_action, self.ungroup_action,
                       self.open_action, self.revert_action, self.open_checkpoint_action, self.open_preset_action):
            action.setEnabled(not read_only)
        for menu in (self.recent_menu, self.presets_menu, self.import_menu):
            menu.setEnabled(not read_only)
        self.palette_panel.setEnabled(not read_only)
        if not read_only:
            self._update_title()  # Revert is only enabled with unsaved changes

    def _fill_panels_menu(self) -> None:
        self.panels_menu.clear()
        for dock in self.findChildren(QDockWidget):
            self.panels_menu.addAction(dock.toggleViewAction())

    def edit_selection(self) -> None:
        """Enter on the canvas: the focus goes to the selected block's first parameter in the Inspector
        (its first field when it has no parameters); Escape there comes back."""
        if not self.canvas.selected_node_ids() and not self.canvas.selected_group_ids():
            self.statusBar().showMessage("Select a block first (the arrow keys move the selection).", 8000)
            return
        editors = getattr(self.inspector.page, "editors", None)
        focus_dock(self.inspector_dock, next(iter(editors.values())) if editors else None)

    def rename_selection(self) -> None:
        """F2 on the canvas: the selected block's name (a composite block's path) in the Inspector, selected
        to type over; Enter renames (one undo step), Escape comes back to the canvas."""
        page = self.inspector.page
        field = getattr(page, "name_edit", None) if isinstance(page, NodePage) else getattr(page, "path_edit", None)
        if field is None:
            self.statusBar().showMessage("Select one block to rename it.", 8000)
            return
        focus_dock(self.inspector_dock, field)
        field.selectAll()

    def find(self) -> None:
        """Ctrl+F: in the palette, its search box (block types to add); elsewhere, the canvas's find bar."""
        focus = self.focusWidget()
        if focus is not None and self.palette_dock.isAncestorOf(focus):
            self.palette_panel.focus_search()
        else:
            self.canvas.show_find()

    def show_block_guide(self) -> None:
        BlockGuideDialog(self).show()

    def show_about(self) -> None:
        QMessageBox.about(
            self, f"About {APP_NAME}",
            f"<h3>{APP_NAME}</h3><p>Build, train and understand convolutional neural networks "
            "visually, and leave with real PyTorch artefacts: checkpoints, TorchScript, ONNX and "
            "plain Python source.</p><p>Headless commands: <code>convcanvas --help</code></p>")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._needs_default_layout:
            self._needs_default_layout = False
            self._default_dock_sizes()

    # --- drops and closing -----------------------------------------------------------------------------------

    @staticmethod
    def _dropped_project(event) -> Path | None:
        """A project file, or an ONNX model to import, among the dropped files."""
        mime = event.mimeData()
        for url in mime.urls() if mime.hasUrls() else []:
            if url.isLocalFile() and url.toLocalFile().lower().endswith((EXTENSION, ".json", ".onnx")):
                return Path(url.toLocalFile())
        return None

    def dragEnterEvent(self, event) -> None:
        if self._dropped_project(event) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        path = self._dropped_project(event)
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        # Asking to save inside the drop would block the drag source: answer after it ends.
        if path.suffix.lower() == ".onnx":
            QTimer.singleShot(0, lambda: self.maybe_save() and self.importer.show_onnx_dialog(path))
        else:
            QTimer.singleShot(0, lambda: self.open_path(path))

    def closeEvent(self, event: QCloseEvent) -> None:
        # Stopping a run first; its end may reach the document only later, so no read-only check here.
        # A scan of a large folder must not hold the close up (a view never built has none).
        self.data_view.host.if_built(lambda view: view.cancel_jobs())
        if not self.training_ui.confirm_close(self) or not self._ask_to_save():
            event.ignore()
            return
        if self.sweep_dialog is not None:
            self.sweep_dialog.shut_down()
        self.save_layout()
        self._autosave.stop()
        self.recovery.end()
        self.training_ui.shutdown()  # the window goes: background answers still queued are dropped
        event.accept()
