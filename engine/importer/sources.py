"""Where imported networks come from: torchvision's model zoo, a Python file, or a saved file.

``import_python_file`` RUNS the file it is given (as ``python FILE`` would),
because the class it defines only exists once its code has run: import
files you trust, as you would before running them.
"""
from __future__ import annotations

import difflib
import hashlib
import importlib.util
import inspect
import sys
import traceback
import warnings
from pathlib import Path

import torch
from torch import nn

from ..checkpoint import FORMAT as CHECKPOINT_FORMAT
from ..checkpoint import CheckpointError, checkpoint_from_payload
from ..compiler import compile_graph
from ..export.common import first_line
from ..export.torchscript_archive import TorchScriptError, read_torchscript
from ..project import EXTENSION, ProjectError
from ..reading import MAX_MODEL_FILE_BYTES, open_regular
from ..tensor_files import is_torchscript_archive, load_tensors_file
from ..weights import classification_models
from .convert import ImportResult, import_module, validate_input_shape
from .empty_weights import build_without_weights
from .errors import ModelImportError

MAX_SOURCE_BYTES = 16 * 1024 * 1024
"""A Python file defining a network is a few hundred kilobytes at most."""
DEFAULT_INPUT = (3, 224, 224)
"""What torchvision's classifiers are trained at; Inception v3 differs (see ``default_input_shape``)."""


# --- torchvision --------------------------------------------------------------------------------------


def torchvision_models() -> list[str]:
    """torchvision's image classifiers by name (``alexnet``, ``resnet18``, …)."""
    return classification_models()


def default_input_shape(model_name: str) -> tuple[int, int, int]:
    """The image size a torchvision classifier is evaluated at (its weights' crop size), else 3×224×224."""
    import torchvision

    try:
        transforms = torchvision.models.get_model_weights(model_name).DEFAULT.transforms
        size = transforms.keywords.get("crop_size", DEFAULT_INPUT[1])
    except (ValueError, KeyError, AttributeError):
        return DEFAULT_INPUT
    return (3, int(size), int(size))


def _torchvision_model(name: str, meta: bool = False) -> nn.Module:
    import torchvision

    known = torchvision_models()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "convcanvas import --list shows them"
        raise ModelImportError(f"torchvision has no classification model {name!r} ({hint})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. GoogLeNet's note on its default initialisation
        if meta:
            return build_without_weights(lambda: torchvision.models.get_model(name, weights=None))
        return torchvision.models.get_model(name, weights=None)


def import_torchvision(name: str, input_shape=None) -> ImportResult:
    """torchvision's ``name`` (built without downloading weights: they are a fresh initialisation)."""
    shape = validate_input_shape(input_shape) if input_shape is not None else default_input_shape(name)
    model = _torchvision_model(name)
    result = import_module(model, shape, name=name,
                           description=f"torchvision.models.{name}, imported by tracing it (weights not loaded).")
    result.random_weights = True
    return result


def check_torchvision(name: str, input_shape=None) -> ImportResult:
    """Whether ``name`` imports, without its weights: the model is built with its weights on the meta
    device (no memory, no data), traced and mapped. Returns the project (no weights, cards not laid out);
    raises ``ModelImportError``."""
    shape = validate_input_shape(input_shape) if input_shape is not None else default_input_shape(name)
    model = _torchvision_model(name, meta=True)
    return import_module(model, shape, name=name, check_only=True, layout=False)


# --- Python files ------------------------------------------------------------------------------------------


def _run_python_file(path: str | Path):
    """Runs the file as a module and returns it; ``ModelImportError`` names the line that failed."""
    path = Path(path).expanduser()
    with open_regular(path, "a Python file", MAX_SOURCE_BYTES, ModelImportError):
        pass  # a pipe or device would hang the import machinery's read: refuse it first
    resolved = path.resolve()
    digest = hashlib.sha1(f"{resolved}:{resolved.stat().st_mtime_ns}".encode()).hexdigest()[:10]
    module_name = f"convcanvas_user_{_safe(resolved.stem)}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, resolved)
    if spec is None or spec.loader is None:
        raise ModelImportError(f"{path}: is not a Python file (name it *.py)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look classes up by module
    folder = str(resolved.parent)
    sys.path.insert(0, folder)  # so that it can import the files beside it
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        sys.modules.pop(module_name, None)
        raise ModelImportError(f"{path}, line {error.lineno}: syntax error: {error.msg}") from None
    except BaseException as error:  # noqa: BLE001 - the user's code may raise anything, even SystemExit
        sys.modules.pop(module_name, None)
        if isinstance(error, KeyboardInterrupt):
            raise
        raise ModelImportError(f"{path}{_line_in(error, resolved)}: running it failed: {type(error).__name__}: "
                               f"{first_line(error)}") from None
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text)


def _line_in(error: BaseException, path: Path) -> str:
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if Path(frame.filename) == path]
    return f", line {lines[-1]}" if lines else ""


def _module_classes(module) -> list[type[nn.Module]]:
    """The nn.Module classes the file defines (not those it imports), in the order they appear."""
    found = [value for value in vars(module).values()
             if inspect.isclass(value) and issubclass(value, nn.Module) and value.__module__ == module.__name__]
    return sorted(found, key=lambda kind: inspect.getsourcelines(kind)[1] if _has_source(kind) else 0)


def _has_source(kind: type) -> bool:
    try:
        inspect.getsourcelines(kind)
    except (OSError, TypeError):
        return False
    return True


def module_classes(path: str | Path) -> list[str]:
    """Names of the nn.Module classes defined in a Python file (this runs the file)."""
    return [kind.__name__ for kind in _module_classes(_run_python_file(path))]


