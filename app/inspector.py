"""The inspector: what is selected, its parameters as editors, its numbers and its issues.

One node: its name (rename), an editor per catalogue parameter, the output
shape, parameter count and MACs, its issues, and the block guide (summary,
doc, when to use it, shape formula, and each parameter's help, allowed values
and default). One composite block (its card, or all its members): its path
(rename), type and instances, numbers, freezing, and expand, make unique,
save to the library and ungroup. Several nodes: how many, and their totals.
Nothing: the project's name and description, and the network's totals.

Every edit goes through the document (one undo command each; the document
merges a burst of edits of one parameter). The page is rebuilt when the
selection changes and refreshed in place when the graph or analysis does,
so undo shows up in the editors at once.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QUndoCommand
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from engine.analysis import ERROR, Analysis, Issue, group_report
from engine.catalogue import format_shape
from engine.catalogue.blocks import convolution_kind
from engine.finetune import block_freezing
from engine.graph import GraphError, check_node_name
from engine.names import reserved_name_refusal

from .blocks.banner import BlockBanner
from .blocks.guide import parameters_html, shape_html, when_html
from .document import Document
from .formatting import compact_text, count_text
from .icons import CATEGORY_TITLES, block_icon, icon
from .labels import heading, muted
from .blocks.library_commands import sharing
from .param_editors import ParamEditor, editor_for
from .theme import set_style_property


MINIMUM_WIDTH = 300  # the widest editor row (a pair of spin boxes and its label) fits


class ProjectTextCommand(QUndoCommand):
    """Changes the project's name or description (not part of the graph)."""

    def __init__(self, document: Document, field: str, value: str) -> None:
        label = "name" if field == "name" else "description"
        super().__init__(f"Change project {label}")
        self._project, self._field = document.project, field
        self._old, self._new = getattr(self._project, field), value

    def redo(self) -> None:
        setattr(self._project, self._field, self._new)

    def undo(self) -> None:
        setattr(self._project, self._field, self._old)


def _form() -> QFormLayout:
    form = QFormLayout()
    form.setContentsMargins(0, 4, 0, 4)
    form.setHorizontalSpacing(12)
    form.setVerticalSpacing(6)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return form


def _value_label() -> QLabel:
    label = QLabel()
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class Inspector(QScrollArea):
    save_block_requested = Signal(str)  # the block page's "Save to Library…" (group id)
    escape_pressed = Signal()  # Escape that no field used: the window sends the focus back to the canvas

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(MINIMUM_WIDTH)
        self._ids: list[str] = []
        self._page: _Page | None = None
        self.nothing_open = False  # the start page shows: the placeholder network's problems are no one's
        document.graph_changed.connect(self._graph_changed)
        document.analysis_changed.connect(self._analysis_changed)
        # A bound method, not a lambda: Qt drops the connection when this widget goes, while a lambda
        # holding ``self`` would keep the deleted inspector and, through it, the document alive.
        document.project_replaced.connect(self._project_replaced)
        document.read_only_changed.connect(self._read_only_changed)
        self.show_nodes([])

    @property
    def page(self) -> _Page:
        return self._page

    def keyPressEvent(self, event) -> None:
        # Fields pass Escape on to their parents; open popups (completers, combo lists) keep it.
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            self.escape_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def show_nodes(self, ids: list[str]) -> None:
        """Shows the selection: node ids, then block ids (the canvas's ``selection_changed``)."""
        graph = self.document.graph
        self._ids = [key for key in ids if key in graph.nodes or key in graph.groups]
        block_id = _one_block(graph, self._ids)
        nodes = list(dict.fromkeys(member for key in self._ids
                                   for member in (graph.groups[key].members if key in graph.groups else [key])))
        if block_id is not None:
            page: _Page = BlockPage(self.document, block_id)
            page.save_requested.connect(self.save_block_requested)
        elif len(nodes) == 1:
            page = NodePage(self.document, nodes[0])
        elif nodes:
            page = SelectionPage(self.document, nodes)
        else:
            page = ProjectPage(self.document, self.nothing_open)
        page.setObjectName("inspectorPage")
        page.align_forms()
        page.setEnabled(not self.document.read_only)
        self._page = page
        old = self.takeWidget()
        self.setWidget(page)
        if old is not None:  # later: a button of the old page may be what changed the selection
            old.deleteLater()
        page.refresh_values()
        page.refresh_analysis(self.document.analysis)

    def _graph_changed(self) -> None:
        graph = self.document.graph
        if any(key not in graph.nodes and key not in graph.groups for key in self._ids):
            self.show_nodes(self._ids)  # some were deleted (or an undo removed them)
        else:
            self._page.refresh_values()

    def _analysis_changed(self, analysis: Analysis) -> None:
        self._page.refresh_analysis(analysis)

    def set_nothing_open(self, nothing_open: bool) -> None:
        """While the start page stands in for a network, the project page says so instead of
        counting the placeholder's errors."""
        self.nothing_open = nothing_open
        if isinstance(self._page, ProjectPage):
            self._page.nothing_open = nothing_open
            self._page.refresh_analysis(self.document.analysis)

    def _project_replaced(self) -> None:
        self.show_nodes([])

    def _read_only_changed(self, read_only: bool) -> None:
        self._page.setEnabled(not read_only)


