"""What a sweep varies: ``--param`` texts parsed into ranges, suggested per trial, applied to a project copy.

A parameter is a training setting (``lr``, ``batch_size``, ``optimizer``, ``weight_decay``, ``augment``…)
or a node's parameter by the node's name (``conv1.out_channels``, ``drop.p``). Its kind comes from the
setting's or block's ``ParamSpec``, so the bounds are checked by the same rules the inspector uses::

    lr=1e-4..1e-1            a float range (learning rate and weight decay: log-uniform when above 0)
    conv1.out_channels=8..64 an int range (``:step=8`` for multiples of 8, ``:log`` for log-uniform)
    batch_size=32,64,128     choices
    optimizer=sgd,adam       choices of a choice setting
    augment=none,crop,flip,crop+flip
    layer2.repeat=1..4       how many blocks a stage has (``engine.stages``: ResNet's layer2.0, layer2.1…)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ...analysis import analyze
from ...catalogue import ParamError, ParamSpec
from ...config import TRAINING_SETTINGS
from ...graph import GraphError
from ...project import Project, dumps_project, loads_project
from ...stages import MAX_REPEATS, REPEAT_KEY, StageError, repeat_problem, set_repeats, stages

#: the augmentation as one sweepable choice: which of random crop and flip a trial uses
AUGMENT_CHOICES = ("none", "crop", "flip", "crop+flip")
#: training settings whose range is log-uniform by default (their useful values span decades)
LOG_BY_DEFAULT = ("lr", "weight_decay")
#: settings that say where and how to train, not what: a sweep over them would compare nothing
NOT_SWEPT = ("dataset", "data_root", "device", "epochs", "seed", "hash_file_names", "exclude", "normalisation")
_SWEEPABLE_KINDS = ("int", "float", "choice", "bool", "pair")
_TRUE, _FALSE = ("true", "on", "yes", "1"), ("false", "off", "no", "0")


class SweepError(Exception):
    """A sweep that cannot start (a bad ``--param``, storage, objective): one line for people."""


@dataclass(frozen=True)
class SweepParam:
    name: str
    """As written: ``lr`` or ``conv1.out_channels``; also the Optuna parameter name."""
    kind: str
    """``float``, ``int`` (a range) or ``choice`` (categorical)."""
    node: str | None = None
    """The node's name for a node parameter; None for a training setting."""
    key: str = ""
    """The setting's or node parameter's name."""
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    step: int | None = None
    choices: tuple[Any, ...] = ()
    stage: str | None = None
    """The stage's name for a repeat count (``layer2`` of ``layer2.repeat``); None otherwise."""

    def describe(self) -> str:
        if self.kind == "choice":
            return f"{self.name} ∈ {{{', '.join(map(str, self.choices))}}}"
        scale = ", log" if self.log else (f", step {self.step}" if self.step else "")
        return f"{self.name} ∈ [{self.low:g}, {self.high:g}{scale}]"


def sweepable_settings() -> list[ParamSpec]:
    """The training settings a sweep may vary, plus ``augment`` (crop and flip as one choice)."""
    settings = [spec for spec in TRAINING_SETTINGS if spec.kind in _SWEEPABLE_KINDS and spec.name not in NOT_SWEPT]
    return settings + [ParamSpec("augment", "choice", "none", "Which augmentations a trial uses.",
                                 choices=AUGMENT_CHOICES)]


def sweepable_node_params(project: Project) -> list[tuple[str, ParamSpec]]:
    """(node name, spec) of every node parameter a sweep may vary, in graph order."""
    return [(node.name, spec) for node in project.graph.nodes.values() for spec in node.spec.params
            if spec.kind in _SWEEPABLE_KINDS]


def sweepable_repeats(project: Project) -> list[tuple[str, int]]:
    """(stage name, its blocks now) of every stage a sweep may repeat: ``("layer2", 2)`` → ``layer2.repeat``.
    A stage whose copies would not chain (its block changes the shape it is fed) is left out, so the
    dialog never offers what the parser would refuse."""
    found = []
    for stage in stages(project.graph):
        name = f"{stage.name}.{REPEAT_KEY}"
        try:
            _repeat(name, f"1..{max(stage.count, 2)}", project, name)
        except SweepError:
            continue
        found.append((stage.name, stage.count))
    return found


