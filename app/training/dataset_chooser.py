"""Choosing the dataset: a named one, torchvision's (with a data folder and download), or an image folder.

The choice is the ``dataset`` (and ``data_root``) training setting, so it is
saved with the project. What the dataset holds (classes, image size, count)
is looked up with the engine's cheap ``dataset_info`` on a background thread
(a large image folder takes a moment to scan) and shown under the chooser.
The torchvision sets can be downloaded from here, on a thread of their own.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from engine.data import DatasetError, DatasetInfo, default_data_root
from engine.tasks import DEFAULT_TASK, task_for

from .background import BackgroundJobs
from .warm_up import torch_ready

FOLDER = "folder"
#: (setting value, title) in the order offered; "folder" stands for any image-folder path.
CHOICES = (
    ("digits", "Digits (bundled, 8×8 grey)"),
    ("shapes", "Shapes (generated, colour)"),
    ("mnist", "MNIST (handwritten digits)"),
    ("fashion-mnist", "Fashion-MNIST (clothing)"),
    ("cifar10", "CIFAR-10 (small colour photos)"),
    ("seg-shapes", "Seg-shapes (generated, masks)"),
    ("voc", "Pascal VOC (segmentation masks)"),
    ("pets", "Oxford-IIIT Pet (masks)"),
    ("face-shapes", "Face-shapes (generated identities)"),
    ("lfw", "LFW (faces, from the data folder)"),
    ("det-shapes", "Det-shapes (generated, boxes)"),
    (FOLDER, "Image folder…"),
)
TORCHVISION = ("mnist", "fashion-mnist", "cifar10")
#: Sets read from the data folder that ConvCanvas does not download (VOC and Pet are large archives).
LOCAL_ONLY = ("voc", "pets", "lfw")
#: What an image folder holds, per task.
FOLDER_HINTS = {
    "classification": "A folder with one sub-folder of images per class",
    "segmentation": "A folder holding images/ and masks/ (same file names)",
    "multilabel": "A CSV of image → findings (NIH ChestX-ray14 or CheXpert style), or medmnist:chestmnist",
    "embedding": "A folder with one sub-folder of images per identity (LFW's layout; pairs.txt used if there)",
    "detection": "A folder of images with their boxes (COCO JSON or Pascal VOC XML)",
}
_MAX_CLASSES_LISTED = 12


def choice_of(dataset: str) -> str:
    """The chooser entry for a ``dataset`` setting (any path is an image folder)."""
    known = {value for value, _ in CHOICES}
    return dataset if dataset in known else FOLDER


def describe_info(info: DatasetInfo) -> str:
    labels = list(info.class_names)
    if info.class_counts is not None:
        labels = [f"{name} ({count:,})" for name, count in zip(labels, info.class_counts)]
    names = ", ".join(labels[:_MAX_CLASSES_LISTED])
    if info.num_classes > _MAX_CLASSES_LISTED:
        names += f", … ({info.num_classes - _MAX_CLASSES_LISTED} more)"
    colour = {1: "grey", 3: "colour"}.get(info.channels, f"{info.channels}-channel")
    size = f"{info.native_size[0]}×{info.native_size[1]}" if info.native_size else "any size"
    kind = "identities" if info.target == "identity" else "classes"
    return (f"{info.num_classes} {kind}: {names}\n"
            f"{info.num_samples:,} {colour} images, {size} — {info.description}")


class DatasetChooser(QWidget):
    """Emits ``setting_changed(key, value)`` for ``dataset`` and ``data_root``; ``info_changed`` when
    the chosen dataset has been looked up (None when it cannot be used, with the reason shown)."""

    setting_changed = Signal(str, object)
    info_changed = Signal(object)

    def __init__(self, jobs: BackgroundJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.info: DatasetInfo | None = None
        self._dataset = ""
        self._data_root = ""
        self._lookup_serial = 0
        # The lookup imports the datasets' modules, which import torch: it waits until torch is ready.
        self.torch_ready = torch_ready()
        self._lookup_pending = False
        self._downloading: str | None = None  # the set being downloaded
        # Downloads get their own thread: minutes of it must not hold up the look-ups queued on ``jobs``.
        self.downloads = BackgroundJobs(self)

        self.combo = QComboBox()
        self.task = ""
        self.show_task(DEFAULT_TASK)
        self.combo.setToolTip("The images to train on. Bundled and generated sets work offline.")
        # A narrow dock may cut the longest titles rather than force a sideways scroll.
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(12)
        self.combo.activated.connect(self._on_choice)

        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText(FOLDER_HINTS[DEFAULT_TASK])
        self.folder_edit.setAccessibleName("Image folder")
        self.folder_edit.editingFinished.connect(self._on_folder_typed)
        self.folder_button = QPushButton("Browse…")
        self.folder_button.clicked.connect(self._browse_folder)
        self.folder_row = _row(self.folder_edit, self.folder_button)

        self.root_edit = QLineEdit()
        self.root_edit.setPlaceholderText(str(default_data_root()))
        self.root_edit.setToolTip("Where MNIST, Fashion-MNIST and CIFAR-10 are stored (empty: the default).")
        self.root_edit.setAccessibleName("Data folder")
        self.root_edit.editingFinished.connect(self._on_root_typed)
        self.root_button = QPushButton("Browse…")
        self.root_button.clicked.connect(self._browse_root)
        self.download_box = QCheckBox("Download if missing")
        self.download_box.setToolTip("Let torchvision fetch the files into the data folder (needs internet).")
        self.download_button = QPushButton("Download")
        self.download_button.setToolTip("Fetch the chosen set into the data folder now (needs internet).")
        self.download_button.clicked.connect(self.start_download)
        self.download_row = _row(self.download_box, self.download_button)
        self.download_label = QLabel()
        self.download_label.setWordWrap(True)
        self.download_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.download_label.hide()
        self.root_row = _row(self.root_edit, self.root_button)

        self.info_label = QLabel()
        self.info_label.setWordWrap(True)
        self.info_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Dataset", self.combo)
        form.addRow("Folder", self.folder_row)
        form.addRow("Data folder", self.root_row)
        form.addRow("", self.download_row)
        form.addRow(self.download_label)
        form.addRow(self.info_label)
        self._form = form

    def add_row_above(self, label: str, widget: QWidget) -> None:
        """A row above the dataset's (the panel's task chooser), aligned with this form's rows."""
        self._form.insertRow(0, label, widget)

    @property
    def download(self) -> bool:
        return self.download_box.isChecked() and choice_of(self._dataset) in TORCHVISION

    def show_task(self, task: str) -> None:
        """Offers the datasets ``task`` trains on (and an image folder laid out for it)."""
        if task == self.task:
            return
        self.task = task
        kinds = task_for(task).dataset_kinds
        self.combo.blockSignals(True)
        self.combo.clear()
        for value, title in CHOICES:
            if value in kinds or value == FOLDER:
                self.combo.addItem(title, value)
        self.combo.setCurrentIndex(max(0, self.combo.findData(choice_of(self._dataset))))
        self.combo.blockSignals(False)
        if hasattr(self, "folder_edit"):
            self.folder_edit.setPlaceholderText(FOLDER_HINTS.get(task, FOLDER_HINTS[DEFAULT_TASK]))
        if self._dataset:  # a folder reads as classes or as identities, by task: look it up again
            self._look_up()

    def show_settings(self, dataset: str, data_root: str) -> None:
        """Shows the project's settings (after a load, undo or redo) and looks the dataset up if it changed."""
        changed = (dataset, data_root) != (self._dataset, self._data_root)
        self._dataset, self._data_root = dataset, data_root
        choice = choice_of(dataset)
        self.combo.setCurrentIndex(self.combo.findData(choice))
        if choice == FOLDER and self.folder_edit.text() != dataset:
            self.folder_edit.setText(dataset)
        if self.root_edit.text() != data_root:
            self.root_edit.setText(data_root)
        self._form.setRowVisible(self.folder_row, choice == FOLDER)
        self._form.setRowVisible(self.root_row, choice in (*TORCHVISION, *LOCAL_ONLY))
        self._show_download_row(choice in TORCHVISION)
        if changed:
            self._look_up()

    # --- user input ---------------------------------------------------------------------

    def _on_choice(self) -> None:
        value = self.combo.currentData()
        if value == FOLDER:
            if self.folder_edit.text().strip():
                self.setting_changed.emit("dataset", self.folder_edit.text().strip())
            else:
                self._form.setRowVisible(self.folder_row, True)
                self._form.setRowVisible(self.root_row, False)
                self._show_download_row(False)
                self._browse_folder()
        else:
            self.setting_changed.emit("dataset", value)

    def _on_folder_typed(self) -> None:
        text = self.folder_edit.text().strip()
        if text and text != self._dataset:
            self.setting_changed.emit("dataset", text)

    def _on_root_typed(self) -> None:
        text = self.root_edit.text().strip()
        if text != self._data_root:
            self.setting_changed.emit("data_root", text)

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Image folder (one sub-folder per class)",
                                                self.folder_edit.text())
        if path:
            self.folder_edit.setText(path)
            self.setting_changed.emit("dataset", path)

    def _browse_root(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Folder for downloaded datasets",
                                                self.root_edit.text() or str(default_data_root()))
        if path:
            self.root_edit.setText(path)
            self.setting_changed.emit("data_root", path)

    # --- downloading a torchvision set ----------------------------------------------------------

    @property
    def downloading(self) -> bool:
        return self._downloading is not None

    def _show_download_row(self, visible: bool) -> None:
        self._form.setRowVisible(self.download_row, visible)
        self.download_button.setEnabled(visible and not self.downloading)
        self.download_label.setVisible(visible and bool(self.download_label.text()))

    def start_download(self) -> None:
        """Fetches the chosen torchvision set into the data folder on a background thread."""
        name, root = choice_of(self._dataset), self._data_root or None
        if name not in TORCHVISION or self.downloading:
            return
        self._downloading = name
        self.download_button.setEnabled(False)
        self.download_button.setText("Downloading…")
        self._show_download_message(f"Downloading {name} into {root or default_data_root()}…", error=False)

        def download():
            from engine.data import download_torchvision_set

            return download_torchvision_set(name, root)

        self.downloads.run(download,
                           lambda folder: self._download_ended(f"Downloaded {name} into {folder}.", error=False),
                           lambda error: self._download_ended(_message(error), error=True))

    def _download_ended(self, message: str, error: bool) -> None:
        self._downloading = None
        self.download_button.setText("Download")
        self._show_download_message(message, error)
        self._show_download_row(choice_of(self._dataset) in TORCHVISION)

    def _show_download_message(self, message: str, error: bool) -> None:
        self.download_label.setText(message)
        self.download_label.setStyleSheet("color: palette(bright-text);" if error else "")
        self.download_label.show()

    # --- what the dataset holds ---------------------------------------------------------------

    def set_torch_ready(self, ready: bool) -> None:
        """The panel says when PyTorch is ready: a lookup asked for before then starts now."""
        self.torch_ready = ready
        if ready and self._lookup_pending:
            self._look_up()

    def _look_up(self) -> None:
        from engine.data.light_info import describable_without_torch, info_without_torch

        self._lookup_serial += 1
        serial, dataset, root = self._lookup_serial, self._dataset, self._data_root or None
        target = task_for(self.task).target_kind if self.task else None
        self.info = None
        # The bundled set is described at once, without torch; the others once torch is ready.
        light = describable_without_torch(dataset)
        self._lookup_pending = not self.torch_ready and not light
        if self._lookup_pending:
            self.info_label.setText("Looking at the dataset once PyTorch is ready…")
            return

        def look_up() -> DatasetInfo:
            if light:
                return info_without_torch(dataset)
            from engine.data import dataset_info  # the datasets' modules import torch

            return dataset_info(dataset, root, target=target)

        self.info_label.setText("Looking at the dataset…")
        self.jobs.run(look_up, lambda info: self._on_info(serial, info),
                      lambda error: self._on_info_error(serial, error), uses_torch=not light)

    def _on_info(self, serial: int, info: DatasetInfo) -> None:
        if serial != self._lookup_serial:
            return  # the user chose another dataset meanwhile
        self.info = info
        self.info_label.setText(describe_info(info))
        self.info_label.setStyleSheet("")
        self.info_changed.emit(info)

    def _on_info_error(self, serial: int, error: BaseException) -> None:
        if serial != self._lookup_serial:
            return
        self.info_label.setText(_message(error))
        self.info_label.setStyleSheet("color: palette(bright-text);")
        self.info_changed.emit(None)


def _message(error: BaseException) -> str:
    """A DatasetError is written for the user; anything else is named with its type."""
    return str(error) if isinstance(error, DatasetError) else f"{type(error).__name__}: {error}"


def _row(*widgets: QWidget) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for index, widget in enumerate(widgets):
        layout.addWidget(widget, 1 if index == 0 else 0)
    return row