def import_python_file(path: str | Path, class_name: str, input_shape=None) -> ImportResult:
    """Runs ``path``, builds ``class_name()`` and imports it for inputs of ``input_shape`` (C, H, W;
    by default 3×224×224, with the channels of its first convolution)."""
    module = _run_python_file(path)
    kind = getattr(module, class_name, None)
    if kind is None:
        classes = [k.__name__ for k in _module_classes(module)]
        found = f"its nn.Module classes: {', '.join(classes)}" if classes else "it defines no nn.Module class"
        raise ModelImportError(f"{path} has no class {class_name!r} ({found})")
    if not (inspect.isclass(kind) and issubclass(kind, nn.Module)):
        raise ModelImportError(f"{class_name} in {path} is not a torch.nn.Module class")
    network = _construct(kind, path)
    shape = validate_input_shape(input_shape) if input_shape is not None else _guess_input_shape(network)
    return import_module(network, shape, name=class_name,
                         description=f"{class_name} from {Path(path).name}, imported by tracing it.")


def _construct(kind: type[nn.Module], path) -> nn.Module:
    required = [p.name for p in inspect.signature(kind).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if required:
        raise ModelImportError(
            f"{kind.__name__}() needs arguments ({', '.join(required)}): give them default values, or add a "
            f"class with none, e.g. class My{kind.__name__}({kind.__name__}): def __init__(self): "
            "super().__init__(...)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return kind()
    except Exception as error:  # noqa: BLE001 - the user's constructor may raise anything
        raise ModelImportError(f"{path}{_line_in(error, Path(path).expanduser().resolve())}: {kind.__name__}() "
                               f"failed: {type(error).__name__}: {first_line(error)}") from None


def _guess_input_shape(network: nn.Module) -> tuple[int, int, int]:
    first_conv = next((m for m in network.modules() if isinstance(m, nn.Conv2d)), None)
    channels = first_conv.in_channels if first_conv is not None else DEFAULT_INPUT[0]
    return (channels, *DEFAULT_INPUT[1:])


# --- checkpoints and TorchScript --------------------------------------------------------------------


def import_file(path: str | Path) -> ImportResult:
    """A ConvCanvas checkpoint, TorchScript export or ONNX model: its project and weights, read as data
    (nothing in the file runs). Other files are refused with what to do instead."""
    path = Path(path).expanduser()
    if path.name.endswith((EXTENSION, ".json")):
        raise ModelImportError(f"{path}: is a project file already: open it (File ▸ Open)")
    if path.suffix == ".py":
        raise ModelImportError(f"{path}: is Python source: import it as a Python file and name its class")
    if path.suffix.lower() == ".onnx":
        from .onnx.importing import import_onnx

        return import_onnx(path)
    with open_regular(path, "a model file", MAX_MODEL_FILE_BYTES, ModelImportError) as handle:
        torchscript = is_torchscript_archive(handle)
        onnx = not torchscript and _looks_like_onnx(handle)
    if torchscript:
        return _import_torchscript(path)
    if onnx:  # whatever its name says
        from .onnx.importing import import_onnx

        return import_onnx(path)
    return _import_saved(path)


def _looks_like_onnx(handle) -> bool:
    """An ONNX model is a protobuf message whose first field is ``ir_version`` (tag 0x08, a small number);
    torch.save writes a zip archive (``PK``) or a pickle (0x80)."""
    head = handle.read(2)
    handle.seek(0)
    return len(head) == 2 and head[0] == 0x08 and 1 <= head[1] <= 20


def _import_torchscript(path: Path) -> ImportResult:
    try:
        project, state = read_torchscript(path)
    except ProjectError as error:
        raise ModelImportError(f"{path}: its ConvCanvas network is not valid: {error}") from None
    except TorchScriptError as error:
        raise ModelImportError(str(error)) from None
    return _checked_result(project, state, path, "TorchScript export")


def _import_saved(path: Path) -> ImportResult:
    payload = load_tensors_file(path, ModelImportError, "a model file",
                                "a whole model saved with torch.save(model)? Import the model's Python file and "
                                "class instead, or save model.state_dict() and load it as weights")
    if isinstance(payload, dict) and payload.get("format") == CHECKPOINT_FORMAT:
        try:
            checkpoint = checkpoint_from_payload(payload, path)
        except CheckpointError as error:
            raise ModelImportError(str(error)) from None
        result = _checked_result(checkpoint.project, checkpoint.model_state, path, "checkpoint")
        result.notes.append(f"weights of epoch {checkpoint.epoch} of the checkpoint")
        return result
    if isinstance(payload, dict) and payload and all(isinstance(value, torch.Tensor) for value in payload.values()):
        raise ModelImportError(
            f"{path}: holds weights only (a state_dict of {len(payload):,} tensors), not the network's "
            "architecture. Import the network it belongs to (a torchvision model by name, or its Python file "
            "and class), then load these weights into it")
    raise ModelImportError(f"{path}: not a ConvCanvas checkpoint or TorchScript export (it holds "
                           f"{type(payload).__name__}); import the model's Python file and class instead")


def _checked_result(project, state: dict[str, torch.Tensor], path: Path, kind: str) -> ImportResult:
    """The saved project with its weights, checked to fit each other exactly."""
    with torch.device("meta"):
        try:
            model = compile_graph(project.graph, name=project.name)
        except ValueError as error:
            raise ModelImportError(f"{path}: the {kind}'s network cannot be built: {first_line(error)}") from None
    missing = set(model.state_dict()) ^ set(state)
    if missing:
        raise ModelImportError(f"{path}: the {kind}'s weights do not fit its network (keys differ: "
                               f"{', '.join(sorted(missing)[:4])})")
    project.path = None
    return ImportResult(project, dict(state), [f"imported from the {kind} {path.name}"])