class _Page(QWidget):
    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self._forms: list[QFormLayout] = []
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(12, 10, 12, 12)
        self.layout_.setSpacing(6)

    def header(self, title: str, subtitle: str, icon: QIcon | None = None) -> QLabel:
        """The page's title and subtitle, beside an icon; returns the title label."""
        row = QHBoxLayout()
        row.setSpacing(10)
        if icon is not None:
            picture = QLabel()
            picture.setPixmap(icon.pixmap(QSize(28, 28), self.devicePixelRatioF()))
            picture.setAlignment(Qt.AlignmentFlag.AlignTop)
            row.addWidget(picture)
        texts = QVBoxLayout()
        texts.setSpacing(1)
        title_label = QLabel(title)
        title_label.setObjectName("inspectorTitle")
        title_label.setWordWrap(True)
        sub = QLabel(subtitle)
        sub.setObjectName("inspectorSubtitle")
        sub.setWordWrap(True)
        texts.addWidget(title_label)
        texts.addWidget(sub)
        row.addLayout(texts, 1)
        self.layout_.addLayout(row)
        return title_label

    def form(self) -> QFormLayout:
        """A form whose label column lines up with the page's other forms (see ``align_forms``)."""
        form = _form()
        self._forms.append(form)
        return form

    def align_forms(self) -> None:
        """Gives every form's label column the width of the widest label on the page."""
        labels = [form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget()
                  for form in self._forms for row in range(form.rowCount())
                  if form.itemAt(row, QFormLayout.ItemRole.LabelRole) is not None]
        width = max((label.sizeHint().width() for label in labels), default=0)
        for label in labels:
            label.setMinimumWidth(width)

    def add_output_section(self) -> None:
        """The Output numbers and the Problems list, filled by ``show_report``."""
        self.layout_.addWidget(heading("Output"))
        numbers = self.form()
        self.shape_label, self.params_label, self.macs_label = _value_label(), _value_label(), _value_label()
        self.shape_label.setObjectName("outputShape")
        self.shape_label.setWordWrap(True)  # "waiting for input (fix conv1 first)" in a narrow inspector
        numbers.addRow("Shape", self.shape_label)
        numbers.addRow("Parameters", self.params_label)
        numbers.addRow("MACs", self.macs_label)
        self.layout_.addLayout(numbers)

        self.issues_heading = heading("Problems")
        self.issues_box = QVBoxLayout()
        self.issues_box.setSpacing(6)
        self.layout_.addWidget(self.issues_heading)
        self.layout_.addLayout(self.issues_box)

    def show_report(self, report) -> None:
        if report.output_shape:
            shape = format_shape(report.output_shape)
        elif report.waiting_for:  # the problem is upstream: say where, as the card's tooltip does
            shape = f"waiting for input (fix {report.waiting_for} first)"
        else:
            shape = "unknown"
        self.shape_label.setText(shape)
        self.params_label.setText(count_text(report.params))
        self.macs_label.setText(compact_text(report.macs))
        while self.issues_box.count():
            self.issues_box.takeAt(0).widget().deleteLater()
        for issue in report.issues:
            self.issues_box.addWidget(_issue_label(issue))
        self.issues_heading.setVisible(bool(report.issues))

    def refresh_values(self) -> None:
        """Shows the graph's current values (after an edit, undo or redo)."""

    def refresh_analysis(self, analysis: Analysis) -> None:
        """Shows the latest shapes, counts and issues."""


