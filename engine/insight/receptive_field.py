"""Receptive fields from the graph: which input pixels one unit of a node's output can see.

For each node, per axis (height, width), three numbers describe every unit at once
(Araujo et al., "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019):

* ``size``: how many input pixels one unit sees (its window on the input);
* ``jump``: how far apart, in input pixels, two neighbouring units' windows are (the product
  of the strides so far: 1 at the input, 2 after a stride-2 convolution);
* ``start``: the input coordinate of the centre of the first unit's window (padding moves it
  out, towards negative coordinates).

A window layer with kernel k (dilated: k' = d·(k−1)+1), stride s and left padding p gives
``size += (k'−1)·jump``, ``start += ((k'−1)/2 − p)·jump``, ``jump *= s``. Element-wise and
per-position blocks (activations, BatchNorm, channel mixing) keep the field; merging blocks (Add,
Concat, Multiply) take the union of their inputs' fields; blocks whose every output depends on the
whole map (Flatten, Dense, GroupNorm's statistics, global pooling) see the whole input
(``whole_input``). Transposed convolutions and upsampling divide the jump; their ``size`` is a
window that holds every unit's (units between input pixels may see fewer pixels than it).
Computed from the graph alone (no torch), so the inspector can show it while the user edits.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..analysis import Analysis, analyze
from ..catalogue.spec import as_pair
from ..graph import Graph
from .receptive_rules import WHOLE_INPUT, WINDOWED


@dataclass(frozen=True)
class ReceptiveField:
    size: tuple[float, float]
    jump: tuple[float, float]
    start: tuple[float, float]
    input_size: tuple[int, int]
    """The Input's (height, width): windows are clipped to it when drawn."""
    whole_input: bool = False

    def box(self, row: int, column: int) -> tuple[float, float, float, float]:
        """Unit (row, column)'s window on the input as (top, left, bottom, right), inclusive pixel
        coordinates, not clipped (padding may put part of it outside the image)."""
        if self.whole_input:
            return 0.0, 0.0, self.input_size[0] - 1.0, self.input_size[1] - 1.0
        centres = (self.start[0] + row * self.jump[0], self.start[1] + column * self.jump[1])
        half = ((self.size[0] - 1) / 2, (self.size[1] - 1) / 2)
        return centres[0] - half[0], centres[1] - half[1], centres[0] + half[0], centres[1] + half[1]

    def clipped_box(self, row: int, column: int) -> tuple[int, int, int, int]:
        """``box`` clipped to the image, as whole pixels (what a gradient can reach)."""
        top, left, bottom, right = self.box(row, column)
        height, width = self.input_size
        return (max(0, math.ceil(top)), max(0, math.ceil(left)), min(height - 1, math.floor(bottom)),
                min(width - 1, math.floor(right)))

    def describe(self) -> str:
        if self.whole_input:
            return "every unit sees the whole input"
        jump = _number(max(self.jump))
        jump_text = (f"{jump} pixel{'' if jump == '1' else 's'}" if self.jump[0] == self.jump[1]
                     else f"{_number(self.jump[0])}×{_number(self.jump[1])} pixels")
        return (f"each unit sees a {_number(self.size[0])}×{_number(self.size[1])} window of input pixels; "
                f"neighbouring units' windows are {jump_text} apart")


def _number(value: float) -> str:
    return f"{value:g}"


def receptive_fields(graph: Graph, analysis: Analysis | None = None) -> dict[str, ReceptiveField]:
    """Every node's receptive field on the Input (nodes without a shape, after an error, are left out)."""
    analysis = analysis or analyze(graph)
    fields: dict[str, ReceptiveField] = {}
    for node_id in analysis.order:
        node, report = graph.nodes[node_id], analysis.nodes.get(node_id)
        if node.type == "input":
            params = node.params
            fields[node_id] = ReceptiveField((1.0, 1.0), (1.0, 1.0), (0.0, 0.0), (params["height"], params["width"]))
            continue
        inputs = [fields.get(edge.src) for edge in graph.incoming(node_id)]
        if report is None or report.output_shape is None or not inputs or None in inputs:
            continue
        fields[node_id] = _through(node.type, node.params, report, inputs)
    return fields


def _union(inputs: list[ReceptiveField]) -> ReceptiveField:
    """The fields of merged branches: the smallest window holding every branch's window."""
    first = inputs[0]
    if len(inputs) == 1 or any(field.whole_input for field in inputs):
        return first if len(inputs) == 1 else _whole(first)
    size, jump, start = [], [], []
    for axis in (0, 1):
        lows = [f.start[axis] - (f.size[axis] - 1) / 2 for f in inputs]
        highs = [f.start[axis] + (f.size[axis] - 1) / 2 for f in inputs]
        low, high = min(lows), max(highs)
        size.append(high - low + 1)
        start.append((low + high) / 2)
        jump.append(max(f.jump[axis] for f in inputs))  # equal where the shapes agree, as Add requires
    return ReceptiveField(tuple(size), tuple(jump), tuple(start), first.input_size)


