"""What ``convcanvas import --list --check`` found, remembered until the code it depends on changes.

Whether a torchvision model imports depends only on torch's and torchvision's
versions and on ConvCanvas's importer and block catalogue: each verdict is
kept under a key made of those (the versions, and a digest of the importer's
and catalogue's source files), in a small JSON file beside the other caches
($CONVCANVAS_CACHE, else ~/.cache/convcanvas). A second ``--list --check``
builds no model at all; any change of the code or the libraries checks
again. The file is ours and only short strings are read from it; anything
unreadable is ignored (the models are checked).
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..fileio import atomic_write_text
from ..reading import RefusedFile, read_limited

CACHE_ENV = "CONVCANVAS_CACHE"
FILE_NAME = "import_checks.json"
MAX_BYTES = 1 << 20
_ENGINE = Path(__file__).resolve().parents[1]


def checks_path() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path("~/.cache/convcanvas").expanduser()) / FILE_NAME


def code_key() -> str:
    """torch's and torchvision's versions and a digest of the code a check runs (importer, catalogue)."""
    import torch
    import torchvision

    digest = hashlib.sha256()
    for path in sorted([*(_ENGINE / "importer").glob("*.py"), *(_ENGINE / "catalogue").glob("*.py")]):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"torch {torch.__version__} | torchvision {torchvision.__version__} | code {digest.hexdigest()[:16]}"


def recall(key: str) -> dict[str, str]:
    """The verdicts (model name → the line printed for it) kept under ``key``; {} when none."""
    try:
        found = json.loads(read_limited(checks_path(), "import checks", MAX_BYTES))
    except (OSError, RefusedFile, ValueError):
        return {}
    verdicts = found.get(key) if isinstance(found, dict) else None
    if not isinstance(verdicts, dict):
        return {}
    return {name: line for name, line in verdicts.items() if isinstance(name, str) and isinstance(line, str)}


def remember(key: str, verdicts: dict[str, str]) -> None:
    """Keeps ``verdicts`` under ``key`` only (older code's are dropped); a cache that cannot be written is
    skipped."""
    try:
        checks_path().parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(checks_path(), json.dumps({key: verdicts}, indent=1, ensure_ascii=False))
    except OSError:
        pass  # a read-only home: the next run checks again
