"""Asks for a composite block's name (its module path) and type, checking both as they are typed.

OK stays disabled while either is not allowed, and the reason shows under
the fields, in the graph's own words. A line below shows what the name
means for the trained network: the ``state_dict`` keys it gives.
"""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from engine.graph import Graph
from engine.groups import default_local_names, type_problem

WEIGHTED_TYPES = ("conv2d", "dense", "batchnorm2d")  # blocks whose module has a ``weight``


class BlockDialog(QDialog):
    """``group_id`` is the block being renamed (None while grouping ``member_ids`` into a new one)."""

    def __init__(self, graph: Graph, member_ids: list[str], name: str, type_name: str,
                 group_id: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("blockDialog")
        self.setWindowTitle("Rename Block" if group_id else "Group into Block")
        self.graph, self.member_ids, self.group_id = graph, list(member_ids), group_id
        self.name_edit = QLineEdit(name)
        self.name_edit.setObjectName("blockName")
        self.name_edit.setPlaceholderText("e.g. layer1.0 or block1")
        self.type_edit = QLineEdit(type_name)
        self.type_edit.setObjectName("blockType")
        self.type_edit.setPlaceholderText("e.g. BasicBlock")
        form = QFormLayout()
        form.addRow("Name:", self.name_edit)
        form.addRow("Type:", self.type_edit)
        self.keys_label = QLabel()
        self.keys_label.setObjectName("blockKeys")
        self.keys_label.setWordWrap(True)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("blockProblem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: palette(bright-text);")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("ok")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        intro = QLabel("Blocks of one type are edited together. The name is where the block's "
                       "layers live in the trained network.")
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.keys_label)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._check)
        self.type_edit.textChanged.connect(self._check)
        self.setMinimumWidth(380)
        self._check()
        self.name_edit.selectAll()

    @property
    def name(self) -> str:
        return self.name_edit.text().strip()

    @property
    def type_name(self) -> str:
        return self.type_edit.text().strip()

    def problem(self) -> str | None:
        members = self.member_ids
        return (self.graph.path_problem_for(self.name, self.group_id, members)
                or type_problem(self.type_name))

    def _check(self) -> None:
        problem = self.problem()
        self.problem_label.setText(problem[:1].upper() + problem[1:] + "." if problem else "")
        self.problem_label.setVisible(bool(problem))
        self.ok_button.setEnabled(problem is None)
        self.keys_label.setText(self._keys_example() if problem is None else "")
        self.keys_label.setVisible(problem is None)

    def _keys_example(self) -> str:
        """``state_dict`` keys: ``layer1.0.conv1.weight``, … (from the first member with weights)."""
        graph = self.graph
        if self.group_id:
            local = graph.groups[self.group_id].members
        else:
            local = default_local_names(graph, self.member_ids, self.name)
        weighted = [n for n in local if n in graph.nodes and graph.nodes[n].type in WEIGHTED_TYPES]
        if not weighted:
            return ""
        return f"Weights will be saved as {self.name}.{local[weighted[0]]}.weight, …"
