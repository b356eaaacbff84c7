"""The convolution explainer's model: one greyscale input, one filter, and every number shown.

Everything is computed by torch: the feature map by ``F.conv2d``; each
step's window by ``F.unfold`` (the very patches conv2d multiplies with the
filter), so a step's sum equals its output cell; pooling by
``F.max_pool2d`` / ``F.avg_pool2d``. Values are float64 so the worked
examples add up exactly. Views only draw what this module returns.

    conv = classic_example()                  # 5×5 input, vertical-edge filter
    conv.output_size                          # (3, 3)
    conv.formula_text(0)                      # "⌊(5 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1 = 3"
    conv.step(0).equation()                   # "1×1 + 2×0 + 0×(−1) + … = −5"
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import torch
import torch.nn.functional as F

from ..catalogue.spec import as_pair
from ..data.adapt import convert_channels, resize, to_unit_float
from ..data.errors import DatasetError
from ..data.image_folder import DECODE_ERRORS, decode_image

Pair = tuple[int, int]
DTYPE = torch.float64

#: The classic worked example: a 5×5 greyscale input and the 3×3 vertical-edge filter.
CLASSIC_INPUT = ((1, 2, 0, 3, 1), (4, 5, 6, 7, 8), (1, 0, 1, 2, 1), (0, 1, 3, 4, 0), (3, 4, 5, 1, 2))
CLASSIC_FILTER = ((1, 0, -1), (1, 0, -1), (1, 0, -1))

#: Images are shrunk to at most this many cells a side: a feature map a person can look at.
DISPLAY_SIDE = 64
#: Padded inputs larger than this a side are refused (the views would not be readable).
MAX_PADDED_SIDE = 512

ACTIVATIONS = ("none", "relu")
POOLINGS = ("none", "max", "avg")
MINUS = "\u2212"


class ExplainError(ValueError):
    """The explainer cannot be set up as asked; one line saying what is wrong and how to fix it."""


# --- numbers as text ------------------------------------------------------------------------------


def format_value(value: float) -> str:
    """A number as people write it, short enough for a grid cell: ``3``, ``−0.25``, ``0.111``,
    ``12.3``, ``0.005`` (three significant digits, at most three decimals; a real minus sign; no ``−0``)."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if abs(value - round(value)) < 1e-9 or abs(value) >= 1000:
        text = str(int(round(value)))
    elif abs(value) >= 0.1:
        text = f"{value:.3g}"
    else:
        text = f"{value:.3f}".rstrip("0").rstrip(".")
    text = text.replace("-", MINUS)
    return "0" if text in (f"{MINUS}0", "") else text


def parse_value(text: str) -> float:
    """A cell's text as a number (``−1`` with a real minus sign is fine); ExplainError if it is none."""
    cleaned = text.strip().replace(MINUS, "-").replace("\u2013", "-")
    try:
        value = float(cleaned)
    except ValueError:
        raise ExplainError(f"“{text.strip()}” is not a number: type a value such as 2, −1 or 0.5") from None
    if not math.isfinite(value):
        raise ExplainError(f"“{text.strip()}” is not a finite number: type a value such as 2, −1 or 0.5")
    return value


def _factor(value: float) -> str:
    text = format_value(value)
    return f"({text})" if text.startswith(MINUS) else text


# --- the output-size formula ------------------------------------------------------------------------


