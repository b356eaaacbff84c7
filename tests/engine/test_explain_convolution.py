"""The convolution explainer's model: every number it shows agrees with torch."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from engine.explain.convolution import (
    CLASSIC_FILTER,
    CLASSIC_INPUT,
    PRESET_FILTERS,
    Convolution,
    ExplainError,
    after_convolution,
    classic_example,
    conv_settings,
    demo_input,
    format_value,
    formula_text,
    grey_grid,
    learned_filter,
    load_grey_image,
    output_length,
    parse_value,
    pool,
    preset_filter,
)


def torch_conv(image, kernel, bias=0.0, **settings) -> torch.Tensor:
    x = torch.as_tensor(image, dtype=torch.float64)[None, None]
    w = torch.as_tensor(kernel, dtype=torch.float64)[None, None]
    return F.conv2d(x, w, torch.tensor([bias], dtype=torch.float64), **settings)[0, 0]


def test_the_classic_example_gives_the_torch_3x3_feature_map():
    conv = classic_example()
    expected = torch_conv(CLASSIC_INPUT, CLASSIC_FILTER)
    assert conv.output_size == (3, 3)
    assert torch.equal(conv.feature_map, expected)
    assert conv.feature_map.tolist() == [[-1, -5, -3], [-5, -7, 1], [-5, -2, 6]]


def test_the_first_step_shows_the_top_left_window_its_products_and_sum():
    step = classic_example().step(0)
    assert (step.row, step.col) == (0, 0)
    assert step.taps == tuple(itertools.product(range(3), range(3)))
    assert step.values == (1, 2, 0, 4, 5, 6, 1, 0, 1)
    assert step.products == (1, 0, 0, 4, 0, -6, 1, 0, -1)
    assert step.equation() == "1×1 + 2×0 + 0×(−1) + 4×1 + 5×0 + 6×(−1) + 1×1 + 0×0 + 1×(−1) = −1"


SETTINGS = [
    dict(stride=1, padding=0, dilation=1),
    dict(stride=2, padding=0, dilation=1),
    dict(stride=1, padding=1, dilation=1),
    dict(stride=2, padding=1, dilation=1),
    dict(stride=1, padding=2, dilation=2),
    dict(stride=3, padding=2, dilation=2),
    dict(stride=(1, 2), padding=(2, 1), dilation=(2, 1)),
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_feature_map_and_every_step_sum_equal_conv2d(settings):
    generator = torch.Generator().manual_seed(0)
    image = torch.randn(7, 6, generator=generator, dtype=torch.float64)
    kernel = torch.randn(3, 3, generator=generator, dtype=torch.float64)
    conv = Convolution(image, kernel, bias=0.25, **settings)
    expected = torch_conv(image, kernel, 0.25, **settings)
    assert conv.output_size == tuple(expected.shape)
    torch.testing.assert_close(conv.feature_map, expected)
    for index in range(conv.step_count):
        step = conv.step(index)
        assert step.total == pytest.approx(float(expected[step.row, step.col]), abs=1e-12)
        # The taps read the input (zeros in the padding) that the products multiply.
        padded = conv.padded_image
        for (r, c), value, in_padding in zip(step.taps, step.values, step.in_padding):
            assert value == padded[r + conv.padding[0], c + conv.padding[1]]
            assert in_padding == (not (0 <= r < 7 and 0 <= c < 6))


def test_padding_taps_are_marked_and_read_zero():
    step = Convolution(CLASSIC_INPUT, CLASSIC_FILTER, padding=1).step(0)
    assert step.taps[0] == (-1, -1)
    assert step.in_padding == (True, True, True, True, False, False, True, False, False)
    assert [v for v, pad in zip(step.values, step.in_padding) if pad] == [0.0] * 5


def test_dilation_spaces_the_taps():
    step = Convolution(demo_input(7), CLASSIC_FILTER, dilation=2, stride=2).step(1)
    assert (step.row, step.col) == (0, 1)
    assert [c for _r, c in step.taps[:3]] == [2, 4, 6]
    assert [r for r, _c in step.taps[::3]] == [0, 2, 4]


@pytest.mark.parametrize("n,k,s,p,d", [(5, 3, 1, 0, 1), (5, 3, 2, 1, 1), (7, 3, 1, 2, 2), (28, 5, 1, 2, 1)])
def test_output_size_formula_matches_torch_and_is_filled_in(n, k, s, p, d):
    torch_size = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d).shape[-1]
    assert output_length(n, k, s, p, d) == torch_size
    assert formula_text(n, k, s, p, d) == f"⌊({n} + 2·{p} − {d}·({k} − 1) − 1) / {s}⌋ + 1 = {torch_size}"


def test_formula_text_per_axis():
    conv = Convolution(demo_input(6, 8), CLASSIC_FILTER, stride=(1, 2), padding=(1, 0))
    assert conv.formula_text(0) == "⌊(6 + 2·1 − 1·(3 − 1) − 1) / 1⌋ + 1 = 6"
    assert conv.formula_text(1) == "⌊(8 + 2·0 − 1·(3 − 1) − 1) / 2⌋ + 1 = 3"
    assert conv.output_size == (6, 3)


def test_relu_and_pooling_match_torch():
    feature_map = Convolution(demo_input(8), PRESET_FILTERS["Sobel x"], padding=1).feature_map
    torch.testing.assert_close(after_convolution(feature_map, "relu"), F.relu(feature_map))
    x = feature_map[None, None]
    torch.testing.assert_close(after_convolution(feature_map, "none", "max"), F.max_pool2d(x, 2)[0, 0])
    torch.testing.assert_close(after_convolution(feature_map, "relu", "avg"), F.avg_pool2d(F.relu(x), 2)[0, 0])
    torch.testing.assert_close(pool(feature_map, "max", 3, 1), F.max_pool2d(x, 3, 1)[0, 0])
    assert after_convolution(feature_map, "relu", "max").shape == (4, 4)


@pytest.mark.parametrize("make, message", [
    (lambda: Convolution(CLASSIC_INPUT, CLASSIC_FILTER, dilation=3), "filter spans 7×7"),
    (lambda: Convolution([[1, 2]], CLASSIC_FILTER), "padded input is only 1×2"),
    (lambda: Convolution(CLASSIC_INPUT, CLASSIC_FILTER, stride=0), "stride must be at least 1"),
    (lambda: Convolution(CLASSIC_INPUT, CLASSIC_FILTER, padding=-1), "padding must be at least 0"),
    (lambda: Convolution([[1, 2], [3]], CLASSIC_FILTER), "grid of numbers"),
    (lambda: Convolution([[float("nan")]], [[1]]), "not a finite number"),
    (lambda: Convolution(CLASSIC_INPUT, [1, 2, 3]), "2-D grid"),
    (lambda: pool(torch.zeros(1, 1), "max"), "does not fit the 1×1 feature map"),
    (lambda: after_convolution(torch.zeros(3, 3), "tanh"), "Unknown activation"),
    (lambda: classic_example().step(9), "has 9 steps"),
    (lambda: preset_filter("Emboss"), "Unknown filter preset"),
    (lambda: learned_filter(torch.zeros(4, 2, 3, 3), 4, 0), "4 filters of 2 input channels"),
])
def test_impossible_settings_raise_one_line_errors(make, message):
    with pytest.raises(ExplainError) as caught:
        make()
    assert isinstance(caught.value, ValueError)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_presets_are_the_classic_filters_at_3x3_and_scale_to_other_sizes():
    assert PRESET_FILTERS["Vertical edge"] == CLASSIC_FILTER
    assert PRESET_FILTERS["Sobel x"] == ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1))
    assert PRESET_FILTERS["Sobel y"] == ((-1, -2, -1), (0, 0, 0), (1, 2, 1))
    assert PRESET_FILTERS["Sharpen"] == ((0, -1, 0), (-1, 5, -1), (0, -1, 0))
    assert sum(map(sum, PRESET_FILTERS["Gaussian blur"])) == pytest.approx(1.0)
    for name in PRESET_FILTERS:
        kernel = preset_filter(name, (5, 3))
        assert kernel.shape == (5, 3)
    assert preset_filter("Box blur", 5).sum().item() == pytest.approx(1.0)
    assert preset_filter("Sobel x", 5)[2].tolist() == [-6, -12, 0, 12, 6]
    # An identity filter with "same" padding gives the input back.
    image = demo_input(6)
    assert torch.equal(Convolution(image, preset_filter("Identity", 5), padding=2).feature_map, image)


def test_learned_filter_is_one_slice_of_the_weights():
    weights = torch.arange(2 * 3 * 3 * 3, dtype=torch.float32).reshape(2, 3, 3, 3)
    assert torch.equal(learned_filter(weights.numpy(), 1, 2), weights[1, 2].double())


def test_conv_node_params_become_explainer_settings():
    settings = conv_settings({"kernel_size": [3, 5], "stride": 2, "padding": "valid", "dilation": 1})
    assert (settings.kernel_size, settings.stride, settings.padding, settings.note) == ((3, 5), (2, 2), (0, 0), "")
    same = conv_settings({"kernel_size": 5, "stride": 1, "padding": "same", "dilation": 2})
    assert same.padding == (4, 4) and not same.note
    uneven = conv_settings({"kernel_size": 4, "stride": 1, "padding": "same", "dilation": 1})
    assert uneven.padding == (2, 2) and "unevenly" in uneven.note


def test_numbers_are_written_and_read_like_people_do():
    assert [format_value(v) for v in (3.0, -1.0, -0.0, 0.25, 1 / 9, -0.0879, 0.00536, 12.345, 1234.5, -2.5e-7)] \
        == ["3", "−1", "0", "0.25", "0.111", "−0.088", "0.005", "12.3", "1234", "0"]
    assert parse_value(" −1.5 ") == -1.5 and parse_value("2") == 2.0
    with pytest.raises(ExplainError, match="“abc” is not a number"):
        parse_value("abc")
    with pytest.raises(ExplainError, match="not a finite number"):
        parse_value("inf")


def test_images_become_small_grey_grids(tmp_path):
    rgb = np.zeros((100, 200, 3), dtype=np.uint8)
    rgb[:, 100:] = (255, 255, 255)
    path = tmp_path / "half.png"
    Image.fromarray(rgb).save(path)
    grid = load_grey_image(path, max_side=64)
    assert grid.shape == (32, 64)
    assert grid.dtype == torch.float64
    assert grid[:, :30].max() == 0.0 and grid[:, 34:].min() == pytest.approx(1.0)
    assert grey_grid(torch.full((3, 4, 4), 0.5)).tolist() == [[pytest.approx(0.5)] * 4] * 4
    feature_map = Convolution(grid, PRESET_FILTERS["Vertical edge"]).feature_map
    assert feature_map.shape == (30, 62)
    assert feature_map.min() < -2.5  # the dark-to-bright edge in the middle


def test_unreadable_images_are_named_in_the_error(tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    with pytest.raises(ExplainError, match="Cannot read notes.png as an image"):
        load_grey_image(bad)
    with pytest.raises(ExplainError, match="Cannot read missing.png"):
        load_grey_image(tmp_path / "missing.png")
