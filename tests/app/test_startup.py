"""Start-up: the window never waits for PyTorch; Train waits for it, visibly.

``startup_probe.py`` opens LeNet-5 in a fresh process the way ``convcanvas PRESET`` does (a fresh
process, because what matters is what a fresh process has imported and is still importing).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBE = Path(__file__).with_name("startup_probe.py")


@pytest.fixture(scope="module")
def startup(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("home")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"), PYTHONPATH=str(REPO_ROOT))
    result = subprocess.run([sys.executable, str(PROBE), str(REPO_ROOT / "presets" / "lenet5.cnn.json")],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_window_opens_the_preset_with_its_shapes(startup):
    assert not startup["start_page_shown"]
    assert startup["nodes"] > 5 and startup["analysis_valid"]


def test_train_waits_for_pytorch_and_says_so(startup):
    preparing = startup["preparing"]
    assert not preparing["button_enabled"] and not preparing["action_enabled"]
    assert preparing["button_tip"].startswith("Preparing PyTorch")
    assert preparing["action_tip"].startswith("Preparing PyTorch")
    assert preparing["status_shown"] and preparing["status_text"] == "Preparing PyTorch…"
    assert not startup["run_started_by_early_f5"]  # F5 during the warm-up starts nothing and freezes nothing


def test_import_weights_and_checkpoints_wait_for_pytorch_and_say_so(startup):
    actions = startup["preparing"]["actions"]
    assert len(actions) == 7  # torchvision, Python file, saved file, ONNX; weights; open checkpoint; learn convolution
    for text, (enabled, tip) in actions.items():
        assert not enabled and tip.startswith("Preparing PyTorch"), text


def test_the_panel_asks_torch_nothing_before_it_is_ready(startup):
    preparing, ready = startup["preparing"], startup["ready"]
    assert "once PyTorch is ready" in preparing["device"]
    assert ready["device"].startswith("Trains on: CPU") and "10 classes" in ready["dataset"]


def test_the_bundled_datasets_details_do_not_wait_for_pytorch(startup):
    # They were looked up only once PyTorch was ready: seconds of "Looking at the dataset once PyTorch is ready…".
    assert "once PyTorch is ready" not in startup["preparing"]["dataset"]
    assert "10 classes" in startup["dataset_before_torch"]


def test_train_enables_once_pytorch_is_ready(startup):
    ready = startup["ready"]
    assert ready["button_enabled"] and ready["action_enabled"]
    assert not ready["status_shown"]
    assert ready["button_tip"] == "Train a snapshot of the network on the dataset"
    for text, (enabled, tip) in ready["actions"].items():
        assert enabled and tip and not tip.startswith("Preparing PyTorch"), text


def test_the_window_shows_the_preset_before_any_torch_import(startup):
    assert startup["before_warm_up"] == []


def test_the_chooser_describes_the_bundled_set_while_pytorch_is_prepared_and_the_others_after(qtbot):
    from app.training.background import BackgroundJobs
    from app.training.dataset_chooser import DatasetChooser

    jobs = BackgroundJobs()
    chooser = DatasetChooser(jobs)
    qtbot.addWidget(chooser)
    chooser.set_torch_ready(False)  # as while the warm-up imports torch
    chooser.show_settings("digits", "")
    qtbot.waitUntil(lambda: chooser.info is not None)
    assert chooser.info.num_classes == 10 and "10 classes" in chooser.info_label.text()
    chooser.show_settings("shapes", "")  # described by the torch-importing catalogue: it waits
    assert chooser.info is None and "once PyTorch is ready" in chooser.info_label.text()
    chooser.set_torch_ready(True)
    qtbot.waitUntil(lambda: chooser.info is not None and chooser.info.name == "shapes", timeout=60_000)
    jobs.wait(10_000)


def test_describing_the_bundled_set_imports_no_torch():
    code = ("import sys; from engine.data.light_info import info_without_torch; "
            "info = info_without_torch('digits'); assert info.num_samples == 1797, info; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