class NodePage(_Page):
    def __init__(self, document: Document, node_id: str) -> None:
        super().__init__(document)
        self.node_id = node_id
        node = document.graph.nodes[node_id]
        spec = node.spec
        self.title = self.header(node.name, f"{spec.title} · {CATEGORY_TITLES[spec.category]}",
                                 block_icon(node.type))
        self.title.setToolTip(spec.summary)
        self.block_banner = BlockBanner(document, node_id)  # hidden unless the node is in a block
        self.layout_.addWidget(self.block_banner)

        form = self.form()
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("nodeName")
        self.name_edit.setToolTip("The node's name: it names the layer in the generated PyTorch code "
                                  "and in the checkpoint's state_dict.")
        self.name_edit.editingFinished.connect(self._rename)
        self.name_edit.textEdited.connect(self._check_name)
        form.addRow("Name", self.name_edit)
        self.name_problem = QLabel()
        self.name_problem.setObjectName("issueText")
        self.name_problem.setProperty("severity", "error")
        self.name_problem.setWordWrap(True)
        self.name_problem.hide()
        form.addRow(self.name_problem)
        self.frozen_box = QCheckBox("Frozen: keep its weights while training")
        self.frozen_box.setObjectName("frozenBox")
        self.frozen_box.setToolTip("A frozen layer is not trained: fine-tuning a pretrained network usually "
                                   "freezes all but the head (Model ▸ Freeze All but the Head).")
        self.frozen_box.clicked.connect(self._set_frozen)
        self.frozen_box.hide()  # shown for layers with weights (see refresh_analysis)
        form.addRow(self.frozen_box)
        self.layout_.addLayout(form)

        self.editors: dict[str, ParamEditor] = {}
        if spec.params:
            self.layout_.addWidget(heading("Parameters"))
            params = self.form()
            for param in spec.params:
                editor = editor_for(param)
                editor.setObjectName(f"param_{param.name}")
                editor.committed.connect(lambda value, key=param.name: self._set(key, value))
                label = QLabel(param.title)
                label.setToolTip(param.help)
                label.setBuddy(editor)  # (addRow links a label to its field only when given the label's text)
                params.addRow(label, editor)
                self.editors[param.name] = editor
            self.layout_.addLayout(params)

        self.add_output_section()

        self.layout_.addWidget(heading("Block guide"))
        summary = QLabel(f"<b>{spec.summary}</b>")
        summary.setWordWrap(True)
        self.layout_.addWidget(summary)
        self.layout_.addWidget(muted(spec.doc))
        if spec.when:
            self.layout_.addWidget(muted(when_html(spec)))
        formula = muted(shape_html(spec))
        formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.layout_.addWidget(formula)
        if spec.params:
            self.layout_.addWidget(muted("<b>Parameters</b>" + parameters_html(spec)))
        self.layout_.addStretch(1)

    @property
    def node(self):
        return self.document.graph.nodes[self.node_id]

    def refresh_values(self) -> None:
        node = self.node
        self.title.setText(node.name)
        if not self.name_edit.isModified():  # never overwrite what is being typed
            self.name_edit.setText(node.name)
        for key, editor in self.editors.items():
            editor.set_value(node.params[key])
        self._show_window_band(node.params)
        self.frozen_box.setChecked(node.frozen)
        self.block_banner.refresh()

    def _show_window_band(self, params) -> None:
        """An Input's centre and width are typed only for a manual window; a preset shows its own numbers
        there, greyed (the stored manual ones read as if they applied, beside "lung")."""
        if "window_centre" not in self.editors or "window" not in params:
            return
        from engine.data.windowing import MANUAL, PRESETS

        manual = params["window"] == MANUAL
        band = PRESETS.get(params["window"])
        for key, index in (("window_centre", 0), ("window_width", 1)):
            self.editors[key].setEnabled(manual)
            if band is not None:
                self.editors[key].set_value(band[index])

    def refresh_analysis(self, analysis: Analysis) -> None:
        report = analysis.nodes.get(self.node_id)
        if report is None:  # a newer analysis is on its way
            return
        self.show_report(report)
        kind = convolution_kind(self.node.params, report.input_shapes) if self.node.type == "conv2d" else ""
        if kind and report.output_shape:  # "depthwise" names what groups = in channels means
            self.shape_label.setText(f"{self.shape_label.text()} ({kind})")
        self.frozen_box.setVisible(report.params > 0 or self.node.frozen)

    def _set_frozen(self, frozen: bool) -> None:
        if not self.document.set_frozen([self.node_id], frozen):
            self.frozen_box.setChecked(self.node.frozen)  # refused (training): show what stands

    def _set(self, key: str, value) -> None:
        if not self.document.set_param(self.node_id, key, value):
            self.editors[key].set_value(self.node.params[key])  # refused: show what stands

    def _check_name(self, text: str) -> None:
        """Says at once, while typing, why a name would be refused."""
        self._show_name_problem(_name_problem(self.document, self.node_id, text))

    def _rename(self) -> None:
        self.name_edit.setModified(False)
        name = self.name_edit.text().strip()
        if name == self.node.name:
            self._show_name_problem("")
            return
        problem = _name_problem(self.document, self.node_id, name)
        if problem or not self.document.rename(self.node_id, name):
            self._show_name_problem(f"{problem or 'Cannot rename'}. Kept “{self.node.name}”.")
            self.name_edit.setText(self.node.name)
        else:
            self._show_name_problem("")

    def _show_name_problem(self, text: str) -> None:
        self.name_problem.setText(text)
        self.name_problem.setVisible(bool(text))


