"""Importing networks: a ``torch.nn.Module`` traced with torch.fx becomes an editable project.

Sources: torchvision's classifiers by name, a class in a Python file (which
is run to define it), ConvCanvas checkpoints and TorchScript exports, and
ONNX models (read as data, rebuilt as torch layers: ``onnx/``).
Operations without a block are never dropped: the import is refused with
each of them named and located (``ModelImportError.unsupported``).
"""

from ..lazy_exports import lazy_exports

__all__ = [
    "DEFAULT_INPUT", "LAYERS_PER_ROW", "ImportResult", "ModelImportError", "Unsupported", "check_torchvision",
    "default_input_shape", "import_file", "import_module", "import_onnx", "import_python_file", "import_torchvision",
    "module_classes", "torchvision_models", "validate_input_shape",
]

# Each name's module is imported on first use: most of them import torch (see engine.lazy_exports).
__getattr__, __dir__ = lazy_exports(__name__, {
    "LAYERS_PER_ROW": ".convert",
    "ImportResult": ".convert",
    "import_module": ".convert",
    "validate_input_shape": ".convert",
    "ModelImportError": ".errors",
    "Unsupported": ".errors",
    "DEFAULT_INPUT": ".sources",
    "check_torchvision": ".sources",
    "default_input_shape": ".sources",
    "import_file": ".sources",
    "import_onnx": ".onnx.importing",
    "import_python_file": ".sources",
    "import_torchvision": ".sources",
    "module_classes": ".sources",
    "torchvision_models": ".sources",
})
