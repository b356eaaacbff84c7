"""WCAG 2.2 contrast of the colours ConvCanvas draws with, in both themes (issue 24, item 10).

Text needs 4.5:1 against what it is drawn on; borders of controls, the focus
frame and the curves need 3:1 (non-text contrast). The colours come from where
the app takes them: the theme's tokens (app.theme.COLOURS), the stylesheet
(resources/styles/app.qss) and what the widgets actually render.
"""
from __future__ import annotations

import re
from importlib.resources import files

import numpy as np
import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QCheckBox, QStyle, QStyleOptionButton, QVBoxLayout, QWidget

from app.theme import COLOURS, contrast_ratio, readable_on
from app.training import plot_style
from app.training.confusion import ConfusionView
from app.training.curves import CurvesView

TEXT, NON_TEXT = 4.5, 3.0
SCHEMES = ("light", "dark")
BACKGROUNDS = ("window", "panel", "base")
# Text token → the tokens it is drawn on.
TEXT_ON = {
    "text": ("window", "base", "alt_base", "button", "hover", "selection"),
    "muted": BACKGROUNDS,
    "tooltip_text": ("tooltip",),
    "accent_text": ("accent",),  # a chosen menu item
    "link": BACKGROUNDS,
    "good": BACKGROUNDS, "warn": BACKGROUNDS, "bad": BACKGROUNDS,  # problems and the status bar
}


def colour(scheme: str, token: str) -> QColor:
    return QColor(COLOURS[scheme][token])


def failures(pairs, least: float) -> list[str]:
    return [f"{scheme}: {fg} on {bg} is {contrast_ratio(colour(scheme, fg), colour(scheme, bg)):.2f}:1"
            for scheme, fg, bg in pairs
            if contrast_ratio(colour(scheme, fg), colour(scheme, bg)) < least]


def stylesheet_rules() -> list[tuple[str, str]]:
    text = re.sub(r"/\*.*?\*/", "", (files("resources") / "styles" / "app.qss").read_text(encoding="utf-8"),
                  flags=re.S)
    return [(selector.strip(), body) for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", text)]


def border_tokens(body: str) -> list[str]:
    return re.findall(r"border(?:-color)?\s*:[^;]*@([a-z_]+)", body)


def test_the_contrast_formula_gives_wcag_s_known_values():
    assert contrast_ratio(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert contrast_ratio(QColor("#777777"), QColor("#777777")) == pytest.approx(1.0)
    assert contrast_ratio(QColor("#767676"), QColor("white")) == pytest.approx(4.54, abs=0.01)


def test_text_colours_reach_4_5_to_1_in_both_themes():
    pairs = [(scheme, fg, bg) for scheme in SCHEMES for fg, backgrounds in TEXT_ON.items() for bg in backgrounds]
    assert failures(pairs, TEXT) == []


def test_focus_frames_and_control_borders_of_the_stylesheet_reach_3_to_1():
    """Every border a :focus rule or a check box / radio button / push button draws, against the backgrounds."""
    checked = []
    for selector, body in stylesheet_rules():
        parts = [part.strip() for part in selector.split(",")]
        drawn = [part for part in parts if ":focus" in part
                 or (part.endswith("::indicator") or part in ("QPushButton",))]
        if drawn:
            checked += [(scheme, token, bg) for token in border_tokens(body) for scheme in SCHEMES
                        for bg in (*BACKGROUNDS, "button")]
    assert {token for _scheme, token, _bg in checked} >= {"accent", "control_border"}  # the walk found them
    assert failures(checked, NON_TEXT) == []


@pytest.mark.parametrize("scheme", SCHEMES)
def test_an_unchecked_check_box_shows_its_border_at_3_to_1(qtbot, make_window, scheme):
    window = make_window()
    window.theme.set_mode(scheme)
    holder = QWidget()
    qtbot.addWidget(holder)
    box = QCheckBox("Bias")
    QVBoxLayout(holder).addWidget(box)
    holder.show()
    qtbot.waitExposed(holder)
    option = QStyleOptionButton()
    option.initFrom(box)
    indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    image = box.grab().toImage()
    behind = box.palette().color(QPalette.ColorRole.Window)
    edge = [image.pixelColor(x, indicator.center().y()) for x in range(indicator.left(), indicator.center().x())]
    assert max(contrast_ratio(pixel, behind) for pixel in edge) >= NON_TEXT


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_confusion_matrix_suits_the_theme_and_its_counts_read_on_every_cell(qtbot, make_window, scheme):
    window = make_window()
    window.theme.set_mode(scheme)
    view = ConfusionView()
    qtbot.addWidget(view)
    background = plot_style.background(view)
    colour_map = view.counts.colour_map
    # An empty cell sits close to the plot's background: no near-white area in the dark theme.
    assert contrast_ratio(colour_map.mapToQColor(0.0), background) < 1.6
    for share in np.linspace(0.0, 1.0, 21):
        cell = colour_map.mapToQColor(float(share))
        assert contrast_ratio(readable_on(cell), cell) >= TEXT, f"count on share {share:.2f}"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_curves_and_their_legend_read_in_both_themes(qtbot, make_window, scheme):
    window = make_window()
    window.theme.set_mode(scheme)
    view = CurvesView()
    qtbot.addWidget(view)
    background = plot_style.background(view)
    for curve in (plot_style.TRAIN_COLOUR, plot_style.VALIDATION_COLOUR):
        assert contrast_ratio(curve, background) >= NON_TEXT, curve.name()
    # The legend's words are in the text colour; only its marks (━ ●) take the curves' colours.
    coloured = re.findall(r"<span style='color:[^']*'>(.*?)</span>", view.legend.text())
    assert coloured and not any(re.search(r"[A-Za-z]", text) for text in coloured)
    text = view.legend.palette().color(QPalette.ColorRole.WindowText)
    assert contrast_ratio(text, view.legend.palette().color(QPalette.ColorRole.Window)) >= TEXT


def test_error_messages_read_in_the_dark_theme(make_window):
    window = make_window()
    window.theme.set_mode("dark")
    panel = window.training_ui.panel
    panel.show_message("The data folder is missing.", error=True)
    label = panel.message_label
    label.ensurePolished()
    shown = label.palette().color(QPalette.ColorRole.WindowText)
    assert contrast_ratio(shown, QColor(COLOURS["dark"]["panel"])) >= TEXT


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_dataset_fit_line_reads_in_both_themes(qtbot, make_window, scheme):
    window = make_window()  # LeNet-5 on the digits: it fits, once the set's description has loaded
    window.theme.set_mode(scheme)
    label = window.training_ui.panel.fit_label
    qtbot.waitUntil(lambda: label.text().startswith("✓"), timeout=20_000)
    shown = label.palette().color(QPalette.ColorRole.WindowText)
    assert contrast_ratio(shown, QColor(COLOURS[scheme]["panel"])) >= TEXT
