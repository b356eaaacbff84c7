"""Box folders for detection: COCO JSON or Pascal VOC XML beside the images.

Two layouts are recognised:

- COCO: ``annotations.json`` (the "instances" format: ``images`` with ``id`` and ``file_name``,
  ``annotations`` with ``image_id``, ``category_id`` and ``bbox`` = [x, y, width, height] in pixels,
  ``categories`` with ``id`` and ``name``) and the images in ``images/`` (or beside the JSON).
  The classes are the categories, in id order; crowd regions (``iscrowd: 1``) are left out.
- VOC: ``Annotations/*.xml`` (one per image: ``filename`` and ``object`` elements with ``name`` and
  ``bndbox`` xmin, ymin, xmax, ymax, 1-based and inclusive as VOC writes them) and ``JPEGImages/``.
  ``classes.txt`` beside them (one name a line) fixes the classes and their order; without it the
  names found, sorted.

As for image folders, nothing bad stops the whole set: a box outside its image or without area, an
unknown class, a missing or unreadable image and a malformed annotation are each named, the image
skipped (an object left without its box would be taught as background) and the count shown. Only an
annotation file that cannot be read at all (COCO's one JSON) is an error. XML is parsed by the
standard library without a DOCTYPE (refused: VOC files have none, and entities are how XML attacks).
"""
from __future__ import annotations

import json
import math
import os
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..reading import MB, RefusedFile, read_limited
from .adapt import adapt_images, check_input_shape, pil_to_tensor
from .augment import Augment
from .box_split import build_box_split, split_boxed
from .datasplit import DatasetInfo, DataSplit
from .errors import DatasetError
from .image_files import open_image
from .image_folder import DECODE_ERRORS, is_image_file

COCO_FILE = "annotations.json"
VOC_ANNOTATIONS, VOC_IMAGES = "Annotations", "JPEGImages"
CLASSES_FILE = "classes.txt"
MAX_COCO_BYTES = 512 * MB
MAX_XML_BYTES = 4 * MB
EDGE_TOLERANCE = 1.0
"""Pixels a box may overhang its image (rounding, 0- versus 1-based corners) before it counts as outside;
within it the box is clipped to the image."""
_SHOWN_PROBLEMS = 5


def box_folder_format(path: str | os.PathLike) -> str | None:
    """``"coco"``, ``"voc"`` or None: which box layout the folder holds."""
    path = Path(path).expanduser()
    if (path / COCO_FILE).is_file():
        return "coco"
    if (path / VOC_ANNOTATIONS).is_dir() and (path / VOC_IMAGES).is_dir():
        return "voc"
    return None


@dataclass
class _Listed:
    """One image and its boxes ``(class, x0, y0, x1, y1)`` in pixels, as the annotations give them."""

    image: Path
    boxes: list[tuple[int, float, float, float, float]] = field(default_factory=list)


@dataclass
class _Listing:
    class_names: list[str]
    entries: list[_Listed]
    problems: list[str]
    images: int
    notes: list[str] = field(default_factory=list)


class _Skip(ValueError):
    """One image cannot be used; the message names why."""


# --- COCO ---------------------------------------------------------------------


