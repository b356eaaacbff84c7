"""Renders the README's screenshots from the real window (offscreen, no display needed).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out docs/images]

Writes lenet5.png (LeNet-5 as it opens), error.png (a mistake shown on its
card and in the Problems list) and training.png (a run in progress, with live
curves and conv1's feature maps). Settings, autosaves and runs go to a
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

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import app  # noqa: E402,F401 - applies the Qt work-arounds
from app.main_window import MainWindow  # noqa: E402

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
        window.document.undo_stack.setClean()
        window.close()
        qt_app.quit()

    QTimer.singleShot(1200, show_error)
    qt_app.exec()
    return 0


if __name__ == "__main__":
    sys.exit(main())
