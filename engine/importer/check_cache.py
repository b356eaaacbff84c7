"""What ``convcanvas import --list --check`` found, remembered until the code it depends on changes.

Whether a torchvision model imports depends only on torch's and torchvision's
versions and on ConvCanvas's importer and block catalogue: each verdict is
kept under a key made of those (the versions, and a digest of the importer's
and catalogue's source files), with the line on ONNX coverage (onnx's version
is in the key too), in a small JSON file beside the other caches
($CONVCANVAS_CACHE, else ~/.cache/convcanvas). A second ``--list --check``
builds no model and imports neither torchvision nor onnx; any change of the code or the libraries checks
again. The file is ours and only short strings are read from it; anything
unreadable is ignored (the models are checked).
"""
from __future__ import annotations

import hashlib
import json
import os
from importlib.metadata import PackageNotFoundError, version
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
    """torch's, torchvision's and onnx's versions and a digest of the code a check runs (importer,
    catalogue). The versions are read from the installed packages' metadata: importing torchvision alone
    takes seconds, most of a remembered check's time."""
    digest = hashlib.sha256()
    for path in sorted([*(_ENGINE / "importer").rglob("*.py"), *(_ENGINE / "catalogue").glob("*.py")]):
        digest.update(str(path.relative_to(_ENGINE)).encode() + b"\0" + path.read_bytes())
    versions = " | ".join(f"{package} {_version(package)}" for package in ("torch", "torchvision", "onnx"))
    return f"{versions} | code {digest.hexdigest()[:16]}"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def recall(key: str) -> tuple[dict[str, str], str | None]:
    """The verdicts (model name → the line printed for it, in the list's order) and the ONNX coverage line
    kept under ``key``; ({}, None) when none."""
    try:
        found = json.loads(read_limited(checks_path(), "import checks", MAX_BYTES))
    except (OSError, RefusedFile, ValueError):
        return {}, None
    record = found.get(key) if isinstance(found, dict) else None
    verdicts = record.get("models") if isinstance(record, dict) else None
    if not isinstance(verdicts, dict):
        return {}, None
    onnx_line = record.get("onnx")
    return ({name: line for name, line in verdicts.items() if isinstance(name, str) and isinstance(line, str)},
            onnx_line if isinstance(onnx_line, str) else None)


def remember(key: str, verdicts: dict[str, str], onnx_line: str) -> None:
    """Keeps ``verdicts`` and ``onnx_line`` under ``key`` only (older code's are dropped); a cache that cannot
    be written is skipped."""
    try:
        checks_path().parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(checks_path(), json.dumps({key: {"models": verdicts, "onnx": onnx_line}}, indent=1,
                                                    ensure_ascii=False))
    except OSError:
        pass  # a read-only home: the next run checks again
