"""Atomic file writes: a crash or a full disk never leaves half a file behind."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Calls ``write(temp_path)`` on a temp file beside ``path``, then renames it over ``path``.

    The rename is atomic on the same file system, so readers see either the
    old file or the complete new one.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        # mkstemp creates the file private (0600); give it the usual permissions.
        os.chmod(temp, 0o666 & ~_current_umask())
        write(temp)
        with open(temp, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return target


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    return atomic_write(path, lambda temp: temp.write_bytes(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def load_tensors_file(path: str | os.PathLike, error: type[Exception], kind: str, trust_hint: str):
    """``torch.load(path, weights_only=True)`` on the CPU, every failure one ``error`` line:
    missing, a folder, a pickle that would run code (refused, never run), damaged or foreign.

    ``kind`` names what the file should be ("a checkpoint"); ``trust_hint`` ends the refusal.
    """
    import pickle

    import torch

    path = Path(path)
    if not path.exists():
        raise error(f"{path}: no such file")
    if not path.is_file():
        raise error(f"{path}: is a folder, not {kind}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as failure:
        if "unsupported global" in str(failure).lower():
            raise error(f"{path}: refused to load: it holds Python objects that could run code, not just "
                        f"tensors ({trust_hint})") from None
        raise error(f"{path}: not {kind} (it is damaged or of another kind)") from None
    except Exception as failure:  # noqa: BLE001 - torch raises many kinds for truncated or foreign files
        reason = str(failure).splitlines()[0][:100] if str(failure) else type(failure).__name__
        raise error(f"{path}: not a readable {kind.split(' ', 1)[1]} ({reason}); it may be truncated") from None
