"""An ONNX graph rebuilt as a torch.fx graph of plain torch layers, each weight in its layer.

Every operator becomes the call a traced PyTorch module would show (an
``nn.Conv2d`` called, ``torch.flatten``, ``x.mean((2, 3))``…), placed at the
module path its names give (``scopes``) and recorded in the node's
``nn_module_stack`` as torch.fx does, so the ordinary importer (``convert``)
maps it to blocks, groups it into composites and checks it as it does any
traced module. Each value is computed as it is built (on the example input),
so every decision sees real shapes.
"""
from __future__ import annotations

import operator
import re
from collections import Counter, OrderedDict
from typing import Any, Callable

import numpy as np
import torch
from torch import fx, nn

from ..errors import ModelImportError, Unsupported
from .reading import OnnxModel
from .scopes import Scope, is_container, is_module_path, scope_of, weight_path

BLOCK_CLASS = "Block"
"""The class name of a module whose class the file does not say (the legacy exporter's names)."""


class NotMapped(Exception):
    """An operator this importer does not translate; the message says why (or what would be needed)."""


class OnnxGraphBuilder:
    def __init__(self, model: OnnxModel, shape: tuple[int, int, int], example: torch.Tensor) -> None:
        self.model, self.shape, self.example = model, shape, example
        self.root = nn.Module()
        self.graph = fx.Graph()
        self.nodes: dict[str, fx.Node] = {}          # ONNX value name → fx node
        self.values: dict[str, torch.Tensor] = {}    # ONNX value name → its value on the example
        self.constants: dict[str, np.ndarray] = _folded_constants(model)
        self.refused: dict[str, list[str]] = {}      # "Erf (opset 17)" → where
        self.reasons: dict[str, str] = {}
        self.current = None
        self.consumers = Counter(name for node in model.graph.node for name in node.input if name)
        self.producers = {name: node for node in model.graph.node for name in node.output if name}
        self.skipped: set[int] = set()
        self.scopes = {id(node): scope_of(node) for node in model.graph.node}
        self.all_paths = {path for scope in self.scopes.values() for path, _ in scope.modules}
        self.all_paths |= {p for name in self.constants if (p := weight_path(name))}
        self._kinds: dict[str, type] = {}

    # --- the walk ----------------------------------------------------------------------------------------

    def build(self, operators: dict[str, Callable]) -> fx.GraphModule:
        from .patterns import fuse_patterns

        self._input()
        rewrites = fuse_patterns(self)
        for node in self.model.graph.node:
            if id(node) in self.skipped or (node.op_type == "Constant" and node.domain in ("", "ai.onnx")):
                continue
            self.current = node
            rule = rewrites.get(id(node)) or operators.get(node.op_type) if node.domain in ("", "ai.onnx") else None
            try:
                if rule is None:
                    raise NotMapped("ConvCanvas has no block for this operator")
                rule(self, node)
            except _Skip:  # its input comes from an operator refused already: that one is reported
                for output in node.output:
                    self.values.setdefault(output, None)
            except NotMapped as reason:
                self._refuse(node, str(reason))
        self._output()
        if self.refused:
            items = [Unsupported(kind, _places(places), self.reasons[kind]) for kind, places in self.refused.items()]
            total = sum(len(places) for places in self.refused.values())
            raise ModelImportError(f"{self.model.path.name} cannot be imported: ConvCanvas has no block for {total} "
                                   f"of its operators ({len(items)} kind{'s' * (len(items) != 1)}):", items)
        return fx.GraphModule(self.root, self.graph, class_name=_class_name(self.model.path.stem))

    def _refuse(self, node, reason: str) -> None:
        kind = f"{node.op_type} (opset {self.model.opset})" if node.domain in ("", "ai.onnx") else \
            f"{node.domain}.{node.op_type}"
        self.refused.setdefault(kind, []).append(node.name or node.output[0])
        self.reasons.setdefault(kind, reason)
        for output in node.output:  # later operators reading it are not refused again for it
            self.values.setdefault(output, None)

    def _input(self) -> None:
        inputs = [value for value in self.model.graph.input if value.name not in self.constants]
        if len(inputs) != 1:
            names = ", ".join(value.name for value in inputs) or "none"
            raise ModelImportError(f"{self.model.path}: takes {len(inputs)} inputs ({names}); a ConvCanvas network "
                                   "takes one image")
        value = inputs[0]
        node = self.graph.placeholder(_identifier(value.name) or "x")
        node.meta["nn_module_stack"] = OrderedDict()
        self.nodes[value.name], self.values[value.name] = node, self.example

    def _output(self) -> None:
        outputs = list(self.model.graph.output)
        if len(outputs) != 1:
            raise ModelImportError(f"{self.model.path}: has {len(outputs)} outputs; a ConvCanvas network has one")
        name = outputs[0].name
        if name in self.nodes:
            self.graph.output(self.nodes[name])
        elif name in self.constants:
            raise ModelImportError(f"{self.model.path}: its output is a constant, not computed from the image")
        else:
            self.graph.output(None)

    # --- what operators use ----------------------------------------------------------------------------

    def constant(self, name: str, what: str) -> np.ndarray:
        if name in self.constants:
            return self.constants[name]
        raise NotMapped(f"its {what} is computed by the network; ConvCanvas needs it fixed in the file")

    def optional_constant(self, node, index: int, what: str) -> np.ndarray | None:
        if index >= len(node.input) or not node.input[index]:
            return None
        return self.constant(node.input[index], what)

    def tensor(self, name: str) -> fx.Node:
        if name in self.nodes:
            return self.nodes[name]
        if name in self.values:  # the output of a refused operator: already reported there
            raise _Skip()
        raise NotMapped(f"it reads {name!r}, a constant tensor, where ConvCanvas expects the network's maps")

    def value(self, name: str) -> torch.Tensor:
        self.tensor(name)
        return self.values[name]

    def alias(self, node, source: str) -> None:
        """The operator passes its input through (Identity, Dropout at inference)."""
        if source in self.constants:
            self.constants[node.output[0]] = self.constants[source]
        else:
            self.nodes[node.output[0]], self.values[node.output[0]] = self.tensor(source), self.values[source]

    def layer(self, node, module: nn.Module, source: str, weight: str | None = None, output: int = 0) -> fx.Node:
        """``module`` called on ``source``, placed at the node's module path."""
        scope = self.scopes[id(node)]
        path = self._weight_place(weight, scope) or self._own_path(node, scope, module)
        path = self._place(path, module)
        target = self.tensor(source)
        fx_node = self.graph.call_module(path, (target,))
        fx_node.meta["nn_module_stack"] = self._stack(scope, path, type(self.root.get_submodule(path)))
        return self._computed(node, fx_node, lambda: self.root.get_submodule(path)(self.values[source]), output)

    def function(self, node, function: Callable, args: tuple, kwargs: dict | None = None, method: bool = False,
                 output: int = 0) -> fx.Node:
        """``function(*args)`` (or ``args[0].function(*args[1:])``) where ONNX value names in ``args`` are the
        network's tensors (and lists of them)."""
        kwargs = kwargs or {}
        fx_args = _map(args, self._argument)
        if method:
            fx_node = self.graph.call_method(function, fx_args, kwargs)
        else:
            fx_node = self.graph.call_function(function, fx_args, kwargs)
        fx_node.meta["nn_module_stack"] = self._stack(self.scopes[id(node)], None, None)
        values = _map(args, self._argument_value)

        def compute():
            if method:
                return getattr(values[0], function)(*values[1:], **kwargs)
            return function(*values, **kwargs)
        return self._computed(node, fx_node, compute, output)

    def parameter(self, node, name: str, array: np.ndarray) -> _Named:
        """A learned tensor the network reads directly (ConvNeXt's layer scale), placed at its own name."""
        path = name if is_module_path(name) else f"{self._own_path(node, self.scopes[id(node)], None)}.scale"
        path = self._free(path)
        owner, _, leaf = path.rpartition(".")
        self._module_at(owner).register_parameter(leaf, nn.Parameter(torch.from_numpy(np.array(array))))
        fx_node = self.graph.get_attr(path)
        fx_node.meta["nn_module_stack"] = self._stack(self.scopes[id(node)], None, None)
        return _Named(fx_node, self.root.get_parameter(path).detach())

    # --- module paths --------------------------------------------------------------------------------

    @staticmethod
    def _weight_place(weight: str | None, scope: Scope) -> str | None:
        """The path its weight's name gives (``layer1.0.conv1`` for ``layer1.0.conv1.weight``), where it agrees
        with the operator's scope: exporters share one tensor among layers whose weights are equal (a fresh
        LayerNorm's ones), and the name then belongs to another layer."""
        path = weight_path(weight) if weight else None
        if path is None or not scope.path:
            return path
        return path if path.rpartition(".")[0] == scope.path.rpartition(".")[0] or path == scope.path else None

    def _own_path(self, node, scope: Scope, module: nn.Module | None) -> str:
        if node.name.startswith("/") or scope.modules:
            if scope.path:
                return scope.path
        base = _identifier(node.name) or node.op_type.lower()
        return base

    def _place(self, path: str, module: nn.Module) -> str:
        """Registers ``module`` at ``path``; a stateless layer called again at its path is the same layer."""
        try:
            existing = self.root.get_submodule(path)
        except AttributeError:
            existing = None
        if existing is not None and type(existing) is type(module) and not list(module.parameters()) \
                and repr(existing) == repr(module) and not list(existing.children()):
            return path
        path = self._free(path)
        owner, _, leaf = path.rpartition(".")
        self._module_at(owner).add_module(leaf, module)
        return path

    def _free(self, path: str) -> str:
        candidate, number = path, 1
        while self._taken(candidate):
            candidate, number = f"{path}_{number}", number + 1
        return candidate

    def _taken(self, path: str) -> bool:
        owner, _, leaf = path.rpartition(".")
        try:
            parent = self.root.get_submodule(owner) if owner else self.root
        except AttributeError:
            return not self._can_create(owner)
        return hasattr(parent, leaf) or type(parent) not in (nn.Module,) and not isinstance(parent, _Holder)

    def _can_create(self, owner: str) -> bool:
        module: nn.Module = self.root
        for part in owner.split("."):
            child = module._modules.get(part)
            if child is None:
                return True
            if not isinstance(child, _Holder):
                return False  # a layer there already: nothing can be placed inside it
            module = child
        return True

    def _module_at(self, owner: str) -> nn.Module:
        module: nn.Module = self.root
        if not owner:
            return module
        for part in owner.split("."):
            child = module._modules.get(part)
            if child is None:
                child = _Holder()
                module.add_module(part, child)
            module = child
        return module

    def _stack(self, scope: Scope, own: str | None, own_kind: type | None) -> OrderedDict:
        stack = OrderedDict()
        for index, (path, class_name) in enumerate(scope.modules):
            if own is not None and not own.startswith(path + "."):
                continue
            stack[f"m{index}"] = (path, self._kind(path, class_name))
        if own is not None:
            stack["self"] = (own, own_kind)
        return stack

    def _kind(self, path: str, class_name: str) -> type:
        container = is_container(path, class_name, self.all_paths)
        if container:
            return nn.Sequential  # a plain container: the importer makes a block of a Sequential's subclasses
        name = class_name or BLOCK_CLASS
        if name not in self._kinds:
            self._kinds[name] = type(_class_name(name) or BLOCK_CLASS, (nn.Module,), {"__module__": "onnx"})
        return self._kinds[name]

    # --- values --------------------------------------------------------------------------------------

    def _argument(self, value: Any) -> Any:
        if isinstance(value, _Named):
            return value.node
        if isinstance(value, _Name):
            return self.tensor(value)
        return value

    def _argument_value(self, value: Any) -> Any:
        if isinstance(value, _Named):
            return value.value
        if isinstance(value, _Name):
            return self.values[value]
        return value

    def _computed(self, node, fx_node: fx.Node, compute: Callable[[], torch.Tensor], output: int) -> fx.Node:
        try:
            with torch.no_grad():
                result = compute()
        except Exception as error:  # noqa: BLE001 - a mistranslated operator shows as any torch error
            self.graph.erase_node(fx_node)
            raise NotMapped(f"it does not run on the {'×'.join(map(str, self.shape))} input "
                            f"({str(error).splitlines()[0][:120]})") from None
        name = node.output[output]
        self.nodes[name], self.values[name] = fx_node, result
        return fx_node


