"""``run.json``: one run's status and summary, rewritten atomically, read back with liveness.

A run writes ``running`` at its start and updates the file after every
epoch; the end writes ``finished``, ``stopped`` or ``failed``. A process
killed outright (SIGKILL, power loss) cannot write anything, so a reader
that finds ``running`` checks the writer: on this machine, whether its
process still lives; elsewhere, whether its heartbeat is recent. A run
whose writer is gone reads as ``interrupted``.
"""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from ..fileio import atomic_write_text
from ..reading import MB, read_limited
from .folders import STATUS_FILE

FORMAT = "convcanvas.run"
VERSION = 1
MAX_STATUS_BYTES = 1 * MB

STATUSES = ("running", "finished", "stopped", "pruned", "failed", "interrupted")
"""``pruned``: a sweep ended the trial early on purpose (see ``RunRecorder.end_as``)."""
HEARTBEAT_STALE_SECONDS = 6 * 3600
"""A run on another machine that has not written for this long counts as interrupted (an epoch may be slow)."""

# What the window or a person may change after the run; a run's own update never overwrites them.
USER_FIELDS = ("name", "tags")


class RunStatusError(ValueError):
    """A ``run.json`` that cannot be read; one line for people."""


def now_text() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def write_status(folder: Path, status: dict[str, Any]) -> None:
    """Writes ``run.json`` atomically, keeping the name and tags a person set meanwhile."""
    path = Path(folder) / STATUS_FILE
    try:
        current = read_status_file(path)
    except RunStatusError:
        current = {}
    merged = {"format": FORMAT, "version": VERSION, **status,
              **{key: current[key] for key in USER_FIELDS if key in current}}
    atomic_write_text(path, json.dumps(merged, indent=1, default=str) + "\n")


def update_user_fields(folder: Path, **changes: Any) -> dict[str, Any]:
    """Sets ``name`` or ``tags`` in ``run.json`` (the folder keeps its name); returns the new status."""
    unknown = set(changes) - set(USER_FIELDS)
    if unknown:
        raise ValueError(f"only {', '.join(USER_FIELDS)} can be changed, not {', '.join(sorted(unknown))}")
    path = Path(folder) / STATUS_FILE
    status = {**read_status_file(path), **changes}
    atomic_write_text(path, json.dumps(status, indent=1, default=str) + "\n")
    return status


def read_status_file(path: Path) -> dict[str, Any]:
    """The raw ``run.json``; ``RunStatusError`` when missing, too large or not a run status."""
    try:
        document = json.loads(read_limited(path, "a run status file", MAX_STATUS_BYTES))
    except OSError as error:
        raise RunStatusError(str(error)) from None
    except ValueError as error:
        raise RunStatusError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RunStatusError(f"{path}: not a ConvCanvas run status (format {FORMAT!r} expected)")
    return document


def effective_status(status: dict[str, Any]) -> str:
    """The status as it is now: ``running`` becomes ``interrupted`` when its writer is gone."""
    written = status.get("status")
    if written not in STATUSES:
        return "failed"
    if written != "running":
        return written
    if status.get("host") == socket.gethostname() and os.name != "nt":  # Windows' os.kill would end the process
        pid = status.get("pid")
        return "running" if isinstance(pid, int) and process_alive(pid) else "interrupted"
    heartbeat = status.get("heartbeat")
    if not isinstance(heartbeat, (int, float)) or time.time() - heartbeat > HEARTBEAT_STALE_SECONDS:
        return "interrupted"
    return "running"


def process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def writer_identity() -> dict[str, Any]:
    """Who writes the run, for the liveness check: this machine and process, and the time."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "heartbeat": time.time()}
