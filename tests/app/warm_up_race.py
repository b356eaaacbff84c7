"""Opens the real main window and, at once, everything that uses torch off the warm-up thread:
the torchvision import dialog, the pretrained-weights dialog, a background job and a training run.

``python tests/app/warm_up_race.py LOG`` from the repository root (QT_QPA_PLATFORM=offscreen, own
HOME). Every module import is written to LOG as ``thread<TAB>warming-up<TAB>module``.
"""
from __future__ import annotations

import os
import sys
import threading
import time

sys.path.insert(0, os.getcwd())  # the program under test is the checkout's

WARM_UP_THREAD = "ConvCanvas torch warm-up"
seen: list[tuple[str, bool, str]] = []


def warm_up_thread() -> threading.Thread | None:
    return next((thread for thread in threading.enumerate()
                 if thread.name == WARM_UP_THREAD and thread.is_alive()), None)


class ImportSpy:
    """Records each import Python has to find (modules not imported yet), and by whom."""

    def find_spec(self, name, path=None, target=None):
        seen.append((threading.current_thread().name, warm_up_thread() is not None, name))
        return None


def main() -> int:
    sys.meta_path.insert(0, ImportSpy())
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication([sys.argv[0]])
    from app.main_window import MainWindow
    from app.training.settings_command import set_training_setting

    home = os.environ["HOME"]
    window = MainWindow(settings=QSettings(os.path.join(home, "settings.ini"), QSettings.Format.IniFormat))
    window.show()
    window.start(os.path.join("presets", "lenet5.cnn.json"))  # LeNet-5 on digits, as ``convcanvas PRESET``
    ui = window.training_ui
    window.importer.show_torchvision_dialog()
    window.model_menu.show_weights_dialog()
    set_training_setting(window.document, "epochs", 1)
    ended = []
    ui.training_ended.connect(lambda: ended.append(True))
    ui.jobs.run(lambda: __import__("torchvision.models.detection"), ended.append, ended.append)
    if not ui.start_training():
        print("training did not start:", ui.panel.message_label.text(), file=sys.stderr)
        return 3
    while len(ended) < 2:  # the run and the job
        app.processEvents()
        time.sleep(0.02)
    warm_up = warm_up_thread()
    if warm_up is not None:
        warm_up.join()
    with open(sys.argv[1], "w", encoding="utf-8") as log:
        log.writelines(f"{who}\t{warming}\t{name}\n" for who, warming, name in seen)
    window.document.undo_stack.setClean()
    return 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    os._exit(status)  # the imports are what is tested, not the exit
