"""Reading ConvCanvas's own TorchScript exports back as data: never ``jit.load``.

A TorchScript file is a zip archive holding compiled code (``code/``), a
pickle of the module tree (``data.pkl``) and the raw bytes of its tensors
(``data/0``, ``data/1``, …). ``jit.load`` runs the code as it loads:
a ``__setstate__`` in a stranger's archive can write to any file. So
ConvCanvas never loads one. Its own exports carry the project as an extra
file (``extra/convcanvas.project.json``); that is read as JSON, and the
weights are read from ``data.pkl`` by an unpickler that knows only the
handful of names a traced network's pickle uses (module stubs, tensors,
storages, ``OrderedDict``) and refuses every other name, so nothing in the
file can run. An archive without the project is refused unread.
"""
from __future__ import annotations

import io
import os
import pickle
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path

import torch

from ..project import MAX_FILE_BYTES as MAX_PROJECT_BYTES
from ..project import Project, loads_project
from ..reading import MAX_MODEL_FILE_BYTES, open_regular, size_text
from ..tensor_files import NEVER_RUNS

WRAPPER_NAME = "WithPreprocessing"
"""The class an export with preprocessing wraps the network in (``preprocessing.WithPreprocessing``)."""
PROJECT_ENTRY = "convcanvas.project.json"
"""The extra file in the archive holding the project."""
MAX_PICKLE_BYTES = 256 * 1024 * 1024
"""``data.pkl`` lists modules and tensor headers only: a few hundred bytes per layer."""

NOT_OURS = (f"is a TorchScript file not made by ConvCanvas; {NEVER_RUNS}, "
            "and TorchScript keeps compiled code, not layers it could edit. Import the model's Python source "
            "instead (File ▸ Import ▸ Python File, or convcanvas import FILE.py --class NAME)")

_STORAGE_DTYPES = {
    "FloatStorage": torch.float32, "DoubleStorage": torch.float64, "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16, "LongStorage": torch.int64, "IntStorage": torch.int32,
    "ShortStorage": torch.int16, "CharStorage": torch.int8, "ByteStorage": torch.uint8, "BoolStorage": torch.bool,
}
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, KeyError)


class TorchScriptError(ValueError):
    """A TorchScript file ConvCanvas will not or cannot read; the message is one line for people."""


def read_torchscript(path: str | os.PathLike) -> tuple[Project, dict[str, torch.Tensor]]:
    """The project a ConvCanvas TorchScript export carries and its weights (CPU tensors), read as data.

    Raises ``TorchScriptError`` (one line) for another program's TorchScript file, a damaged archive or a
    pickle naming anything a ConvCanvas export never holds; ``ProjectError`` for a damaged project.
    """
    path = Path(path)
    with open_regular(path, "a TorchScript file", MAX_MODEL_FILE_BYTES, TorchScriptError) as handle:
        try:
            with zipfile.ZipFile(handle) as archive:
                return _read_archive(archive, path)
        except _READ_ERRORS as problem:
            reason = " ".join(str(problem).split())[:120] or type(problem).__name__
            raise TorchScriptError(f"{path}: not a readable TorchScript export ({reason}); it may be damaged "
                                   "or truncated") from None


def _read_archive(archive: zipfile.ZipFile, path: Path) -> tuple[Project, dict[str, torch.Tensor]]:
    names = archive.namelist()
    prefix = names[0].split("/", 1)[0] if names else ""
    project_entry = f"{prefix}/extra/{PROJECT_ENTRY}"
    if project_entry not in names:
        raise TorchScriptError(f"{path}: {NOT_OURS}")
    text = _entry(archive, project_entry, MAX_PROJECT_BYTES, path)
    project = loads_project(text, f"{path.name} ({PROJECT_ENTRY})")
    root = _ArchiveUnpickler(archive, prefix, path).load_root()
    network = root.attributes.get("network")
    if root.qualified_name.endswith(f".{WRAPPER_NAME}") and isinstance(network, _ScriptObject):
        root = network  # an export with preprocessing: the network's weights are inside the raw-image wrapper
    return project, _tensors_of(root)


def _entry(archive: zipfile.ZipFile, name: str, max_bytes: int, path: Path) -> bytes:
    """An entry's bytes, refused when its header or its contents exceed ``max_bytes`` (zip headers can lie)."""
    info = archive.getinfo(name)
    if info.file_size > max_bytes:
        raise TorchScriptError(f"{path}: its entry {name.split('/', 1)[-1]} is {info.file_size:,} bytes, more "
                               f"than a ConvCanvas export holds ({size_text(max_bytes)})")
    with archive.open(info) as entry:
        data = entry.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TorchScriptError(f"{path}: its entry {name.split('/', 1)[-1]} is larger than its header says")
    return data


