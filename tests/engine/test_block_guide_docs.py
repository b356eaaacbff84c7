"""docs/blocks.md: exactly what the generator makes from the catalogue, and complete."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from engine.catalogue import ALL_BLOCKS, CATEGORY_TITLES, block
from engine.catalogue.guide import allowed_values, block_markdown, default_text

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "blocks.md"


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_block_guide", ROOT / "scripts" / "make_block_guide.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_page_is_exactly_what_the_generator_makes(tmp_path):
    out = tmp_path / "blocks.md"
    assert _load_generator().main(["--out", str(out)]) == 0
    assert out.read_bytes() == PAGE.read_bytes(), "docs/blocks.md is stale: run scripts/make_block_guide.py"


@pytest.mark.parametrize("spec", ALL_BLOCKS, ids=lambda s: s.type_id)
def test_every_block_is_explained_with_when_shape_and_every_parameter(spec):
    page = PAGE.read_text(encoding="utf-8")
    section = block_markdown(spec)
    assert section in page
    assert f"### {spec.title}\n" in section and spec.summary in section and spec.doc in section
    assert spec.when and f"**When to use it.** {spec.when}" in section
    assert f"**Shape.** {spec.shape_formula}" in section
    for param in spec.params:
        assert f"| {param.title} (`{param.name}`) | {param.help} | {allowed_values(param)} | " \
               f"{default_text(param.default)} |" in section
    assert ("No parameters." in section) == (not spec.params)


def test_categories_follow_the_palette_and_the_contents_link_every_block():
    page = PAGE.read_text(encoding="utf-8")
    headings = [line[3:] for line in page.splitlines() if line.startswith("## ")]
    assert headings == [*CATEGORY_TITLES.values(), "Patterns of the modern families", "Importing from ONNX"]
    for spec in ALL_BLOCKS:
        assert f"[{spec.title}](#{spec.title.lower()})" in page


def test_allowed_values_and_defaults_read_like_the_inspector():
    conv, dropout = block("conv2d"), block("dropout")
    assert allowed_values(conv.param("out_channels")) == "whole number, 1 to 65,536"
    assert allowed_values(conv.param("padding")) == \
        "one number or [height, width], each 0 to 1,024, or one of same, valid"
    assert allowed_values(dropout.param("p")) == "number, 0 to below 1"
    assert allowed_values(block("batchnorm2d").param("eps")) == "number, 1e-12 to 1"
    assert allowed_values(conv.param("bias")) == "on or off"
    assert allowed_values(block("activation").param("function")).startswith("one of relu, relu6, leaky_relu, ")
    assert [default_text(value) for value in (True, False, 3, [3, 5], 0.01, 1e-5, "same")] == \
        ["on", "off", "3", "3×5", "0.01", "1e-05", "same"]


def test_the_patterns_of_the_modern_families_use_the_blocks_by_their_catalogue_titles():
    from engine.catalogue.guide import PATTERNS, patterns_markdown

    page = PAGE.read_text(encoding="utf-8")
    assert patterns_markdown() in page
    recipes = " ".join(blocks for _, blocks, _ in PATTERNS)
    for type_id in ("spatial_mean", "multiply", "layernorm2d", "pointwise_dense", "layer_scale", "stochastic_depth",
                    "channel_slice", "channel_shuffle", "zeropad2d", "conv2d", "concat", "add"):
        assert block(type_id).title in recipes, type_id


def test_every_activation_function_is_explained_in_the_guide():
    """The Activation block's guide names each function it offers (Hardswish, Hardsigmoid, Mish … came with the
    modern families): a function added to the choices without a word in the guide fails here."""
    spec = block("activation")
    page = PAGE.read_text(encoding="utf-8")
    spelled = {"relu": "ReLU", "relu6": "ReLU6", "leaky_relu": "LeakyReLU", "elu": "ELU", "gelu": "GELU",
               "silu": "SiLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "softmax": "Softmax",
               "hardswish": "Hardswish", "hardsigmoid": "Hardsigmoid", "mish": "Mish"}
    for function in spec.param("function").choices:
        assert function in spelled, f"{function}: say in the Activation block's doc what it does"
        assert spelled[function] in spec.doc and spelled[function] in page, function
