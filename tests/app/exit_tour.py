"""Runs the real program (``app.main.run_app``) through its windows and dialogs once, then quits.

``python tests/app/exit_tour.py MODE IMAGE`` from the repository root, with
QT_QPA_PLATFORM=offscreen and HOME/XDG folders of its own. ``MODE`` says
what is visited and how the program ends:

* ``explainer-quit``: Help ▸ Learn Convolution, then File ▸ Quit.
* ``tour-quit`` / ``tour-close``: every dialog and window once (explainer,
  block guide, About, torchvision import, pretrained weights, save block to
  library, a one-epoch run, Try an Image with its Grad-CAM, the export dialog
  with an ONNX export under way), then File ▸ Quit, or closing the window.
* ``training-quit``: File ▸ Quit while a run trains (answering "stop it").

Questions are answered as a user would: "Discard" unsaved changes, "Yes" to
stopping a run, every other dialog closed. The exit status is the program's;
3 means the tour itself went wrong (its reason on stderr).
"""
from __future__ import annotations

import os
import sys
import threading
import traceback

sys.path.insert(0, os.getcwd())  # the program under test is the checkout's

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox  # noqa: E402

TOUR_TIMEOUT_S = 240
STEP_MS = 150


def fail(reason: str) -> None:
    print(f"exit tour: {reason}", file=sys.stderr, flush=True)
    os._exit(3)


def answer_dialogs() -> None:
    """Answers whatever modal dialog is up, like a user who wants to leave."""
    dialog = QApplication.activeModalWidget()
    if dialog is None or not dialog.isVisible():
        return
    if isinstance(dialog, QMessageBox):
        for wanted in (QMessageBox.StandardButton.Discard, QMessageBox.StandardButton.Yes):
            button = dialog.button(wanted)
            if button is not None:
                button.click()
                return
    dialog.reject()


def main_window():
    from app.main_window import MainWindow

    windows = [widget for widget in QApplication.topLevelWidgets() if isinstance(widget, MainWindow)]
    return windows[0] if windows else None


def tour(mode: str, image: str):
    """The steps, as a generator: each ``yield`` hands back to the event loop; a yielded
    callable is waited for until it returns true."""
    window = main_window()
    if window is None:
        fail("no main window")
    ui = window.training_ui
    yield window.learn_convolution_action.isEnabled  # as a user would: PyTorch is prepared behind the window
    window.learn_convolution_action.trigger()
    yield
    if mode.startswith("tour"):
        window.guide_action.trigger()
        yield
        window.about_action.trigger()  # modal: answered by the dialog timer
        yield
        window.importer.show_torchvision_dialog()
        yield
        window.model_menu.show_weights_dialog()
        yield
        for dialog in window.findChildren(QDialog):
            if dialog.isVisible() and dialog.isModal():
                dialog.reject()
        yield
        # The library's dialogs: Group into Block (answered), then Save Block to Library for a block.
        graph = window.document.graph
        conv = next(node for node in graph.nodes.values() if node.type == "conv2d")
        ids = [conv.id, graph.outgoing(conv.id)[0].dst]
        window.canvas.select_nodes(ids)
        window.group_action.trigger()
        yield
        group_id = window.document.group_nodes(ids, "stem", "Stem")
        if group_id:
            window.canvas.select_nodes([group_id])
            window.block_library.save_action.trigger()
            yield
    if mode.startswith("tour") or mode == "training-quit":
        from app.training.settings_command import set_training_setting

        set_training_setting(window.document, "epochs", 1 if mode.startswith("tour") else 50)
        if not ui.start_training():
            fail("training did not start: " + ui.panel.message_label.text())
        if mode == "training-quit":
            yield lambda: ui.curves.run is not None and len(ui.curves.run.train["loss"].x) > 0
            window.quit_action.trigger()
            return
        yield lambda: ui.run is None
        if ui.trained is None or ui.trained.checkpoint is None:
            fail("the run left no trained model: " + ui.panel.message_label.text())
        ui.dock("predictDock").raise_()
        ui.predict_file(image)
        yield lambda: ui.predict_view.gradcam.heatmap is not None
        ui.dock("galleryDock").raise_()
        yield
        dialog = ui.show_export_dialog()
        if dialog is None:
            fail("the export dialog did not open")
        yield
        dialog.select_format("onnx")  # its progress dialog is up when the program is left
        dialog.path_edit.setText(os.path.join(os.environ["HOME"], "net.onnx"))
        dialog.export_button.click()
        yield
    if mode.endswith("close"):
        window.close()
    else:
        window.quit_action.trigger()


def drive(mode: str, image: str) -> None:
    steps = None
    waiting = None

    def step() -> None:
        nonlocal steps, waiting
        try:
            if steps is None:
                steps = tour(mode, image)
            if waiting is not None and not waiting():
                return
            waiting = next(steps)
            visible = sorted(widget.objectName() or type(widget).__name__
                             for widget in QApplication.topLevelWidgets() if widget.isVisible())
            print("exit tour: windows up:", ", ".join(visible), file=sys.stderr, flush=True)
        except StopIteration:
            timer.stop()
        except Exception:  # a broken tour must not pass for a clean exit
            traceback.print_exc()
            fail("a step raised")

    timer = QTimer(QApplication.instance())
    timer.timeout.connect(step)
    timer.start(STEP_MS)
    answerer = QTimer(QApplication.instance())
    answerer.timeout.connect(answer_dialogs)
    answerer.start(50)


def main() -> int:
    mode, image = sys.argv[1], sys.argv[2]
    watchdog = threading.Timer(TOUR_TIMEOUT_S, fail, args=(f"no exit after {TOUR_TIMEOUT_S} s",))
    watchdog.daemon = True
    watchdog.start()
    from app.main import run_app

    QApplication([sys.argv[0]])  # run_app takes it over; the tour's timers need it first
    drive(mode, image)
    # LeNet-5 opens at once, as from the start page: the tour needs a network to train and export.
    return run_app([os.path.join(os.getcwd(), "presets", "lenet5.cnn.json")])


if __name__ == "__main__":
    sys.exit(main())
