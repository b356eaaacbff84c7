"""The cheaper PySide6 import check answers as PySide6's own does, for every module the window imports."""
from __future__ import annotations

import sys

from app.main_window import MainWindow  # noqa: F401 - the window's modules are what the check sees
from app.shell import pyside_feature_check


def test_the_check_is_installed_in_pyside6():
    feature = sys.modules["shibokensupport.feature"]
    assert feature._mod_uses_pyside is pyside_feature_check.module_uses_pyside
    assert pyside_feature_check.replaced is not None and pyside_feature_check.install()  # twice: still in place


def test_it_gives_pyside6s_answer_for_every_imported_module():
    theirs = {}
    for name, module in list(sys.modules.items()):
        try:
            theirs[name] = pyside_feature_check.replaced(module)
        except Exception:  # noqa: BLE001 - odd module objects (torch.classes) that inspect cannot read
            continue
    assert len(theirs) > 300
    ours = {name: pyside_feature_check.module_uses_pyside(sys.modules[name]) for name in theirs}
    assert ours == theirs
    assert ours["app.main_window"] and ours["pyqtgraph.Qt"] and not ours["engine.graph"] and not ours["json"]
