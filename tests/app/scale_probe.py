"""Opens the real window and each dialog at the scale the environment sets, and reports where they landed.

``python tests/app/scale_probe.py`` from the repository root, with QT_QPA_PLATFORM=offscreen (a screen
configured by ``configfile``) and QT_SCALE_FACTOR: the factor is read when QApplication is made, so
``test_scaling`` runs this in a fresh process. Prints one JSON line: the available geometry, each
top-level's frame, its minimum size, the device pixel ratio of each picture, and the feature-map grid
as drawn.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.getcwd())  # the program under test is the checkout's

import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings, QStandardPaths  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

QStandardPaths.setTestModeEnabled(True)
qt_app = QApplication([])

from app.blocks.guide import BlockGuideDialog  # noqa: E402
from app.blocks.library import SaveBlockDialog  # noqa: E402
from app.canvas.block_dialog import BlockDialog  # noqa: E402
from app.explainer import show_convolution_explainer  # noqa: E402
from app.main_window import MainWindow  # noqa: E402
from app.training.export_dialog import ExportDialog  # noqa: E402

MAP_SIDE = 4


def settle() -> None:
    for _ in range(10):
        qt_app.processEvents()


def rect(r) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]


def placed(widget: QWidget) -> dict:
    widget.show()
    settle()
    least = widget.minimumSizeHint().expandedTo(widget.minimumSize())
    seen = {"frame": rect(widget.frameGeometry()), "minimum": [least.width(), least.height()]}
    widget.close()
    return seen


def drawn_map(window: MainWindow) -> dict:
    """A 4×4 map of distinct values in the Feature Maps grid, grabbed as the screen shows it."""
    grid = window.training_ui.feature_maps.grid
    window.training_ui.dock("featureMapsDock").raise_()
    values = np.arange(MAP_SIDE * MAP_SIDE, dtype=np.uint8).reshape(1, MAP_SIDE, MAP_SIDE) * 16
    grid.set_maps(values)
    settle()
    item = grid.image_items[0]
    box = item.mapRectToScene(item.boundingRect())
    top_left = grid.mapFromScene(box.topLeft())
    bottom_right = grid.mapFromScene(box.bottomRight())
    image = grid.grab().toImage()
    ratio = image.devicePixelRatio()
    x0, y0 = round(top_left.x() * ratio), round(top_left.y() * ratio)
    x1, y1 = round(bottom_right.x() * ratio), round(bottom_right.y() * ratio)
    # Each unit's square, less a 1 px border at either side (where a square meets its neighbour).
    cells = []
    for row in range(MAP_SIDE):
        for column in range(MAP_SIDE):
            left = x0 + (x1 - x0) * column // MAP_SIDE + 1
            right = x0 + (x1 - x0) * (column + 1) // MAP_SIDE - 2
            top = y0 + (y1 - y0) * row // MAP_SIDE + 1
            bottom = y0 + (y1 - y0) * (row + 1) // MAP_SIDE - 2
            colours = {image.pixel(x, y) for x in range(left, right + 1) for y in range(top, bottom + 1)}
            cells.append(len(colours))
    return {"ratio": ratio, "square": [x1 - x0, y1 - y0], "colours_per_square": cells}


def pictures(window: MainWindow) -> dict:
    ratios = {}
    preset = next(iter(window.start_page.preset_buttons.values()))
    ratios["start page"] = preset.icon().pixmap(preset.iconSize(), window.devicePixelRatioF()).devicePixelRatio()
    ui = window.training_ui
    gallery = ui.gallery
    images = (np.arange(6 * 8 * 8) % 256).astype(np.uint8).reshape(6, 8, 8)
    ui.dock("galleryDock").raise_()
    gallery.show_predictions(images, [0, 1, 2, 0, 1, 2], [0, 2, 2, 1, 1, 2], [0.9] * 6, ["a", "b", "c"])
    settle()
    item = gallery.list.item(0)
    ratios["gallery"] = item.icon().pixmap(gallery.list.iconSize(), gallery.devicePixelRatioF()).devicePixelRatio()
    gallery.gradcam.show_image(images[0])
    ratios["grad-cam"] = gallery.gradcam.image_label.pixmap().devicePixelRatio()
    return ratios


def main() -> None:
    scratch = Path(tempfile.mkdtemp())
    window = MainWindow(settings=QSettings(str(scratch / "s.ini"), QSettings.Format.IniFormat),
                        recovery_dir=scratch / "r", runs_root=scratch / "runs", library_dir=scratch / "blocks")
    window.show()
    window.start(None)
    settle()
    seen = {"screen": rect(window.screen().availableGeometry()), "ratio": window.devicePixelRatioF()}
    start_pictures = pictures(window)
    window.start(str(Path("presets") / "lenet5.cnn.json"))
    settle()
    top = {"main window": {"frame": rect(window.frameGeometry()),
                           "minimum": [window.minimumSizeHint().width(), window.minimumSizeHint().height()]}}
    graph = window.document.graph
    conv = next(node for node in graph.nodes.values() if node.type == "conv2d")
    pair = [conv.id, graph.outgoing(conv.id)[0].dst]
    dialogs = {
        "Learn Convolution": lambda: show_convolution_explainer(window),
        "Block guide": lambda: BlockGuideDialog(window),
        "Network analyzer": window.model_menu.show_analyzer,
        "Import torchvision": window.importer.show_torchvision_dialog,
        "Import Python": window.importer.show_python_dialog,
        "Pretrained weights": window.model_menu.show_weights_dialog,
        "Export": lambda: ExportDialog(scratch / "run" / "checkpoint.pt", window.training_ui.jobs, window),
        "Group into block": lambda: BlockDialog(graph, pair, "block", "Block", parent=window.canvas),
        "Save block": lambda: SaveBlockDialog(window, "Block", "", window.block_library.folder),
    }
    for name, make in dialogs.items():
        dialog = make()
        top[name] = placed(dialog) if dialog is not None else None
    seen["top-levels"] = top
    seen["pictures"] = start_pictures
    seen["feature map"] = drawn_map(window)
    window.document.undo_stack.setClean()
    window.close()
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
