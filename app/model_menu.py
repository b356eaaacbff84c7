"""The Model menu: analysing the network, and fine-tuning a pretrained one.

Analyze Network… opens the layer table (``app.panels.analyzer``); a row
double-clicked there comes out as ``node_chosen``. Freeze All but the Head
(only the classifier trains), Unfreeze All, and Load Pretrained Weights…;
each change is one undoable edit of the document.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from engine.finetune import freeze_plan, head_nodes, unfreeze_plan

from .panels.analyzer import NetworkAnalyzer
from .training.background import BackgroundJobs
from .training.warm_up import wait_for_torch_warm_up

if TYPE_CHECKING:  # imports torch, which the first window never waits for
    from .weights_dialog import PretrainedWeightsDialog


class ModelMenu(QMenu):
    node_chosen = Signal(str)  # a layer double-clicked in the analyzer

    def __init__(self, document, jobs: BackgroundJobs, parent: QWidget) -> None:
        super().__init__("&Model", parent)
        self.setObjectName("modelMenu")
        self.document = document
        self.jobs = jobs
        self.dialog: PretrainedWeightsDialog | None = None
        self.analyzer: NetworkAnalyzer | None = None
        self.analyze_action = self._action(
            "&Analyze Network…", self.show_analyzer,
            "Every layer in a sortable table: output shape, parameters, MACs and problems")
        self.analyze_action.setShortcut(QKeySequence("Ctrl+Shift+A"))
        self.addSeparator()
        self.freeze_head_action = self._action(
            "Freeze All but the &Head", self.freeze_all_but_head,
            "Keep the weights of every layer except the classifier head while training (fine-tuning)")
        self.unfreeze_action = self._action("&Unfreeze All", self.unfreeze_all, "Train every layer again")
        self.addSeparator()
        self.weights_action = self._action(
            "Load &Pretrained Weights…", self.show_weights_dialog,
            "Start training from torchvision's pretrained weights or from a weights file")

    def _action(self, text: str, slot, tip: str) -> QAction:
        action = QAction(text, self)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def freeze_all_but_head(self) -> None:
        graph, analysis = self.document.graph, self.document.refresh_analysis()  # fresh shapes find the head
        head = [graph.nodes[node_id].name for node_id in head_nodes(graph, analysis)]
        if not head:
            self.document.show_status("Nothing to freeze: no layer of this network has weights.")
            return
        if not self.document.set_frozen_states(freeze_plan(graph, analysis),
                                               "Freeze all but the head"):
            if not self.document.read_only:
                self.document.show_status(f"Already so: only the head ({', '.join(head)}) trains.")
            return
        self.document.show_status(f"Only the head trains now: {', '.join(head)}.")

    def unfreeze_all(self) -> None:
        self.document.set_frozen_states(unfreeze_plan(self.document.graph), "Unfreeze all")

    def show_analyzer(self) -> NetworkAnalyzer:
        """Opens the analyzer (one per window, kept up to date while open) and returns it."""
        if self.analyzer is None:
            self.analyzer = NetworkAnalyzer(self.document, self.parentWidget())
            self.analyzer.node_chosen.connect(self.node_chosen)
        self.analyzer.show()
        self.analyzer.raise_()
        self.analyzer.activateWindow()
        return self.analyzer

    def show_weights_dialog(self) -> PretrainedWeightsDialog | None:
        """Opens the dialog (window-modal, without blocking) and returns it."""
        if self.document.refuse_if_read_only():
            return None
        wait_for_torch_warm_up()
        from .weights_dialog import PretrainedWeightsDialog

        self.dialog = PretrainedWeightsDialog(self.document, self.jobs, self.parentWidget())
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.open()
        return self.dialog
