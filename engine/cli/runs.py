"""``convcanvas runs``: the table of training runs under a folder (what the Runs panel shows)."""
from __future__ import annotations

import json
from pathlib import Path

from ..experiments.listing import COLUMN_KEYS, list_runs
from ..experiments.table_text import table_lines
from .common import CommandError

DEFAULT_ROOT = "runs"


def register(subparsers) -> None:
    parser = subparsers.add_parser("runs", help="list the training runs kept under a folder (default: runs/)")
    parser.add_argument("--root", default=DEFAULT_ROOT, metavar="DIR",
                        help="the folder holding run folders (default: runs)")
    parser.add_argument("--sort", default="started", choices=COLUMN_KEYS, help="the column to sort by")
    parser.add_argument("--ascending", action="store_true", help="smallest first (default: largest, newest first)")
    parser.add_argument("--json", action="store_true", help="one JSON list of the rows instead of a table")
    parser.set_defaults(handler=run)


def run(args) -> int:
    root = Path(args.root)
    if root.exists() and not root.is_dir():
        raise CommandError(f"{root} is not a folder: give the folder holding run folders with --root")
    rows = list_runs(root, sort=args.sort, descending=not args.ascending)
    if args.json:
        print(json.dumps([row.to_json() for row in rows]))
    elif not rows:
        print(f"no runs under {root}")
    else:
        print("\n".join(table_lines(rows)))
    return 0
