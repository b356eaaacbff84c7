"""Try an Image for an embedding network: two images → their similarity and the verdict at the threshold.

The box only shows; ``TrainingUi`` computes the embeddings (``engine.predict_embeddings``) on a
background thread when ``pair_chosen`` fires and answers with ``show_similarity`` / ``show_error``. The
threshold comes from the Embeddings view's slider (``set_threshold``): moving it changes the verdict of
the pair already compared without computing anything again.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFileDialog, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .feature_maps import IMAGE_FILTER
from .pictures import fitted_pixmap, to_qimage

PICTURE_SIDE = 120
NEIGHBOUR_SIDE = 64


class CompareBox(QWidget):
    pair_chosen = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths: list[str | None] = [None, None]
        self.similarity: float | None = None
        self.threshold = 0.5
        self.buttons, self.pictures = [], []
        grid = QGridLayout()
        for column, title in enumerate(("&First image…", "&Second image…")):
            button = QPushButton(title)
            button.clicked.connect(lambda _checked=False, slot=column: self._choose(slot))
            picture = QLabel()
            picture.setMinimumSize(QSize(PICTURE_SIDE, PICTURE_SIDE))
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            picture.setAccessibleName(f"{'First' if column == 0 else 'Second'} image")
            grid.addWidget(button, 0, column)
            grid.addWidget(picture, 1, column)
            self.buttons.append(button)
            self.pictures.append(picture)
        self.result = QLabel("Choose two images (or drop them here one after the other) to check whether they "
                             "show the same identity.")
        self.result.setObjectName("verdict")
        self.result.setWordWrap(True)
        self.neighbours_title = QLabel()
        self.neighbours_title.setWordWrap(True)
        self.neighbour_row = QHBoxLayout()
        self.neighbour_labels: list[QLabel] = []
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.result)
        layout.addWidget(self.neighbours_title)
        layout.addLayout(self.neighbour_row)
        layout.addStretch(1)

    def add_image(self, path: str) -> None:
        """A dropped image fills the first free place (a third starts a new pair)."""
        slot = 0 if self.paths[0] is None or None not in self.paths else 1
        if slot == 0:
            self.paths[1] = None
            self.pictures[1].clear()
        self.set_image(slot, path)

    def set_image(self, slot: int, path: str) -> None:
        self.paths[slot] = path
        self.similarity = None
        pixmap = QPixmap(path)
        self.pictures[slot].setPixmap(pixmap.scaled(PICTURE_SIDE, PICTURE_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                                                    Qt.TransformationMode.SmoothTransformation)
                                      if not pixmap.isNull() else QPixmap())
        if None in self.paths:
            self.result.setText(f"{Path(path).name}: now choose the other image.")
        else:
            self.result.setText("Comparing…")
            self.pair_chosen.emit(self.paths[0], self.paths[1])

    def show_similarity(self, similarity: float, neighbours: list = ()) -> None:
        """The pair's similarity, and the first image's nearest validation images (``Neighbour``: image,
        identity, similarity), most similar first."""
        self.similarity = similarity
        self._show_verdict()
        self.show_neighbours(neighbours)

    def show_neighbours(self, neighbours) -> None:
        for label in self.neighbour_labels:
            self.neighbour_row.removeWidget(label)
            label.deleteLater()
        self.neighbour_labels = []
        self.neighbours_title.setText(
            f"Nearest to the first image among the validation identities (the gallery): "
            f"{', '.join(f'{n.identity} {n.similarity:+.2f}' for n in neighbours)}" if neighbours else "")
        ratio = self.devicePixelRatioF()
        for neighbour in neighbours:
            label = QLabel()
            label.setPixmap(fitted_pixmap(to_qimage(neighbour.image), QSize(NEIGHBOUR_SIDE, NEIGHBOUR_SIDE), ratio))
            label.setToolTip(f"{neighbour.identity}: similarity {neighbour.similarity:+.3f}")
            label.setAccessibleName(label.toolTip())
            self.neighbour_row.addWidget(label)
            self.neighbour_labels.append(label)

    def set_threshold(self, threshold: float) -> None:
        self.threshold = threshold
        if self.similarity is not None:
            self._show_verdict()

    def show_error(self, message: str) -> None:
        self.similarity = None
        self.result.setText(message)
        self.show_neighbours([])

    def verdict(self) -> str:
        return self.result.text()

    def _show_verdict(self) -> None:
        same = self.similarity >= self.threshold
        relation = "≥" if same else "<"
        who = "Same identity" if same else "Different identities"
        self.result.setText(f"{who}: similarity {self.similarity:+.3f} {relation} threshold {self.threshold:+.3f} "
                            "(move the threshold in the Embeddings view).")
        self.result.setAccessibleDescription(self.result.text())

    def _choose(self, slot: int) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Image to compare", "", IMAGE_FILTER)
        if path:
            self.set_image(slot, path)
