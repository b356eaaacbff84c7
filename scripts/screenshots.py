"""Renders the README's screenshots from the real window (offscreen, no display needed).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out docs/images]

Writes lenet5.png (LeNet-5 as it opens), error.png (a mistake shown on its
card and in the Problems list), training.png (a run in progress, with live
curves and conv1's feature maps), gradcam.png (Try an Image with the Grad-CAM
heat map of the trained network), resnet50.png (ResNet-50 as 25 cards,
its residual blocks collapsed) and explainer.png (Help ▸ Learn Convolution). Settings, autosaves and runs go to a
temporary folder, so the user's own are untouched.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import app  # noqa: E402,F401 - applies the Qt work-arounds
from app.explainer import show_convolution_explainer  # noqa: E402
from app.main_window import MainWindow  # noqa: E402
from engine.data.digits import load_digits  # noqa: E402

PRESETS = Path(__file__).resolve().parents[1] / "presets"

SIZE = (1440, 900)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    scratch = Path(tempfile.mkdtemp(prefix="convcanvas-shots-"))
    window = MainWindow(settings=QSettings(str(scratch / "settings.ini"), QSettings.Format.IniFormat),
                        recovery_dir=scratch / "recovery", runs_root=scratch / "runs", library_dir=scratch / "blocks")
    window.resize(*SIZE)
    window.show()
    window.start(None)

    def save(name: str) -> None:
        path = args.out / name
        window.grab().save(str(path))
        print(f"wrote {path}")

    def show_error() -> None:
        save("lenet5.png")
        # A kernel larger than the 14×14 maps it slides over: conv2's card turns red.
        window.document.set_param("conv2", "kernel_size", 15)
        window.canvas.select_nodes(["conv2"])
        QTimer.singleShot(600, lambda: (save("error.png"), window.document.undo_stack.undo(), train()))

    def train() -> None:
        window.canvas.select_nodes(["conv1"])
        window.training_ui.start_training()
        QTimer.singleShot(9000, finish)

    def finish() -> None:
        save("training.png")
        window.training_ui.stop_and_wait()
        # A digit the network has seen the like of, as a file, for Try an Image.
        digits, _ = load_digits()
        pixels = np.ascontiguousarray((digits.images[5, 0].numpy() * 255).astype(np.uint8))
        image = QImage(pixels.data, 8, 8, 8, QImage.Format.Format_Grayscale8).scaled(64, 64)
        image.save(str(scratch / "digit.png"))
        window.training_ui.dock("predictDock").raise_()
        # The finished run reaches the window as a queued signal: predict once it has.
        QTimer.singleShot(1000, lambda: window.training_ui.predict_file(str(scratch / "digit.png")))
        QTimer.singleShot(4000, show_blocks)

    def show_blocks() -> None:
        save("gradcam.png")
        window.document.undo_stack.setClean()
        window.open_preset(PRESETS / "resnet50.cnn.json")
        window.training_ui.dock("curvesDock").raise_()
        QTimer.singleShot(300, window.canvas.fit_to_view)
        QTimer.singleShot(1000, show_explainer)

    def show_explainer() -> None:
        save("resnet50.png")
        window.document.undo_stack.setClean()
        explainer = show_convolution_explainer(window)
        QTimer.singleShot(800, lambda: (explainer.grab().save(str(args.out / "explainer.png")),
                                        print(f"wrote {args.out / 'explainer.png'}"), explainer.close(), quit_()))

    def quit_() -> None:
        window.close()
        qt_app.quit()

    QTimer.singleShot(1200, show_error)
    qt_app.exec()
    return 0


if __name__ == "__main__":
    sys.exit(main())
