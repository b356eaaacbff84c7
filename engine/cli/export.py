"""``convcanvas export CKPT --format torchscript|onnx|python|checkpoint [--out PATH] [--with-preprocessing]``."""
from __future__ import annotations

from pathlib import Path

from ..checkpoint import CheckpointError
from ..data.assemble import format_bytes
from ..export import (
    FORMATS,
    ExportError,
    default_export_path,
    export_checkpoint,
    export_paths,
    raw_image_preprocessing,
)
from ..fileio import write_error
from ..tasks import task_for
from .common import CommandError, open_checkpoint


def register(subparsers) -> None:
    formats = "; ".join(f"{fmt.name}: {fmt.description}" for fmt in FORMATS.values())
    parser = subparsers.add_parser("export", help="write a trained checkpoint as TorchScript, ONNX or Python",
                                   description=f"Formats — {formats}.")
    parser.add_argument("checkpoint", help="a checkpoint file (.pt) saved by training")
    parser.add_argument("--format", required=True, choices=tuple(FORMATS), help="the kind of file to write")
    parser.add_argument("--out", metavar="PATH",
                        help="where to write it (default: beside the checkpoint, e.g. NAME.onnx)")
    parser.add_argument("--with-preprocessing", dest="with_preprocessing", action="store_true",
                        help="TorchScript and ONNX: take raw images of any size (uint8) and resize, convert and "
                             "normalise them as in training")
    parser.add_argument("--threshold", type=float, metavar="COSINE",
                        help="embedding networks: the verification threshold the export carries (default: the "
                             "checkpoint's equal-error threshold)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    checkpoint, model = open_checkpoint(args.checkpoint)
    if args.threshold is not None and not -1.0 <= args.threshold <= 1.0:
        raise CommandError(f"--threshold {args.threshold:g}: a cosine similarity lies between -1 and 1")
    out = Path(args.out) if args.out else default_export_path(args.checkpoint, args.format)
    source = Path(args.checkpoint).resolve()
    if any(path.resolve() == source for path in export_paths(args.format, out)):
        raise CommandError(f"{out}: exporting there would overwrite the checkpoint itself; choose another --out")
    try:
        written = export_checkpoint(checkpoint, args.format, out, model, preprocessing=args.with_preprocessing,
                                    threshold=args.threshold)
    except (ExportError, CheckpointError) as error:
        raise CommandError(str(error)) from None
    except OSError as error:  # a WriteError naming the file, or another failure while writing
        raise CommandError(str(write_error(error.filename or out, error))) from None
    for index, path in enumerate(written):
        label = FORMATS[args.format].title if index == 0 else "weights"  # the Python export's second file
        print(f"{label}: {path} ({format_bytes(path.stat().st_size)})")
    metrics = {**checkpoint.metrics, **({"val_threshold": args.threshold} if args.threshold is not None else {})}
    for key, value in task_for(checkpoint.project.task).export_metadata(metrics).items():  # an embedding's threshold
        print(f"{key}: {value}")
    if args.with_preprocessing:
        print(raw_image_preprocessing(checkpoint, args.format).describe(args.format))
    return 0
