"""Building graphs in code: a small fluent builder and the classic CNN blocks.

``GraphBuilder.add`` connects each new node to the previous one unless told
otherwise, so a plain network reads as a list of layers. Node ids equal the
names given, so the names people see are also the ids in project files.

The block helpers follow torchvision (``torchvision/models/resnet.py``): the
same layers in the same order, conv bias off before BatchNorm, the stride on
the 3×3 convolution of a bottleneck ("ResNet v1.5"), and a 1×1 conv + BN
"downsample" on the shortcut when the stride or the channel count changes.
Names are torchvision's module paths with ``_`` for ``.``; the ReLU torchvision
reuses within a block is one node per use here (``relu1``, ``relu2``, ...).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .graph import Graph
from .groups import Group, make_group

_FOLLOW = object()  # "connect to the previous node", the default of ``inputs``

Step = tuple[str, str] | tuple[str, str, dict[str, Any]]
"""(type id, name) or (type id, name, params) for ``GraphBuilder.chain``."""
NumberedStep = tuple[str] | tuple[str, dict[str, Any]]
"""(type id,) or (type id, params) for ``GraphBuilder.sequential``."""


class GraphBuilder:
    """Adds nodes to ``graph``, each fed by the one added before (the cursor) by default."""

    def __init__(self, graph: Graph | None = None) -> None:
        self.graph = graph if graph is not None else Graph()
        self.cursor: str | None = None

    def add(self, type_id: str, name: str | None = None, *, inputs: Any = _FOLLOW, **params: Any) -> str:
        """Adds a node and returns its id (= its name).

        ``inputs`` is a node id or a list of them, in connection order (an
        Add's main branch first); ``None`` or ``[]`` adds no edge. By default
        the node is fed by the cursor, and it becomes the new cursor.
        """
        node = self.graph.add_node(type_id, params, name=name, node_id=name)
        if inputs is _FOLLOW:
            sources = [self.cursor] if self.cursor is not None else []
        elif inputs is None or isinstance(inputs, str):
            sources = [inputs] if inputs else []
        else:
            sources = list(inputs)
        for source in sources:
            self.graph.connect(source, node.id)
        self.cursor = node.id
        return node.id

    def chain(self, *steps: Step) -> str:
        """Adds nodes one after another; returns the last id."""
        for type_id, name, *params in steps:
            self.add(type_id, name, **(params[0] if params else {}))
        return self.cursor

    def sequential(self, prefix: str, steps: Sequence[NumberedStep], start: int = 0) -> str:
        """Like ``nn.Sequential``: nodes named ``prefix_0``, ``prefix_1``, ...; returns the last id."""
        for index, (type_id, *params) in enumerate(steps, start):
            self.add(type_id, f"{prefix}_{index}", **(params[0] if params else {}))
        return self.cursor

    def at(self, node_id: str) -> GraphBuilder:
        """Moves the cursor, so the next node branches off ``node_id``."""
        self.graph.node(node_id)
        self.cursor = node_id
        return self


def conv_bn_relu(
    builder: GraphBuilder,
    names: tuple[str, str, str | None],
    out_channels: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
) -> str:
    """Conv2d (no bias) → BatchNorm2d → ReLU, named ``names``; a ``None`` ReLU name leaves it out."""
    conv, bn, relu = names
    builder.add("conv2d", conv, out_channels=out_channels, kernel_size=kernel_size, stride=stride,
                padding=padding, bias=False)
    builder.add("batchnorm2d", bn)
    if relu is not None:
        builder.add("activation", relu, function="relu")
    return builder.cursor


def residual_join(builder: GraphBuilder, prefix: str, block_input: str, main: str, in_channels: int,
                  out_channels: int, stride: int, relu_name: str) -> str:
    """Shortcut (a 1×1 conv + BN ``downsample`` when the shape changes), Add (main first), then ReLU."""
    shortcut = block_input
    if stride != 1 or in_channels != out_channels:
        builder.at(block_input)
        shortcut = conv_bn_relu(builder, (f"{prefix}_downsample_0", f"{prefix}_downsample_1", None),
                                out_channels, 1, stride)
    builder.add("add", f"{prefix}_add", inputs=[main, shortcut])
    return builder.add("activation", f"{prefix}_{relu_name}", function="relu")


def basic_block(builder: GraphBuilder, prefix: str, in_channels: int, channels: int, stride: int = 1) -> str:
    """ResNet's two-3×3-conv block (expansion 1) fed by the cursor; returns its output id."""
    block_input = builder.cursor
    conv_bn_relu(builder, (f"{prefix}_conv1", f"{prefix}_bn1", f"{prefix}_relu1"), channels, 3, stride, 1)
    main = conv_bn_relu(builder, (f"{prefix}_conv2", f"{prefix}_bn2", None), channels, 3, 1, 1)
    return residual_join(builder, prefix, block_input, main, in_channels, channels, stride, "relu2")


BOTTLENECK_EXPANSION = 4


def bottleneck(builder: GraphBuilder, prefix: str, in_channels: int, width: int, stride: int = 1) -> str:
    """ResNet's 1×1 → 3×3 (strided) → 1×1 block with ``width * 4`` output channels; returns its output id."""
    block_input = builder.cursor
    conv_bn_relu(builder, (f"{prefix}_conv1", f"{prefix}_bn1", f"{prefix}_relu1"), width, 1)
    conv_bn_relu(builder, (f"{prefix}_conv2", f"{prefix}_bn2", f"{prefix}_relu2"), width, 3, stride, 1)
    main = conv_bn_relu(builder, (f"{prefix}_conv3", f"{prefix}_bn3", None), width * BOTTLENECK_EXPANSION, 1)
    return residual_join(builder, prefix, block_input, main, in_channels, width * BOTTLENECK_EXPANSION,
                         stride, "relu3")


def group_as_block(graph: Graph, prefix: str, path: str, type_name: str) -> Group:
    """Groups the nodes named ``prefix_*`` into a composite block at ``path``, with
    torchvision's local names (``layer1_0_downsample_0`` → ``downsample.0``)."""
    members = [node_id for node_id, node in graph.nodes.items() if node.name.startswith(prefix + "_")]
    locals_ = {node_id: re.sub(r"_(\d+)$", r".\1", graph.nodes[node_id].name[len(prefix) + 1:])
               for node_id in members}
    return graph.add_group(make_group(graph, members, path, type_name, locals_=locals_))


def squeeze_excite(builder: GraphBuilder, prefix: str, channels: int, squeezed: int,
                   gate: str = "sigmoid") -> str:
    """Squeeze-and-excite on the cursor's C×H×W maps, from ordinary blocks as torchvision's
    ``SqueezeExcitation`` names them: mean over H×W → 1×1 conv (``fc1``) → ReLU → 1×1 conv (``fc2``) →
    ``gate`` → multiply the maps by the C×1×1 result. Returns the multiply's id."""
    maps = builder.cursor
    builder.add("spatial_mean", f"{prefix}_avgpool")
    builder.add("conv2d", f"{prefix}_fc1", out_channels=squeezed, kernel_size=1)
    builder.add("activation", f"{prefix}_activation", function="relu")
    builder.add("conv2d", f"{prefix}_fc2", out_channels=channels, kernel_size=1)
    gate_id = builder.add("activation", f"{prefix}_scale_activation", function=gate)
    return builder.add("multiply", f"{prefix}_mul", inputs=[maps, gate_id])


def double_conv(builder: GraphBuilder, prefix: str, channels: int) -> str:
    """U-Net's two 3×3 convolutions (padding 1, so the size stays) each with BatchNorm and ReLU, named like
    the usual PyTorch U-Net's ``double_conv`` Sequential (``prefix_conv_0`` … ``prefix_conv_5``)."""
    for index in (0, 3):
        conv_bn_relu(builder, (f"{prefix}_conv_{index}", f"{prefix}_conv_{index + 1}", f"{prefix}_conv_{index + 2}"),
                     channels, 3, 1, 1)
    return builder.cursor


def unet(builder: GraphBuilder, widths: Sequence[int], classes: int) -> str:
    """A U-Net fed by the cursor: an input stage, one encoder stage per further width (2×2 max pool, double
    conv), then mirrored decoder stages (2×2 stride-2 transposed conv, concat with the encoder's map of the
    same size, double conv) and a 1×1 conv to one channel per class. Each stage is one composite block
    (``inc``, ``down1``…, ``up1``…), as the usual PyTorch U-Net names its modules."""
    double_conv(builder, "inc", widths[0])
    group_as_block(builder.graph, "inc", "inc", f"DoubleConv{widths[0]}")
    skips = [builder.cursor]
    for level, width in enumerate(widths[1:], start=1):
        builder.add("maxpool2d", f"down{level}_pool", kernel_size=2, stride=2)
        double_conv(builder, f"down{level}", width)
        group_as_block(builder.graph, f"down{level}", f"down{level}", f"Down{width}")
        skips.append(builder.cursor)
    skips.pop()
    for level, width in enumerate(reversed(widths[:-1]), start=1):
        up = builder.add("convtranspose2d", f"up{level}_up", out_channels=width, kernel_size=2, stride=2)
        builder.add("concat", f"up{level}_cat", inputs=[skips.pop(), up])
        double_conv(builder, f"up{level}", width)
        group_as_block(builder.graph, f"up{level}", f"up{level}", f"Up{width}")
    return builder.add("conv2d", "outc", out_channels=classes, kernel_size=1)
