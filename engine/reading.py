"""Readers are one door: every file a person opens passes here before any parser sees it.

A file chosen in a dialog or named on the command line may be anything: a
device that never ends (``/dev/zero``), a named pipe that blocks forever, a
file far larger than any real project. Here a path is checked with
``os.stat`` *before* it is opened, opened with ``O_NONBLOCK`` (so a pipe
swapped in after the check cannot hang the open), checked again on the open
descriptor (the same regular file), and read up to a stated size per kind of
file. Every refusal is one line naming the path and what is wrong.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

MB = 1024 * 1024
GB = 1024 * MB

MAX_MODEL_FILE_BYTES = 16 * GB
"""Checkpoints, weights and TorchScript exports: the largest torchvision weights are ~2.5 GB; a checkpoint
with Adam's state holds three times its weights."""
MAX_IMAGE_FILE_BYTES = 256 * MB
"""An image to classify or explain: far above any photo, far below what would exhaust memory."""


class RefusedFile(OSError):
    """A file the door will not read; ``reason`` says why without the path (an ``OSError``, so code that
    already treats unreadable files as ``OSError`` treats these the same way)."""

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        super().__init__(f"{os.fspath(path)}: {reason}")
        self.path = os.fspath(path)
        self.reason = reason


def size_text(size: int) -> str:
    """``64 MB``, ``16 GB``: limits as people read them."""
    for unit, scale in (("GB", GB), ("MB", MB), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"


_KINDS = ((stat.S_ISDIR, "is a folder"), (stat.S_ISFIFO, "is a named pipe (FIFO)"),
          (stat.S_ISCHR, "is a device"), (stat.S_ISBLK, "is a device"), (stat.S_ISSOCK, "is a socket"))


def _not_regular(mode: int, what: str) -> str | None:
    if stat.S_ISREG(mode):
        return None
    kind = next((text for test, text in _KINDS if test(mode)), "is not a regular file")
    if kind == "is a folder":
        return f"is a folder, not {what}"
    return f"{kind}, not {what}: ConvCanvas reads only regular files"


def _too_large(size: int, max_bytes: int, what: str) -> str:
    return f"{size:,} bytes is too large for {what} (the limit is {size_text(max_bytes)})"


def _os_reason(problem: OSError) -> str:
    if isinstance(problem, FileNotFoundError):
        return "no such file"
    return f"cannot be read ({problem.strerror or type(problem).__name__})"


@contextmanager
def open_regular(path: str | os.PathLike, what: str, max_bytes: int,
                 error: type[Exception] | None = None) -> Iterator[BinaryIO]:
    """``path`` opened for reading, binary, once it is known to be a regular file of at most
    ``max_bytes``; ``what`` names the kind of file in refusals (``"a project file"``).

    Refusals raise ``error(message)`` when given, else ``RefusedFile``.
    """
    try:
        with _opened(path, what, max_bytes) as handle:
            yield handle
    except RefusedFile as refused:
        _raise_as(refused, error)


def read_limited(path: str | os.PathLike, what: str, max_bytes: int, error: type[Exception] | None = None) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them (see ``open_regular``)."""
    try:
        with _opened(path, what, max_bytes) as handle:
            try:
                data = handle.read(max_bytes + 1)  # + 1: the file may have grown since it was checked
            except OSError as problem:
                raise RefusedFile(path, _os_reason(problem)) from None
        if len(data) > max_bytes:
            raise RefusedFile(path, f"grew past the limit for {what} ({size_text(max_bytes)}) while it was read")
    except RefusedFile as refused:
        _raise_as(refused, error)
    return data


def _raise_as(refused: RefusedFile, error: type[Exception] | None):
    if error is None:
        raise refused
    raise error(str(refused)) from None


@contextmanager
def _opened(path: str | os.PathLike, what: str, max_bytes: int) -> Iterator[BinaryIO]:
    try:
        before = os.stat(path)
    except (OSError, ValueError) as problem:  # ValueError: a NUL byte in the path
        raise RefusedFile(path, _os_reason(problem) if isinstance(problem, OSError) else "not a valid path") from None
    problem = _not_regular(before.st_mode, what)
    if problem:
        raise RefusedFile(path, problem)
    if before.st_size > max_bytes:
        raise RefusedFile(path, _too_large(before.st_size, max_bytes, what))
    # O_NONBLOCK: a pipe swapped in after the stat opens at once (and is refused below) instead of waiting
    # for a writer. Windows has neither pipes by path nor the flag.
    flags = os.O_RDONLY
    for flag in ("O_NONBLOCK", "O_CLOEXEC", "O_NOCTTY", "O_BINARY"):
        flags |= getattr(os, flag, 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as failure:
        raise RefusedFile(path, _os_reason(failure)) from None
    handle = os.fdopen(descriptor, "rb")
    with handle:
        # The path may have been swapped for a pipe or another file between the stat and the open.
        after = os.fstat(descriptor)
        if _not_regular(after.st_mode, what) or (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
            raise RefusedFile(path, f"changed while it was being opened; try again ({what} must stay put)")
        yield handle

