import os

# Qt must never try to open a real display in tests; set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci")


# --- disks that refuse writes (for the write-failure tests of the engine and the app) --------------

import errno  # noqa: E402
import subprocess  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

SMALL_DISK = "size=64k"


def _mount_tmpfs(folder: Path, options: str) -> None:
    """A tiny RAM disk at ``folder``; skips the test where mounting is not allowed (not root)."""
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"a full or read-only disk needs a tmpfs mount, refused here "
                    f"({result.stderr.strip() or result.returncode}): run as root to cover it")


def _fill(folder: Path) -> None:
    """Takes every free byte of ``folder``'s disk, so the next write of anything gets ENOSPC."""
    with open(folder / "filler", "wb", buffering=0) as filler:
        for chunk in (4096, 512, 1):
            try:
                while True:
                    filler.write(b"\0" * chunk)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error


@pytest.fixture
def refusing_disk(tmp_path) -> Callable[..., Path]:
    """``refusing_disk(files, full=True)``: a folder on its own tiny disk holding ``files``
    (name → bytes), then either full to the last byte (``full``) or remounted read-only."""
    mounted: list[Path] = []

    def make(files: dict[str, bytes], *, full: bool = True) -> Path:
        folder = tmp_path / f"disk{len(mounted)}"
        folder.mkdir()
        _mount_tmpfs(folder, SMALL_DISK)
        mounted.append(folder)
        for name, data in files.items():
            (folder / name).write_bytes(data)
        if full:
            _fill(folder)
        else:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)


# --- what a run leaves behind (threads and child processes) ---------------------------------------

import threading  # noqa: E402
from dataclasses import dataclass  # noqa: E402

RESOURCE_TRACKER = "multiprocessing.resource_tracker"


@dataclass(frozen=True)
class WorkerCensus:
    """Thread names and child processes ('pid command') of this process at one moment.

    Python's resource tracker is left out: it stays by design (engine.data.stream_data)."""

    threads: tuple[str, ...]
    processes: tuple[str, ...]

    @classmethod
    def now(cls) -> "WorkerCensus":
        me, found = os.getpid(), []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:  # it ended meanwhile
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me and RESOURCE_TRACKER not in command:
                found.append(f"{entry.name} {command[:80]}")
        return cls(tuple(sorted(thread.name for thread in threading.enumerate())), tuple(sorted(found)))


@pytest.fixture
def worker_census() -> Callable[[], WorkerCensus]:
    """``worker_census()``: the threads and child processes now (Linux: children are read from /proc)."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("counts child processes in /proc (Linux)")
    return WorkerCensus.now
