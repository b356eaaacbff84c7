"""Where the app keeps files besides the user's projects: recent files and crash recovery.

Saving a project itself is the document's job (atomic, engine.project). This
module remembers the recently used paths in QSettings and keeps an autosaved
copy of unsaved work in a recovery folder, one file per window session. A
``QLockFile`` beside each copy tells a live session (another window or
process still working) from one that crashed: only abandoned copies are
offered for restoring.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QLockFile, QSettings, QStandardPaths

from engine.fileio import atomic_write_text
from engine.jsonread import parse_json
from engine.project import EXTENSION, MAX_FILE_BYTES, Project, ProjectError, dumps_project, loads_project
from engine.reading import read_limited

RECENT_KEY = "files/recent"
RECENT_LIMIT = 10
RECOVERY_SUFFIX = ".recovery" + EXTENSION


class RecentFiles:
    """The most recently opened or saved project paths, newest first."""

    def __init__(self, settings: QSettings, limit: int = RECENT_LIMIT) -> None:
        self._settings = settings
        self._limit = limit

    def paths(self) -> list[Path]:
        """Remembered paths that still exist."""
        return [path for path in self._stored() if path.is_file()]

    def add(self, path: str | Path) -> None:
        path = Path(path).resolve()
        kept = [p for p in self._stored() if p != path]
        self._store([path, *kept][: self._limit])

    def remove(self, path: str | Path) -> None:
        path = Path(path).resolve()
        self._store([p for p in self._stored() if p != path])

    def clear(self) -> None:
        self._store([])

    def _stored(self) -> list[Path]:
        value = self._settings.value(RECENT_KEY, [])
        if isinstance(value, str):  # QSettings returns a lone string for a one-item list
            value = [value]
        return [Path(item) for item in value or [] if item]

    def _store(self, paths: list[Path]) -> None:
        self._settings.setValue(RECENT_KEY, [str(path) for path in paths])
        self._settings.sync()


def default_recovery_dir() -> Path:
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location) / "recovery"


@dataclass(frozen=True)
class Recoverable:
    """An autosaved copy left behind by a session that ended without closing."""

    path: Path
    project_name: str
    original_path: Path | None
    saved_at: datetime

    def load(self) -> Project:
        """The autosaved project; raises ProjectError if the copy is damaged."""
        data = read_recovery(self.path)
        project = loads_project(json.dumps(data["project"]), self.path.name)
        project.path = self.original_path
        return project

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        _lock_path(self.path).unlink(missing_ok=True)


class RecoverySession:
    """This window's autosave slot: written after edits, deleted when work is saved or dropped."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_recovery_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / f"{uuid.uuid4().hex}{RECOVERY_SUFFIX}"
        self._lock = QLockFile(str(_lock_path(self.path)))
        self._lock.setStaleLockTime(0)  # stale only when the owning process is gone
        self._lock.tryLock(0)

    def write(self, project: Project) -> None:
        """Atomically replaces the autosaved copy with ``project``."""
        record = {
            "original_path": str(project.path) if project.path else None,
            "saved_at": datetime.now().isoformat(timespec="seconds"),
            "project": json.loads(dumps_project(project)),
        }
        atomic_write_text(self.path, json.dumps(record, ensure_ascii=False))

    def exists(self) -> bool:
        return self.path.is_file()

    def clear(self) -> None:
        """Drops the autosaved copy (the work was saved, or deliberately discarded)."""
        self.path.unlink(missing_ok=True)

    def end(self) -> None:
        """A clean end: no copy left behind, lock released."""
        self.clear()
        self.release()

    def release(self) -> None:
        """Gives up the lock but keeps the copy, as a crash would."""
        if self._lock.isLocked():
            self._lock.unlock()

    def abandoned(self) -> list[Recoverable]:
        """Copies in the folder whose session is gone, newest first (never this session's)."""
        found = []
        for path in self.folder.glob(f"*{RECOVERY_SUFFIX}"):
            if path == self.path or _is_live(path):
                continue
            try:
                found.append(_describe(path))
            except (OSError, ValueError, KeyError, TypeError, ProjectError):
                path.unlink(missing_ok=True)  # unreadable: nothing to recover
        return sorted(found, key=lambda item: item.saved_at, reverse=True)


def read_recovery(path: Path) -> dict:
    """An autosaved copy's record, read through the one door (bounded, regular files only)."""
    record = parse_json(read_limited(path, "an autosaved copy", MAX_FILE_BYTES + 4096, ProjectError), path.name,
                        "an autosaved copy", ProjectError)
    if not isinstance(record, dict) or not isinstance(record.get("project"), dict):
        raise ProjectError(f"{path.name}: not an autosaved copy")
    return record


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _is_live(path: Path) -> bool:
    """True while the session that wrote ``path`` still holds its lock."""
    probe = QLockFile(str(_lock_path(path)))
    probe.setStaleLockTime(0)
    if probe.tryLock(0):  # free or stale (its process is gone): nobody owns the copy
        probe.unlock()
        return False
    return True


def _describe(path: Path) -> Recoverable:
    data = read_recovery(path)
    original = data.get("original_path")
    return Recoverable(
        path=path,
        project_name=str(data["project"].get("name", "Untitled")),
        original_path=Path(original) if original else None,
        saved_at=datetime.fromisoformat(data["saved_at"]),
    )
