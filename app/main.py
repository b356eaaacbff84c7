"""Starts the desktop app: ``convcanvas`` with no command, or with a ``.cnn.json`` to open."""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping

NO_DISPLAY_HINT = ("convcanvas: no display found: run with QT_QPA_PLATFORM=offscreen, under xvfb-run, "
                   "or use the headless commands: convcanvas --help")
# Qt platforms that draw without a display server.
HEADLESS_PLATFORMS = {"offscreen", "minimal", "vnc", "eglfs", "linuxfb"}


def display_available(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> bool:
    """False where Qt would abort for want of a display (Linux without X11 or Wayland)."""
    if not platform.startswith("linux"):
        return True
    chosen = environ.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    if chosen in HEADLESS_PLATFORMS:
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def run_app(argv: list[str]) -> int:
    """Runs the window until it closes; ``argv`` may name one project file to open."""
    if not display_available():
        print(NO_DISPLAY_HINT, file=sys.stderr)
        return 2
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from .icons import app_icon
    from .main_window import APP_NAME, MainWindow
    from .qt_workarounds import GuiThreadGarbageCollector

    app = QApplication.instance()
    if app is None:
        # Crisp at fractional scale factors (125 %, 150 %) instead of rounded ones.
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication([sys.argv[0] if sys.argv else "convcanvas"])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setDesktopFileName("convcanvas")
    app.setWindowIcon(app_icon())
    collector = GuiThreadGarbageCollector(parent=app)
    window = MainWindow()
    window.show()
    window.start(argv[0] if argv else None)
    status = app.exec()
    collector.stop()
    return status
