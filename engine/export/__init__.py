"""Exports that leave ConvCanvas: TorchScript, ONNX, standalone Python, checkpoints.

Every exporter writes atomically (a temp file beside the target, renamed over
it when complete), so a failure never leaves half a file, and raises
``ExportError`` with a one-line reason.
"""
from .common import ExportError
from .formats import FORMATS, ExportFormat, default_export_path, export_checkpoint, export_paths
from .formats import PREPROCESSING_FORMATS, raw_image_preprocessing  # exports that take raw images
from .onnx_format import OPSET_VERSION, export_onnx, require_onnx_packages
from .python_format import export_python, weights_path_for
from .torchscript import export_torchscript

__all__ = [
    "FORMATS", "OPSET_VERSION", "ExportError", "ExportFormat", "default_export_path", "export_checkpoint",
    "export_onnx", "export_paths", "export_python", "export_torchscript", "require_onnx_packages",
    "weights_path_for", "PREPROCESSING_FORMATS", "raw_image_preprocessing",
]
