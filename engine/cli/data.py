"""``convcanvas data DATASET [--json]``: counts per class and split, statistics and problems of a dataset."""
from __future__ import annotations

import json

from .common import CommandError


def register(subparsers) -> None:
    parser = subparsers.add_parser("data", help="summarise a dataset: counts per class and split, statistics, "
                                                "problems (duplicates, leaks, unreadable or odd files)")
    parser.add_argument("dataset", help="a dataset name (digits, shapes, mnist, ...) or the path of a folder")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--input", default="", metavar="CxHxW",
                        help="the Input size the statistics are computed at (default: the images' own)")
    parser.add_argument("--val-fraction", type=float, default=0.2, help="share held out for validation")
    parser.add_argument("--seed", type=int, default=0, help="the split's seed, as in training")
    parser.add_argument("--data-root", default=None, help="where torchvision datasets are stored")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from ..data import DatasetError
    from ..data.data_summary import summarise, summary_text
    from ..data.sample_index import open_samples

    try:
        shape = _input_shape(args.input) if args.input else None
        samples = open_samples(args.dataset, input_shape=shape or (1, 28, 28), val_fraction=args.val_fraction,
                               seed=args.seed, root=args.data_root)
        if shape is None and len(samples):  # the images' own channels and size (the first one's)
            height, width, channels = samples.image(0).shape
            shape = (channels, height, width)
        summary = summarise(samples, shape or (1, 28, 28))
    except DatasetError as error:
        raise CommandError(str(error)) from None
    print(json.dumps(summary) if args.json else summary_text(summary))
    return 0


def _input_shape(text: str) -> tuple[int, int, int]:
    try:
        c, h, w = (int(part) for part in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise CommandError(f"--input {text!r}: write channels×height×width, e.g. 1x28x28 or 3x32x32") from None
    return c, h, w
