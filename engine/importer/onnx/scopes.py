"""Where an ONNX operator sat in the PyTorch module tree it was exported from, read from its names.

torch's exporters keep the module path: the TorchScript-based exporter in the
node name (``/layer1/layer1.0/conv1/Conv``), the dynamo exporter in metadata
(``pkg.torch.onnx.name_scopes`` and ``…class_hierarchy``), and both in weight
names (``layer1.0.conv1.weight``). Other producers' names give no tree: the
import is then flat. The metadata is parsed as literals only
(``ast.literal_eval``), never run.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_PATH_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+")
CONTAINER_CLASSES = frozenset({"Sequential", "ModuleList", "ModuleDict", "Conv2dNormActivation",
                               "ConvNormActivation"})
"""Classes that only hold layers (torchvision's Conv2dNormActivation is a Sequential): never a block."""


@dataclass(frozen=True)
class Scope:
    modules: tuple[tuple[str, str], ...]
    """Enclosing modules, outermost first: (path, class name or "")."""

    @property
    def path(self) -> str:
        return self.modules[-1][0] if self.modules else ""


def is_module_path(text: str) -> bool:
    """``layer1.0.conv1``: dotted Python names and indices, as ``named_modules`` writes them."""
    return bool(text) and all(_PATH_PART.fullmatch(part) for part in text.split("."))


def weight_path(name: str) -> str | None:
    """``layer1.0.conv1`` for a weight called ``layer1.0.conv1.weight``; None for exporter-made names."""
    owner, _, leaf = name.rpartition(".")
    return owner if leaf in ("weight", "bias", "scale") and is_module_path(owner) else None


def scope_of(node) -> Scope:
    """The module path (and classes, where known) of an ONNX node."""
    meta = {entry.key: entry.value for entry in node.metadata_props}
    scopes = _literal_list(meta.get("pkg.torch.onnx.name_scopes"))
    if scopes:
        classes = _literal_list(meta.get("pkg.torch.onnx.class_hierarchy")) or []
        classes = [name.rpartition(".")[2] for name in classes] + [""] * len(scopes)
        pairs = [(path, cls) for path, cls in zip(scopes[:-1], classes[:len(scopes) - 1]) if is_module_path(path)]
        return Scope(tuple(pairs))
    if node.name.startswith("/"):
        return Scope(tuple((path, "") for path in _joined(node.name.strip("/").split("/")[:-1])))
    return Scope(())


def _literal_list(text: str | None) -> list[str] | None:
    if not text or len(text) > 10_000:
        return None
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return [str(item) for item in value] if isinstance(value, list) else None


def _joined(parts: list[str]) -> list[str]:
    """``layer1, layer1.0, conv1`` → ``layer1, layer1.0, layer1.0.conv1``: the exporter writes a child of a
    Sequential by its full path and other children by their attribute name."""
    paths: list[str] = []
    for part in parts:
        if not is_module_path(part):
            return paths
        current = paths[-1] if paths else ""
        paths.append(part if not current or part.startswith(current + ".") else f"{current}.{part}")
    return paths


def is_container(path: str, class_name: str, all_paths: set[str]) -> bool:
    """Whether the module at ``path`` only holds layers: a known container class, or (no class known) a module
    whose children are numbered, as a Sequential's are (``layer1`` holding ``layer1.0``, ``layer1.1``)."""
    if class_name:
        return class_name in CONTAINER_CLASSES
    prefix = path + "."
    return any(other.startswith(prefix) and other[len(prefix):].split(".")[0].isdigit() for other in all_paths)