class _ScriptObject:
    """Stands in for every module class the pickle names: it only keeps the attributes it is given."""

    qualified_name = ""

    def __new__(cls, *args, **kwargs):
        return super().__new__(cls)

    def __init__(self, *args, **kwargs) -> None:
        self.attributes: dict = {}

    def __setstate__(self, state) -> None:
        self.attributes = state if isinstance(state, dict) else {}


class _StorageKind:
    def __init__(self, dtype: torch.dtype) -> None:
        self.dtype = dtype


def _rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None) -> torch.Tensor:
    """``torch._utils._rebuild_tensor_v2`` for tensors read as data: every header value is checked, and
    ``set_`` refuses a view that reaches past its storage."""
    if not isinstance(storage, torch.Tensor) or not _is_int(offset) or not _ints(size) or not _ints(stride) or (
            len(size) != len(stride)):
        raise pickle.UnpicklingError("a tensor header is malformed")
    tensor = torch.empty(0, dtype=storage.dtype)
    tensor.set_(storage.untyped_storage(), offset, tuple(size), tuple(stride))
    return tensor


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _ints(values) -> bool:
    return isinstance(values, tuple) and len(values) <= 16 and all(_is_int(value) for value in values)


class _ArchiveUnpickler(pickle.Unpickler):
    """Unpickles ``data.pkl`` knowing only the names a traced network uses; any other name is refused
    before it is looked up, so nothing named in the file can be called."""

    def __init__(self, archive: zipfile.ZipFile, prefix: str, path: Path) -> None:
        self.archive, self.prefix, self.path = archive, prefix, path
        self.storages: dict[str, torch.Tensor] = {}
        self.storage_bytes = 0
        super().__init__(io.BytesIO(_entry(archive, f"{prefix}/data.pkl", MAX_PICKLE_BYTES, path)))

    def load_root(self) -> _ScriptObject:
        try:
            root = self.load()
        except TorchScriptError:
            raise
        except (pickle.UnpicklingError, TypeError, ValueError, IndexError, AttributeError, RuntimeError,
                EOFError, MemoryError, RecursionError) as problem:
            reason = " ".join(str(problem).split())[:160] or type(problem).__name__
            raise TorchScriptError(f"{self.path}: refused to read its weights: {reason}; {NEVER_RUNS}, and a "
                                   "ConvCanvas export holds only tensors") from None
        if not isinstance(root, _ScriptObject):
            raise TorchScriptError(f"{self.path}: its weights are not a module (the archive is damaged)")
        return root

    def find_class(self, module: str, name: str):
        if module == "__torch__" or module.startswith("__torch__."):
            # A plain subclass that only remembers the name (nothing of the file's code is looked up).
            return type("ScriptObject", (_ScriptObject,), {"qualified_name": f"{module[:200]}.{name[:100]}"})
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageKind(_STORAGE_DTYPES[name])
        raise pickle.UnpicklingError(f"it names {module[:60]}.{name[:60]}, which a ConvCanvas export never holds")

    def persistent_load(self, pid) -> torch.Tensor:
        """A storage: the raw bytes of ``data/KEY``, checked against the element count the pickle gives."""
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], _StorageKind)
                and isinstance(pid[2], str) and pid[2].isdigit() and _is_int(pid[4])):
            raise pickle.UnpicklingError("a storage reference is malformed")
        kind, key, count = pid[1], pid[2], pid[4]
        if key not in self.storages:
            size = count * kind.dtype.itemsize
            self.storage_bytes += size
            if self.storage_bytes > MAX_MODEL_FILE_BYTES:
                raise pickle.UnpicklingError(f"its tensors exceed {size_text(MAX_MODEL_FILE_BYTES)}")
            data = _entry(self.archive, f"{self.prefix}/data/{key}", size, self.path)
            if len(data) != size:
                raise pickle.UnpicklingError(f"the storage data/{key} holds {len(data):,} bytes, not {size:,}")
            self.storages[key] = (torch.frombuffer(bytearray(data), dtype=kind.dtype) if size
                                  else torch.empty(0, dtype=kind.dtype))
        storage = self.storages[key]
        if storage.dtype != kind.dtype:
            raise pickle.UnpicklingError(f"the storage data/{key} is read as two types")
        return storage


def _tensors_of(root: _ScriptObject) -> dict[str, torch.Tensor]:
    """The module tree's tensors by dotted name, as ``state_dict`` names them."""
    found: dict[str, torch.Tensor] = {}
    pending: list[tuple[_ScriptObject, str]] = [(root, "")]
    seen: set[int] = set()
    while pending:
        module, prefix = pending.pop()
        if id(module) in seen:  # a pickle can make a module its own child
            continue
        seen.add(id(module))
        for name, value in module.attributes.items():
            if not isinstance(name, str):
                continue
            if isinstance(value, torch.Tensor):
                # detach(): a BUILD opcode in the pickle may have set hooks or requires_grad on the tensor
                found[prefix + name] = value.detach()
            elif isinstance(value, _ScriptObject):
                pending.append((value, f"{prefix}{name}."))
    return found
