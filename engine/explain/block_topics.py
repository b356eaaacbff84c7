"""Which block explainer page explains which node: no torch here, so the canvas can ask while the window
starts (``engine.explain.blocks`` computes the pages' contents, with torch)."""
from __future__ import annotations

from collections.abc import Mapping

#: The pages, in the order the explainer lists them, with their titles.
TOPICS: dict[str, str] = {
    "activation": "Activation curves",
    "prelu": "PReLU: a learned slope",
    "squeeze_excite": "Squeeze-and-excite: Multiply as a gate",
    "channel_shuffle": "ChannelShuffle",
    "layernorm2d": "LayerNorm2d",
    "stochastic_depth": "StochasticDepth",
    "spatial_mean": "Mean over H×W",
}

#: Element-wise activations the curve page draws (Softmax is not element-wise: no curve).
CURVES: dict[str, str] = {
    "hardswish": "Hardswish", "hardsigmoid": "Hardsigmoid", "mish": "Mish", "relu": "ReLU", "relu6": "ReLU6",
    "leaky_relu": "LeakyReLU", "elu": "ELU", "gelu": "GELU", "silu": "SiLU", "sigmoid": "Sigmoid", "tanh": "Tanh",
}
#: The smooth function a cheap one stands in for, drawn beside it.
COUNTERPARTS = {"hardswish": "silu", "hardsigmoid": "sigmoid", "mish": "silu", "relu6": "relu", "gelu": "silu"}
_TOPIC_OF_TYPE = {"prelu": "prelu", "multiply": "squeeze_excite", "channel_shuffle": "channel_shuffle",
                  "layernorm2d": "layernorm2d", "stochastic_depth": "stochastic_depth",
                  "spatial_mean": "spatial_mean"}


def topic_for(node_type: str, params: Mapping) -> str | None:
    """The explainer page for a node of ``node_type`` with ``params``, or None."""
    if node_type == "activation":
        return "activation" if params.get("function") in CURVES else None
    return _TOPIC_OF_TYPE.get(node_type)
