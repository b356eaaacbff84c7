"""Regenerate ``resources/digits.npz``, the bundled offline Digits dataset.

The data are the UCI "Optical Recognition of Handwritten Digits" test set
(1,797 grey-scale 8x8 images, pixel values 0..16, labels 0..9), by
E. Alpaydin and C. Kaynak, licensed CC BY 4.0 (see
``resources/DIGITS-ATTRIBUTION.md``). scikit-learn ships a copy of it
(``sklearn/datasets/data/digits.csv.gz``), which this script reads through
``sklearn.datasets.load_digits``, so no network access is needed.

scikit-learn is *not* a dependency of ConvCanvas: run this script from a
scratch environment, e.g.::

    python3.11 -m venv /tmp/skvenv
    /tmp/skvenv/bin/pip install scikit-learn numpy
    /tmp/skvenv/bin/python scripts/make_digits.py

The output holds three arrays and no pickled objects, so it loads with
``np.load(path, allow_pickle=False)``:

* ``images``      uint8, shape (1797, 8, 8), values 0..16
* ``labels``      uint8, shape (1797,), values 0..9
* ``class_names`` unicode strings "0".."9"
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "resources" / "digits.npz"


def build_arrays() -> dict[str, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.asarray(bunch.images)
    labels = np.asarray(bunch.target)

    if images.shape != (1797, 8, 8) or labels.shape != (1797,):
        raise ValueError(f"unexpected shapes {images.shape}, {labels.shape}")
    if not np.array_equal(images, np.round(images)) or images.min() < 0 or images.max() > 16:
        raise ValueError("pixel values are not integers in 0..16")
    if set(np.unique(labels).tolist()) != set(range(10)):
        raise ValueError("labels are not exactly 0..9")

    return {
        "images": images.astype(np.uint8),
        "labels": labels.astype(np.uint8),
        "class_names": np.array([str(d) for d in range(10)]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT,
                        help=f"where to write the .npz (default: {DEFAULT_OUTPUT})")
    args = parser.parse_args(argv)

    arrays = build_arrays()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.output, **arrays)
    size_kib = args.output.stat().st_size / 1024
    print(f"wrote {args.output} ({len(arrays['labels'])} images, {size_kib:.1f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
