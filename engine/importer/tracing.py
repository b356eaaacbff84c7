"""Tracing a module with torch.fx, stopping at the layers the catalogue maps, and recording shapes.

The tracer keeps as one call (a leaf) every module the catalogue has a
block for, and every other ``torch.nn`` layer (so that an ``nn.LSTM`` is
reported by name instead of being traced into); it traces through
everything else (torchvision's blocks, the user's own modules), whose
forward() then shows the functions and methods it calls. A subclass of a
mapped layer that changes its computation stays a leaf too, so that it is
reported rather than taken for the plain layer.
"""
from __future__ import annotations

import contextlib
import traceback
import warnings
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import fx, nn
from torch.fx.node import map_aggregate

from ..export.common import first_line
from .empty_weights import MetaShortcuts
from ..catalogue.layers import L2Normalize
from .errors import ModelImportError

MAPPED_LAYERS: tuple[type[nn.Module], ...] = (
    nn.Conv2d, nn.BatchNorm2d, nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.GELU, nn.SiLU, nn.Sigmoid,
    nn.Tanh, nn.Softmax, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.Flatten, nn.Linear, nn.Dropout,
    nn.Identity, nn.Hardswish, nn.Hardsigmoid, nn.Mish, nn.PReLU, nn.GroupNorm, nn.Dropout2d, nn.ChannelShuffle,
    nn.LayerNorm, L2Normalize,
)
"""Layers the importer maps to blocks when they are exactly these classes (ConvCanvas's own L2Normalize: a
network written by its Python export imports back)."""

CONTAINERS: tuple[type[nn.Module], ...] = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
"""Plain containers: they hold layers but compute nothing of their own (subclasses may)."""


def is_container(kind: type) -> bool:
    """A container, or a subclass that keeps its forward() (torchvision's ``Conv2dNormActivation``)."""
    return issubclass(kind, CONTAINERS) and kind.forward in (nn.Sequential.forward, nn.Module.forward)

_TORCH_DIR = str(Path(torch.__file__).resolve().parent)


def leaf_functions() -> tuple:
    """Plain functions kept as one call (they have a block) instead of traced into: torchvision's
    ``channel_shuffle`` is a view/transpose/view that no block follows step by step."""
    import torchvision

    return (torchvision.models.shufflenetv2.channel_shuffle,)


class ImportTracer(fx.Tracer):
    def __init__(self) -> None:
        super().__init__(autowrap_functions=leaf_functions())

    def is_leaf_module(self, module: nn.Module, qualified_name: str) -> bool:
        if is_container(type(module)):
            return False
        if isinstance(module, MAPPED_LAYERS):
            return True  # a subclass too: mapping reports it unless it is the plain class
        return type(module).__module__.startswith("torch.nn")


def trace(module: nn.Module, title: str) -> fx.GraphModule:
    """``module`` as an fx graph (trace it in eval mode: forward() may branch on ``self.training``)."""
    tracer = ImportTracer()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracing warns about things it handles (e.g. asserts)
            graph = tracer.trace(module)
    except Exception as error:  # noqa: BLE001 - fx raises many kinds for code it cannot follow
        raise ModelImportError(
            f"{title} cannot be traced with torch.fx{_user_frame(error)}: {first_line(error)}. ConvCanvas reads "
            "networks whose forward() is a fixed sequence of operations: no if/for on tensor values or "
            "shapes") from None
    try:
        return _graph_module(tracer.root, graph, class_name=type(module).__name__)
    except (TypeError, AttributeError, KeyError) as error:  # a layer called graph, code, meta…
        raise ModelImportError(
            f"{title} has a layer whose name torch.fx keeps for itself ({first_line(error)}); rename that "
            "layer in the model's code (e.g. graph → graph_layer) and import it again") from None


class RecordedShape(NamedTuple):
    """What the importer reads of a node's tensor (``node.meta["tensor_meta"]``): its shape and dtype.
    torch's ShapeProp also works out strides and memory formats, which took a quarter of a check's time."""

    shape: torch.Size
    dtype: torch.dtype


class _ShapeRecorder(fx.Interpreter):
    """Runs the graph node by node, keeping each tensor-valued node's ``RecordedShape`` (a tuple of them for
    a node returning several tensors; nothing for a node computing plain numbers)."""

    def __init__(self, module: fx.GraphModule) -> None:
        super().__init__(module)
        self.extra_traceback = False  # the error's own first line is the message: no "While executing …"

    def run_node(self, node: fx.Node) -> Any:
        result = super().run_node(node)
        if isinstance(result, torch.Tensor):  # most nodes: one tensor
            node.meta["tensor_meta"] = RecordedShape(result.shape, result.dtype)
            return result
        found = False

        def record(value: Any) -> Any:
            nonlocal found
            if isinstance(value, torch.Tensor):
                found = True
                return RecordedShape(value.shape, value.dtype)
            return value

        recorded = map_aggregate(result, record)
        if found:
            node.meta["tensor_meta"] = recorded
        return result

    def call_module(self, target: Any, args: tuple, kwargs: dict) -> Any:
        """The layer from the interpreter's table of them (``fetch_attr`` walks its path attribute by attribute:
        slow for the thousands of layers of a large network); a layer registered under two names is found
        under its first only, so the others are looked up as torch does."""
        layer = self.submodules.get(target)
        return layer(*args, **kwargs) if layer is not None else super().call_module(target, args, kwargs)


def _graph_module(root: nn.Module, graph: fx.Graph, class_name: str) -> fx.GraphModule:
    """A GraphModule that writes and compiles its Python code only when called: the importer only reads its
    graph and submodules, and compiling the code took a third of the tracing time. (torch's lazy variant is
    internal: the plain class when a torch release drops it.)"""
    try:
        from torch.fx._lazy_graph_module import _LazyGraphModule as kind
    except ImportError:
        kind = fx.GraphModule
    return kind(root, graph, class_name=class_name)


def propagate_shapes(traced: fx.GraphModule, example: torch.Tensor, title: str) -> torch.Tensor:
    """Runs ``traced`` on ``example``, leaving each node's shape in ``node.meta["tensor_meta"]``;
    returns the output (the reference the imported network must reproduce)."""
    shape = "×".join(str(size) for size in example.shape[1:])
    try:
        with torch.no_grad(), warnings.catch_warnings(), \
                (MetaShortcuts() if example.is_meta else contextlib.nullcontext()):
            warnings.simplefilter("ignore")
            return _ShapeRecorder(traced).run(example)
    except Exception as error:  # noqa: BLE001 - a wrong input size shows as any torch error
        while error.__cause__ is not None:  # the interpreter may wrap the real cause
            error = error.__cause__
        raise ModelImportError(
            f"{title} does not run on a {shape} input ({first_line(error)}); give the input size it "
            "expects as channels×height×width") from None


def _user_frame(error: BaseException) -> str:
    """`` (at model.py, line 12)``: the last line of the traced code (not torch's) that failed."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if not str(Path(frame.filename).resolve()).startswith(_TORCH_DIR)]
    if not frames:
        return ""
    frame = frames[-1]
    return f" (at {Path(frame.filename).name}, line {frame.lineno})"
