"""Layers older exporters spell out operator by operator, found and rebuilt as the one layer they are.

Before opset 17 (LayerNormalization) and 20 (Gelu), torch's exporter writes
LayerNorm as mean/subtract/power/mean/add/sqrt/divide/scale/shift and the
exact GELU as ``x · ½ · (1 + erf(x / √2))``. Each pattern is matched on the
ONNX graph (every intermediate used only inside it) and replaced by one
``nn.LayerNorm`` / ``nn.GELU``; what does not match exactly is left to the
operator table, which refuses ``Erf`` and ``Pow`` by name.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
from torch import nn

from .building import NotMapped, OnnxGraphBuilder


class _Graph:
    def __init__(self, build: OnnxGraphBuilder) -> None:
        self.build = build
        self.producer = build.producers
        self.users: dict[str, list] = {}
        for node in build.model.graph.node:
            for value in node.input:
                self.users.setdefault(value, []).append(node)

    def made_by(self, value: str, op_type: str):
        node = self.producer.get(value)
        return node if node is not None and node.op_type == op_type else None

    def only_user(self, value: str, op_type: str):
        users = self.users.get(value, [])
        return users[0] if len(users) == 1 and users[0].op_type == op_type else None

    def scalar(self, value: str) -> float | None:
        array = self.build.constants.get(value)
        return float(array.reshape(-1)[0]) if array is not None and array.size == 1 else None

    def other(self, node, value: str) -> str | None:
        rest = [item for item in node.input if item != value]
        return rest[0] if len(rest) == 1 else None

    def axes(self, node) -> list[int] | None:
        from .operators import attributes

        axes = attributes(node).get("axes")
        if axes is None and len(node.input) > 1 and node.input[1] in self.build.constants:
            axes = self.build.constants[node.input[1]].tolist()
        return [int(a) for a in axes] if axes is not None else None


def fuse_patterns(build: OnnxGraphBuilder) -> dict[int, Callable]:
    """Rules for the last operator of each pattern found; the others are marked skipped on ``build``."""
    graph = _Graph(build)
    rules: dict[int, Callable] = {}
    for node in build.model.graph.node:
        found = None
        if node.op_type == "Erf":
            found = _gelu(graph, node)
        elif node.op_type == "Sqrt":
            found = _layer_norm(graph, node)
        elif node.op_type == "Gather":
            found = _strided_identity(graph, node)
        elif node.op_type == "ReduceL2":
            found = _l2_normalize(graph, node)
        if found is None:
            continue
        members, final, rule = found
        if any(id(member) in build.skipped or id(member) in rules for member in members):
            continue
        build.skipped.update(id(member) for member in members if member is not final)
        rules[id(final)] = rule
    return rules


def _gelu(graph: _Graph, erf):
    scaled = graph.producer.get(erf.input[0])
    if scaled is None or scaled.op_type not in ("Div", "Mul"):
        return None
    source = scaled.input[0]
    factor = graph.scalar(scaled.input[1])
    wanted = math.sqrt(2) if scaled.op_type == "Div" else 1 / math.sqrt(2)
    if factor is None or not math.isclose(factor, wanted, rel_tol=1e-4):
        return None
    plus = graph.only_user(erf.output[0], "Add")
    if plus is None or graph.scalar(graph.other(plus, erf.output[0]) or "") != 1.0:
        return None
    times = graph.only_user(plus.output[0], "Mul")
    if times is None:
        return None
    partner = graph.other(times, plus.output[0])
    if partner == source:  # (x · (1 + erf)) · ½
        half = graph.only_user(times.output[0], "Mul")
        if half is None or graph.scalar(graph.other(half, times.output[0]) or "") != 0.5:
            return None
        members = [scaled, erf, plus, times, half]
    else:  # (x · ½) · (1 + erf)
        half = graph.made_by(partner or "", "Mul")
        if half is None or graph.other(half, source) is None or graph.scalar(graph.other(half, source)) != 0.5 \
                or len(graph.users.get(half.output[0], [])) != 1:
            return None
        members = [scaled, erf, plus, half, times]
    final = members[-1]
    if any(len(graph.users.get(member.output[0], [])) != 1 for member in members[:-1] if member is not half):
        return None

    def rule(build: OnnxGraphBuilder, node) -> None:
        build.layer(node, nn.GELU(), source)
    return members, final, rule


def _layer_norm(graph: _Graph, sqrt):
    plus_eps = graph.made_by(sqrt.input[0], "Add")
    if plus_eps is None:
        return None
    variance = graph.made_by(plus_eps.input[0], "ReduceMean")
    eps = graph.scalar(plus_eps.input[1])
    if variance is None or eps is None:
        return None
    square = graph.made_by(variance.input[0], "Pow")
    if square is None or graph.scalar(square.input[1]) != 2.0:
        return None
    centred = graph.made_by(square.input[0], "Sub")
    if centred is None:
        return None
    mean = graph.made_by(centred.input[1], "ReduceMean")
    if mean is None or mean.input[0] != centred.input[0]:
        return None
    source = centred.input[0]
    if graph.axes(mean) not in ([-1], [3]) or graph.axes(variance) not in ([-1], [3]):
        return None
    divide = graph.only_user(sqrt.output[0], "Div")
    if divide is None or list(divide.input) != [centred.output[0], sqrt.output[0]]:
        return None
    scale = graph.only_user(divide.output[0], "Mul")
    weight = graph.other(scale, divide.output[0]) if scale is not None else None
    shift = graph.only_user(scale.output[0], "Add") if scale is not None else None
    bias = graph.other(shift, scale.output[0]) if shift is not None else None
    if weight not in graph.build.constants or bias not in graph.build.constants:
        return None
    members = [mean, centred, square, variance, plus_eps, sqrt, divide, scale, shift]

    def rule(build: OnnxGraphBuilder, node) -> None:
        weights = build.constants[weight].astype(np.float32).reshape(-1)
        layer = nn.LayerNorm(weights.shape[0], eps=eps)
        from .operators import _copy

        _copy(layer.weight, weights)
        _copy(layer.bias, build.constants[bias].astype(np.float32).reshape(-1))
        if build.value(source).shape[-1] != weights.shape[0]:
            raise NotMapped("it normalises over an axis other than the channels")
        build.layer(node, layer, source, weight=weight)
    return members, shift, rule


def _strided_identity(graph: _Graph, gather):
    """``Reshape(x, [-1])`` then ``Gather`` of 0, 1, 2, … shaped like x: the dynamo exporter's spelling of an
    ``as_strided`` that changes nothing (ConvNeXt's pooled maps before its LayerNorm2d)."""
    flat = graph.made_by(gather.input[0], "Reshape")
    indices = graph.build.constants.get(gather.input[1]) if len(gather.input) > 1 else None
    target = graph.build.constants.get(flat.input[1]) if flat is not None and len(flat.input) > 1 else None
    if flat is None or indices is None or target is None or target.tolist() != [-1]:
        return None
    if not np.array_equal(indices.reshape(-1), np.arange(indices.size)) or \
            len(graph.users.get(flat.output[0], [])) != 1:
        return None
    source = flat.input[0]

    def rule(build: OnnxGraphBuilder, node) -> None:
        value = build.value(source)
        if tuple(value.shape[1:]) != tuple(indices.shape[1:]) or indices.shape[0] != 1:
            raise NotMapped(f"it picks elements {list(indices.shape)} from a {list(value.shape[1:])} tensor")
        build.alias(node, source)
    return [flat, gather], gather, rule


def _l2_normalize(graph: _Graph, norm):
    """``x / max(‖x‖₂, eps)`` over the features (``F.normalize(x, dim=1)``): ReduceL2 over axis 1, Clip at eps,
    an Expand to x's shape (from Shape(x)), and Div — the embedding's L2 Normalize block."""
    source = norm.input[0]
    if graph.axes(norm) != [1]:
        return None
    clip = graph.only_user(norm.output[0], "Clip")
    if clip is None:
        return None
    from .operators import attributes

    eps = graph.scalar(clip.input[1]) if len(clip.input) > 1 and clip.input[1] else attributes(clip).get("min")
    if eps is None or (len(clip.input) > 2 and clip.input[2]):
        return None
    members, value = [norm, clip], clip.output[0]
    expand = graph.only_user(value, "Expand")
    if expand is not None:
        shape = graph.made_by(expand.input[1], "Shape")
        if shape is None or shape.input[0] != source or len(graph.users.get(shape.output[0], [])) != 1:
            return None
        members += [shape, expand]
        value = expand.output[0]
    divide = graph.only_user(value, "Div")
    if divide is None or list(divide.input) != [source, value]:
        return None
    members.append(divide)

    def rule(build: OnnxGraphBuilder, node) -> None:
        from ...catalogue.layers import L2Normalize

        if build.value(source).dim() != 2:
            raise NotMapped("it normalises maps; the L2 Normalize block normalises one vector per image")
        build.layer(node, L2Normalize(float(eps)), source)
    return members, divide, rule