def parse_params(texts: list[str], project: Project) -> list[SweepParam]:
    if not texts:
        raise SweepError("nothing to sweep: give at least one --param, e.g. --param lr=1e-4..1e-1")
    space = [parse_param(text, project) for text in texts]
    seen = set()
    for param in space:
        if param.name in seen:
            raise SweepError(f"--param {param.name} is given twice: give each parameter once")
        seen.add(param.name)
    return space


def parse_param(text: str, project: Project) -> SweepParam:
    """``NAME=LOW..HIGH[:log|:step=N]`` or ``NAME=A,B,…``; raises ``SweepError`` naming what is wrong."""
    name, equals, values = text.partition("=")
    name, values = name.strip(), values.strip()
    if not equals or not name or not values:
        raise SweepError(f"--param {text!r}: write NAME=LOW..HIGH or NAME=A,B,C (e.g. lr=1e-4..1e-1)")
    if _is_repeat(name, project):
        return _repeat(name, values, project, text)
    node_name, key, spec = _resolve(name, project, text)
    try:
        if ".." in values:
            return _range(name, node_name, key, spec, values)
        return _choices(name, node_name, key, spec, values)
    except (ParamError, ValueError) as error:
        raise SweepError(f"--param {text!r}: {error}") from None


_REPEAT_SPEC = ParamSpec(REPEAT_KEY, "int", 1, "How many blocks the stage has.", minimum=1, maximum=MAX_REPEATS)


def _is_repeat(name: str, project: Project) -> bool:
    """``STAGE.repeat``, unless a node of that name has a parameter called ``repeat``."""
    stage, dot, key = name.rpartition(".")
    node = project.graph.node_by_name(stage) if dot else None
    return bool(dot) and key == REPEAT_KEY and (node is None or all(p.name != key for p in node.spec.params))


def _repeat(name: str, values: str, project: Project, text: str) -> SweepParam:
    """A stage's block count, refused up front (naming the block) when the graph cannot have those counts."""
    stage = name.rpartition(".")[0]
    try:
        param = _range(name, None, REPEAT_KEY, _REPEAT_SPEC, values) if ".." in values else \
            _choices(name, None, REPEAT_KEY, _REPEAT_SPEC, values)
    except (ParamError, ValueError) as error:
        raise SweepError(f"--param {text!r}: {error}") from None
    counts = list(param.choices) if param.kind == "choice" else [int(param.low), int(param.high)]
    training = project.training

    def analyse(graph):
        return analyze(graph, batch_size=training.batch_size, optimizer=training.optimizer, task=project.task)

    problem = repeat_problem(project.graph, stage, counts, analyse)
    if problem:
        raise SweepError(f"--param {text!r}: {problem}")
    return SweepParam(param.name, param.kind, None, REPEAT_KEY, param.low, param.high, param.log, param.step,
                      param.choices, stage=stage)


def _resolve(name: str, project: Project, text: str) -> tuple[str | None, str, ParamSpec]:
    if "." in name:
        node_name, _, key = name.partition(".")
        node = project.graph.node_by_name(node_name)
        if node is None:
            known = ", ".join(node.name for node in project.graph.nodes.values())
            raise SweepError(f"--param {text!r}: the network has no node named {node_name!r} (nodes: {known})")
        spec = next((spec for spec in node.spec.params if spec.name == key), None)
        if spec is None or spec.kind not in _SWEEPABLE_KINDS:
            known = ", ".join(spec.name for spec in node.spec.params if spec.kind in _SWEEPABLE_KINDS) or "none"
            raise SweepError(f"--param {text!r}: {node_name} ({node.spec.title}) has no sweepable parameter "
                             f"{key!r} (it has: {known})")
        return node_name, key, spec
    spec = next((spec for spec in sweepable_settings() if spec.name == name), None)
    if spec is None:
        known = ", ".join(spec.name for spec in sweepable_settings())
        raise SweepError(f"--param {text!r}: {name!r} is not a sweepable training setting (settings: {known}; "
                         "a node's parameter is NODE.PARAM, e.g. conv1.out_channels)")
    return None, name, spec


