"""Opens the real main window the way ``convcanvas`` does and reports what a user sees at start-up.

``python tests/app/startup_probe.py PRESET`` from the repository root (QT_QPA_PLATFORM=offscreen, own HOME).
Prints one JSON object: the modules imported when the window first showed LeNet-5 (before the
warm-up started), and the Train button, toolbar action and status bar while PyTorch is prepared and
after. Run in a fresh process because the question is what a fresh process imports.
"""
from __future__ import annotations

import json
import os
import sys
import time

HEAVY = ("torch", "torchvision", "onnx")


def heavy_modules() -> list[str]:
    return sorted(name for name in HEAVY if name in sys.modules)


def torch_actions(window) -> dict:
    """What a user sees of each action that builds torch models on the GUI thread: enabled, status tip."""
    actions = [*window.importer.actions, window.model_menu.weights_action, window.open_checkpoint_action,
               window.learn_convolution_action]
    return {action.text(): [action.isEnabled(), action.statusTip()] for action in actions}


def main() -> int:
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    from app.main_window import MainWindow

    window = MainWindow(settings=QSettings(os.path.join(os.environ["HOME"], "settings.ini"),
                                           QSettings.Format.IniFormat))
    window.show()
    ui = window.training_ui
    ui.start_warm_up = lambda start=ui.start_warm_up: (report.update(before_warm_up=heavy_modules()), start())[1]
    report: dict = {}
    window.start(sys.argv[1])  # as ``convcanvas PRESET`` does
    app.processEvents()
    report["start_page_shown"] = window.start_page_shown
    report["nodes"] = len(window.document.graph.nodes)
    report["analysis_valid"] = window.document.analysis.valid
    toolbar_train = window.toolbar.train_action
    report["preparing"] = {
        "button_enabled": ui.panel.train_button.isEnabled(), "button_tip": ui.panel.train_button.toolTip(),
        "action_enabled": toolbar_train.isEnabled(), "action_tip": toolbar_train.toolTip(),
        "status_shown": ui.torch_label.isVisible(), "status_text": ui.torch_label.text(),
        "actions": torch_actions(window), "device": ui.panel.device_label.text(),
        "dataset": ui.panel.dataset.info_label.text(),
    }
    QTest.keyClick(window, Qt.Key.Key_F5)  # a user pressing Train at once: nothing freezes, nothing starts
    app.processEvents()
    report["run_started_by_early_f5"] = ui.run is not None
    # The bundled dataset is described from its own file on a job thread, without waiting for torch.
    deadline = time.monotonic() + 60
    while ui.panel.dataset_info is None and not ui.panel.torch_ready and time.monotonic() < deadline:
        QTest.qWait(10)
    report["dataset_before_torch"] = ui.panel.dataset.info_label.text() if not ui.panel.torch_ready else ""
    # Generous: on a busy 2-core machine torch's import behind the window took ~110 s (120 was cut short).
    deadline = time.monotonic() + 200
    while not (ui.panel.torch_ready and ui.panel.dataset_info is not None) and time.monotonic() < deadline:
        QTest.qWait(50)
    report["ready"] = {
        "button_enabled": ui.panel.train_button.isEnabled(), "action_enabled": toolbar_train.isEnabled(),
        "status_shown": ui.torch_label.isVisible(), "button_tip": ui.panel.train_button.toolTip(),
        "actions": torch_actions(window), "device": ui.panel.device_label.text(),
        "dataset": ui.panel.dataset.info_label.text(),
    }
    print(json.dumps(report))
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
