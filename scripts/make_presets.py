"""Regenerate ``presets/*.cnn.json``, the classic networks ConvCanvas ships.

Each preset is built with the engine API, laid out with ``engine.layout``
and saved with ``engine.project.save_project``, so the files are exactly
what this script makes (a test regenerates them and compares the bytes).

The ImageNet networks are torchvision's architectures layer for layer, with
node names taken from torchvision's module paths (``layer1.0.conv1`` becomes
``layer1_0_conv1``), so their parameter counts equal
``torchvision.models.<name>(weights=None)``. The ResNets group each residual
block into a composite block at torchvision's path (``layer1.0``), so their
``state_dict`` keys are torchvision's exactly (``layer1.0.conv1.weight``);
for AlexNet and VGG a key's dots up to the last become underscores. The
modern families (MobileNetV3, EfficientNet, ConvNeXt, RegNetY) are
torchvision's models read by the importer, so they are what
``convcanvas import`` makes of them.

Usage: ``PYTHONPATH=. .venv/bin/python scripts/make_presets.py [--out DIR]``
"""
from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.analysis import analyze
from engine.builders import (BOTTLENECK_EXPANSION, GraphBuilder, basic_block, bottleneck, conv_bn_relu,
                             double_conv, group_as_block, unet)
from engine.config import TrainingConfig
from engine.data.det_shapes import CLASS_NAMES as DET_SHAPES_CLASS_NAMES
from engine.data.seg_shapes import CLASS_NAMES as SEG_SHAPES_CLASS_NAMES
from engine.data.shapes import CLASS_NAMES as SHAPES_CLASS_NAMES
from engine.graph import Graph
from engine.layout import apply_layout, grouped_layout
from engine.project import EXTENSION, Project, save_project

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "presets"

RELU = ("activation", {"function": "relu"})
MAXPOOL_3S2 = ("maxpool2d", {"kernel_size": 3, "stride": 2})
MAXPOOL_2S2 = ("maxpool2d", {"kernel_size": 2, "stride": 2})
IMAGENET_CLASSES = 1000


def conv(out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0) -> tuple[str, dict]:
    return ("conv2d", {"out_channels": out_channels, "kernel_size": kernel_size, "stride": stride,
                       "padding": padding})


def dense(units: int) -> tuple[str, dict]:
    return ("dense", {"out_features": units})


def dropout(p: float = 0.5) -> tuple[str, dict]:
    return ("dropout", {"p": p})


def start(channels: int, size: int) -> GraphBuilder:
    builder = GraphBuilder()
    builder.add("input", "input", channels=channels, height=size, width=size)
    return builder


def finish(builder: GraphBuilder) -> Graph:
    builder.add("output", "output")
    return builder.graph


# --- the networks ---------------------------------------------------------------------------


def lenet5() -> Graph:
    """LeNet-5 as usually re-implemented: tanh, average pooling, full C3 connections, dense output."""
    builder = start(1, 32)
    for stage, filters in ((1, 6), (2, 16)):
        builder.add("conv2d", f"conv{stage}", out_channels=filters, kernel_size=5)
        builder.add("activation", f"tanh{stage}", function="tanh")
        builder.add("avgpool2d", f"pool{stage}", kernel_size=2, stride=2)
    builder.add("flatten", "flatten")
    builder.add("dense", "fc1", out_features=120)
    builder.add("activation", "tanh3", function="tanh")
    builder.add("dense", "fc2", out_features=84)
    builder.add("activation", "tanh4", function="tanh")
    builder.add("dense", "fc3", out_features=10)
    return finish(builder)


def tinycnn() -> Graph:
    builder = start(1, 28)
    for stage, filters in ((1, 8), (2, 16)):
        builder.add("conv2d", f"conv{stage}", out_channels=filters, kernel_size=3, padding=1)
        builder.add("activation", f"relu{stage}", function="relu")
        builder.add("maxpool2d", f"pool{stage}", kernel_size=2, stride=2)
    builder.add("flatten", "flatten")
    builder.add("dense", "fc", out_features=10)
    return finish(builder)


