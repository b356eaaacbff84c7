"""Standalone Python export: the network's source plus its weights beside it.

``model.py`` holds the ``nn.Module`` class from ``engine.codegen`` and a
``load()`` helper; ``model.pt`` holds a plain ``state_dict`` (tensors only,
so ``torch.load(weights_only=True)`` reads it). Neither needs ConvCanvas.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch

from ..codegen import python_source
from ..compiler import InvalidGraphError, class_name_for
from ..fileio import atomic_write_files, torch_bytes
from ..graph import Graph
from ..project import Project
from .common import ExportError
from ..tasks import DEFAULT_TASK, Task, task_for

_MAIN_GUARD = '\nif __name__ == "__main__":'


def weights_path_for(path: str | os.PathLike) -> Path:
    """``model.py`` → ``model.pt``: where ``export_python`` puts the weights."""
    return Path(path).with_suffix(".pt")


def export_python(
    project_or_graph: Project | Graph,
    model_state: Mapping[str, torch.Tensor],
    path: str | os.PathLike,
    *,
    class_names: Sequence[str] | None = None,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
    metadata: Mapping[str, str] | None = None,
    window_band: tuple[float, float] | None = None,
) -> tuple[Path, Path]:
    """Writes the source to ``path`` and the weights to ``<stem>.pt`` beside it; returns both paths.

    ``class_names``, ``mean`` and ``std``, when given, become constants in the
    source so a user can label outputs and normalise inputs as in training. ``window_band`` (the Input's
    preset or manual window, centre and width) becomes ``WINDOW_CENTRE``/``WINDOW_WIDTH`` and an
    ``apply_window`` function, so raw high-bit-depth values are windowed as training windowed them.
    """
    graph, name = ((project_or_graph.graph, project_or_graph.name) if isinstance(project_or_graph, Project)
                   else (project_or_graph, "Network"))
    source_path, weights_path = Path(path), weights_path_for(path)
    if source_path.suffix != ".py":
        raise ExportError(f"{source_path}: a Python export needs a file name ending in .py")
    try:
        source = python_source(graph, name)
    except InvalidGraphError as error:
        raise ExportError(f"the network cannot be written as Python: {error.issues[0]}") from None
    source = _with_loader(source, class_name_for(name), weights_path.name, class_names, mean, std,
                          task_for(project_or_graph.task if isinstance(project_or_graph, Project) else DEFAULT_TASK),
                          dict(metadata or {}), window_band)
    try:  # never write a file that Python cannot import
        compile(source, str(source_path), "exec")
    except SyntaxError as error:
        raise ExportError(f"the generated Python source is not valid ({error.msg} on line {error.lineno}); "
                          "try a project name without quotes or backslashes") from None
    state = {key: value.detach().cpu().clone() for key, value in model_state.items()}
    # Both complete before either replaces an older file: a failure keeps the old pair, matching.
    atomic_write_files([(weights_path, torch_bytes(state)), (source_path, source.encode("utf-8"))])
    return source_path, weights_path


def _with_loader(source: str, class_name: str, weights_name: str, class_names: Sequence[str] | None,
                 mean: Sequence[float] | None, std: Sequence[float] | None, task: Task,
                 metadata: dict[str, str] | None = None, window_band: tuple[float, float] | None = None) -> str:
    """The generated source with constants and ``load()`` inserted before its ``__main__`` block."""
    lines = task.decode_source().splitlines()  # how to read the output: class scores or a mask
    if class_names is not None:
        lines.append(f"CLASS_NAMES = {[str(n) for n in class_names]!r}")
    if mean is not None and std is not None:
        lines.append("# Training normalised each input channel as (x - MEAN) / STD, with x on 0..1.")
        lines.append(f"MEAN = {tuple(float(v) for v in mean)!r}")
        lines.append(f"STD = {tuple(float(v) for v in std)!r}")
    if window_band is not None:
        lines += _window_source(*window_band)
    helpers = task.export_helpers(metadata or {})  # an embedding's THRESHOLD and compare()
    if helpers:
        lines += ["", "", *helpers] if lines else helpers
    if lines:
        lines += ["", ""]
    lines += [
        'def load(weights=None, device="cpu"):',
        f'    """A {class_name} with its trained weights (default: the .pt named like this file), in eval mode."""',
        "    from pathlib import Path",
        "",
        f"    path = Path(weights) if weights is not None else Path(__file__).with_name({weights_name!r})",
        f"    model = {class_name}()",
        "    model.load_state_dict(torch.load(path, map_location=device, weights_only=True))",
        "    return model.to(device).eval()",
        "",
    ]
    loader = "\n".join(lines)
    head, guard, main = source.rpartition(_MAIN_GUARD)
    if not guard:
        return f"{source.rstrip()}\n\n\n{loader}"
    # ``python model.py`` runs the trained network, not a freshly initialised one.
    untrained = f"    model = {class_name}().eval()"
    trained = (f"    model = load()\n"
               f"    print({f'{class_name} with the trained weights of {weights_name}'!r})")
    if untrained not in main:
        raise ExportError("the generated source has no model to load the weights into (a ConvCanvas bug)")
    return f"{head.rstrip()}\n\n\n{loader}\n{guard}{main.replace(untrained, trained, 1)}"


def _window_source(centre: float, width: float) -> list[str]:
    """The Input's window as constants and a function (engine.data.windowing.apply_window, in torch)."""
    return [
        "# Training windowed high-bit-depth values (DICOM after rescale slope/intercept: Hounsfield units for CT;",
        "# 16-bit PNG/TIFF: the raw values): centre - width/2 became 0, centre + width/2 became 1.",
        f"WINDOW_CENTRE = {float(centre)!r}",
        f"WINDOW_WIDTH = {max(float(width), 1e-6)!r}",
        "",
        "",
        "def apply_window(values):",
        '    """Raw values (any shape, array or tensor) -> float32 tensor on 0..1, windowed as in training."""',
        "    values = torch.as_tensor(values).to(torch.float32)",
        "    return ((values - (WINDOW_CENTRE - WINDOW_WIDTH / 2)) / WINDOW_WIDTH).clamp(0.0, 1.0)",
    ]