def _range(name: str, node: str | None, key: str, spec: ParamSpec, values: str) -> SweepParam:
    bounds, _, option = values.partition(":")
    low_text, _, high_text = bounds.partition("..")
    if spec.kind in ("choice", "bool"):
        example = ",".join(spec.choices[:2]) if spec.choices else "on,off"
        raise ValueError(f"{key} is a choice, not a number: list the values, e.g. {name}={example}")
    as_int = spec.kind in ("int", "pair")
    try:
        low, high = (int(low_text), int(high_text)) if as_int else (float(low_text), float(high_text))
    except ValueError:
        raise ValueError(f"{low_text!r}..{high_text!r} are not {'whole ' if as_int else ''}numbers") from None
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise ValueError(f"the range must go from a lower to a higher number, got {low_text}..{high_text}")
    spec.validate(low), spec.validate(high)
    log, step = key in LOG_BY_DEFAULT and low > 0, None
    if option == "log":
        log = True
    elif option.startswith("step=") and as_int:
        step = int(option[5:])
        if step < 1 or (high - low) % step:
            raise ValueError(f"step {step} must be at least 1 and divide {high} - {low}")
    elif option:
        raise ValueError(f"unknown range option {option!r}: use :log, or :step=N for whole numbers")
    if log and low <= 0:
        raise ValueError("a log-uniform range must start above 0")
    return SweepParam(name, "int" if as_int else "float", node, key, low, high, log, step)


def _choices(name: str, node: str | None, key: str, spec: ParamSpec, values: str) -> SweepParam:
    items = [item.strip() for item in values.split(",") if item.strip()]
    if len(set(items)) < 2:
        raise ValueError("a sweep needs a range (LOW..HIGH) or at least two different choices (A,B)")
    if spec.kind == "bool":
        def as_bool(item: str) -> bool:
            if item.lower() not in _TRUE + _FALSE:
                raise ValueError(f"{item!r} is not on or off")
            return item.lower() in _TRUE
        choices = tuple(as_bool(item) for item in items)
    elif spec.kind in ("int", "pair"):
        choices = tuple(spec.validate(int(item)) for item in items)
    elif spec.kind == "float":
        choices = tuple(spec.validate(float(item)) for item in items)
    else:
        choices = tuple(spec.validate(item) for item in items)
    return SweepParam(name, "choice", node, key, choices=choices)


def suggest_values(trial, space: list[SweepParam]) -> dict[str, Any]:
    """One trial's values, asked of an Optuna trial (also Ray's OptunaSearch's define-by-run space)."""
    values = {}
    for param in space:
        if param.kind == "float":
            values[param.name] = trial.suggest_float(param.name, param.low, param.high, log=param.log)
        elif param.kind == "int":
            values[param.name] = trial.suggest_int(param.name, int(param.low), int(param.high), log=param.log,
                                                   step=param.step or 1)
        else:
            values[param.name] = trial.suggest_categorical(param.name, list(param.choices))
    return values


def apply_values(project: Project, space: list[SweepParam], values: dict[str, Any]) -> Project:
    """A copy of ``project`` with the trial's values; the original stays as it was.

    Raises ``SweepError`` when a node refuses a value (the trial is then invalid, not the sweep)."""
    trial_project = loads_project(dumps_project(project), project.name)
    trial_project.path, trial_project.weights = project.path, project.weights
    changes: dict[str, Any] = {}
    # Node parameters first: a swept layer of a stage's last block then goes to its copies too.
    for param in sorted(space, key=lambda param: param.stage is not None):
        value = values[param.name]
        if param.stage is not None:
            try:
                set_repeats(trial_project.graph, param.stage, value)
            except (StageError, GraphError) as error:
                raise SweepError(f"{param.name}={value}: {error}") from None
        elif param.node is not None:
            node = trial_project.graph.node_by_name(param.node)
            try:
                trial_project.graph.set_param(node.id, param.key, value)
            except GraphError as error:
                raise SweepError(f"{param.name}={value}: {error}") from None
        elif param.key == "augment":
            changes.update(augment_crop="crop" in value, augment_flip="flip" in value)
        else:
            changes[param.key] = value
    try:
        trial_project.training = trial_project.training.replace(**changes)
    except ParamError as error:
        raise SweepError(f"bad training setting: {error}") from None
    return trial_project
