"""The vocabulary of the block catalogue: parameter, port and block specs.

A ``BlockSpec`` holds everything ConvCanvas knows about one block type. The
palette, the inspector, validation, shape inference, the compiler, code
generation and the docs are all driven from it, so adding a block type
touches one place: ``engine/catalogue/blocks.py``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..names import preview

Shape = tuple[int, ...]
"""A tensor shape without the batch dimension: ``(C, H, W)`` or ``(F,)``."""

# Upper bounds that keep a project file from asking for absurd memory before
# any tensor exists. They are far above any network people train.
MAX_CHANNELS = 65_536
MAX_FEATURES = 1_048_576
MAX_SPATIAL = 8_192
MAX_KERNEL = 1_024


class ParamError(ValueError):
    """A parameter value that does not fit its spec; the message says why."""


class ShapeError(Exception):
    """Raised by a shape rule: the block cannot work on these inputs."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class ParamSpec:
    """One block parameter.

    ``kind`` is one of ``int``, ``float``, ``bool``, ``choice``, ``text``, ``pair`` (an
    int or a ``[height, width]`` pair) and ``padding`` (a pair, or one of the
    strings in ``choices`` such as ``"same"``).
    """

    name: str
    kind: str
    default: Any
    help: str
    label: str = ""
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    # Exclusive upper bound for floats such as a dropout probability.
    exclusive_maximum: bool = False
    saved_when_default: bool = True
    """False for a parameter added to a block after files were written with it: a file holds it only when it
    differs from the default, so files and presets written before it read, and write, byte for byte as before."""

    check: Callable[[Any], None] | None = None
    """A further check of a value of the right kind (raises ``ParamError``), for text with a grammar."""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def validate(self, value: Any) -> Any:
        """Returns ``value`` in canonical form or raises ``ParamError``."""
        checker = _VALIDATORS[self.kind]
        value = checker(self, value)
        if self.check is not None:
            self.check(value)
        return value

    def _check_range(self, number: float) -> None:
        if self.minimum is not None and number < self.minimum:
            raise ParamError(f"must be at least {_fmt(self.minimum)}, got {_fmt(number)}")
        if self.maximum is not None:
            too_big = number >= self.maximum if self.exclusive_maximum else number > self.maximum
            if too_big:
                bound = "below" if self.exclusive_maximum else "at most"
                raise ParamError(f"must be {bound} {_fmt(self.maximum)}, got {_fmt(number)}")


def _fmt(number: float) -> str:
    return f"{number:,}" if isinstance(number, int) else f"{number:g}"


