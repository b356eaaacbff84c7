"""Importing networks: a ``torch.nn.Module`` traced with torch.fx becomes an editable project.

Sources: torchvision's classifiers by name, a class in a Python file (which
is run to define it), and ConvCanvas checkpoints and TorchScript exports.
Operations without a block are never dropped: the import is refused with
each of them named and located (``ModelImportError.unsupported``).
"""
from .convert import LAYERS_PER_ROW, ImportResult, import_module, validate_input_shape
from .errors import ModelImportError, Unsupported
from .sources import (
    DEFAULT_INPUT,
    check_torchvision,
    default_input_shape,
    import_file,
    import_python_file,
    import_torchvision,
    module_classes,
    torchvision_models,
)

__all__ = [
    "DEFAULT_INPUT", "LAYERS_PER_ROW", "ImportResult", "ModelImportError", "Unsupported", "check_torchvision",
    "default_input_shape", "import_file", "import_module", "import_python_file", "import_torchvision",
    "module_classes", "torchvision_models", "validate_input_shape",
]
