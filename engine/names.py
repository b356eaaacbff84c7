"""Names the compiled network cannot carry, and how messages quote a user's value.

A node's name becomes an attribute of the compiled ``torch.fx.GraphModule``
(``model.conv1``). A name the module already has (``forward``, ``training``,
``state_dict``, ``graph``, ``_modules``…) would overwrite it, so training
would die with a traceback; analysis, the inspector and the importer use
``reserved_name_problem`` to catch such names first. The set is read from
torch itself, so it follows whatever torch version is installed.
"""
from __future__ import annotations

import keyword
from functools import cache

PREVIEW_CHARS = 40
"""Messages quote at most this much of a value (a pasted megabyte stays out of the status bar)."""


def preview(value: object) -> str:
    """``repr(value)`` cut to a short prefix with ``…``, so a huge value never floods a message."""
    if isinstance(value, str) and len(value) > PREVIEW_CHARS:
        return repr(value[:PREVIEW_CHARS]) + "…"
    text = repr(value)
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"


@cache
def module_attributes() -> frozenset[str]:
    """Every attribute an (empty) compiled network has: nn.Module's and GraphModule's."""
    from torch import fx, nn  # here, not at the top: graph editing needs no torch

    return frozenset(dir(fx.GraphModule(nn.Module(), fx.Graph())))


def reserved_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a module or node name of a compiled network, or None if it can."""
    if keyword.iskeyword(name) or name == "self":
        return f"{preview(name)} is a Python word, so the network's code could not use it as a name"
    if name.startswith("__") and name.endswith("__"):
        return f"{preview(name)} is a Python special name (__…__), reserved for Python itself"
    if name in module_attributes():
        return f"{preview(name)} is already the name of a PyTorch module attribute (model.{name})"
    return None


def free_variant(name: str, taken=()) -> str:
    """``name``, or ``name_1``, ``name_2``… when it is reserved or in ``taken``."""
    candidate, index = name, 1
    while candidate in taken or reserved_name_problem(candidate):
        candidate = f"{name}_{index}"
        index += 1
    return candidate


def reserved_name_refusal(name: str, taken=()) -> str | None:
    """Why a node may not be renamed ``name``, with a free name to use instead; None if it may."""
    problem = reserved_name_problem(name)
    return f"{problem}; call it {free_variant(name, taken)} instead" if problem else None


def reserved_path_refusal(path: str) -> str | None:
    """The same for a block's dotted path (``forward.0`` would overwrite ``model.forward``)."""
    part = next((part for part in path.split(".") if reserved_name_problem(part)), None)
    return f"{reserved_name_problem(part)}; choose another block name" if part else None