def _validate_int(spec: ParamSpec, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ParamError(f"must be a whole number, got {preview(value)}")
    spec._check_range(value)
    return value


def _validate_float(spec: ParamSpec, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamError(f"must be a number, got {preview(value)}")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ParamError(f"must be a finite number, got {preview(value)}")
    spec._check_range(value)
    return value


def _validate_bool(spec: ParamSpec, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ParamError(f"must be true or false, got {preview(value)}")
    return value


def _validate_choice(spec: ParamSpec, value: Any) -> str:
    if value not in spec.choices:
        raise ParamError(f"must be one of {', '.join(spec.choices)}; got {preview(value)}")
    return value


def _validate_text(spec: ParamSpec, value: Any) -> str:
    if not isinstance(value, str):
        raise ParamError(f"must be text, got {preview(value)}")
    if spec.maximum is not None and len(value) > spec.maximum:
        raise ParamError(f"must be at most {int(spec.maximum)} characters long")
    return value


def _validate_pair(spec: ParamSpec, value: Any) -> int | list[int]:
    """A pair is stored as one int when both sides agree, else ``[h, w]``."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ParamError(f"must be one number or a [height, width] pair, got {preview(list(value))}")
        height, width = (_validate_int(spec, v) for v in value)
        return height if height == width else [height, width]
    return _validate_int(spec, value)


def _validate_padding(spec: ParamSpec, value: Any) -> int | list[int] | str:
    if isinstance(value, str):
        return _validate_choice(spec, value)
    try:
        return _validate_pair(spec, value)
    except ParamError as error:
        raise ParamError(f"{error} (or one of {', '.join(spec.choices)})") from None


_VALIDATORS: dict[str, Callable[[ParamSpec, Any], Any]] = {
    "int": _validate_int,
    "float": _validate_float,
    "bool": _validate_bool,
    "choice": _validate_choice,
    "text": _validate_text,
    "pair": _validate_pair,
    "padding": _validate_padding,
}


def as_pair(value: int | Sequence[int]) -> tuple[int, int]:
    """``3`` → ``(3, 3)``; ``[3, 5]`` → ``(3, 5)``."""
    if isinstance(value, (list, tuple)):
        return int(value[0]), int(value[1])
    return int(value), int(value)


@dataclass(frozen=True)
class PortSpec:
    """A named input port. ``variadic`` ports accept any number of edges."""

    name: str
    variadic: bool = False
    min_edges: int = 1


@dataclass(frozen=True)
class ModuleCall:
    """How to build a block's torch module, as data.

    The compiler resolves ``path`` (e.g. ``"nn.Conv2d"``, or a bare class name
    from ``layers.CUSTOM_LAYERS`` such as ``"LayerNorm2d"``) and calls it; the
    code generator prints the same call, so both always agree.
    """

    path: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def source(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.path}({', '.join(parts)})"

    def build(self):
        import torch
        from torch import nn

        owner, _, attr = self.path.partition(".")
        if not attr:  # a layer torch.nn lacks (LayerNorm2d): the exported source defines it too
            from .layers import CUSTOM_LAYERS

            return CUSTOM_LAYERS[owner](*self.args, **self.kwargs)
        namespace = {"nn": nn, "torch": torch}
        return getattr(namespace[owner], attr)(*self.args, **self.kwargs)


@dataclass(frozen=True)
class Cost:
    params: int = 0
    macs: int = 0


Params = dict[str, Any]
ShapeRule = Callable[[Params, list[Shape]], Shape]
CostRule = Callable[[Params, list[Shape], Shape], Cost]
ModuleRule = Callable[[Params, list[Shape]], ModuleCall]
ExprRule = Callable[[Params, list[str]], str]
TensorFunction = Callable[[list[Any]], Any]
SummaryRule = Callable[[Params], str]


@dataclass(frozen=True)
class BlockSpec:
    """Everything about one block type.

    A block is either a *module* block (``module`` builds an ``nn.Module`` that
    becomes a named submodule) or a *function* block: ``function`` computes
    it from the list of input tensors, and ``expression`` renders the same
    operation as Python source over the input variables (e.g. ``a + b``).
    Input blocks have neither; output blocks return their input.
    """

    type_id: str
    title: str
    category: str
    summary: str
    doc: str
    params: tuple[ParamSpec, ...]
    inputs: tuple[PortSpec, ...]
    outputs: tuple[str, ...]
    infer_shape: ShapeRule
    cost: CostRule = lambda params, inputs, output: Cost()
    module: ModuleRule | None = None
    function: TensorFunction | None = None
    expression: ExprRule | None = None
    describe: SummaryRule = lambda params: ""
    name_prefix: str = ""
    shape_formula: str = ""
    when: str = ""
    """When to use it: the situations the block is the right choice for (the guides show it)."""

    def param(self, name: str) -> ParamSpec:
        for spec in self.params:
            if spec.name == name:
                return spec
        raise KeyError(f"{self.title} has no parameter {preview(name)}")

    def input_port(self, name: str) -> PortSpec | None:
        return next((port for port in self.inputs if port.name == name), None)

    def defaults(self) -> Params:
        return {spec.name: spec.default for spec in self.params}

    def saved_params(self, params: Params) -> Params:
        """``params`` as files hold them: every parameter, less those left out at their default."""
        return {spec.name: params[spec.name] for spec in self.params
                if spec.saved_when_default or params[spec.name] != spec.default}

    @property
    def is_source(self) -> bool:
        return not self.inputs

    @property
    def is_sink(self) -> bool:
        return not self.outputs
