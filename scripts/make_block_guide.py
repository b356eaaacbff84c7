"""Regenerate ``docs/blocks.md``, the block guide, from the block catalogue.

The text comes from ``engine.catalogue.guide.block_guide_markdown`` (the app's
guides use the same words), so the page is exactly what this script writes:
a test regenerates it and compares the bytes. Run it after changing a block
in ``engine/catalogue/blocks.py``.

Usage: ``PYTHONPATH=. .venv/bin/python scripts/make_block_guide.py [--out FILE]``
"""
from __future__ import annotations

import argparse
from pathlib import Path

from engine.catalogue.guide import block_guide_markdown
from engine.importer.onnx.coverage import onnx_guide_markdown

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "docs" / "blocks.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"file to write the guide to (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(block_guide_markdown() + "\n" + onnx_guide_markdown(), encoding="utf-8", newline="\n")
    print(f"{args.out}: {args.out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
