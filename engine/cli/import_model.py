"""``convcanvas import SOURCE --out FILE.cnn.json``: a PyTorch network as an editable project.

SOURCE is a torchvision classifier's name (``resnet18``), a Python file with
``--class NAME`` (the file is run to define the class: import only files you
trust), a ConvCanvas checkpoint / TorchScript export (``.pt``), or an ONNX
model (``.onnx``, read as data; ``--input`` where its size varies).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from .. import importer  # its parts are imported when first used: a remembered --list --check needs none of them
from ..data.assemble import format_bytes
from ..fileio import atomic_torch_save, write_error
from ..garbage_collector import paused
from ..project import EXTENSION, save_project
from .common import CommandError

if TYPE_CHECKING:
    from ..importer import ImportResult

_SIZE = re.compile(r"\s*(\d+)\s*[x×,]\s*(\d+)\s*[x×,]\s*(\d+)\s*\Z")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "import", help="turn a torchvision model, a Python nn.Module or a saved model into a project",
        description="Import a PyTorch network as an editable ConvCanvas project by tracing it with torch.fx. "
        "Operations ConvCanvas has no block for are listed by name and place, and nothing is written. "
        "A Python file is run to define its class: import only files you trust.")
    parser.add_argument("source", nargs="?",
                        help="a torchvision model name (resnet18), a Python file (with --class), a ConvCanvas "
                        "checkpoint or TorchScript export (.pt), or an ONNX model (.onnx)")
    parser.add_argument("--out", metavar="FILE", help=f"the project file to write (*{EXTENSION})")
    parser.add_argument("--input", metavar="CxHxW",
                        help="input size, channels×height×width (default: the model's, e.g. 3x224x224; an ONNX "
                        "model whose size varies needs one)")
    parser.add_argument("--class", dest="class_name", metavar="NAME", help="the nn.Module class of a Python file")
    parser.add_argument("--weights-out", metavar="FILE.pt",
                        help="also save the imported weights (a state_dict); the project starts training from them")
    parser.add_argument("--list", action="store_true", help="list torchvision's classification models")
    parser.add_argument("--check", action="store_true",
                        help="with --list: try each model (slow) and say which ones import")
    parser.set_defaults(handler=run)


def parse_input_size(text: str) -> tuple[int, int, int]:
    match = _SIZE.match(text)
    if not match:
        raise CommandError(f"--input {text!r}: give channels×height×width, e.g. 3x224x224")
    return tuple(int(group) for group in match.groups())


def run(args) -> int:
    if args.list:
        return _list_models(args.check)
    if not args.source:
        raise CommandError("name what to import (a torchvision model, a .py, .pt or .onnx file), or use --list")
    if not args.out:
        raise CommandError(f"give the project file to write: --out NAME{EXTENSION}")
    out = Path(args.out)
    if not out.name.endswith(".json"):
        raise CommandError(f"--out {out}: a project file name ends in {EXTENSION}")
    shape = parse_input_size(args.input) if args.input else None
    try:
        result = _import(args.source, args.class_name, shape)
    except importer.ModelImportError as error:
        raise CommandError(str(error)) from None
    weights_path = Path(args.weights_out) if args.weights_out else None
    try:
        if weights_path is not None:
            atomic_torch_save(weights_path, result.state_dict)
            result.project.weights = str(weights_path.resolve())
            result.project.weights_source = f"imported from {args.source}"
        save_project(result.project, out)
    except OSError as error:
        raise CommandError(str(write_error(error.filename or out, error))) from None
    print(summary(result))
    print(f"project: {out}")
    if weights_path is not None:
        print(f"weights: {weights_path} ({format_bytes(weights_path.stat().st_size)})")
    return 0


def _import(source: str, class_name: str | None, shape) -> ImportResult:
    path = Path(source).expanduser()
    if source.endswith(".py"):
        if not class_name:
            classes = importer.module_classes(path)
            listed = f"it defines {', '.join(classes)}" if classes else "it defines no nn.Module class"
            raise importer.ModelImportError(f"{source}: name the network's class with --class ({listed})")
        return importer.import_python_file(path, class_name, shape)
    if class_name:
        raise importer.ModelImportError("--class is for Python files (SOURCE ending in .py)")
    if path.suffix.lower() == ".onnx":
        return importer.import_onnx(path, shape)
    if path.exists() or path.suffix in (".pt", ".pth", ".ts"):
        if shape is not None:
            raise importer.ModelImportError("--input is for torchvision models, Python files and ONNX models: a saved "
                                   "network keeps its own input size")
        return importer.import_file(path)
    return importer.import_torchvision(source, shape)


def summary(result: ImportResult) -> str:
    lines = [f"Imported {result.summary()}"]
    if result.random_weights:
        lines.append("note: the weights are a fresh initialisation (torchvision's pretrained weights are not "
                     "downloaded by import)")
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines)


def _list_models(check: bool) -> int:
    if not check:
        names = importer.torchvision_models()
        print("\n".join(names))
        print(f"{len(names)} models; convcanvas import --list --check tries each one")
        return 0
    from ..importer import check_cache

    key = check_cache.code_key()
    known, onnx_line = check_cache.recall(key)  # verdicts of this very code and these libraries: no model built
    later_onnx_line = None if onnx_line else _onnx_line_elsewhere()  # begun before torchvision is imported here
    with paused():  # importing torchvision (torch._dynamo with it) makes only long-lived objects
        names = list(known) if known else importer.torchvision_models()  # the same versions list the same models
    verdicts = {}
    for name, line in zip(names, _checked_lines(names, known)):
        verdicts[name] = line
        print(line, flush=True)
    onnx_line = onnx_line or later_onnx_line()
    check_cache.remember(key, verdicts, onnx_line)
    importable = sum(line.startswith("✓") for line in verdicts.values())
    print(f"{importable} of {len(names)} models import")
    print(onnx_line)
    return 0


PARALLEL_FROM = 8
"""Fewer models than this are checked in this process: starting workers would cost more than it saves."""
MAX_WORKERS = 8


def _checked_lines(names: list[str], known: dict[str, str]):
    """Each model's line, in the order of ``names``: remembered, else checked, on every core the process may
    use (each check is Python-bound: one core each). Workers are forked, so they start with torch and the
    importer already imported; a worker that dies leaves the rest to this process.
    The workers check with the cyclic garbage collector off: tracing and mapping make hundreds of thousands of
    linked objects per model, and collecting them took a fifth of the checks' time; what a worker leaves (under
    a gigabyte for all 80 models) is freed when it exits, after its last model."""
    import gc
    import multiprocessing
    import os
    import warnings
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    pending = [name for name in names if name not in known]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = min(cores, MAX_WORKERS, len(pending))
    pool = results = None
    if workers > 1 and len(pending) >= PARALLEL_FROM and "fork" in multiprocessing.get_all_start_methods():
        with paused():
            from ..importer import convert, sources  # noqa: F401 - imported once, before the workers fork
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=gc.disable)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads: ours run no torch ops
            results = pool.map(_check_line, pending)  # answers in the order of pending; every worker forked
    try:
        for name in names:
            if name in known:
                yield known[name]
                continue
            line = None
            if pool is not None:
                try:
                    line = next(results)
                except BrokenProcessPool:  # a worker was killed (out of memory?): the rest are checked here
                    pool.shutdown(cancel_futures=True)
                    pool = None
            yield line if line is not None else _check_line(name)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _onnx_line_elsewhere():
    """Starts working out the ONNX line in a forked process, on a core that is idle while this one imports
    torchvision (importing onnx takes over a second); returns a function that waits for the line. Where
    processes cannot be forked, or the process fails, the line is worked out here."""
    import multiprocessing
    import warnings

    if "fork" not in multiprocessing.get_all_start_methods():
        return onnx_coverage
    receiving, sending = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("fork").Process(target=_send_onnx_line, args=(sending,), daemon=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads: the child runs no torch ops
        process.start()
    sending.close()

    def line() -> str:
        try:
            found = receiving.recv()
        except EOFError:  # the process died
            found = None
        finally:
            receiving.close()
            process.join()
        return found if isinstance(found, str) else onnx_coverage()

    return line


def _send_onnx_line(connection) -> None:
    try:
        line = onnx_coverage()
    except Exception:  # noqa: BLE001 - the parent works it out again and says what is wrong
        line = None
    connection.send(line)
    connection.close()


def onnx_coverage() -> str:
    """What ONNX import reads: the operator sets and operators (``import --list --check`` prints it)."""
    import onnx.defs

    from ..importer.onnx.coverage import BECOMES

    return (f"ONNX models (opsets 7–{onnx.defs.onnx_opset_version()}, both of torch's exporters): "
            f"{len(BECOMES)} operators map to blocks: {', '.join(sorted(BECOMES))}; LayerNorm and GELU "
            "spelled out by older exporters are recognised. Others are refused by name and place.")
def _check_line(name: str) -> str:
    """``✓ resnet18``, or ``  vit_b_16: no (…the operations…)``."""
    from ..importer.convert import unsupported_kinds

    try:
        importer.check_torchvision(name)
    except importer.ModelImportError as error:
        count = len(error.unsupported)
        reason = (f"{count} unsupported operation{'s' * (count != 1)}: {unsupported_kinds(error.unsupported)}"
                  if count else error.summary)
        return f"  {name}: no ({reason})"
    return f"✓ {name}"