def _whole(field: ReceptiveField) -> ReceptiveField:
    return ReceptiveField(field.size, field.jump, field.start, field.input_size, whole_input=True)


def _window(field: ReceptiveField, kernel, stride, left_padding, dilation=(1, 1)) -> ReceptiveField:
    size, jump, start = [], [], []
    for axis in (0, 1):
        span = dilation[axis] * (kernel[axis] - 1)  # k' - 1
        size.append(field.size[axis] + span * field.jump[axis])
        start.append(field.start[axis] + (span / 2 - left_padding[axis]) * field.jump[axis])
        jump.append(field.jump[axis] * stride[axis])
    return ReceptiveField(tuple(size), tuple(jump), tuple(start), field.input_size)


def _left_padding(params, kernel, dilation) -> tuple[int, int]:
    padding = params.get("padding", 0)
    if padding == "same":  # PyTorch pads (total // 2) before, the rest after
        return tuple(dilation[axis] * (kernel[axis] - 1) // 2 for axis in (0, 1))
    if padding == "valid":
        return (0, 0)
    return as_pair(padding)


def _through(block: str, params: dict, report, inputs: list[ReceptiveField]) -> ReceptiveField:
    field = _union(inputs)
    if field.whole_input or block in WHOLE_INPUT:
        return _whole(field)
    in_shape, out_shape = report.input_shapes[0], report.output_shape
    if block in WINDOWED:
        kernel, stride = as_pair(params["kernel_size"]), as_pair(params["stride"])
        dilation = as_pair(params.get("dilation", 1))
        return _window(field, kernel, stride, _left_padding(params, kernel, dilation), dilation)
    if block == "adaptiveavgpool2d":
        if len(out_shape) != 3 or out_shape[1:] == (1, 1):
            return _whole(field)
        # Bins of in/out pixels (rounded out): the largest bin is the window, their spacing the stride.
        kernel = tuple(math.ceil(in_shape[axis + 1] / out_shape[axis + 1]) for axis in (0, 1))
        stride = tuple(in_shape[axis + 1] / out_shape[axis + 1] for axis in (0, 1))
        return _window(field, kernel, stride, (0, 0))
    if block == "convtranspose2d":
        return _transposed(field, params)
    if block == "upsample":
        return _upsampled(field, params, in_shape, out_shape)
    return field  # element-wise and per-position blocks see what their input sees


def _transposed(field: ReceptiveField, params: dict) -> ReceptiveField:
    """Output o gets input i where o = i·s − p + t·d for a tap t < k: i runs over
    [(o + p − (k'−1))/s, (o + p)/s], a window (k'−1)/s wide (in the input's units) around its centre."""
    kernel, stride = as_pair(params["kernel_size"]), as_pair(params["stride"])
    padding, dilation = as_pair(params["padding"]), as_pair(params.get("dilation", 1))
    size, jump, start = [], [], []
    for axis in (0, 1):
        span = dilation[axis] * (kernel[axis] - 1) + 1
        size.append(field.size[axis] + (span - 1) / stride[axis] * field.jump[axis])
        start.append(field.start[axis] + (padding[axis] - (span - 1) / 2) / stride[axis] * field.jump[axis])
        jump.append(field.jump[axis] / stride[axis])
    return ReceptiveField(tuple(size), tuple(jump), tuple(start), field.input_size)


def _upsampled(field: ReceptiveField, params: dict, in_shape, out_shape) -> ReceptiveField:
    """Output o reads input coordinate x = (o + ½)/f − ½ (x = o·(in−1)/(out−1) with aligned corners):
    nearest copies the pixel at x rounded down, bilinear blends the two pixels around x. The window is
    centred on x and wide enough for either (units between input pixels see up to one pixel more)."""
    bilinear = params.get("mode") == "bilinear"
    aligned = bilinear and params.get("align_corners", False)
    size, jump, start = [], [], []
    for axis in (0, 1):
        n_in, n_out = in_shape[axis + 1], out_shape[axis + 1]
        step = (n_in - 1) / (n_out - 1) if aligned and n_out > 1 else n_in / n_out  # input pixels per output
        offset = 0.0 if aligned else (step - 1) / 2
        extra = 2.0 if bilinear else 1.0 - step if step < 1 else 0.0
        size.append(field.size[axis] + extra * field.jump[axis])
        start.append(field.start[axis] + offset * field.jump[axis])
        jump.append(field.jump[axis] * step)
    return ReceptiveField(tuple(size), tuple(jump), tuple(start), field.input_size)