def _folded_constants(model: OnnxModel) -> dict[str, np.ndarray]:
    """The model's tensors, and the names Identity operators give them: the legacy exporter passes shared
    initializers (equal biases, a LayerNorm's ones) through Identity nodes."""
    constants = dict(model.tensors)
    for node in model.graph.node:
        if node.op_type == "Identity" and node.input and node.input[0] in constants:
            constants[node.output[0]] = constants[node.input[0]]
    return constants


class _Holder(nn.Module):
    """A module that only holds the layers placed under its path."""


class _Name(str):
    """An ONNX value name standing for the network's tensor (not a Python string argument)."""


class _Named:
    def __init__(self, node: fx.Node, value: torch.Tensor) -> None:
        self.node, self.value = node, value


class _Skip(NotMapped):
    """An input comes from an operator already refused: nothing more to say about this one."""


def name(text: str) -> _Name:
    return _Name(text)


def _map(args: Any, function: Callable) -> Any:
    if isinstance(args, (list, tuple)) and not isinstance(args, _Name):
        return type(args)(_map(item, function) for item in args)
    return function(args)


def _places(places: list[str]) -> str:
    shown = ", ".join(places[:4])
    return f"{shown} … and {len(places) - 4} more" if len(places) > 4 else shown


def _identifier(text: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_")
    return f"n_{text}" if text[:1].isdigit() else text


def _class_name(text: str) -> str:
    text = _identifier(text)
    return text[:1].upper() + text[1:] if text else "OnnxModel"
