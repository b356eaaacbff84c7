"""Names the compiled network cannot carry, and how messages quote a user's value.

A node's name becomes an attribute of the compiled ``torch.fx.GraphModule``
(``model.conv1``). A name the module already has (``forward``, ``training``,
``state_dict``, ``graph``, ``_modules``…) would overwrite it, so training
would die with a traceback; analysis, the inspector and the importer use
``reserved_name_problem`` to catch such names first. The set is read from
torch itself, so it follows whatever torch version is installed.
"""
from __future__ import annotations

import functools
import keyword

PREVIEW_CHARS = 40
"""Messages quote at most this much of a value (a pasted megabyte stays out of the status bar)."""


def preview(value: object) -> str:
    """``repr(value)`` cut to a short prefix with ``…``, so a huge value never floods a message."""
    if isinstance(value, str) and len(value) > PREVIEW_CHARS:
        return repr(value[:PREVIEW_CHARS]) + "…"
    text = repr(value)
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "…"


MODULE_ATTRIBUTES = frozenset({
    'T_destination', '_apply', '_backward_hooks', '_backward_pre_hooks', '_boxed_call', '_buffers', '_call_impl',
    '_code', '_compiled_call_impl', '_create_node_hooks', '_deepcopy_hooks', '_deepcopy_init', '_erase_node_hooks',
    '_forward_hooks', '_forward_hooks_always_called', '_forward_hooks_with_kwargs', '_forward_pre_hooks',
    '_forward_pre_hooks_with_kwargs', '_get_backward_hooks', '_get_backward_pre_hooks', '_get_name', '_graph',
    '_is_full_backward_hook', '_lineno_map', '_load_from_state_dict', '_load_state_dict_post_hooks',
    '_load_state_dict_pre_hooks', '_maybe_warn_non_full_backward_hook', '_modules', '_named_members',
    '_non_persistent_buffers_set', '_parameters', '_prologue_start', '_recompile_submodules',
    '_register_create_node_hook', '_register_deepcopy_hook', '_register_erase_node_hook',
    '_register_load_state_dict_pre_hook', '_register_replace_node_hook', '_register_state_dict_hook',
    '_replace_hooks', '_replicate_for_data_parallel', '_save_to_state_dict', '_set_replace_hook', '_slow_forward',
    '_state_dict_hooks', '_state_dict_pre_hooks', '_tracer_cls', '_tracer_extras', '_unregister_create_node_hook',
    '_unregister_deepcopy_hook', '_unregister_erase_node_hook', '_unregister_replace_node_hook', '_version',
    '_wrapped_call', '_wrapped_call_impl', 'add_module', 'add_submodule', 'apply', 'bfloat16', 'buffers',
    'call_super_init', 'children', 'code', 'compile', 'cpu', 'cuda', 'delete_all_unused_submodules',
    'delete_submodule', 'double', 'dump_patches', 'eval', 'extra_repr', 'float', 'forward', 'get_buffer',
    'get_extra_state', 'get_parameter', 'get_submodule', 'graph', 'half', 'ipu', 'load_state_dict', 'meta',
    'modules', 'mtia', 'named_buffers', 'named_children', 'named_modules', 'named_parameters', 'parameters',
    'print_readable', 'recompile', 'register_backward_hook', 'register_buffer', 'register_forward_hook',
    'register_forward_pre_hook', 'register_full_backward_hook', 'register_full_backward_pre_hook',
    'register_load_state_dict_post_hook', 'register_load_state_dict_pre_hook', 'register_module',
    'register_parameter', 'register_state_dict_post_hook', 'register_state_dict_pre_hook', 'requires_grad_',
    'set_extra_state', 'set_submodule', 'shape_env', 'share_memory', 'state_dict', 'to', 'to_empty', 'to_folder',
    'train', 'training', 'type', 'xpu', 'zero_grad'
})
"""Every attribute an empty compiled network has (``nn.Module``'s and ``fx.GraphModule``'s), less
the ``__dunder__`` names (refused as such), as torch 2.14 has them. Written out rather than read
from torch, so that analysing a network never imports torch (the window opens before torch has
loaded); tests/engine/test_names_and_values.py checks it still covers the installed torch's."""


def module_attributes() -> frozenset[str]:
    """Every attribute an (empty) compiled network has, but for the ``__dunder__`` names."""
    return MODULE_ATTRIBUTES


@functools.lru_cache(maxsize=8192)  # asked for every node at every analysis, of names that rarely change
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