def _read_coco(root: Path) -> _Listing:
    path = root / COCO_FILE
    try:
        document = json.loads(read_limited(path, "a COCO annotation file", MAX_COCO_BYTES))
    except (RefusedFile, OSError) as error:
        reason = error.reason if isinstance(error, RefusedFile) else error
        raise DatasetError(f"{path}: cannot be read ({reason}).") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise DatasetError(f"{path}: not a COCO annotation file: not valid JSON "
                           f"({' '.join(str(error).split())[:80]}).") from None
    if not isinstance(document, dict) or not all(isinstance(document.get(key), list)
                                                  for key in ("images", "annotations", "categories")):
        raise DatasetError(f"{path}: not a COCO annotation file: it needs the lists 'images', 'annotations' and "
                           "'categories' (the 'instances' format).")
    categories = {}
    for number, category in enumerate(document["categories"]):
        if not (isinstance(category, dict) and _is_int(category.get("id")) and isinstance(category.get("name"), str)):
            raise DatasetError(f"{path}: categories[{number}] needs an integer 'id' and a 'name'.")
        categories[category["id"]] = category["name"]
    if not categories:
        raise DatasetError(f"{path}: 'categories' is empty; name at least one class.")
    ids = sorted(categories)
    class_of = {category_id: index for index, category_id in enumerate(ids)}
    folder = root / "images" if (root / "images").is_dir() else root
    problems: list[str] = []
    by_id: dict[int, _Listed | None] = {}
    for number, entry in enumerate(document["images"]):
        name = entry.get("file_name") if isinstance(entry, dict) else None
        if not (isinstance(name, str) and name and _is_int(entry.get("id"))):
            problems.append(f"images[{number}]: needs an integer 'id' and a 'file_name'")
            continue
        image = folder / name
        if not image.is_file():
            problems.append(f"{name}: missing (not in {folder.name}/)")
            by_id[entry["id"]] = None
            continue
        by_id[entry["id"]] = _Listed(image)
    crowd = 0
    for number, annotation in enumerate(document["annotations"]):
        image_id = annotation.get("image_id") if isinstance(annotation, dict) else None
        if image_id not in by_id:
            problems.append(f"annotations[{number}]: image id {image_id!r} is not in 'images'")
            continue
        listed = by_id[image_id]
        if listed is None:  # its image is missing: already named
            continue
        try:
            if annotation.get("iscrowd"):
                crowd += 1
                continue
            category = annotation.get("category_id")
            if category not in class_of:
                raise _Skip(f"box {len(listed.boxes) + 1} has category {category!r}, not one of the categories "
                            f"({', '.join(f'{i} {categories[i]}' for i in ids[:6])}{', …' if len(ids) > 6 else ''})")
            bbox = annotation.get("bbox")
            if not (isinstance(bbox, list) and len(bbox) == 4 and all(_is_number(v) for v in bbox)):
                raise _Skip(f"box {len(listed.boxes) + 1}: 'bbox' is not [x, y, width, height]")
            x, y, w, h = (float(v) for v in bbox)
            listed.boxes.append((class_of[category], x, y, x + w, y + h))
        except _Skip as skip:
            problems.append(f"{listed.image.name}: {skip}")
            by_id[image_id] = None
    notes = [f"left out {crowd} crowd region(s) (iscrowd)"] if crowd else []
    entries = [listed for listed in by_id.values() if listed is not None]
    return _Listing([categories[i] for i in ids], entries, problems, len(document["images"]), notes)


# --- VOC ----------------------------------------------------------------------


def _read_class_names(root: Path) -> list[str] | None:
    path = root / CLASSES_FILE
    if not path.exists():
        return None
    try:
        text = read_limited(path, "a class list", MB).decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.reason if isinstance(error, RefusedFile) else error
        raise DatasetError(f"{path}: cannot be read ({reason}); write one class name a line.") from None
    names = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    if not names or len(set(names)) != len(names):
        raise DatasetError(f"{path}: needs one class name a line, each once; it has "
                           f"{'none' if not names else 'a name twice'}.")
    return names


def _parse_voc(path: Path) -> tuple[str | None, list[tuple[str, float, float, float, float]]]:
    """(the image's file name, its objects as (name, x0, y0, x1, y1) in pixels); raises _Skip."""
    try:
        data = read_limited(path, "a VOC annotation", MAX_XML_BYTES)
    except OSError as error:
        raise _Skip(f"cannot be read ({error.reason if isinstance(error, RefusedFile) else error})") from None
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _Skip("holds a DOCTYPE or entities, which VOC annotations never do (refused)")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as error:
        raise _Skip(f"not well-formed XML ({error})") from None
    objects = []
    for number, element in enumerate(root.iter("object"), start=1):
        name = (element.findtext("name") or "").strip()
        box = element.find("bndbox")
        try:
            xmin, ymin, xmax, ymax = (float((box.findtext(key) or "").strip()) for key in
                                      ("xmin", "ymin", "xmax", "ymax"))
        except (AttributeError, ValueError):
            raise _Skip(f"object {number} ({name or 'no name'}) has no numeric bndbox xmin, ymin, xmax, "
                        "ymax") from None
        if not name:
            raise _Skip(f"object {number} has no name")
        objects.append((name, xmin - 1, ymin - 1, xmax, ymax))  # VOC: 1-based, inclusive corners
    filename = (root.findtext("filename") or "").strip() or None
    return filename, objects


def _voc_image(images: Path, xml_path: Path, filename: str | None) -> Path:
    if filename:
        candidate = images / Path(filename).name
        if candidate.is_file():
            return candidate
    for candidate in sorted(images.glob(f"{xml_path.stem}.*")):
        if is_image_file(candidate):
            return candidate
    raise _Skip(f"its image {VOC_IMAGES}/{filename or xml_path.stem + '.jpg'} is missing")


def _read_voc(root: Path) -> _Listing:
    given = _read_class_names(root)
    images = root / VOC_IMAGES
    parsed: list[tuple[Path, list[tuple[str, float, float, float, float]]]] = []
    problems = []
    xml_files = sorted(path for path in (root / VOC_ANNOTATIONS).iterdir() if path.suffix.lower() == ".xml")
    for xml_path in xml_files:
        try:
            filename, objects = _parse_voc(xml_path)
            image = _voc_image(images, xml_path, filename)
            if given is not None:
                unknown = [name for name, *_ in objects if name not in given]
                if unknown:
                    raise _Skip(f"class {unknown[0]!r} is not in {CLASSES_FILE}")
        except _Skip as skip:
            problems.append(f"{xml_path.name}: {skip}")
            continue
        parsed.append((image, objects))
    names = given if given is not None else sorted({name for _, objects in parsed for name, *_ in objects})
    index = {name: number for number, name in enumerate(names)}
    entries = [_Listed(image, [(index[name], *corners) for name, *corners in objects]) for image, objects in parsed]
    return _Listing(names, entries, problems, len(xml_files))


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# --- both ---------------------------------------------------------------------


