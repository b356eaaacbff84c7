"""A COCO-style detection folder listed for looking at (engine.data.sample_index): images beside one
annotation file in COCO's layout, boxes as [x, y, width, height] in pixels.

    my_boxes/
        annotations.json   {"images": [{"id", "file_name", "width", "height"}], "annotations":
                            [{"image_id", "category_id", "bbox": [x, y, w, h]}], "categories": [{"id", "name"}]}
        images/ 001.jpg …  (or the images beside the annotation file)

Training on such folders is the detection issue's; the Data view shows them, their boxes and the boxes that
do not fit their image. The JSON is read through the one door and never executed.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..reading import read_limited
from .errors import DatasetError
from .image_folder import probe_image
from .sample_index import TRAIN, VAL, SampleIndex, read_image_file

ANNOTATIONS = "annotations.json"
MAX_ANNOTATION_BYTES = 512 * 1024 * 1024


def is_coco_folder(path: Path) -> bool:
    return (Path(path) / ANNOTATIONS).is_file()


def _fail(path: Path, what: str) -> DatasetError:
    return DatasetError(f"{path}: {what}; write COCO's layout: {{\"images\": [...], \"annotations\": [...], "
                        "\"categories\": [...]}.")


def coco_folder_samples(root: Path, val_fraction: float, seed: int, exclude: set[str]) -> SampleIndex:
    """Images with their boxes as fractions of the image (class, x0, y0, x1, y1); an image whose file is
    missing or unreadable is named in ``unreadable``. Boxes are kept as written, so the problem scan sees a
    box that leaves its image."""
    import torch

    root = Path(root).expanduser().resolve()
    path = root / ANNOTATIONS
    try:
        document = json.loads(read_limited(path, "an annotation file", MAX_ANNOTATION_BYTES).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise _fail(path, f"cannot be read as JSON ({' '.join(str(error).split())[:80]})") from None
    if not isinstance(document, dict) or not all(isinstance(document.get(k), list)
                                                 for k in ("images", "annotations", "categories")):
        raise _fail(path, "is not a COCO annotation file")
    try:
        categories = sorted((int(c["id"]), str(c["name"])) for c in document["categories"])
        class_of = {cid: index for index, (cid, _) in enumerate(categories)}
        images = {int(i["id"]): (str(i["file_name"]), int(i["width"]), int(i["height"])) for i in document["images"]}
        boxes: dict[int, list[list[float]]] = {image_id: [] for image_id in images}
        for note in document["annotations"]:
            image_id = int(note["image_id"])
            _, width, height = images[image_id]
            x, y, w, h = (float(v) for v in note["bbox"])
            boxes[image_id].append([class_of.get(int(note["category_id"]), -2), x / width, y / height,
                                    (x + w) / width, (y + h) / height])
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as error:
        raise _fail(path, f"has an entry without a usable {error}") from None
    folder = root / "images" if (root / "images").is_dir() else root
    found, unreadable, excluded = [], [], []
    for image_id, (file_name, _, _) in sorted(images.items()):
        file = folder / file_name
        name = file.relative_to(root).as_posix()
        if name in exclude:
            excluded.append(name)
        elif not file.is_file() or probe_image(file) is None:
            unreadable.append((name, "missing or not a readable image"))
        else:
            found.append((file, np.array(boxes[image_id], dtype=np.float64).reshape(-1, 5)))
    if len(found) < 2:
        raise DatasetError(f"{root}: {len(found)} readable image(s) in {ANNOTATIONS}; need at least 2.")
    order = torch.randperm(len(found), generator=torch.Generator().manual_seed(int(seed)))
    held_out = min(len(found) - 1, max(1, round(len(found) * val_fraction)))
    split = np.full(len(found), TRAIN, np.uint8)
    split[order[:held_out].numpy()] = VAL
    return SampleIndex(f"COCO folder {root}", [name for _, name in categories], "boxes", split,
                       np.full(len(found), -1, np.int64), [f.relative_to(root).as_posix() for f, _ in found],
                       read_image=lambda index: read_image_file(found[index][0]),
                       read_target=lambda index: found[index][1], root=root, unreadable=unreadable,
                       excluded=excluded, paths=[f for f, _ in found])
