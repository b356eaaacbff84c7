"""Validation images with the network's guess and the truth, mistakes first; for a segmentation
network (``show_masks``), the predicted mask over each image with its mean IoU, the worst first; for a
detector (``show_boxes``), the predicted boxes over each image, the images whose boxes match worst first;
for a multi-label network (``show_findings``), the findings found and the true ones, the images with the
most wrong findings first.

The most confident mistakes lead: they are the most instructive (a
mislabelled image, or a class the network confuses). Each thumbnail has a
red (wrong) or green (right) frame and says "guess (confidence) / truth".
Clicking one (or its "Explain with Grad-CAM" action) shows it beside the
list with a Grad-CAM heat map of what drove the guess: the view emits
``image_chosen`` and its owner computes the map into ``gradcam``.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from . import plot_style
from .gradcam_view import GradCamPanel
from .box_drawing import DrawnBoxes, boxes_pixmap
from .masks import DEFAULT_OPACITY, overlay
from .on_screen import on_screen
from .pictures import fitted_pixmap, to_qimage

THUMBNAIL = 64
#: Thumbnails shown at most (a long list of right answers teaches little).
MAX_ITEMS = 200
#: Thumbnails made per turn of the event loop: all 200 at once held the window ~35 ms as a run ended.
CHUNK = 40


def gallery_order(true: np.ndarray, predicted: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """Indices: mistakes by falling confidence, then right answers by rising confidence."""
    wrong = predicted != true
    # lexsort sorts by the last key first: wrong before right, then confidence.
    key = np.where(wrong, -confidence, confidence)
    return np.lexsort((key, ~wrong))


def findings_order(true: np.ndarray, found: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Indices of multi-label images: the most wrong findings first, ties by how far the probabilities are
    from the truth (the surest mistakes, then the least sure right answers)."""
    wrong = (true != found).sum(axis=1)
    error = np.abs(probabilities - true).sum(axis=1)
    return np.lexsort((-error, -wrong))


#: findings named in a caption line at most; the tooltip names them all
CAPTION_FINDINGS = 2


def findings_caption(names: list[str], present: np.ndarray) -> str:
    """"Effusion, Nodule" / "none" / "Effusion, Nodule +3" for one image's findings."""
    shown = [name for name, on in zip(names, present) if on]
    if not shown:
        return "none"
    more = len(shown) - CAPTION_FINDINGS
    return ", ".join(shown[:CAPTION_FINDINGS]) + (f" +{more}" if more > 0 else "")


def findings_tooltip(index: int, names: list[str], true: np.ndarray, found: np.ndarray,
                     probabilities: np.ndarray) -> str:
    """Every finding's probability, whether it was found, and the truth where they differ."""
    lines = []
    for name, is_true, is_found, probability in zip(names, true, found, probabilities):
        verdict = "found" if is_found else "not found"
        truth = "" if is_true == is_found else f" — wrong: it is {'present' if is_true else 'absent'}"
        lines.append(f"{name}: {100 * probability:.0f}% {verdict}{truth}")
    return f"validation image #{index}\n" + "\n".join(lines)


def framed_thumbnail(image: np.ndarray | QPixmap, colour: QColor, size: int = THUMBNAIL,
                     ratio: float = 1.0) -> QPixmap:
    """``size`` logical pixels square, made at the screen's ``ratio`` (crisp at 2×); ``image`` is pixels, or a
    picture already fitted to ``size`` − 6 (boxes drawn over it)."""
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(colour)
    picture = image if isinstance(image, QPixmap) else fitted_pixmap(to_qimage(image), QSize(size - 6, size - 6),
                                                                     ratio)
    painter = QPainter(pixmap)
    painter.drawPixmap(QPointF((size - picture.deviceIndependentSize().width()) / 2,
                               (size - picture.deviceIndependentSize().height()) / 2), picture)
    painter.end()
    return pixmap


