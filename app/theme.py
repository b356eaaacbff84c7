"""Light and dark themes: Fusion with our palettes and one token-filled stylesheet.

The theme follows the system's colour scheme (``QStyleHints.colorScheme``,
live) unless View ▸ Theme picks Light or Dark; the choice is remembered in
QSettings.
"""
from __future__ import annotations

import re
from pathlib import Path
from importlib.resources import files

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

MODES = ("system", "light", "dark")
SETTINGS_KEY = "view/theme"

# Colour tokens per scheme; the stylesheet refers to them as @name.
COLOURS: dict[str, dict[str, str]] = {
    "light": {
        "window": "#F6F7F9", "panel": "#F6F7F9", "base": "#FFFFFF", "alt_base": "#F3F4F6",
        "text": "#1F2328", "muted": "#667085", "disabled": "#A3AAB5", "border": "#DDE1E6",
        "control_border": "#7B838F",  # around buttons and check boxes: >= 3:1 against window and base
        "hover": "#ECEEF2", "selection": "#DCE7FD", "accent": "#2F6FEB", "accent_text": "#FFFFFF",
        "button": "#FFFFFF", "tooltip": "#FFFFFF", "tooltip_text": "#1F2328",
        "good": "#1A7F4C", "warn": "#936100", "bad": "#C0353A", "link": "#2459C8",
    },
    "dark": {
        "window": "#212226", "panel": "#212226", "base": "#2A2C31", "alt_base": "#26282C",
        "text": "#E4E6EA", "muted": "#9AA1AD", "disabled": "#5E646E", "border": "#35373D",
        "control_border": "#7A808A",
        "hover": "#2F3237", "selection": "#28406B", "accent": "#4C8DF6", "accent_text": "#0D1117",
        "button": "#2C2E33", "tooltip": "#2E3035", "tooltip_text": "#E4E6EA",
        "good": "#3DBE7F", "warn": "#E0A541", "bad": "#F0676B", "link": "#7AAEFF",
    },
}


def stylesheet(scheme: str) -> str:
    """resources/styles/app.qss with the scheme's @tokens filled in."""
    template = (files("resources") / "styles" / "app.qss").read_text(encoding="utf-8")
    tokens = dict(COLOURS[scheme])
    tokens["scheme"] = scheme  # for icons drawn per theme (url(@icons/dock_close_@scheme.svg))
    font = QApplication.font()
    points = font.pointSizeF() if font.pointSizeF() > 0 else 10.0
    tokens["font_size"] = f"{points:g}pt"
    tokens["title_size"] = f"{points * 1.25:g}pt"
    tokens["icons"] = Path(str(files("resources") / "icons")).as_posix()  # for url(@icons/check.svg)
    return re.sub(r"@([a-z_]+)", lambda match: tokens[match.group(1)], template)


def palette(scheme: str) -> QPalette:
    c = {key: QColor(value) for key, value in COLOURS[scheme].items()}
    result = QPalette()
    roles = QPalette.ColorRole
    for role, colour in (
        (roles.Window, c["window"]), (roles.WindowText, c["text"]), (roles.Base, c["base"]),
        (roles.AlternateBase, c["alt_base"]), (roles.Text, c["text"]), (roles.Button, c["button"]),
        (roles.ButtonText, c["text"]), (roles.BrightText, c["bad"]), (roles.Highlight, c["accent"]),
        (roles.HighlightedText, c["accent_text"]), (roles.ToolTipBase, c["tooltip"]),
        (roles.ToolTipText, c["tooltip_text"]), (roles.PlaceholderText, c["muted"]),
        (roles.Link, c["link"]), (roles.Mid, c["border"]), (roles.Midlight, c["hover"]),
        (roles.Dark, c["border"].darker(130)), (roles.Light, c["base"]),
        (roles.Shadow, QColor(0, 0, 0, 90)),
    ):
        result.setColor(role, colour)
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        result.setColor(QPalette.ColorGroup.Disabled, role, c["disabled"])
    return result


def relative_luminance(colour: QColor) -> float:
    """WCAG 2.2's relative luminance of an opaque colour (0 black … 1 white)."""
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4
    return 0.2126 * linear(colour.redF()) + 0.7152 * linear(colour.greenF()) + 0.0722 * linear(colour.blueF())


def contrast_ratio(first: QColor, second: QColor) -> float:
    """WCAG 2.2's contrast ratio, 1 to 21 (text needs 4.5, borders and focus frames 3)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_on(background: QColor, light: QColor = QColor("white"), dark: QColor = QColor("black")) -> QColor:
    """Whichever of ``light`` and ``dark`` text reads better on ``background``."""
    return light if contrast_ratio(light, background) >= contrast_ratio(dark, background) else dark


def set_style_property(widget: QWidget, name: str, value) -> None:
    """Sets a property the stylesheet selects on (``[severity="error"]``) and restyles the widget."""
    if widget.property(name) != value:
        widget.setProperty(name, value)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


def system_scheme() -> str:
    scheme = QGuiApplication.styleHints().colorScheme()
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


class ThemeManager(QObject):
    """Applies the chosen theme to the whole application and keeps it current."""

    changed = Signal(str)  # the effective scheme: "light" or "dark"

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        mode = str(settings.value(SETTINGS_KEY, "system"))
        self._mode = mode if mode in MODES else "system"
        self._scheme = ""
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._system_changed)

    @property
    def mode(self) -> str:
        return self._mode

    @property
    def scheme(self) -> str:
        """The scheme in effect: the chosen one, or the system's."""
        return system_scheme() if self._mode == "system" else self._mode

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown theme {mode!r} (known: {', '.join(MODES)})")
        self._mode = mode
        self._settings.setValue(SETTINGS_KEY, mode)
        self.apply()

    def apply(self) -> None:
        """Puts the theme on the whole application (repolishing every widget only if it changed)."""
        app = QApplication.instance()
        if not app.styleSheet() and app.style().name().lower() != "fusion":
            app.setStyle("Fusion")  # (with a style sheet, style() is a wrapper without a name)
        scheme = self.scheme
        wanted = palette(scheme)
        if app.palette() != wanted:
            app.setPalette(wanted)
        sheet = stylesheet(scheme)
        if app.styleSheet() != sheet:
            app.setStyleSheet(sheet)
        if scheme != self._scheme:
            self._scheme = scheme
            self.changed.emit(scheme)

    def colour(self, token: str) -> QColor:
        """A theme colour by token name (e.g. ``"muted"``), for custom painting."""
        return QColor(COLOURS[self.scheme][token])

    def _system_changed(self, _scheme) -> None:
        if self._mode == "system":
            self.apply()
