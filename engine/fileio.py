"""Atomic file writes: a crash or a full disk never leaves half a file behind.

Every writer in ConvCanvas goes through ``atomic_write``: the content is made
in memory (or in a temp file beside the target), then renamed over the target,
so the old file stays intact until the new one is complete. Any failure is a
``WriteError`` whose message is one line naming the path and the cause in
plain words ("cannot write /x/y.pt: no space left on device"), and no temp
file is left behind.
"""
from __future__ import annotations

import errno
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The causes people meet when writing, in plain words (os.strerror's otherwise).
_PLAIN_CAUSES = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the disk is read-only",
    errno.EISDIR: "it is a folder",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EFBIG: "the file is too large for this disk",
    errno.EIO: "the disk reported an input/output error",
    errno.EBUSY: "the file is in use",
    errno.ETXTBSY: "the file is in use",
    errno.EMFILE: "too many files are open",
    errno.EINVAL: "the name is not allowed on this disk",
}


class WriteError(OSError):
    """A file that could not be written. ``str()`` is one line: ``cannot write PATH: CAUSE``.

    An ``OSError`` (``errno``, ``strerror`` = the plain cause, ``filename`` = the target), so
    code that catches ``OSError`` still catches it.
    """

    def __str__(self) -> str:
        return f"cannot write {self.filename}: {self.strerror}"


def write_error(path: str | os.PathLike, error: OSError) -> WriteError:
    """``error`` (met while writing ``path``) as a ``WriteError`` naming ``path`` and the cause."""
    if isinstance(error, WriteError):
        return error
    target = Path(path)
    code = error.errno
    if code in (errno.ENOENT, errno.ENOTDIR, errno.EEXIST):
        # Folders are created first, so these mean a part of the path cannot hold files.
        cause = _missing_folder_cause(target)
    elif code in _PLAIN_CAUSES:
        cause = _PLAIN_CAUSES[code]
    else:
        text = " ".join((error.strerror or str(error) or type(error).__name__).split())
        cause = text[:1].lower() + text[1:]  # "Stale file handle" → "stale file handle", paths kept
    return WriteError(code, cause, str(target))


def _missing_folder_cause(target: Path) -> str:
    """Why a file cannot be created at ``target``: a file where a folder should be, or a folder that
    takes no new entries (like /proc)."""
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    return f"{folder} does not accept new files or folders"


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Calls ``write(temp_path)`` on a temp file beside ``path``, then renames it over ``path``.

    The rename is atomic on the same file system, so readers see either the
    old file or the complete new one. Every ``OSError`` becomes a ``WriteError``
    naming ``path``; errors ``write`` raises for other reasons pass through. No temp
    file outlives the call. ``write`` must fail with Python exceptions: serialise
    with C++ writers (torch) to memory and use ``atomic_write_bytes``.
    """
    target = Path(path)
    _replace_all([(_written_temp(target, write), target)])
    return target


def atomic_write_files(contents: list[tuple[str | os.PathLike, bytes | memoryview]]) -> list[Path]:
    """Files that belong together (a Python export's source and weights): every one is complete in
    its temp file before any replaces its target, so a failure leaves all the old files as they were."""
    written: list[tuple[Path, Path]] = []
    try:
        for path, data in contents:
            target = Path(path)
            written.append((_written_temp(target, _bytes_writer(data)), target))
    except BaseException:
        for temp, _ in written:
            temp.unlink(missing_ok=True)
        raise
    _replace_all(written)
    return [target for _, target in written]


def _written_temp(target: Path, write: Callable[[Path], None]) -> Path:
    """A complete, synced temp file beside ``target`` filled by ``write``; on failure none is left."""
    try:
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise write_error(target, error) from None
    os.close(handle)
    temp = Path(temp_name)
    try:
        # mkstemp creates the file private (0600); give it the usual permissions.
        os.chmod(temp, 0o666 & ~_current_umask())
        write(temp)
        with open(temp, "rb") as written:
            os.fsync(written.fileno())
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise write_error(target, error) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _replace_all(written: list[tuple[Path, Path]]) -> None:
    """Renames each temp over its target (atomic on one file system); on failure removes the temps left."""
    for index, (temp, target) in enumerate(written):
        try:
            os.replace(temp, target)
        except OSError as error:
            for left, _ in written[index:]:
                left.unlink(missing_ok=True)
            raise write_error(target, error) from None


def check_writable(path: str | os.PathLike) -> Path:
    """Creates ``path``'s folder and checks that a file can be made there, before hours of work
    would be lost to an unwritable destination; ``WriteError`` naming ``path`` otherwise."""
    target = Path(path)
    try:
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise write_error(target, error) from None
    return target


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes | memoryview) -> Path:
    return atomic_write(path, _bytes_writer(data))


def _bytes_writer(data: bytes | memoryview) -> Callable[[Path], None]:
    def write(temp: Path) -> None:
        with open(temp, "wb") as out:
            out.write(data)

    return write


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_torch_save(path: str | os.PathLike, obj: Any) -> Path:
    """``torch.save(obj)`` atomically. torch serialises to memory first: its C++ file writer
    reports a full disk as a RuntimeError (or aborts the process), never as an ``OSError``."""
    return atomic_write_bytes(path, torch_bytes(obj))


def torch_bytes(obj: Any) -> memoryview:
    """``torch.save(obj)`` into memory (see ``atomic_torch_save``)."""
    import torch

    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getbuffer()

