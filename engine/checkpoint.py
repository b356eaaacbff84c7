"""Checkpoints (``.pt``): a trained network with everything needed to use or resume it.

A checkpoint is a ``torch.save`` file holding plain values and tensors only:
the project (graph, name, training settings) as the same dict a project
file holds, the ``state_dict``, the class names, the normalisation, metrics
and history, and, for resuming, the optimiser and scheduler state. Because
nothing in it is an arbitrary Python object, it loads with
``torch.load(weights_only=True)``, which refuses (instead of running) any
pickled code: opening a checkpoint from a stranger is safe.
"""
from __future__ import annotations

import importlib.metadata
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .compiler import InvalidGraphError, compile_graph
from .fileio import atomic_torch_save
from .project import Project, ProjectError, project_from_dict, project_to_dict
from .tensor_files import load_tensors_file

FORMAT = "convcanvas.checkpoint"
VERSION = 1


def convcanvas_version() -> str:
    """The installed package's version ("dev" when running from a source tree)."""
    try:
        return importlib.metadata.version("convcanvas")
    except importlib.metadata.PackageNotFoundError:
        return "dev"


class CheckpointError(ValueError):
    """A file that cannot be used as a checkpoint; the message is one line for people."""


@dataclass
class Checkpoint:
    project: Project
    model_state: dict[str, torch.Tensor]
    class_names: list[str]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    metrics: dict[str, Any]
    history: list[dict[str, Any]]
    epoch: int
    optimizer_state: dict[str, Any] | None = None
    scheduler_state: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    versions: dict[str, str] = field(default_factory=dict)
    loss_state: dict[str, torch.Tensor] | None = None
    """The loss's own learned tensors (ArcFace's identity centres), for resuming; None for most tasks."""


def save_checkpoint(
    path: str | os.PathLike,
    *,
    project: Project,
    model_state: dict[str, torch.Tensor],
    class_names: list[str],
    mean: tuple[float, ...],
    std: tuple[float, ...],
    metrics: dict[str, Any],
    history: list[dict[str, Any]],
    epoch: int,
    optimizer_state: dict[str, Any] | None = None,
    scheduler_state: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    loss_state: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Writes a checkpoint atomically (readers never see half a file); returns its path."""
    payload = {
        "format": FORMAT,
        "version": VERSION,
        # str(): torch.__version__ is a TorchVersion, which weights_only loading refuses.
        "versions": {"torch": str(torch.__version__), "convcanvas": convcanvas_version()},
        "project": project_to_dict(project),
        "model_state": dict(model_state),
        "class_names": [str(name) for name in class_names],
        "mean": [float(value) for value in mean],
        "std": [float(value) for value in std],
        "metrics": metrics,
        "history": list(history),
        "epoch": int(epoch),
        "optimizer_state": optimizer_state,
        "scheduler_state": scheduler_state,
        "config": config,
        **({"loss_state": dict(loss_state)} if loss_state else {}),
    }
    _check_plain(payload, "checkpoint")
    return atomic_torch_save(path, payload)


_PLAIN_TYPES = (str, int, float, bool, type(None), torch.Tensor)


def _check_plain(value: Any, where: str) -> None:
    """Refuses, at save time, anything ``torch.load(weights_only=True)`` would refuse at load time
    (numpy scalars, str subclasses such as ``torch.__version__``, custom objects)."""
    kind = type(value)
    if kind in (dict, OrderedDict):
        for key, item in value.items():
            _check_plain(key, where)
            _check_plain(item, f"{where}[{key!r}]")
    elif kind in (list, tuple):
        for index, item in enumerate(value):
            _check_plain(item, f"{where}[{index}]")
    elif kind not in _PLAIN_TYPES and not isinstance(value, torch.Tensor):
        raise TypeError(f"{where} is a {kind.__module__}.{kind.__qualname__}; checkpoints hold only plain values "
                        "and tensors")


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Reads and checks a checkpoint; raises ``CheckpointError`` with a one-line reason."""
    path = Path(path)
    payload = load_tensors_file(path, CheckpointError, "a checkpoint",
                                "a ConvCanvas checkpoint never does; open only checkpoints you trust")
    return checkpoint_from_payload(payload, path)


def checkpoint_from_payload(payload: Any, path: Path) -> Checkpoint:
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: this is a PyTorch file but not a ConvCanvas checkpoint "
                              f"(expected \"format\": \"{FORMAT}\")")
    version = payload.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"{path}: the checkpoint version {version!r} is not valid")
    if version > VERSION:
        raise CheckpointError(f"{path}: written by a newer ConvCanvas (checkpoint version {version}; this one "
                              f"reads up to {VERSION}). Update ConvCanvas to open it.")
    expected = {"project": dict, "model_state": dict, "class_names": list, "mean": list, "std": list,
                "metrics": dict, "history": list, "epoch": int}
    for key, kind in expected.items():
        if not isinstance(payload.get(key), kind):
            raise CheckpointError(f"{path}: the checkpoint is damaged (field {key!r} is missing or of the "
                                  "wrong type)")
    loss_state = payload.get("loss_state")
    if loss_state is not None and not (isinstance(loss_state, dict) and
                                       all(isinstance(value, torch.Tensor) for value in loss_state.values())):
        raise CheckpointError(f"{path}: the checkpoint is damaged (loss_state holds non-tensor values)")
    if not all(isinstance(value, torch.Tensor) for value in payload["model_state"].values()):
        raise CheckpointError(f"{path}: the checkpoint is damaged (model_state holds non-tensor values)")
    try:
        project = project_from_dict(payload["project"], f"{path.name} (project)")
    except ProjectError as error:
        raise CheckpointError(f"{path}: its project is not valid: {error}") from None
    return Checkpoint(
        project=project,
        model_state=payload["model_state"],
        class_names=[str(name) for name in payload["class_names"]],
        mean=tuple(float(value) for value in payload["mean"]),
        std=tuple(float(value) for value in payload["std"]),
        metrics=payload["metrics"],
        history=payload["history"],
        epoch=payload["epoch"],
        optimizer_state=payload.get("optimizer_state"),
        scheduler_state=payload.get("scheduler_state"),
        config=payload.get("config"),
        versions=dict(payload.get("versions") or {}),
        loss_state=loss_state,
    )


def build_model(checkpoint: Checkpoint) -> nn.Module:
    """The trained network, weights loaded (strictly), in eval mode."""
    try:
        model = compile_graph(checkpoint.project.graph, name=checkpoint.project.name)
    except InvalidGraphError as error:
        first = error.issues[0] if error.issues else "unknown problem"
        raise CheckpointError(f"the checkpoint's network cannot be built: {first}") from None
    try:
        model.load_state_dict(checkpoint.model_state, strict=True)
    except RuntimeError as error:
        reason = " ".join(str(error).split())[:200]
        raise CheckpointError(f"the checkpoint's weights do not fit its network ({reason})") from None
    return model.eval()