def output_length(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output cells along one axis: ⌊(n + 2p − d·(k − 1) − 1) / s⌋ + 1 (may be ≤ 0: no room)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def formula_text(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> str:
    """The output-size formula with the numbers filled in, e.g. ``⌊(5 + 2·0 − 1·(3 − 1) − 1) / 1⌋ + 1 = 3``."""
    result = output_length(size, kernel, stride, padding, dilation)
    return (f"⌊({size} + 2·{padding} {MINUS} {dilation}·({kernel} {MINUS} 1) {MINUS} 1) / {stride}⌋ + 1 = "
            f"{format_value(result)}")


# --- one step of the sliding window -------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """The filter at one position: what it covers, the products and their sum (= the output cell)."""

    index: int
    row: int
    col: int
    """The output cell this step fills."""
    taps: tuple[Pair, ...]
    """Input (row, col) under each filter weight, row by row; outside 0..H−1 / 0..W−1 in the padding."""
    in_padding: tuple[bool, ...]
    values: tuple[float, ...]
    """The input value under each tap (0 in the padding)."""
    weights: tuple[float, ...]
    products: tuple[float, ...]
    bias: float
    total: float
    """The sum of the products plus the bias: the output cell's value."""

    def equation(self, max_terms: int | None = None) -> str:
        """``1×1 + 2×0 + 0×(−1) + … = −5``; with ``max_terms``, longer sums are cut short with ``…``."""
        terms = [f"{_factor(v)}×{_factor(w)}" for v, w in zip(self.values, self.weights)]
        if max_terms is not None and len(terms) > max_terms:
            terms = terms[:max_terms] + [f"… ({len(self.products)} products)"]
        if self.bias:
            terms.append(f"{_factor(self.bias)} (bias)")
        return " + ".join(terms) + f" = {format_value(self.total)}"


# --- the model -----------------------------------------------------------------------------------------------


def _as_grid(values, what: str) -> torch.Tensor:
    try:
        grid = torch.as_tensor(values, dtype=DTYPE).clone()
    except (TypeError, ValueError, RuntimeError):
        raise ExplainError(f"The {what} must be a grid of numbers (rows of equal length)") from None
    if grid.dim() != 2 or grid.shape[0] < 1 or grid.shape[1] < 1:
        raise ExplainError(f"The {what} must be a 2-D grid with at least one cell, got shape {tuple(grid.shape)}")
    if not torch.isfinite(grid).all():
        raise ExplainError(f"The {what} holds a value that is not a finite number")
    return grid


def _setting(value, name: str, minimum: int) -> Pair:
    try:
        pair = as_pair(value)
    except (TypeError, ValueError, IndexError):
        raise ExplainError(f"The {name} must be a whole number or a pair of them, got {value!r}") from None
    if min(pair) < minimum:
        raise ExplainError(f"The {name} must be at least {minimum}, got {_pair_text(pair)}")
    return pair


def _pair_text(pair: Pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}×{pair[1]}"


@dataclass(frozen=True)
class Convolution:
    """A single-channel 2-D convolution (cross-correlation, as in PyTorch) and all its steps.

    ``image`` (H×W) and ``kernel`` (kh×kw) take nested lists or tensors;
    ``stride``, ``padding`` and ``dilation`` take an int or a (height, width)
    pair. Impossible settings raise ``ExplainError``.
    """

    image: torch.Tensor
    kernel: torch.Tensor
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    bias: float = 0.0

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise the fields once, here
        set_(self, "image", _as_grid(self.image, "input"))
        set_(self, "kernel", _as_grid(self.kernel, "filter"))
        set_(self, "stride", _setting(self.stride, "stride", 1))
        set_(self, "padding", _setting(self.padding, "padding", 0))
        set_(self, "dilation", _setting(self.dilation, "dilation", 1))
        if not math.isfinite(float(self.bias)):
            raise ExplainError("The bias must be a finite number")
        set_(self, "bias", float(self.bias))
        padded = self.padded_size
        if max(padded) > MAX_PADDED_SIDE:
            raise ExplainError(f"The padded input is {padded[0]}×{padded[1]}; keep it at most "
                               f"{MAX_PADDED_SIDE} a side (less padding, or a smaller image)")
        span = self.kernel_span
        if span[0] > padded[0] or span[1] > padded[1]:
            kh, kw = self.kernel_size
            dilated = "" if self.dilation == (1, 1) else f" (a {kh}×{kw} filter with dilation {_pair_text(self.dilation)})"
            raise ExplainError(
                f"The filter spans {span[0]}×{span[1]}{dilated} but the padded input is only "
                f"{padded[0]}×{padded[1]}: use a smaller filter or dilation, more padding, or a larger input")

    # --- sizes ---------------------------------------------------------------------------------------

    @property
    def input_size(self) -> Pair:
        return int(self.image.shape[0]), int(self.image.shape[1])

    @property
    def kernel_size(self) -> Pair:
        return int(self.kernel.shape[0]), int(self.kernel.shape[1])

    @property
    def kernel_span(self) -> Pair:
        """Rows and columns the dilated filter covers: d·(k − 1) + 1."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation))

    @property
    def padded_size(self) -> Pair:
        return tuple(n + 2 * p for n, p in zip(self.input_size, self.padding))

    @property
    def output_size(self) -> Pair:
        return tuple(output_length(n, k, s, p, d) for n, k, s, p, d in zip(
            self.input_size, self.kernel_size, self.stride, self.padding, self.dilation))

    def formula_text(self, axis: int) -> str:
        """The output-size formula for axis 0 (height) or 1 (width), filled in."""
        return formula_text(self.input_size[axis], self.kernel_size[axis], self.stride[axis], self.padding[axis],
                            self.dilation[axis])

    @property
    def step_count(self) -> int:
        return self.output_size[0] * self.output_size[1]

    # --- values -------------------------------------------------------------------------------------------

    def _conv_args(self) -> dict:
        return {"stride": self.stride, "padding": self.padding, "dilation": self.dilation}

    @cached_property
    def feature_map(self) -> torch.Tensor:
        """The output (oh×ow), by ``F.conv2d``."""
        bias = torch.tensor([self.bias], dtype=DTYPE)
        return F.conv2d(self.image[None, None], self.kernel[None, None], bias, **self._conv_args())[0, 0]

    @cached_property
    def padded_image(self) -> torch.Tensor:
        """The input with its border of zeros, as the filter sees it."""
        ph, pw = self.padding
        return F.pad(self.image, (pw, pw, ph, ph))

    @cached_property
    def _patches(self) -> torch.Tensor:
        """(kh·kw, steps): the input under the filter at every position, as conv2d multiplies it."""
        return F.unfold(self.image[None, None], self.kernel_size, **self._conv_args())[0]

    def step(self, index: int) -> Step:
        if not 0 <= index < self.step_count:
            raise ExplainError(f"Step {index + 1} does not exist: this convolution has {self.step_count} steps")
        row, col = divmod(index, self.output_size[1])
        values = self._patches[:, index]
        weights = self.kernel.flatten()
        products = values * weights
        total = products.sum() + self.bias
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = self.kernel_size, self.stride, self.padding, self.dilation
        height, width = self.input_size
        taps = tuple((row * sh - ph + i * dh, col * sw - pw + j * dw) for i in range(kh) for j in range(kw))
        in_padding = tuple(not (0 <= r < height and 0 <= c < width) for r, c in taps)
        return Step(index, row, col, taps, in_padding, tuple(values.tolist()), tuple(weights.tolist()),
                    tuple(products.tolist()), self.bias, float(total))


# --- after the convolution: ReLU and pooling ---------------------------------------------------------------


def relu(feature_map: torch.Tensor) -> torch.Tensor:
    return F.relu(feature_map)


def pool(feature_map: torch.Tensor, kind: str, size: int = 2, stride: int | None = None) -> torch.Tensor:
    """Max or average pooling of an (H×W) map with a size×size window (stride = size by default)."""
    if kind not in ("max", "avg"):
        raise ExplainError(f"Unknown pooling {kind!r}: choose max or avg")
    stride = size if stride is None else stride
    if size < 1 or stride < 1:
        raise ExplainError(f"Pooling needs a window and stride of at least 1, got {size} and {stride}")
    height, width = feature_map.shape
    if size > min(height, width):
        raise ExplainError(f"The {size}×{size} pooling window does not fit the {height}×{width} feature map: "
                           "make the map larger (less stride, more padding) or turn pooling off")
    function = F.max_pool2d if kind == "max" else F.avg_pool2d
    return function(feature_map[None, None], size, stride)[0, 0]


def after_convolution(feature_map: torch.Tensor, activation: str = "none", pooling: str = "none",
                      pool_size: int = 2, pool_stride: int | None = None) -> torch.Tensor:
    """The feature map after an optional ReLU, then optional pooling (as a network usually orders them)."""
    if activation not in ACTIVATIONS:
        raise ExplainError(f"Unknown activation {activation!r}: choose one of {', '.join(ACTIVATIONS)}")
    if pooling not in POOLINGS:
        raise ExplainError(f"Unknown pooling {pooling!r}: choose one of {', '.join(POOLINGS)}")
    result = relu(feature_map) if activation == "relu" else feature_map
    return pool(result, pooling, pool_size, pool_stride) if pooling != "none" else result


# --- filters ------------------------------------------------------------------------------------------------


def _binomial(length: int) -> torch.Tensor:
    """Row ``length − 1`` of Pascal's triangle: 1 2 1, 1 4 6 4 1, … (a discrete Gaussian)."""
    return torch.tensor([math.comb(length - 1, i) for i in range(length)], dtype=DTYPE)


def _difference(length: int) -> torch.Tensor:
    """A smoothed derivative, rising to the right: −1 0 1 for 3, −1 −2 0 2 1 for 5."""
    if length < 2:
        return torch.zeros(1, dtype=DTYPE)
    smooth, zero = _binomial(length - 1), torch.zeros(1, dtype=DTYPE)
    return torch.cat([zero, smooth]) - torch.cat([smooth, zero])


def _step_edge(length: int) -> torch.Tensor:
    """+1 on the first half, −1 on the second (0 in the middle of odd lengths): 1 0 −1."""
    half = length // 2
    return torch.tensor([1.0] * half + [0.0] * (length % 2) + [-1.0] * half, dtype=DTYPE)


def _centre(kh: int, kw: int) -> torch.Tensor:
    grid = torch.zeros(kh, kw, dtype=DTYPE)
    grid[kh // 2, kw // 2] = 1.0
    return grid


def _cross(kh: int, kw: int) -> torch.Tensor:
    """1 on the centre row and column except the centre itself (the 4-neighbours at 3×3)."""
    grid = torch.zeros(kh, kw, dtype=DTYPE)
    grid[kh // 2, :] = 1.0
    grid[:, kw // 2] = 1.0
    grid[kh // 2, kw // 2] = 0.0
    return grid


def _sharpen(kh: int, kw: int) -> torch.Tensor:
    cross = _cross(kh, kw)
    return _centre(kh, kw) * (1 + cross.sum()) - cross


def _laplacian(kh: int, kw: int) -> torch.Tensor:
    cross = _cross(kh, kw)
    return cross - _centre(kh, kw) * cross.sum()


_PRESET_BUILDERS: dict[str, Callable[[int, int], torch.Tensor]] = {
    "Vertical edge": lambda kh, kw: torch.outer(torch.ones(kh, dtype=DTYPE), _step_edge(kw)),
    "Horizontal edge": lambda kh, kw: torch.outer(_step_edge(kh), torch.ones(kw, dtype=DTYPE)),
    "Sobel x": lambda kh, kw: torch.outer(_binomial(kh), _difference(kw)),
    "Sobel y": lambda kh, kw: torch.outer(_difference(kh), _binomial(kw)),
    "Box blur": lambda kh, kw: torch.full((kh, kw), 1.0 / (kh * kw), dtype=DTYPE),
    "Gaussian blur": lambda kh, kw: torch.outer(_binomial(kh), _binomial(kw)) / (2 ** (kh - 1) * 2 ** (kw - 1)),
    "Sharpen": _sharpen,
    "Outline (Laplacian)": _laplacian,
    "Identity": _centre,
}

#: The preset filters at 3×3: name → rows (``preset_filter`` makes them at other sizes).
PRESET_FILTERS: dict[str, tuple[tuple[float, ...], ...]] = {
    name: tuple(tuple(row) for row in build(3, 3).tolist()) for name, build in _PRESET_BUILDERS.items()
}


def preset_filter(name: str, size: int | Sequence[int] = 3) -> torch.Tensor:
    """A preset filter (a key of ``PRESET_FILTERS``) at any size; the classic values at 3×3."""
    if name not in _PRESET_BUILDERS:
        raise ExplainError(f"Unknown filter preset {name!r}: choose one of {', '.join(_PRESET_BUILDERS)}")
    kh, kw = _setting(size, "filter size", 1)
    return _PRESET_BUILDERS[name](kh, kw)


def learned_filter(weights, out_channel: int, in_channel: int) -> torch.Tensor:
    """One (kh×kw) slice of a convolution's (out, in, kh, kw) weights."""
    weights = torch.as_tensor(weights)
    if weights.dim() != 4:
        raise ExplainError(f"Convolution weights must be (out, in, kh, kw), got shape {tuple(weights.shape)}")
    outs, ins = weights.shape[:2]
    if not (0 <= out_channel < outs and 0 <= in_channel < ins):
        raise ExplainError(f"There is no filter {out_channel} / input channel {in_channel}: the layer has "
                           f"{outs} filters of {ins} input channels (numbered from 0)")
    return weights[out_channel, in_channel].to(DTYPE).clone()


# --- inputs ------------------------------------------------------------------------------------------------


def classic_example() -> Convolution:
    return Convolution(CLASSIC_INPUT, CLASSIC_FILTER)


def demo_input(height: int, width: int | None = None) -> torch.Tensor:
    """The classic 5×5 input at 5×5; other sizes get a bright block on a dark ground (edges to find)."""
    width = height if width is None else width
    if (height, width) == (5, 5):
        return torch.tensor(CLASSIC_INPUT, dtype=DTYPE)
    grid = torch.ones(height, width, dtype=DTYPE)
    top, left = height // 4, width // 4
    grid[top:height - top, left:width - left] = 8.0
    return grid


def grey_grid(image, max_side: int = DISPLAY_SIDE) -> torch.Tensor:
    """An image (H×W, C×H×W; uint8 0..255 or float 0..1; grey, RGB or with alpha) as an H×W grey
    float64 grid on 0..1 (0 black, 1 white), shrunk to at most ``max_side`` a side."""
    tensor = torch.as_tensor(image)
    if tensor.dim() == 2:
        tensor = tensor[None]
    if tensor.dim() != 3 or min(tensor.shape) < 1:
        raise ExplainError(f"An image must be (H, W) or (C, H, W), got shape {tuple(tensor.shape)}")
    try:
        grey = convert_channels(to_unit_float(tensor[None]), 1)
    except DatasetError as error:
        raise ExplainError(str(error)) from None
    height, width = grey.shape[-2:]
    scale = max_side / max(height, width)
    if scale < 1:
        grey = resize(grey, (max(1, round(height * scale)), max(1, round(width * scale))))
    return grey[0, 0].to(DTYPE).clamp(0.0, 1.0)


def load_grey_image(path: str | os.PathLike, max_side: int = DISPLAY_SIDE) -> torch.Tensor:
    """An image file as a grey grid (see ``grey_grid``); ExplainError naming the file if unreadable."""
    name = Path(path).name
    try:
        pixels = decode_image(path)
    except DECODE_ERRORS as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ExplainError(f"Cannot read {name} as an image ({reason}); choose a PNG, JPEG or BMP file") from None
    return grey_grid(pixels, max_side)


# --- a conv node's settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvSettings:
    """A Conv2d node's geometry, as the explainer uses it; ``note`` says what had to be approximated."""

    kernel_size: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    note: str = ""


def conv_settings(params: Mapping) -> ConvSettings:
    """A conv2d node's params → explainer settings. Padding 'valid' is 0; 'same' is the padding that
    keeps the size at stride 1 (PyTorch pads even filters one more on the bottom/right, which a
    symmetric border cannot show, so those get the larger half and a note)."""
    kernel = _setting(params.get("kernel_size", 3), "kernel size", 1)
    stride = _setting(params.get("stride", 1), "stride", 1)
    dilation = _setting(params.get("dilation", 1), "dilation", 1)
    padding, note = params.get("padding", 0), ""
    if padding == "valid":
        padding = (0, 0)
    elif padding == "same":
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        padding = tuple((total + 1) // 2 for total in totals)
        if any(total % 2 for total in totals):
            note = ("PyTorch pads 'same' unevenly for this filter (one more row/column at the bottom/right); "
                    f"shown with {_pair_text(padding)} on every side")
    return ConvSettings(kernel, stride, _setting(padding, "padding", 0), dilation, note)
