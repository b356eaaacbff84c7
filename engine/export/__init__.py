"""Exports that leave ConvCanvas: TorchScript, ONNX, standalone Python, checkpoints.

Every exporter writes atomically (a temp file beside the target, renamed over
it when complete), so a failure never leaves half a file, and raises
``ExportError`` with a one-line reason.
"""

from ..lazy_exports import lazy_exports

__all__ = [
    "FORMATS", "OPSET_VERSION", "ExportError", "ExportFormat", "default_export_path", "export_checkpoint",
    "export_onnx", "export_paths", "export_python", "export_torchscript", "require_onnx_packages",
    "weights_path_for", "PREPROCESSING_FORMATS", "raw_image_preprocessing",
]

# Each name's module is imported on first use: most of them import torch (see engine.lazy_exports).
__getattr__, __dir__ = lazy_exports(__name__, {
    "ExportError": ".common",
    "FORMATS": ".formats",
    "ExportFormat": ".formats",
    "default_export_path": ".formats",
    "export_checkpoint": ".formats",
    "export_paths": ".formats",
    "PREPROCESSING_FORMATS": ".formats",
    "raw_image_preprocessing": ".formats",
    "OPSET_VERSION": ".onnx_format",
    "export_onnx": ".onnx_format",
    "require_onnx_packages": ".onnx_format",
    "export_python": ".python_format",
    "weights_path_for": ".python_format",
    "export_torchscript": ".torchscript",
})
