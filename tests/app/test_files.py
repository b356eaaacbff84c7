"""Recent files and crash recovery: what survives between sessions, and what must not."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QSettings

from app.files import RECENT_LIMIT, RecentFiles, RecoverySession
from app.presets_menu import first_launch_preset
from engine.project import dumps_project, load_project

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_files(folder: Path, count: int) -> list[Path]:
    paths = []
    for index in range(count):
        path = folder / f"net{index}.cnn.json"
        path.write_text("{}", encoding="utf-8")
        paths.append(path)
    return paths


def test_recent_files_are_newest_first_without_duplicates(tmp_path, app_settings):
    a, b = make_files(tmp_path, 2)
    recent = RecentFiles(app_settings)
    recent.add(a)
    recent.add(b)
    recent.add(a)
    assert recent.paths() == [a.resolve(), b.resolve()]
    again = RecentFiles(QSettings(app_settings.fileName(), QSettings.Format.IniFormat))
    assert again.paths() == [a.resolve(), b.resolve()]  # survives in the settings file


def test_recent_files_are_capped_and_forget_missing_files(tmp_path, app_settings):
    paths = make_files(tmp_path, RECENT_LIMIT + 2)
    recent = RecentFiles(app_settings)
    for path in paths:
        recent.add(path)
    assert len(recent.paths()) == RECENT_LIMIT
    assert recent.paths()[0] == paths[-1].resolve()
    paths[-1].unlink()
    assert paths[-1].resolve() not in recent.paths()
    recent.remove(paths[-2])
    recent.clear()
    assert recent.paths() == []


def test_one_recent_file_reads_back_as_a_list(tmp_path, app_settings):
    (only,) = make_files(tmp_path, 1)
    RecentFiles(app_settings).add(only)
    app_settings.sync()
    assert RecentFiles(QSettings(app_settings.fileName(), QSettings.Format.IniFormat)).paths() == [only.resolve()]


def test_autosave_round_trips_the_project_and_its_path(tmp_path):
    project = load_project(first_launch_preset())
    project.graph.set_param("conv1", "out_channels", 12)
    session = RecoverySession(tmp_path)
    session.write(project)
    assert session.exists()
    session.release()  # as if the process died
    (left,) = RecoverySession(tmp_path).abandoned()
    assert left.project_name == "LeNet-5"
    assert left.original_path == first_launch_preset()
    restored = left.load()
    assert dumps_project(restored) == dumps_project(project)
    left.discard()
    assert not session.path.exists()


def test_a_live_session_is_never_offered_and_a_clean_end_leaves_nothing(tmp_path):
    live = RecoverySession(tmp_path)
    live.write(load_project(first_launch_preset()))
    assert RecoverySession(tmp_path).abandoned() == []
    live.end()
    assert list(tmp_path.iterdir()) == []  # neither the copy nor its lock


def test_a_damaged_autosave_is_dropped_instead_of_offered(tmp_path):
    session = RecoverySession(tmp_path)
    session.path.write_text("{not json", encoding="utf-8")
    session.release()
    assert RecoverySession(tmp_path).abandoned() == []
    assert not session.path.exists()


def test_an_autosave_left_by_a_killed_process_is_offered(tmp_path):
    # A real crash: another process writes its autosave and dies without cleaning up.
    code = (
        "import os, sys; from pathlib import Path\n"
        "from app.files import RecoverySession\n"
        "from engine.project import load_project\n"
        "session = RecoverySession(Path(sys.argv[1]))\n"
        "session.write(load_project(sys.argv[2]))\n"
        "os._exit(3)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path), str(first_launch_preset())],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr
    (left,) = RecoverySession(tmp_path).abandoned()
    assert left.project_name == "LeNet-5"
    record = json.loads(left.path.read_text(encoding="utf-8"))
    assert record["project"]["format"] == "convcanvas.project"