class GalleryView(QWidget):
    image_chosen = Signal(int)
    """A thumbnail was clicked: its validation image index."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("After training, validation images appear here with the network's guesses.")
        self.title.setWordWrap(True)
        self.mistakes_only = QCheckBox("Mistakes only")
        self.mistakes_only.toggled.connect(self._refill)
        self.list = QListWidget()
        self.list.setAccessibleName("Validation images with their predictions")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.list.setGridSize(QSize(THUMBNAIL + 40, THUMBNAIL + 40))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setWordWrap(True)
        self.list.itemClicked.connect(self._choose)
        self.list.itemActivated.connect(self._choose)
        self.explain_action = QAction("Explain with Grad-CAM", self.list)
        self.explain_action.triggered.connect(lambda: self._choose(self.list.currentItem()))
        self.list.addAction(self.explain_action)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.chosen_label = QLabel("Click an image to see what drove the guess.")
        self.chosen_label.setWordWrap(True)
        self.gradcam = GradCamPanel(controls_beside=True)
        self.side = QWidget()
        side = QVBoxLayout(self.side)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.chosen_label)
        side.addWidget(self.gradcam, 1)
        self.side.hide()  # until there are thumbnails to click
        bar = QHBoxLayout()
        bar.addWidget(self.title, 1)
        bar.addWidget(self.mistakes_only)
        # A splitter: in a narrow dock the user gives the thumbnails or the heat map the room.
        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.setChildrenCollapsible(False)
        self.body.addWidget(self.list)
        self.body.addWidget(self.side)
        self.body.setStretchFactor(0, 3)
        self.body.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.body, 1)
        self._data: tuple | None = None
        self._masks: tuple | None = None  # a segmentation run's (images, predicted masks, IoUs, class names)
        self._findings: tuple | None = None  # a multi-label run's (images, true, found, probabilities, names)
        self._stale = False
        self._waiting: list[int] = []  # validation images still to be listed, in order
        self._texts: list[str] = []  # the captions listed so far (they size the grid)
        self._next_chunk = QTimer(self)
        self._next_chunk.setSingleShot(True)
        self._next_chunk.timeout.connect(self._add_chunk)

    def show_predictions(self, images: np.ndarray, true, predicted, confidence, class_names: list[str]) -> None:
        """``images``: (N, H, W) or (N, H, W, 3) uint8; labels as class indices; confidence 0..1."""
        true, predicted = np.asarray(true), np.asarray(predicted)
        confidence = np.asarray(confidence, dtype=np.float64)
        self._data, self._masks, self._findings = (images, true, predicted, confidence, class_names), None, None
        self.mistakes_only.show()
        self.explain_action.setEnabled(True)
        wrong = int((true != predicted).sum())
        self.title.setText(f"{len(true):,} validation images, {wrong:,} misclassified; the most confident "
                           "mistakes first (red frame: wrong, green: right).")
        self._stale = True
        self.side.show()
        if on_screen(self):  # hidden (a tab behind the curves): thumbnails are made when shown
            self._refill()

    def show_masks(self, images: np.ndarray, predicted: np.ndarray, iou, class_names: list[str]) -> None:
        """A segmentation run: ``images`` (N, H, W[, 3]) uint8, ``predicted`` (N, H, W) masks and each image's
        mean IoU; thumbnails show the mask over the image, the lowest IoU first. Grad-CAM explains class
        guesses, so the side panel stays hidden."""
        iou = np.asarray(iou, dtype=np.float64)
        self._data, self._masks, self._findings = None, (images, np.asarray(predicted), iou, class_names), None
        self.title.setText(f"{len(iou):,} validation images by mean IoU (each shows its predicted mask over the "
                           f"image), the worst first; mean over the images {iou.mean():.3f}.")
        self._show_pictures(explained=False)  # Grad-CAM explains class guesses, not masks or boxes

    def show_boxes(self, images: np.ndarray, predicted: list[dict], true: list[np.ndarray], f1,
                   class_names: list[str]) -> None:
        """A detection run: ``images`` (N, H, W[, 3]) uint8, each image's predicted boxes (``probe_boxes``
        dicts), true boxes ((M, 5) rows) and F1 of found boxes (``box_matching``); thumbnails show the
        predicted boxes over the image, the lowest F1 first. Grad-CAM explains class guesses, so the side
        panel stays hidden."""
        f1 = np.asarray(f1, dtype=np.float64)
        self._data, self._masks, self._findings = None, (images, (predicted, true), f1, class_names), None
        self.title.setText(f"{len(f1):,} validation images by how well their boxes match (F1 of the boxes found "
                           f"at IoU ≥ 0.5), the worst first; mean over the images {f1.mean():.3f}.")
        self._show_pictures(explained=False)  # Grad-CAM explains class guesses, not masks or boxes

    def _show_pictures(self, explained: bool) -> None:
        """The mistakes filter, Grad-CAM and its side panel where guesses are explained; the new pictures
        drawn now if the gallery is on screen, else when it is shown."""
        self.mistakes_only.setVisible(explained)
        self.explain_action.setEnabled(explained)
        self.side.setVisible(explained)
        self._stale = True
        if on_screen(self):
            self._refill()

    def show_findings(self, images: np.ndarray, true, found, probabilities, finding_names: list[str]) -> None:
        """A multi-label run: ``images`` (N, H, W[, 3]) uint8, (N, K) true and found findings (bool) and each
        finding's probability; each thumbnail names the findings found and, where they differ, the true ones
        (red frame: some finding wrong), the images with the most wrong findings first."""
        true, found = np.asarray(true, dtype=bool), np.asarray(found, dtype=bool)
        probabilities = np.asarray(probabilities, dtype=np.float64)
        self._data, self._masks = None, None
        self._findings = (images, true, found, probabilities, list(finding_names))
        wrong = int((true != found).any(axis=1).sum())
        self.title.setText(f"{len(true):,} validation images, {wrong:,} with a finding wrong (missed or false); "
                           "the most wrong first, each with the findings found and the true ones (red frame: "
                           "some finding wrong, green: all right).")
        self._show_pictures(explained=True)

    def findings_order(self) -> np.ndarray:
        """The listed order of a multi-label run's images (empty without one), "Mistakes only" applied."""
        if self._findings is None:
            return np.array([], dtype=int)
        _, true, found, probabilities, _ = self._findings
        order = findings_order(true, found, probabilities)
        if self.mistakes_only.isChecked():
            order = order[(true[order] != found[order]).any(axis=1)]
        return order

    def mask_order(self) -> np.ndarray:
        """The listed images' indices, the worst IoU (or box F1) first (empty without a segmentation or
        detection run)."""
        return np.argsort(self._masks[2], kind="stable") if self._masks is not None else np.array([], dtype=int)

    def _refill_masks(self) -> None:
        images, predicted, iou, names = self._masks
        texts = []
        ratio = self.list.devicePixelRatioF()
        frame = self.palette().mid().color()
        boxes = isinstance(predicted, tuple)  # a detector's (predicted, true) boxes
        for index in self.mask_order()[:MAX_ITEMS]:
            if boxes:
                found, true = predicted[0][index], predicted[1][index]
                text = f"F1 {iou[index]:.2f}"
                picture = boxes_pixmap(images[index], DrawnBoxes(found["boxes"], found["labels"], found["scores"]),
                                       names, QSize(THUMBNAIL - 6, THUMBNAIL - 6), ratio)
                tip = (f"validation image #{index}: {len(found['labels'])} box(es) predicted, {len(true)} true; "
                       f"F1 {iou[index]:.3f}")
            else:
                text = f"IoU {iou[index]:.2f}"
                picture = overlay(images[index], predicted[index], DEFAULT_OPACITY / 100)
                tip = (f"validation image #{index}: mean IoU {iou[index]:.3f} (the classes in its true or "
                       "predicted mask)")
            texts.append(text)
            item = QListWidgetItem(QIcon(framed_thumbnail(picture, frame, ratio=ratio)), text)
            item.setToolTip(tip)
            item.setData(Qt.ItemDataRole.UserRole, int(index))
            self.list.addItem(item)
        self._fit_grid(texts)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.show_pending()

    def show_pending(self, visible: bool = True) -> None:
        """Makes the thumbnails kept back while hidden (its dock's tab came to the front)."""
        if visible and self._stale:
            self._refill()

    def _refill(self) -> None:
        self._stale = False
        self._next_chunk.stop()
        self.list.clear()
        self._waiting, self._texts = [], []
        if self._masks is not None:
            self._refill_masks()
            return
        if self._findings is not None:
            self._waiting = [int(index) for index in self.findings_order()[:MAX_ITEMS]]
            self._add_chunk()
            return
        if self._data is None:
            return
        images, true, predicted, confidence, class_names = self._data
        order = gallery_order(true, predicted, confidence)
        if self.mistakes_only.isChecked():
            order = order[predicted[order] != true[order]]
        self._waiting = [int(index) for index in order[:MAX_ITEMS]]
        self._add_chunk()

    def _add_chunk(self) -> None:
        """Lists the next ``CHUNK`` thumbnails, and asks for another turn while some are left."""
        if self._data is None and self._findings is None:
            return
        chunk, self._waiting = self._waiting[:CHUNK], self._waiting[CHUNK:]
        ratio = self.list.devicePixelRatioF()
        for index in chunk:
            self.list.addItem(self._finding_item(index, ratio) if self._findings is not None
                              else self._guess_item(index, ratio))
        self._fit_grid(self._texts)
        if self._waiting:
            self._next_chunk.start(0)

    def _finding_item(self, index: int, ratio: float) -> QListWidgetItem:
        images, true, found, probabilities, names = self._findings
        right = bool((true[index] == found[index]).all())
        colour = plot_style.GOOD_COLOUR if right else plot_style.ERROR_COLOUR
        text = f"found: {findings_caption(names, found[index])}" + (
            "" if right else f"\ntrue: {findings_caption(names, true[index])}")
        self._texts.append(text)
        item = QListWidgetItem(QIcon(framed_thumbnail(images[index], colour, ratio=ratio)), text)
        item.setToolTip(findings_tooltip(index, names, true[index], found[index], probabilities[index]))
        item.setData(Qt.ItemDataRole.UserRole, index)
        return item

    def _guess_item(self, index: int, ratio: float) -> QListWidgetItem:
        images, true, predicted, confidence, class_names = self._data
        right = predicted[index] == true[index]
        colour = plot_style.GOOD_COLOUR if right else plot_style.ERROR_COLOUR
        guess, truth = class_names[predicted[index]], class_names[true[index]]
        text = f"{guess} ({100 * confidence[index]:.0f}%)" + ("" if right else f"\ntrue: {truth}")
        self._texts.append(text)
        item = QListWidgetItem(QIcon(framed_thumbnail(images[index], colour, ratio=ratio)), text)
        item.setToolTip(f"validation image #{index}: guessed {guess} with {100 * confidence[index]:.1f} % "
                        f"confidence; it is {truth}")
        item.setData(Qt.ItemDataRole.UserRole, index)
        return item

    def _fit_grid(self, texts: list[str]) -> None:
        """Cells as wide as the longest caption ("airplane (97%) / true: automobile"), never clipped."""
        metrics = self.list.fontMetrics()
        widest = max((metrics.horizontalAdvance(line) for text in texts for line in text.split("\n")), default=0)
        self.list.setGridSize(QSize(max(THUMBNAIL + 40, widest + 16), THUMBNAIL + 2 * metrics.lineSpacing() + 16))

    def item_count(self) -> int:
        return self.list.count()

    def item_for(self, index: int) -> QListWidgetItem | None:
        """The thumbnail of validation image ``index``, if it is listed."""
        return next((self.list.item(row) for row in range(self.list.count())
                     if self.list.item(row).data(Qt.ItemDataRole.UserRole) == index), None)

    def _choose(self, item: QListWidgetItem | None) -> None:
        if item is not None and self._findings is not None:
            index = item.data(Qt.ItemDataRole.UserRole)
            images, true, found, _, names = self._findings
            self.chosen_label.setText(f"Image #{index}: found {findings_caption(names, found[index])}; "
                                      f"true {findings_caption(names, true[index])}.")
            self.gradcam.show_image(images[index])
            self.image_chosen.emit(index)
            return
        if item is None or self._data is None:
            return
        index = item.data(Qt.ItemDataRole.UserRole)
        images, true, predicted, confidence, class_names = self._data
        self.chosen_label.setText(f"Image #{index}: guessed {class_names[predicted[index]]} "
                                  f"({100 * confidence[index]:.0f}%), it is {class_names[true[index]]}.")
        self.gradcam.show_image(images[index])
        self.image_chosen.emit(index)