def alexnet() -> Graph:
    """torchvision.models.alexnet: the single-tower 64-192-384-256-256 variant."""
    builder = start(3, 224)
    builder.sequential("features", [
        conv(64, 11, stride=4, padding=2), RELU, MAXPOOL_3S2,
        conv(192, 5, padding=2), RELU, MAXPOOL_3S2,
        conv(384, 3, padding=1), RELU,
        conv(256, 3, padding=1), RELU,
        conv(256, 3, padding=1), RELU, MAXPOOL_3S2,
    ])
    builder.add("adaptiveavgpool2d", "avgpool", output_size=6)
    builder.add("flatten", "flatten")
    builder.sequential("classifier", [
        dropout(), dense(4096), RELU, dropout(), dense(4096), RELU, dense(IMAGENET_CLASSES),
    ])
    return finish(builder)


VGG_CONFIGS = {  # torchvision's cfgs: channels of each 3×3 conv, "M" for a 2×2 max pool
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


def vgg(config: list[int | str]) -> Graph:
    """torchvision.models.vgg* without batch norm."""
    builder = start(3, 224)
    features = []
    for item in config:
        features.extend([MAXPOOL_2S2] if item == "M" else [conv(item, 3, padding=1), RELU])
    builder.sequential("features", features)
    builder.add("adaptiveavgpool2d", "avgpool", output_size=7)
    builder.add("flatten", "flatten")
    builder.sequential("classifier", [
        dense(4096), RELU, dropout(), dense(4096), RELU, dropout(), dense(IMAGENET_CLASSES),
    ])
    return finish(builder)


def resnet(block: Callable[..., str], expansion: int, blocks_per_stage: list[int]) -> Graph:
    """torchvision.models.resnet*: 7×7 stem, four stages of residual blocks, global average pool, fc."""
    builder = start(3, 224)
    resnet_backbone(builder, block, expansion, blocks_per_stage)
    builder.add("adaptiveavgpool2d", "avgpool", output_size=1)
    builder.add("flatten", "flatten")
    builder.add("dense", "fc", out_features=IMAGENET_CLASSES)
    return finish(builder)


def resnet_backbone(builder: GraphBuilder, block: Callable[..., str], expansion: int,
                    blocks_per_stage: list[int]) -> int:
    """torchvision's ResNet up to ``layer4`` (stride 32), with its module names; returns the channels."""
    conv_bn_relu(builder, ("conv1", "bn1", "relu"), 64, 7, stride=2, padding=3)
    builder.add("maxpool2d", "maxpool", kernel_size=3, stride=2, padding=1)
    channels = 64
    for stage, (width, count) in enumerate(zip((64, 128, 256, 512), blocks_per_stage), start=1):
        for index in range(count):
            stride = 2 if stage > 1 and index == 0 else 1
            grouped_block(builder, block, f"layer{stage}_{index}", f"layer{stage}.{index}", channels, width, stride)
            channels = width * expansion
    return channels


def grouped_block(builder: GraphBuilder, block: Callable[..., str], prefix: str, path: str,
                  in_channels: int, width: int, stride: int) -> None:
    """A residual block as one composite card; its type names its block kind and width,
    with ``Down`` when it has a downsampling shortcut (instances of a type are identical)."""
    block(builder, prefix, in_channels, width, stride)
    kind = "BasicBlock" if block is basic_block else "Bottleneck"
    down = "Down" if builder.graph.node_by_name(f"{prefix}_downsample_0") else ""
    group_as_block(builder.graph, prefix, path, f"{kind}{width}{down}")


def resnet8() -> Graph:
    """A CIFAR-style ResNet (He et al. §4.2, n = 1) with 1×1 projection shortcuts."""
    builder = start(3, 32)
    conv_bn_relu(builder, ("conv1", "bn1", "relu"), 16, 3, padding=1)
    channels = 16
    for stage, width in enumerate((16, 32, 64), start=1):
        grouped_block(builder, basic_block, f"layer{stage}_0", f"layer{stage}.0", channels, width,
                      stride=1 if stage == 1 else 2)
        channels = width
    builder.add("adaptiveavgpool2d", "avgpool", output_size=1)
    builder.add("flatten", "flatten")
    builder.add("dense", "fc", out_features=len(SHAPES_CLASS_NAMES))
    return finish(builder)


UNET_WIDTHS = (64, 128, 256, 512, 1024)
UNET_SMALL_WIDTHS = (16, 32, 64)
VOC_CLASSES = 21


def unet_classic() -> Graph:
    """The classic four-level U-Net (Ronneberger, Fischer and Brox, 2015) with same-padding convolutions
    and BatchNorm, as the widely used PyTorch re-implementations build it; 21 classes (VOC)."""
    builder = start(3, 256)
    unet(builder, UNET_WIDTHS, VOC_CLASSES)
    return finish(builder)


def unet_small() -> Graph:
    builder = start(3, 32)
    unet(builder, UNET_SMALL_WIDTHS, len(SEG_SHAPES_CLASS_NAMES))
    return finish(builder)


def detector_small() -> Graph:
    """A CenterNet-style single-stage detector for det-shapes: a backbone down to 1/8 (stride-2 3×3
    convolutions with BatchNorm and ReLU), an upsampling neck back to 1/4 that concatenates the 1/4 map,
    and a head whose last 1×1 convolution gives the 3 class heat maps, box size and offset (7 maps)."""
    builder = start(3, 64)
    stages = (("stem", 16, 2), ("stage1", 32, 2), ("stage2", 64, 2))
    skip = None
    for name, width, stride in stages:
        conv_bn_relu(builder, (f"{name}_conv_0", f"{name}_conv_1", f"{name}_conv_2"), width, 3, stride, 1)
        conv_bn_relu(builder, (f"{name}_conv_3", f"{name}_conv_4", f"{name}_conv_5"), width, 3, 1, 1)
        group_as_block(builder.graph, name, name, f"ConvStage{width}")
        if name == "stage1":
            skip = builder.cursor
    up = builder.add("upsample", "neck_up", scale_factor=2.0)
    builder.add("concat", "neck_cat", inputs=[skip, up])
    conv_bn_relu(builder, ("head_conv_0", "head_conv_1", "head_conv_2"), 64, 3, 1, 1)
    builder.add("conv2d", "head_conv_3", out_channels=len(DET_SHAPES_CLASS_NAMES) + 4, kernel_size=1)
    group_as_block(builder.graph, "head", "head", "CenterNetHead")
    return finish(builder)


def detector_resnet18() -> Graph:
    """CenterNet's ResNet-18 detector (Zhou et al., 2019): torchvision's ResNet-18 to layer4 (1/32), three
    upsampling stages (×2 each, 3×3 conv, BatchNorm, ReLU; 256, 128, 64 channels) back to 1/4, and the head."""
    builder = start(3, 128)
    resnet_backbone(builder, basic_block, 1, [2, 2, 2, 2])
    for index, width in enumerate((256, 128, 64)):
        builder.add("upsample", f"neck{index}_up", scale_factor=2.0)
        conv_bn_relu(builder, (f"neck{index}_conv_0", f"neck{index}_conv_1", f"neck{index}_conv_2"), width, 3, 1, 1)
        group_as_block(builder.graph, f"neck{index}", f"neck.{index}", f"UpStage{width}")
    conv_bn_relu(builder, ("head_conv_0", "head_conv_1", "head_conv_2"), 64, 3, 1, 1)
    builder.add("conv2d", "head_conv_3", out_channels=len(DET_SHAPES_CLASS_NAMES) + 4, kernel_size=1)
    group_as_block(builder.graph, "head", "head", "CenterNetHead")
    return finish(builder)


def face_embedder_small() -> Graph:
    """An embedding network for face-shapes: three stages of double 3×3 convolutions (BatchNorm, ReLU) and
    2×2 max pooling (16, 32, 64 channels), global average pooling, a Dense of 64 and an L2 Normalize block:
    each image becomes a 64-dimensional unit vector."""
    builder = start(3, 32)
    for stage, width in enumerate((16, 32, 64), start=1):
        double_conv(builder, f"stage{stage}", width)
        builder.add("maxpool2d", f"stage{stage}_pool", kernel_size=2, stride=2)
        group_as_block(builder.graph, f"stage{stage}", f"backbone.stage{stage}", f"Stage{width}")
    builder.add("adaptiveavgpool2d", "pool", output_size=1)
    builder.add("flatten", "flatten")
    builder.add("dense", "embedding", out_features=64)
    builder.add("l2_normalize", "normalize")
    return finish(builder)


def fcn() -> Graph:
    """An FCN-style network: a small VGG-like backbone down to 1/8 of the size, a 1×1 convolution
    scoring each class at that size, and bilinear upsampling ×8 back to the Input's size."""
    builder = start(3, 32)
    for stage, width in enumerate((16, 32, 64), start=1):
        double_conv(builder, f"stage{stage}", width)
        builder.add("maxpool2d", f"stage{stage}_pool", kernel_size=2, stride=2)
        group_as_block(builder.graph, f"stage{stage}", f"backbone.stage{stage}", f"Stage{width}")
    builder.add("conv2d", "head_conv_0", out_channels=64, kernel_size=3, padding=1)
    builder.add("activation", "head_conv_1", function="relu")
    builder.add("conv2d", "head_conv_2", out_channels=len(SEG_SHAPES_CLASS_NAMES), kernel_size=1)
    group_as_block(builder.graph, "head", "head", "FCNHead")
    builder.add("upsample", "upsample", scale_factor=8.0, mode="bilinear")
    return finish(builder)


# --- the presets ------------------------------------------------------------------------------


def torchvision_import(name: str) -> Callable[[], Graph]:
    """torchvision's ``name`` as the importer reads it (built on the meta device: structure, no weights),
    so its blocks, names and ``state_dict`` keys are torchvision's (``features.1.0.block.0.0.weight``)."""

    def build() -> Graph:
        import torch
        import torchvision

        from engine.importer import import_module

        try:
            with torch.device("meta"):
                model = torchvision.models.get_model(name, weights=None)
        except NotImplementedError:  # RegNet's constructor computes its widths with tensors
            model = torchvision.models.get_model(name, weights=None)
        return import_module(model, (3, 224, 224), name=name, check_only=True).project.graph

    return build


def _modern_description(title: str, paper: str, body: str) -> str:
    return (f"{title} ({paper}) exactly as torchvision.models builds it, imported from torchvision: {body} "
            "Input 3×224×224, {params} parameters; Model ▸ Load Pretrained Weights loads torchvision's "
            "ImageNet weights. " + BIG_NETWORK_NOTE)


@dataclass(frozen=True)
class Preset:
    stem: str
    title: str
    build: Callable[[], Graph]
    description: str
    """One paragraph; ``{params}`` becomes the parameter count the analysis finds."""
    training: TrainingConfig
    wrap: int = 0
    """Cards per row for long chains (0: one row), so they fit a window readably."""
    task: str = "classification"


BIG_NETWORK_NOTE = (
    "This is a big network: it has ImageNet's 1,000 class scores (so that it matches torchvision) "
    "and training it from scratch on a CPU is slow; the defaults train it briefly on the synthetic "
    "Shapes set at full size, which shows it learning rather than reaching ImageNet results."
)


def _big_training(lr: float, weight_decay: float) -> TrainingConfig:
    """SGD with momentum at torchvision's learning rates scaled to batch 32 (linear scaling rule)."""
    return TrainingConfig(dataset="shapes", epochs=10, batch_size=32, optimizer="sgd", lr=lr, momentum=0.9,
                          weight_decay=weight_decay, scheduler="cosine", val_fraction=0.2,
                          augment_crop=True, augment_flip=True)


def _resnet_description(depth: int, block: str) -> str:
    return (
        f"ResNet-{depth} (He, Zhang, Ren and Sun, \"Deep Residual Learning for Image Recognition\", 2015) "
        f"exactly as torchvision.models.resnet{depth} builds it: a 7×7 stride-2 stem and max pool, four "
        f"stages of {block} blocks whose shortcuts add each block's input to its output (a 1×1 convolution "
        "with BatchNorm when the size or channel count changes), global average pooling and one dense "
        "layer. Input 3×224×224, {params} parameters. " + BIG_NETWORK_NOTE
    )


PRESETS: tuple[Preset, ...] = (
    Preset(
        "lenet5", "LeNet-5", lenet5,
        "LeNet-5 (LeCun, Bottou, Bengio and Haffner, \"Gradient-Based Learning Applied to Document "
        "Recognition\", 1998) as it is commonly re-implemented: two 5×5 convolutions with tanh and 2×2 "
        "average pooling, then dense layers of 120, 84 and 10 units. Input 1×32×32 (the bundled Digits are "
        "8×8 images scaled up), {params} parameters; it trains on Digits in well under a minute on a CPU.",
        # Chosen over seeds 0-9 on the 2-core reference machine: worst 0.983, mean 0.991, ~5 s each.
        TrainingConfig(dataset="digits", epochs=25, batch_size=32, optimizer="adam", lr=0.003,
                       scheduler="onecycle", label_smoothing=0.1, val_fraction=0.2, augment_crop=True,
                       augment_flip=False),
        wrap=4,
    ),
    Preset(
        "tinycnn", "Tiny CNN", tinycnn,
        "A minimal convolutional network for first experiments: two 3×3 convolutions with ReLU and 2×2 max "
        "pooling (8 and 16 filters) and one dense layer with 10 outputs. Input 1×28×28, the size of MNIST; "
        "the bundled Digits are scaled up to it. {params} parameters: it trains in seconds on any laptop.",
        TrainingConfig(dataset="digits", epochs=15, batch_size=32, optimizer="adam", lr=0.005,
                       scheduler="onecycle", val_fraction=0.2, augment_crop=True, augment_flip=False),
        wrap=4,
    ),
    Preset(
        "resnet8", "ResNet-8", resnet8,
        "A small CIFAR-style residual network (the 6n+2-layer family of He et al., \"Deep Residual Learning "
        "for Image Recognition\", 2015, with n = 1): a 3×3 convolution with 16 filters, then three stages of "
        "one basic block each (16, 32 and 64 channels, halving the size between stages, with 1×1 "
        "projection shortcuts), global average pooling and a dense layer with one output per Shapes class. "
        "Input 3×32×32, {params} parameters: it shows residual connections at work in seconds on a laptop CPU.",
        TrainingConfig(dataset="shapes", epochs=12, batch_size=64, optimizer="adam", lr=0.003,
                       scheduler="onecycle", val_fraction=0.2, augment_crop=True, augment_flip=True),
        wrap=6,
    ),
    Preset(
        "alexnet", "AlexNet", alexnet,
        "AlexNet (Krizhevsky, Sutskever and Hinton, \"ImageNet Classification with Deep Convolutional "
        "Neural Networks\", 2012) in torchvision's single-tower variant (from Krizhevsky's \"One weird "
        "trick\", 2014): five convolutions with ReLU and overlapping 3×3 max pooling, adaptive average "
        "pooling to 6×6, and three dense layers with dropout. Input 3×224×224, {params} parameters. "
        + BIG_NETWORK_NOTE,
        _big_training(lr=0.001, weight_decay=5e-4),
    ),
    Preset(
        "vgg11", "VGG-11", lambda: vgg(VGG_CONFIGS["vgg11"]),
        "VGG-11 (configuration A of Simonyan and Zisserman, \"Very Deep Convolutional Networks for "
        "Large-Scale Image Recognition\", 2014) as torchvision builds it: eight 3×3 convolutions with ReLU "
        "in five stages separated by 2×2 max pooling, adaptive average pooling to 7×7 and three dense "
        "layers with dropout. Input 3×224×224, {params} parameters. " + BIG_NETWORK_NOTE,
        _big_training(lr=0.001, weight_decay=5e-4),
    ),
    Preset(
        "vgg16", "VGG-16", lambda: vgg(VGG_CONFIGS["vgg16"]),
        "VGG-16 (configuration D of Simonyan and Zisserman, \"Very Deep Convolutional Networks for "
        "Large-Scale Image Recognition\", 2014) as torchvision builds it: thirteen 3×3 convolutions with "
        "ReLU in five stages separated by 2×2 max pooling, adaptive average pooling to 7×7 and three dense "
        "layers with dropout. Input 3×224×224, {params} parameters. " + BIG_NETWORK_NOTE,
        _big_training(lr=0.001, weight_decay=5e-4),
    ),
    Preset(
        "resnet18", "ResNet-18", lambda: resnet(basic_block, 1, [2, 2, 2, 2]),
        _resnet_description(18, "two-convolution basic"), _big_training(lr=0.01, weight_decay=1e-4), wrap=6,
    ),
    Preset(
        "resnet34", "ResNet-34", lambda: resnet(basic_block, 1, [3, 4, 6, 3]),
        _resnet_description(34, "two-convolution basic"), _big_training(lr=0.01, weight_decay=1e-4), wrap=7,
    ),
    Preset(
        "resnet50", "ResNet-50", lambda: resnet(bottleneck, BOTTLENECK_EXPANSION, [3, 4, 6, 3]),
        _resnet_description(50, "1×1–3×3–1×1 bottleneck"), _big_training(lr=0.01, weight_decay=1e-4), wrap=7,
    ),
    Preset(
        "unet", "U-Net", unet_classic,
        "U-Net (Ronneberger, Fischer and Brox, \"U-Net: Convolutional Networks for Biomedical Image "
        "Segmentation\", 2015) with four levels, as the common PyTorch re-implementations build it: an "
        "encoder of double 3×3 convolutions (with BatchNorm and ReLU) and 2×2 max pooling, 64 to 1,024 "
        "channels, and a decoder that doubles the size with 2×2 transposed convolutions and concatenates "
        "the encoder's map of the same size before each double convolution; a 1×1 convolution scores the "
        "21 VOC classes for every pixel. Input 3×256×256, {params} parameters. Each stage is one composite "
        "block. It is big for a CPU: the defaults train it briefly on the bundled seg-shapes set.",
        TrainingConfig(dataset="seg-shapes", epochs=2, batch_size=8, optimizer="adam", lr=0.001,
                       val_fraction=0.2, augment_flip=True),
        wrap=6, task="segmentation",
    ),
    Preset(
        "unet-small", "U-Net small", unet_small,
        "A small U-Net for the bundled seg-shapes set: three levels of 16, 32 and 64 channels (double 3×3 "
        "convolutions with BatchNorm and ReLU, 2×2 max pooling down, 2×2 transposed convolutions up, "
        "skip connections by concatenation) and a 1×1 convolution scoring the 4 classes for every pixel. "
        "Input 3×32×32, {params} parameters: it learns to segment the shapes in about a minute on a CPU.",
        # Measured one intra-op thread each, CPU seconds (a quiet 2-core machine takes about CPU / 1.6 of wall
        # time), validation mean IoU with seed 0 unless said. Was: widths 8-16-32, 15 epochs, lr 0.01 on 1,000
        # images, 0.806 / 0.772 (seeds 0 / 1) in 56 s (before the fast path's channels_last and fused Adam, and
        # class indices by max(1), 41 s after). lr 0.005 0.818-0.820, 0.003 0.817. Steps, not memorising, were
        # the limit (training loss about the validation's). At 1,000 steps of widths 16-32-64 (lr 0.005): 1,000
        # images x 20 epochs 0.864 (100 s); 2,000 x 10 0.886 (100 s): fresh images beat repeats, hence
        # seg_shapes.DEFAULT_COUNT 2,000; 4,000 x 5 0.885 (with or without quarter turns, 111 s); lr 0.01 0.877;
        # a fourth level (128) 0.872 (137 s); widths 8-32-64 x 25 epochs on 1,000 0.857 (100 s); 8-16-64 0.819.
        # 2,000 steps (2,000 x 20) reach 0.897 in 192 s. The errors: triangles (IoU 0.77-0.79) and squares
        # (0.86); three quarters of the wrong pixels lie on a shape's edge (a 3x3 window with two labels), a
        # quarter inside a shape (a whole shape taken for another). Earlier (two threads, none above 0.87 in a
        # minute): Input 48x48, batches of 8 or 32, no flips, crop, zoom 0.2, lr 0.02, 30 epochs; 16-32-64 on
        # 2,000 x 25 epochs 0.902 / 0.888 (seeds 0 / 1, about 300 s), x 30 0.897 (356 s).
        # Issue 14's 0.90 at 32x32 in a minute was not reached (seg9, 2026-12-08, loads 1-8, so CPU seconds
        # are rough): more steps, width or reach all level off near 0.90. Widths 24-48-96 0.888 (147 s); with
        # 10 % validation, the deepest stage's second convolution dilated by 2 0.882 and 8-32-64 x 14 epochs
        # 0.892 (109 s). What the set's edges cost: its stripes reach 0.5 cycles per pixel at 32x32 (their
        # frequency scales with the size), so an edge pixel's colour mixes shape, stripe and noise; drawn at
        # 48x48 (the same scenes, finer) 10 epochs reach 0.900 but in 198 s, and 40x40 0.893 (121 s).
        # Chosen: validating on 10 % of the images instead of 20 % (more to train on, less to validate each
        # epoch): 0.892 / 0.881 (seeds 0 / 1; 0.886 / 0.878 before) in 94 s instead of 100 s.
        TrainingConfig(dataset="seg-shapes", epochs=10, batch_size=16, optimizer="adam", lr=0.005,
                       scheduler="onecycle", val_fraction=0.1, augment_flip=True, augment_turn=True, dice=True,
                       fast=True),
        wrap=6, task="segmentation",
    ),
    Preset(
        "fcn", "FCN", fcn,
        "A fully convolutional network in the style of Long, Shelhamer and Darrell (\"Fully Convolutional "
        "Networks for Semantic Segmentation\", 2015): a small VGG-like backbone of three stages (double 3×3 "
        "convolutions and 2×2 max pooling, 16 to 64 channels) down to 1/8 of the size, a head whose 1×1 "
        "convolution scores the 4 seg-shapes classes there, and bilinear upsampling ×8 back to the Input's "
        "size. Input 3×32×32, {params} parameters. Coarser masks than a U-Net: it has no skip connections.",
        TrainingConfig(dataset="seg-shapes", epochs=12, batch_size=32, optimizer="adam", lr=0.005,
                       scheduler="onecycle", val_fraction=0.2, augment_flip=True),
        wrap=6, task="segmentation",
    ),
    Preset(
        "face-embedder-small", "Face embedder small", face_embedder_small,
        "A small embedding network for the bundled face-shapes set (the embedding task: verification and "
        "identification): three stages of double 3×3 convolutions with BatchNorm and ReLU and 2×2 max pooling "
        "(16, 32, 64 channels), global average pooling, a Dense of 64 and an L2 Normalize block, so each face "
        "becomes a 64-dimensional unit vector and two faces' similarity is the cosine of theirs. Trained with "
        "the triplet loss on the hardest pairs of each batch; validated on identities it never saw. Input "
        "3×32×32, {params} parameters.",
        TrainingConfig(dataset="face-shapes", epochs=12, batch_size=64, optimizer="adam", lr=0.003,
                       scheduler="onecycle", val_fraction=0.2, augment_flip=True, metric_loss="triplet"),
        wrap=6, task="embedding",
    ),
    Preset(
        "detector-small", "Detector small", detector_small,
        "A small single-stage detector in the style of CenterNet (Zhou, Wang and Krähenbühl, \"Objects as "
        "Points\", 2019) for the bundled det-shapes set: a backbone of three stages (stride-2 and plain 3×3 "
        "convolutions with BatchNorm and ReLU, 16 to 64 channels) down to 1/8 of the size, a neck that "
        "upsamples back to 1/4 and concatenates the 1/4 map, and a head whose 1×1 convolution gives 7 maps "
        "of 16×16: a heat map per class (circle, square, triangle) whose peaks are object centres, then "
        "each box's width and height and its centre's offset in the cell. Input 3×64×64, {params} "
        "parameters; the detection task decodes the maps into boxes (peaks, boxes, non-maximum suppression).",
        # 10 epochs: mAP@0.5 0.94 on det-shapes (0.84 with 8, 0.99 with 20 at twice the time), well inside
        # issue 15's five minutes on a 2-core CPU.
        TrainingConfig(dataset="det-shapes", epochs=10, batch_size=32, optimizer="adam", lr=0.003,
                       scheduler="onecycle", val_fraction=0.2, augment_flip=True),
        wrap=6, task="detection",
    ),
    Preset(
        "detector-resnet18", "Detector ResNet-18", detector_resnet18,
        "CenterNet's ResNet-18 detector (Zhou, Wang and Krähenbühl, \"Objects as Points\", 2019): "
        "torchvision's ResNet-18 as the backbone, layer for layer with its module names (conv1, layer1.0 …), "
        "so Model ▸ Load Pretrained Weights… (or convcanvas train --weights) loads torchvision's ImageNet "
        "weights into it; three upsampling stages back to 1/4 of the size and a head whose 1×1 convolution "
        "gives a heat map per det-shapes class, then box size and offset (7 maps of 32×32). Input "
        "3×128×128, {params} parameters: slow to train on a CPU.",
        TrainingConfig(dataset="det-shapes", epochs=10, batch_size=32, optimizer="adam", lr=0.001,
                       scheduler="onecycle", val_fraction=0.2, augment_flip=True),
        wrap=7, task="detection",
    ),
    Preset(
        "mobilenet-v3-small", "MobileNetV3-Small", torchvision_import("mobilenet_v3_small"),
        _modern_description(
            "MobileNetV3-Small", "Howard et al., \"Searching for MobileNetV3\", 2019",
            "a Hardswish stem, eleven inverted-residual blocks (1×1 expansion, depthwise convolution, "
            "squeeze-and-excite gates with Hardsigmoid, 1×1 projection), then pooling and a two-layer "
            "classifier."),
        _big_training(lr=0.01, weight_decay=4e-5), wrap=7,
    ),
    Preset(
        "efficientnet-b0", "EfficientNet-B0", torchvision_import("efficientnet_b0"),
        _modern_description(
            "EfficientNet-B0", "Tan and Le, \"EfficientNet: Rethinking Model Scaling for Convolutional Neural "
            "Networks\", 2019",
            "sixteen MBConv blocks in seven stages (SiLU, squeeze-and-excite, stochastic depth on the "
            "residual branches), a 1×1 head convolution to 1,280 channels, pooling, dropout and one dense "
            "layer."),
        _big_training(lr=0.01, weight_decay=1e-5), wrap=7,
    ),
    Preset(
        "convnext-tiny", "ConvNeXt-Tiny", torchvision_import("convnext_tiny"),
        _modern_description(
            "ConvNeXt-Tiny", "Liu et al., \"A ConvNet for the 2020s\", 2022",
            "a 4×4 patchify stem, four stages of CNBlocks (7×7 depthwise convolution, LayerNorm over "
            "channels, a pointwise MLP with GELU, layer scale and stochastic depth) with LayerNorm and "
            "2×2 convolutions between stages, then pooling, LayerNorm and one dense layer."),
        _big_training(lr=0.001, weight_decay=0.05), wrap=7,
    ),
    Preset(
        "regnet-y-400mf", "RegNetY-400MF", torchvision_import("regnet_y_400mf"),
        _modern_description(
            "RegNetY-400MF", "Radosavovic et al., \"Designing Network Design Spaces\", 2020",
            "a 3×3 stem, four stages of residual bottleneck blocks with grouped 3×3 convolutions and "
            "squeeze-and-excite gates, then pooling and one dense layer."),
        _big_training(lr=0.01, weight_decay=5e-5), wrap=7,
    ),
)


def build_project(preset: Preset) -> Project:
    graph = preset.build()
    analysis = analyze(graph, task=preset.task)
    if not analysis.valid:
        raise SystemExit(f"preset {preset.stem} is not a valid network:\n{analysis.error_text()}")
    apply_layout(graph, grouped_layout(graph, per_row=preset.wrap or None))
    description = preset.description.replace("{params}", f"{analysis.total_params:,}")
    return Project(graph, preset.title, description, preset.training, task=preset.task)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"folder to write the presets to (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for preset in PRESETS:
        project = build_project(preset)
        path = save_project(project, args.out / f"{preset.stem}{EXTENSION}")
        params = analyze(project.graph, task=project.task).total_params
        print(f"{path}: {len(project.graph.nodes)} nodes, {params:,} parameters")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
