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


# Libraries Qt's X11 (xcb) plugin loads, by the Debian/Ubuntu package that ships each. Without
# one of them Qt aborts with a message about xcb-cursor alone, whichever is missing.
XCB_LIBRARIES = {
    "xcb-cursor": "libxcb-cursor0", "xcb-icccm": "libxcb-icccm4", "xcb-keysyms": "libxcb-keysyms1",
    "xcb-image": "libxcb-image0", "xcb-render-util": "libxcb-render-util0", "xkbcommon-x11": "libxkbcommon-x11-0",
}


def missing_x11_packages(environ: Mapping[str, str] = os.environ, platform: str = sys.platform,
                         find_library=None) -> list[str]:
    """Packages to install where Qt would pick its X11 plugin and then abort for want of them."""
    if not platform.startswith("linux") or not environ.get("DISPLAY"):
        return []
    chosen = environ.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    if chosen not in ("", "xcb") or (not chosen and environ.get("WAYLAND_DISPLAY")):
        return []
    if find_library is None:
        from ctypes.util import find_library
    return [package for library, package in XCB_LIBRARIES.items() if find_library(library) is None]


def run_app(argv: list[str]) -> int:
    """Runs the window until it closes; ``argv`` may name one project file to open."""
    if not display_available():
        print(NO_DISPLAY_HINT, file=sys.stderr)
        return 2
    missing = missing_x11_packages()
    if missing:
        print(f"convcanvas: Qt's X11 plugin needs system libraries that are not installed: install them "
              f"(Debian/Ubuntu: sudo apt-get install {' '.join(missing)}), or use the headless commands: "
              "convcanvas --help", file=sys.stderr)
        return 2
    import shiboken6
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
    collector = GuiThreadGarbageCollector(parent=app, freeze_imports=True)
    window = MainWindow()
    window.show()
    window.start(argv[0] if argv else None)
    status = app.exec()
    # The window and its children die here, while Python and the QApplication are whole. Left to
    # PySide's exit hook they died during interpreter shutdown, where a Python override they call
    # (an event filter) could not even report an error and took the process down (exit 139).
    shiboken6.delete(window)
    collector.stop()
    return status
