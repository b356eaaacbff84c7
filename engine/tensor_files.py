"""PyTorch files read as tensors only: ``torch.load(weights_only=True)`` behind the one door.

Checkpoints and weights files are ``torch.save`` archives. They are opened
through ``reading.open_regular`` (a regular file, of bounded size) and
loaded with ``weights_only=True``, which refuses, instead of running, any
pickled Python object. A TorchScript archive is refused before torch sees
it: ``torch.load`` would hand it to ``jit.load``, which runs its code.
"""
from __future__ import annotations

import os
import warnings
import zipfile
import zlib
from pathlib import Path

from .reading import MAX_MODEL_FILE_BYTES, open_regular

NEVER_RUNS = "ConvCanvas never runs code from a model file"


def is_torchscript_archive(handle) -> bool:
    """Whether the open binary file is a TorchScript archive (a zip holding ``constants.pkl`` or ``code/``,
    as ``torch.load`` decides). Leaves the file at its start."""
    try:
        if not zipfile.is_zipfile(handle):
            return False
        handle.seek(0)
        with zipfile.ZipFile(handle) as archive:
            return any(name.endswith("constants.pkl") or "/code/" in name for name in archive.namelist())
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
        return False
    finally:
        handle.seek(0)


def load_tensors_file(path: str | os.PathLike, error: type[Exception], kind: str, trust_hint: str):
    """``torch.load(weights_only=True)`` of ``path`` on the CPU, every failure one ``error`` line:
    missing, a folder or pipe, too large, TorchScript, a pickle that would run code (refused, never run),
    damaged or foreign.

    ``kind`` names what the file should be ("a checkpoint"); ``trust_hint`` ends the refusal of a pickle.
    """
    import pickle

    import torch

    path = Path(path)
    with open_regular(path, kind, MAX_MODEL_FILE_BYTES, error) as handle:
        if is_torchscript_archive(handle):
            raise error(f"{path}: is a TorchScript file, not {kind}. {NEVER_RUNS}; it opens only its own "
                        "TorchScript exports, as data, with File ▸ Import (convcanvas import FILE)")
        try:
            with warnings.catch_warnings():
                # torch warns about pickle protocols it did not write; the outcome (tensors or a refusal) is
                # what people need, on one line, not a warning about the file's format.
                warnings.simplefilter("ignore")
                return torch.load(handle, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as failure:
            if "unsupported global" in str(failure).lower():
                raise error(f"{path}: refused to load: it holds Python objects that could run code, not "
                            f"just tensors ({trust_hint}); {NEVER_RUNS}") from None
            raise error(f"{path}: not {kind} (it is damaged or of another kind)") from None
        except Exception as failure:  # noqa: BLE001 - torch raises many kinds for truncated or foreign files
            reason = str(failure).splitlines()[0][:100] if str(failure) else type(failure).__name__
            raise error(f"{path}: not a readable {kind.split(' ', 1)[1]} ({reason}); it may be truncated") from None
