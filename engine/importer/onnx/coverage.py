"""What ONNX import reads, in words (no torch, no onnx): the block guide's ONNX section and
``import --list --check`` print it; a test keeps it equal to the operator table."""
from __future__ import annotations

BECOMES: dict[str, str] = {
    "Conv": "Conv2d (2-D, even padding; `auto_pad` SAME at stride 1)",
    "ConvTranspose": "ConvTranspose2d (without `output_shape`)",
    "BatchNormalization": "BatchNorm2d",
    "Gemm": "Dense",
    "MatMul": "Dense (with a fixed matrix; a following bias Add is folded in)",
    "LayerNormalization": "LayerNorm2d (over the channels, between permutes) or LayerNorm",
    "Relu": "Activation (relu)", "Clip": "Activation (relu, or relu6 when it clips to 0–6)",
    "Sigmoid": "Activation (sigmoid)", "Tanh": "Activation (tanh)", "LeakyRelu": "Activation (leaky relu)",
    "Elu": "Activation (elu)", "Gelu": "Activation (gelu)", "HardSwish": "Activation (hardswish)",
    "HardSigmoid": "Activation (hardsigmoid, only torch's: alpha 1/6, beta 0.5)", "Mish": "Activation (mish)",
    "Softmax": "Softmax", "PRelu": "PReLU",
    "MaxPool": "MaxPool2d", "AveragePool": "AvgPool2d", "GlobalAveragePool": "Global average pool",
    "ReduceMean": "Mean H×W (over height and width)", "Resize": "Upsample (nearest or bilinear)",
    "Upsample": "Upsample (nearest or bilinear)",
    "Flatten": "Flatten (from axis 1)", "Reshape": "Flatten (where it flattens each sample)",
    "Concat": "Concat (of channels)", "Transpose": "nothing: channels-last stretches between permutes",
    "Add": "Add", "Mul": "Multiply, or LayerScale by a learned C×1×1 tensor", "Sub": "refused unless part of a pattern",
    "Div": "refused unless part of a pattern", "Identity": "nothing (passed through)",
    "Dropout": "nothing (passed through: inference)",
}
"""Each ONNX operator translated, and what it becomes."""

PATTERNS = ("LayerNorm written as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add (exporters before opset 17)",
            "the exact GELU written as x · ½ · (1 + erf(x / √2)) (exporters before opset 20)",
            "an identity `as_strided` written as Reshape to [-1] and Gather of 0, 1, 2, … (the dynamo exporter)",
            "the L2 Normalize of an embedding written as ReduceL2/Clip/Expand/Div")


def onnx_guide_markdown() -> str:
    rows = "\n".join(f"| `{op}` | {becomes} |" for op, becomes in sorted(BECOMES.items()))
    patterns = "\n".join(f"- {pattern}" for pattern in PATTERNS)
    return f"""## Importing from ONNX

File ▸ Import ▸ ONNX Model… (or `convcanvas import model.onnx`) turns these
operators into blocks; the result is checked against onnxruntime's output
before it opens. Module paths in the names (`/layer1/layer1.0/conv1/Conv`, or
the dynamo exporter's name scopes) group layers into composite blocks.

| ONNX operator | Becomes |
|---|---|
{rows}

Recognised as one layer:

{patterns}

Not imported (refused with each operator's kind, opset and node named):
operators not listed (`Erf` on its own, `LSTM`, `Slice`, `Gather`, `Pad`…),
uneven padding, resizing other than torch's nearest and bilinear, graphs with
more than one input or output, and 3-D or 1-D convolutions.
"""
