"""Try the trained network on an image: drop a file (or choose one) → top-5 classes, what drove
the guess (a Grad-CAM heat map over the image) and feature maps; for a segmentation network, the
predicted mask over the image and each class's share of its pixels instead, and for a detector the boxes
found with their class and score (``set_task``).

The view only shows; ``TrainingUi`` runs the engine's ``predict_images`` and
probe on a background thread when ``image_chosen`` fires and answers with
``show_prediction`` / ``show_error``; its ``GradCamExplainer`` fills ``gradcam``.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:  # imports torch, which the first window never waits for
    from engine.predict import Prediction

    from .trained import BoxResult, MaskResult

from ..canvas.style import WARNING
from .feature_maps import IMAGE_FILTER, ChannelGrid, FeatureFrame, as_channel_maps
from .compare_view import CompareBox
from .box_picture import BoxPicture
from .gradcam_view import GradCamPanel
from .mask_picture import MaskPicture

TOP_K = 5
GRADCAM_NOTE = ("Grad-CAM explains a class guess, so it is not shown for a segmentation network: "
                "the predicted mask shows where each class is.")
BOXES_NOTE = ("Grad-CAM explains a class guess, so it is not shown for a detection network: "
              "each box shows where it found an object, and how sure it is.")


class PredictView(QWidget):
    image_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.hint = QLabel("Drop an image file here, or choose one, to see what the trained network makes of it.")
        self.hint.setWordWrap(True)
        self.unfamiliar_note = QLabel()  # the engine's note, set with the first prediction (see show_prediction)
        self.unfamiliar_note.setObjectName("unfamiliarNote")
        self.unfamiliar_note.setWordWrap(True)
        self.unfamiliar_note.setStyleSheet(f"color: {WARNING.name()}; font-weight: 600;")
        self.unfamiliar_note.hide()
        self.choose_button = QPushButton("Choose image…")
        self.choose_button.clicked.connect(self._choose)
        self.gradcam = GradCamPanel()
        self.mask_picture = MaskPicture()
        self.mask_picture.hide()
        self.gradcam_note = QLabel(GRADCAM_NOTE)
        self.gradcam_note.setObjectName("gradcamNote")
        self.gradcam_note.setWordWrap(True)
        self.gradcam_note.hide()
        self.compare = CompareBox()  # an embedding network compares two images instead
        self.compare.hide()
        self.box_picture = BoxPicture()
        self.box_picture.hide()
        self.task = "classification"

        self.class_labels: list[QLabel] = []
        self.bars: list[QProgressBar] = []
        scores = QGridLayout()
        for row in range(TOP_K):
            label, bar = QLabel(), QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            scores.addWidget(label, row, 0)
            scores.addWidget(bar, row, 1)
            self.class_labels.append(label)
            self.bars.append(bar)
        scores.setColumnStretch(1, 1)

        self.maps_title = QLabel()
        self.maps_title.setWordWrap(True)
        self.grid = ChannelGrid()
        self.grid.setAccessibleName("Feature maps of the image")
        self.grid.setMinimumSize(200, 140)

        # Image (with its heat map) and scores on the left, feature maps on the right (docks here are
        # wide and short).
        left = QHBoxLayout()
        left.addWidget(self.gradcam, 0, Qt.AlignmentFlag.AlignTop)
        left.addWidget(self.mask_picture, 0, Qt.AlignmentFlag.AlignTop)
        left.addWidget(self.compare, 1)
        left.addWidget(self.box_picture, 0, Qt.AlignmentFlag.AlignTop)
        self.scores = QWidget()
        self.scores.setLayout(scores)
        score_column = QVBoxLayout()
        score_column.addWidget(self.scores)
        score_column.addWidget(self.gradcam_note)
        score_column.addStretch(1)
        left.addLayout(score_column, 1)
        right = QVBoxLayout()
        right.addWidget(self.maps_title)
        right.addWidget(self.grid, 1)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addLayout(right, 1)
        header = QHBoxLayout()
        header.addWidget(self.hint, 1)
        header.addWidget(self.choose_button)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.unfamiliar_note)
        layout.addLayout(body, 1)
        self.set_available(False, "Train a network (or open a checkpoint) to try it on your own images.")

    def set_available(self, available: bool, reason: str = "") -> None:
        self.choose_button.setEnabled(available)
        self.compare.setEnabled(available)
        self.setAcceptDrops(available)
        if not available:
            self.hint.setText(reason)
        else:
            self.hint.setText("Drop an image file here, or choose one, to see what the trained network makes of it.")

    def set_task(self, task: str) -> None:
        """A segmentation network answers with a mask and a detector with boxes: their picture replaces the
        scores and Grad-CAM."""
        if task == self.task:
            return
        self.task = task
        classifying = task not in ("segmentation", "detection", "embedding")
        self.gradcam.setVisible(classifying)
        self.scores.setVisible(classifying)
        self.mask_picture.setVisible(task == "segmentation")
        self.box_picture.setVisible(task == "detection")
        # An embedding network compares two images: the compare box replaces the single-image chooser.
        self.compare.setVisible(task == "embedding")
        self.choose_button.setVisible(task != "embedding")
        self.gradcam_note.setText(BOXES_NOTE if task == "detection" else GRADCAM_NOTE)
        self.gradcam_note.setVisible(task in ("segmentation", "detection"))
        self.mask_picture.clear()
        self.box_picture.clear()
        self.gradcam.show_message("")

    @property
    def embedding(self) -> bool:
        return self.task == "embedding"

    @property
    def segmentation(self) -> bool:
        return self.task == "segmentation"

    def set_embedding(self, embedding: bool) -> None:
        """An embedding network compares two images (see set_task)."""
        self.set_task("embedding" if embedding else "classification")

    def show_box_prediction(self, result: BoxResult, frame: FeatureFrame | None, familiar: bool = True) -> None:
        """A detection network's answer: the boxes over the image, with class and score."""
        from engine.familiarity import UNFAMILIAR_NOTE  # a prediction was made: torch is imported

        self.set_task("detection")
        self.unfamiliar_note.setText(UNFAMILIAR_NOTE)
        self.unfamiliar_note.setVisible(not familiar)
        self.box_picture.show_boxes(result.image, result.boxes, result.class_names)
        shown = self.box_picture.visible_boxes()
        self.hint.setText(f"{Path(result.path).name}: {len(shown)} box(es) at the threshold below.")
        self._show_maps(frame)

    def show_mask_prediction(self, result: MaskResult, frame: FeatureFrame | None, familiar: bool = True) -> None:
        """A segmentation network's answer: the mask over the image, and each class's share of the pixels."""
        from engine.familiarity import UNFAMILIAR_NOTE  # a prediction was made: torch is imported

        self.set_task("segmentation")
        self.unfamiliar_note.setText(UNFAMILIAR_NOTE)
        self.unfamiliar_note.setVisible(not familiar)
        self.mask_picture.show_mask(result.image, result.mask, result.shares)
        largest = max(result.shares, key=lambda share: share[1], default=None)
        self.hint.setText(f"{Path(result.path).name}: mostly {largest[0]} ({100 * largest[1]:.1f} % of the "
                          "pixels)." if largest else result.path)
        self._show_maps(frame)

    def show_prediction(self, prediction: Prediction, frame: FeatureFrame | None, familiar: bool = True) -> None:
        """Shows the scores; ``familiar`` False adds the note that the image is unlike the training images."""
        from engine.familiarity import UNFAMILIAR_NOTE  # a prediction was made: torch is imported

        self.set_task("classification")
        self.unfamiliar_note.setText(UNFAMILIAR_NOTE)
        self.unfamiliar_note.setVisible(not familiar)
        self.gradcam.show_picture(QPixmap(prediction.path))  # the heat map follows when computed
        for row, (label, bar) in enumerate(zip(self.class_labels, self.bars)):
            if row < len(prediction.top):
                name, probability = prediction.top[row]
                label.setText(name)
                bar.setValue(round(1000 * probability))
                bar.setFormat(f"{100 * probability:.1f} %")
                bar.show()
            else:
                label.clear()
                bar.hide()
        self.hint.setText(f"{Path(prediction.path).name}: most likely {prediction.top[0][0]} "
                          f"({100 * prediction.top[0][1]:.1f} %)." if prediction.top else prediction.path)
        self._show_maps(frame)

    def _show_maps(self, frame: FeatureFrame | None) -> None:
        if frame is not None:
            maps = as_channel_maps(frame.maps)
            self.grid.set_maps(maps)
            self.maps_title.setText(f"{frame.node_name} for this image (click another layer to change)")

    def show_error(self, message: str) -> None:
        self.unfamiliar_note.hide()
        self.hint.setText(message)
        self.gradcam.show_message("")
        self.mask_picture.clear()
        self.box_picture.clear()
        for label, bar in zip(self.class_labels, self.bars):
            label.clear()
            bar.setValue(0)
            bar.setFormat("")

    # --- choosing -----------------------------------------------------------------------

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Image to classify", "", IMAGE_FILTER)
        if path:
            self.image_chosen.emit(path)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if _dropped_image(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        path = _dropped_image(event.mimeData())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        if self.embedding:  # dropped images fill the pair to compare
            self.compare.add_image(path)
        else:
            self.image_chosen.emit(path)


def _dropped_image(mime) -> str | None:
    """The first local image file among dropped URLs (project files are the window's business)."""
    from engine.data.image_folder import is_image_file  # the view takes drops once a model is trained

    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile() and is_image_file(url.toLocalFile()):
            return url.toLocalFile()
    return None
