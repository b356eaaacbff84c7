"""The block catalogue: complete, documented, and validating parameters the same way everywhere."""
from __future__ import annotations

from dataclasses import fields

import pytest

from engine import ALL_BLOCKS, CATEGORIES, TRAINING_SETTINGS, TrainingConfig, blocks_by_category
from engine.catalogue import ParamError, block
from engine.catalogue.blocks import ACTIVATIONS

REQUIRED = {"input", "conv2d", "batchnorm2d", "activation", "maxpool2d", "avgpool2d", "adaptiveavgpool2d",
            "flatten", "dense", "dropout", "add", "concat", "output", "convtranspose2d", "upsample",
            # the modern families' (MobileNetV3, EfficientNet, RegNetY, ShuffleNet, ConvNeXt)
            "prelu", "spatial_mean", "pointwise_dense", "channel_shuffle", "channel_slice", "identity", "multiply", "layer_scale",
            "layernorm2d", "groupnorm", "dropout2d", "stochastic_depth",
            "l2_normalize",  # the face task's embedding
            "zeropad2d"}  # timm's Conv2dSame (TensorFlow's uneven "same" border)


def test_every_required_block_type_exists_once():
    type_ids = [spec.type_id for spec in ALL_BLOCKS]
    assert set(type_ids) == REQUIRED and len(type_ids) == len(set(type_ids))
    assert set(ACTIVATIONS) == {"relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softmax",
                                "hardswish", "hardsigmoid", "mish"}


@pytest.mark.parametrize("spec", ALL_BLOCKS, ids=lambda s: s.type_id)
def test_every_block_is_documented_and_buildable(spec):
    assert spec.summary.endswith(".") and len(spec.doc) > 60 and spec.shape_formula
    assert spec.category in CATEGORIES and spec.name_prefix.isidentifier()
    for param in spec.params:
        assert param.help and param.validate(param.default) == param.default
    is_function = spec.function is not None and spec.expression is not None
    assert spec.is_source or spec.is_sink or (spec.module is not None) != is_function


def test_palette_groups_cover_all_categories_in_order():
    grouped = blocks_by_category()
    assert list(grouped) == list(CATEGORIES) and all(grouped.values())


def test_param_validation_messages():
    conv = block("conv2d")
    assert conv.param("kernel_size").validate([3, 3]) == 3
    assert conv.param("kernel_size").validate((3, 5)) == [3, 5]
    assert conv.param("padding").validate("same") == "same"
    assert conv.param("out_channels").validate(8.0) == 8
    for bad, message in ((True, "whole number"), ("3", "whole number"), (2.5, "whole number"),
                         (0, "at least 1"), (70_000, "at most 65,536")):
        with pytest.raises(ParamError, match=message):
            conv.param("out_channels").validate(bad)
    with pytest.raises(ParamError, match=r"\[height, width\] pair"):
        conv.param("stride").validate([1, 2, 3])
    with pytest.raises(ParamError, match="finite"):
        block("dropout").param("p").validate(float("nan"))


def test_training_settings_and_config_agree():
    assert [f.name for f in fields(TrainingConfig)] == [s.name for s in TRAINING_SETTINGS]
    assert TrainingConfig() == TrainingConfig.from_dict({s.name: s.default for s in TRAINING_SETTINGS})
    assert TrainingConfig().replace(epochs=3).epochs == 3
    with pytest.raises(ParamError, match="lr: must be at least"):
        TrainingConfig().replace(lr=0)
    with pytest.raises(ParamError, match="unknown training setting 'epoch'"):
        TrainingConfig.from_dict({"epoch": 3})