def _listing(root: Path) -> _Listing:
    kind = box_folder_format(root)
    if kind == "coco":
        return _read_coco(root)
    if kind == "voc":
        return _read_voc(root)
    raise DatasetError(f"{root}: not a box folder: it needs {COCO_FILE} with images/ (COCO) or "
                       f"{VOC_ANNOTATIONS}/ with {VOC_IMAGES}/ (Pascal VOC).")


def fractional_boxes(boxes: list[tuple[int, float, float, float, float]], width: int,
                     height: int) -> list[tuple[int, float, float, float, float]]:
    """Pixel boxes → rows of fractions of the image (``engine.tasks.detection``), clipped within
    ``EDGE_TOLERANCE``; raises _Skip naming the first box outside the image or without area."""
    rows = []
    for number, (label, x0, y0, x1, y1) in enumerate(boxes, start=1):
        corners = f"({x0:g}, {y0:g}, {x1:g}, {y1:g})"
        if not (x1 > x0 and y1 > y0):
            raise _Skip(f"box {number} {corners} has no area")
        if x0 < -EDGE_TOLERANCE or y0 < -EDGE_TOLERANCE or x1 > width + EDGE_TOLERANCE or y1 > height + EDGE_TOLERANCE:
            raise _Skip(f"box {number} {corners} lies outside the {width}×{height} image")
        x0, x1 = max(0.0, x0) / width, min(float(width), x1) / width
        y0, y1 = max(0.0, y0) / height, min(float(height), y1) / height
        rows.append((label, x0, y0, x1, y1))
    return rows


def load_box_folder(path: str | os.PathLike, input_shape, *, val_fraction: float = 0.2, seed: int = 0) -> DataSplit:
    """A COCO or VOC box folder as a detection split; bad entries are named in the split's notes."""
    root = Path(path).expanduser()
    shape = check_input_shape(input_shape)
    listing = _listing(root)
    problems = list(listing.problems)
    images, rows = [], []
    for entry in listing.entries:
        try:
            with open_image(entry.image) as image:
                image.load()
                pixels = pil_to_tensor(image)
        except DECODE_ERRORS:
            problems.append(f"{entry.image.name}: not a readable image")
            continue
        try:
            rows.append(fractional_boxes(entry.boxes, pixels.shape[2], pixels.shape[1]))
        except _Skip as skip:
            problems.append(f"{entry.image.name}: {skip}")
            continue
        images.append(adapt_images(pixels.unsqueeze(0), shape))
    if len(images) < 2:
        shown = "; ".join(problems[:_SHOWN_PROBLEMS])
        raise DatasetError(f"{root}: {len(images)} usable image(s) with boxes of {listing.images}; need at least 2"
                           + (f". Problems: {shown}" if shown else "."))
    most = max(1, max(len(boxes) for boxes in rows))
    targets = torch.full((len(rows), most, 5), -1.0)
    for number, boxes in enumerate(rows):
        if boxes:
            targets[number, :len(boxes)] = torch.tensor(boxes, dtype=torch.float32)
    notes = list(listing.notes)
    if problems:
        more = f" and {len(problems) - _SHOWN_PROBLEMS} more" if len(problems) > _SHOWN_PROBLEMS else ""
        notes.append(f"skipped {len(problems)} problem(s) in {listing.images} images: "
                     f"{'; '.join(problems[:_SHOWN_PROBLEMS])}{more}")
    train, val = split_boxed(torch.cat(images), targets, val_fraction, seed)
    kind = "COCO" if box_folder_format(root) == "coco" else "VOC"
    source = (f"{root.name} ({kind} box folder, {len(images):,} images, {int((targets[..., 0] >= 0).sum()):,} boxes, "
              f"{len(listing.class_names)} classes)")
    return build_box_split(train, val, input_shape=shape, class_names=listing.class_names, source=source,
                           notes=notes, suggested_augment=Augment(flip=True))


def box_folder_info(path: str | os.PathLike) -> DatasetInfo:
    """Classes and image count from the annotations alone (no image is decoded)."""
    root = Path(path).expanduser()
    listing = _listing(root)
    return DatasetInfo(name=root.name, class_names=tuple(listing.class_names), channels=3, native_size=None,
                       num_samples=listing.images, description=f"{root.name} (box folder)", target="boxes")
