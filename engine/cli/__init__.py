"""The ``convcanvas`` command line (also ``python -m engine``).

With no arguments it opens the desktop app; subcommands run headless on the
same engine. Each subcommand lives in its own module, which provides
``register(subparsers)`` adding a parser whose ``handler`` is
``run(args) -> int``.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from ..garbage_collector import paused

with paused():  # the start-up imports (torch's: seconds) make only objects that live as long as the process
    from ..fileio import WriteError
    from .common import CommandError

# Modules under engine/cli/ that provide one subcommand each, in help order.
COMMAND_MODULES = ("summary", "train", "sweep", "export", "predict", "import_model", "data", "runs")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convcanvas",
        description="Build, check, train and export convolutional networks. "
        "Without a command, opens the ConvCanvas window.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    return parser


def open_app(argv: list[str]) -> int:
    try:
        from app.main import run_app
    except ImportError as error:
        print(f"convcanvas: the desktop app cannot start ({error}); the headless commands still work: "
              "convcanvas --help", file=sys.stderr)
        return 2
    return run_app(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].endswith(".cnn.json") and len(argv) == 1):
        return open_app(argv)
    args = build_parser().parse_args(argv)
    if args.command is None:
        return open_app([])
    try:
        return args.handler(args)
    except (CommandError, WriteError) as error:  # WriteError: any file a command writes (train --out ...)
        print(f"convcanvas {args.command}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"convcanvas {args.command}: interrupted", file=sys.stderr)
        return 130