def _one_block(graph, ids: list[str]) -> str | None:
    """The block a selection stands for: one block card alone, or every member of one block
    (an expanded block whose title was clicked); else None."""
    if len(ids) == 1 and ids[0] in graph.groups:
        return ids[0]
    group = graph.group_of(ids[0]) if len(ids) > 1 and ids[0] in graph.nodes else None
    return group.id if group is not None and set(ids) == set(group.members) else None


class BlockPage(_Page):
    """A composite block: its path (rename), type and instances, numbers, freezing and block actions."""

    save_requested = Signal(str)

    def __init__(self, document: Document, group_id: str) -> None:
        super().__init__(document)
        self.group_id = group_id
        group = self.group
        self.title = self.header(group.name, f"{group.type} · Composite block", icon("library_block"))

        form = self.form()
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("blockPath")
        self.path_edit.setToolTip("The block's module path: its members' weights are saved as "
                                  "<path>.<member>.weight (layer1.0.conv1.weight)")
        self.path_edit.editingFinished.connect(self._rename)
        self.path_edit.textEdited.connect(lambda text: self._show_path_problem(self._path_problem(text)))
        form.addRow("Path", self.path_edit)
        self.path_problem = QLabel()
        self.path_problem.setObjectName("issueText")
        self.path_problem.setProperty("severity", "error")
        self.path_problem.setWordWrap(True)
        self.path_problem.hide()
        form.addRow(self.path_problem)
        self.type_label, self.instances_label, self.members_label = _value_label(), _value_label(), _value_label()
        self.type_label.setObjectName("blockTypeName")
        self.instances_label.setObjectName("blockInstances")
        self.instances_label.setWordWrap(True)
        form.addRow("Type", self.type_label)
        form.addRow("Instances", self.instances_label)
        form.addRow("Members", self.members_label)
        self.frozen_box = QCheckBox()
        self.frozen_box.setObjectName("blockFrozenBox")
        self.frozen_box.setToolTip("Frozen layers keep their weights while the network trains (fine-tuning)")
        self.frozen_box.clicked.connect(self._toggle_frozen)
        form.addRow(self.frozen_box)
        self.frozen_note = muted()  # "3 of 10 layers frozen now", under the box's text
        self.frozen_note.setContentsMargins(self.frozen_box.sizeHint().height(), 0, 0, 0)
        form.addRow(self.frozen_note)
        self.layout_.addLayout(form)

        self.add_output_section()

        self.layout_.addWidget(heading("Block"))
        buttons = QGridLayout()
        buttons.setContentsMargins(0, 4, 0, 0)
        buttons.setSpacing(6)
        self.toggle_button = self._button("toggleBlock", "", self._toggle_collapsed)
        self.unique_button = self._button("makeBlockUnique", "Make Unique",
                                          lambda: self.document.make_block_unique(self.group_id))
        self.save_button = self._button("saveBlock", "Save to Library…", lambda: self.save_requested.emit(group_id))
        self.save_button.setToolTip("Save this block to your library, to reuse it from the palette (My Blocks)")
        self.ungroup_button = self._button("ungroupBlock", "Ungroup", lambda: self.document.ungroup(self.group_id))
        self.ungroup_button.setToolTip("Dissolve the block: its members stay, as plain nodes")
        # Make Unique comes last: hidden (one instance), it leaves no hole in the grid.
        for index, button in enumerate((self.toggle_button, self.ungroup_button, self.save_button,
                                        self.unique_button)):
            buttons.addWidget(button, index // 2, index % 2)
        self.layout_.addLayout(buttons)
        self.layout_.addStretch(1)

    def _button(self, name: str, text: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    @property
    def group(self):
        return self.document.graph.groups[self.group_id]

    def refresh_values(self) -> None:
        graph = self.document.graph
        if self.group_id not in graph.groups:
            return  # ungrouped: the inspector shows what is selected next
        group = self.group
        self.title.setText(group.name)
        if not self.path_edit.isModified():  # never overwrite what is being typed
            self.path_edit.setText(group.name)
        self.type_label.setText(group.type)
        shared = sharing(graph, next(iter(group.members))) if group.members else None
        text, tip = _instances_text(shared.total if shared else 1, len(shared.matching) if shared else 1)
        self.instances_label.setText(text)
        self.instances_label.setToolTip(tip)
        self.unique_button.setVisible(shared is not None and shared.total > 1)
        self.members_label.setText(f"{len(group.members)} blocks")
        self.toggle_button.setText("Collapse" if not group.collapsed else "Expand")
        self.toggle_button.setToolTip("Show it as one card" if not group.collapsed
                                      else "Show its layers in place, in a frame")
        self._show_freezing()

    def refresh_analysis(self, analysis: Analysis) -> None:
        if self.group_id not in self.document.graph.groups:
            return
        report = group_report(analysis, self.group)
        self.show_report(report)
        self._show_freezing()  # which members carry weights comes with the analysis

    def _show_freezing(self) -> None:
        freezing = block_freezing(self.document.graph, self.group, self.document.analysis)
        weighted, frozen = len(freezing.weighted), len(freezing.frozen)
        self.frozen_box.setText(f"Frozen (all {weighted} layers)" if weighted != 1 else "Frozen (its 1 layer)")
        self.frozen_box.setCheckState(Qt.CheckState.Checked if freezing.all_frozen else
                                      Qt.CheckState.PartiallyChecked if frozen else Qt.CheckState.Unchecked)
        self.frozen_box.setVisible(weighted > 0)
        self.frozen_note.setText(f"{frozen} of {weighted} layers frozen now" if freezing.partly_frozen else "")
        self.frozen_note.setVisible(freezing.partly_frozen)

    def _toggle_frozen(self) -> None:
        # A partly frozen block freezes whole first.
        self.document.set_block_frozen(self.group_id, not self.document.block_freezing(self.group_id).all_frozen)
        self._show_freezing()  # also when refused (training): show what stands

    def _toggle_collapsed(self) -> None:
        self.document.set_block_collapsed(self.group_id, not self.group.collapsed)

    def _path_problem(self, path: str) -> str:
        path = path.strip()
        if path == self.group.name:
            return ""
        problem = self.document.graph.path_problem_for(path, self.group_id, list(self.group.members))
        return problem[:1].upper() + problem[1:] if problem else ""

    def _rename(self) -> None:
        self.path_edit.setModified(False)
        path = self.path_edit.text().strip()
        if path == self.group.name:
            self._show_path_problem("")
            return
        problem = self._path_problem(path)
        if problem or not self.document.update_block(self.group_id, name=path):
            self._show_path_problem(f"{problem or 'Cannot rename'}. Kept “{self.group.name}”.")
            self.path_edit.setText(self.group.name)
        else:
            self._show_path_problem("")

    def _show_path_problem(self, text: str) -> None:
        self.path_problem.setText(text)
        self.path_problem.setVisible(bool(text))


def _instances_text(total: int, matching: int) -> tuple[str, str]:
    """(text, tooltip) on the instances of a block's type."""
    if total == 1:
        return "1 (only this one)", "No other block has this type"
    if matching == total:
        return f"{total}, all identical", "An edit of a member applies to the same member in every instance"
    differing = total - matching
    return (f"{total}; {differing} differ{'s' * (differing == 1)} from this one",
            f"Edits of a member apply to the {matching} matching instances only")


def _name_problem(document: Document, node_id: str, name: str) -> str:
    try:
        check_node_name(name)
    except GraphError as error:
        return str(error)
    other = document.graph.node_by_name(name)
    if other is not None and other.id != node_id:
        return f"The name “{name}” is already used by another node"
    return reserved_name_refusal(name, {node.name for node in document.graph.nodes.values()}) or ""


def _issue_label(issue: Issue) -> QLabel:
    label = QLabel(f"{issue.message}<br><span>{issue.hint}</span>" if issue.hint else issue.message)
    label.setObjectName("issueText")
    label.setProperty("severity", issue.severity)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


class SelectionPage(_Page):
    def __init__(self, document: Document, ids: list[str]) -> None:
        super().__init__(document)
        self.ids = ids
        self.header(f"{len(ids)} nodes selected", "Select a single node to edit its parameters.")
        self.layout_.addWidget(heading("Together"))
        form = self.form()
        self.params_label, self.macs_label = _value_label(), _value_label()
        form.addRow("Parameters", self.params_label)
        form.addRow("MACs", self.macs_label)
        self.layout_.addLayout(form)
        self.layout_.addStretch(1)

    def refresh_analysis(self, analysis: Analysis) -> None:
        reports = [analysis.nodes[node_id] for node_id in self.ids if node_id in analysis.nodes]
        self.params_label.setText(count_text(sum(report.params for report in reports)))
        self.macs_label.setText(compact_text(sum(report.macs for report in reports)))


class ProjectPage(_Page):
    def __init__(self, document: Document, nothing_open: bool = False) -> None:
        super().__init__(document)
        self.nothing_open = nothing_open  # the start page stands in for a network
        self.header("Project", "Nothing selected. Click a block to inspect it.")
        form = self.form()
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("projectName")
        self.name_edit.editingFinished.connect(self._commit_name)
        form.addRow("Name", self.name_edit)
        self.description_edit = _DescriptionEdit()
        self.description_edit.setObjectName("projectDescription")
        self.description_edit.setPlaceholderText("What this network is for")
        self.description_edit.focus_lost.append(self._commit_description)
        form.addRow("Description", self.description_edit)
        self.layout_.addLayout(form)

        self.layout_.addWidget(heading("Network"))
        totals = self.form()
        self.nodes_label, self.shape_label = _value_label(), _value_label()
        self.params_label, self.macs_label, self.validity_label = _value_label(), _value_label(), _value_label()
        self.validity_label.setObjectName("issueText")
        self.validity_label.setWordWrap(True)  # "Nothing open yet: …" widened the page past the panel, cut off
        totals.addRow("Blocks", self.nodes_label)
        totals.addRow("Input → output", self.shape_label)
        totals.addRow("Parameters", self.params_label)
        totals.addRow("MACs", self.macs_label)
        totals.addRow("Status", self.validity_label)
        self.layout_.addLayout(totals)
        self.layout_.addStretch(1)

    def refresh_values(self) -> None:
        project = self.document.project
        if not self.name_edit.isModified():  # never overwrite what is being typed
            self.name_edit.setText(project.name)
        if not self.description_edit.document().isModified():
            self.description_edit.setPlainText(project.description)

    def refresh_analysis(self, analysis: Analysis) -> None:
        graph = self.document.graph
        self.nodes_label.setText(f"{len(graph.nodes)} blocks, {len(graph.edges)} connections")
        ends = [analysis.nodes[node.id].output_shape for kind in ("input", "output")
                for node in graph.nodes_of_type(kind)[:1] if node.id in analysis.nodes]
        self.shape_label.setText(" → ".join(format_shape(shape) for shape in ends if shape) or "unknown")
        self.params_label.setText(count_text(analysis.total_params))
        self.macs_label.setText(compact_text(analysis.total_macs))
        errors = len(analysis.errors)
        warnings = len(analysis.issues) - errors
        if self.nothing_open:
            text, errors = "Nothing open yet: pick a preset or start a blank network", 0
        elif errors:
            text = f"{errors} error{'s' * (errors != 1)} to fix"
        else:
            text = "Ready to train" + (f" ({warnings} warning{'s' * (warnings != 1)})" if warnings else "")
        self.validity_label.setText(text)
        set_style_property(self.validity_label, "severity", ERROR if errors else "ok")

    def _commit_name(self) -> None:
        self.name_edit.setModified(False)
        name = self.name_edit.text().strip()
        if not name:
            self.name_edit.setText(self.document.project.name)
        elif name != self.document.project.name:
            self._push("name", name)

    def _commit_description(self) -> None:
        self.description_edit.document().setModified(False)
        text = self.description_edit.toPlainText().strip()
        if text != self.document.project.description:
            self._push("description", text)

    def _push(self, field: str, value: str) -> None:
        if self.document.read_only:
            self.document.show_status("The project cannot be edited while it trains: stop training first.")
            self.refresh_values()
            return
        self.document.undo_stack.push(ProjectTextCommand(self.document, field, value))


class _DescriptionEdit(QPlainTextEdit):
    """A short multi-line text that commits when focus leaves it."""

    def __init__(self) -> None:
        super().__init__()
        self.focus_lost: list = []
        self.setTabChangesFocus(True)
        self.setFixedHeight(96)

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        for callback in self.focus_lost:
            callback()
