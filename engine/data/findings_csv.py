"""Multi-label data from a CSV of image → findings, in the two layouts chest X-ray sets ship:

- NIH ChestX-ray14 (``Data_Entry_2017.csv``): an ``Image Index`` column (file name) and a
  ``Finding Labels`` column of findings joined by ``|`` (``Cardiomegaly|Effusion``; ``No Finding``
  means none). Any CSV with an image column and a ``findings``/``labels`` column works the same way.
- CheXpert (``train.csv``): a ``Path`` column and one column per finding holding ``1`` (present),
  ``0`` (absent), ``-1`` (uncertain) or blank (not mentioned). Uncertain and blank count as absent
  (the "U-Zeros" policy); the notes say how many were uncertain.

Only the image column and the finding columns are read: patient ID, age, sex and any other column
are never copied anywhere. Image paths are looked up beside the CSV, then beside its folder
(CheXpert's paths start with the dataset's folder name), then by file name anywhere below the CSV's
folder (NIH ships its images in ``images_001/images/``...). Rows whose image is missing or
unreadable are skipped and counted; images are read through the Input's window like folders.
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import torch

from ..reading import RefusedFile, read_limited
from .adapt import adapt_images, check_input_shape
from .datasplit import DatasetInfo, DataSplit
from .errors import DatasetError
from .findings_split import build_findings_split, findings_info, random_indices
from .image_folder import DECODE_ERRORS, decode_image, header_size, is_image_path
from .windowing import Window

MAX_CSV_BYTES = 512 * 1024 * 1024
IMAGE_COLUMNS = ("path", "image index", "image", "filename", "file", "image_path")
JOINED_COLUMNS = ("finding labels", "findings", "labels", "finding")
NO_FINDING = "no finding"
SEPARATORS = ("|", ";")
_CHEXPERT_VALUES = {"", "1", "1.0", "0", "0.0", "-1", "-1.0"}
_SHOWN = 5


def is_findings_csv(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(".csv") and Path(path).expanduser().is_file()


class _Table:
    """The image paths and the (N, K) findings of a CSV, with what was noticed on the way."""

    def __init__(self, images: list[str], names: list[str], findings: torch.Tensor, notes: list[str]) -> None:
        self.images, self.names, self.findings, self.notes = images, names, findings, notes


def read_findings_table(path: Path) -> _Table:
    try:
        text = read_limited(path, "a findings table (CSV)", MAX_CSV_BYTES).decode("utf-8-sig")
    except (RefusedFile, UnicodeDecodeError) as error:
        reason = error.reason if isinstance(error, RefusedFile) else "not UTF-8 text"
        raise DatasetError(f"{path}: cannot be read as a findings table ({reason}).") from None
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as error:
        raise DatasetError(f"{path}: not a readable CSV ({error}).") from None
    if len(rows) < 3:
        raise DatasetError(f"{path}: needs a header row and at least 2 image rows, e.g. "
                           "'Image Index,Finding Labels' then '00000001_000.png,Cardiomegaly|Effusion'.")
    header = [cell.strip() for cell in rows[0]]
    lowered = [cell.lower() for cell in header]
    body = [row for row in rows[1:] if any(cell.strip() for cell in row)]
    image_column = next((lowered.index(name) for name in IMAGE_COLUMNS if name in lowered), 0)
    joined = next((lowered.index(name) for name in JOINED_COLUMNS if name in lowered), None)
    if joined is not None:
        return _joined(path, body, image_column, joined)
    return _one_column_per_finding(path, header, body, image_column)


def _cell(row: list[str], column: int) -> str:
    return row[column].strip() if column < len(row) else ""


def _joined(path: Path, body: list[list[str]], image_column: int, joined: int) -> _Table:
    per_row = []
    for row in body:
        text = _cell(row, joined)
        separator = next((s for s in SEPARATORS if s in text), "|")
        per_row.append([part.strip() for part in text.split(separator)
                        if part.strip() and part.strip().lower() != NO_FINDING])
    names = sorted({name for found in per_row for name in found})
    if not names:
        raise DatasetError(f"{path}: no findings in its findings column (every row is empty or 'No Finding').")
    column = {name: index for index, name in enumerate(names)}
    findings = torch.zeros(len(body), len(names))
    for index, found in enumerate(per_row):
        for name in found:
            findings[index, column[name]] = 1.0
    return _Table([_cell(row, image_column) for row in body], names, findings, [])


def _one_column_per_finding(path: Path, header: list[str], body: list[list[str]], image_column: int) -> _Table:
    columns = [index for index in range(len(header)) if index != image_column and header[index]
               and all(_cell(row, index) in _CHEXPERT_VALUES for row in body)
               and any(_cell(row, index) in ("1", "1.0") for row in body)]
    if not columns:
        raise DatasetError(f"{path}: found no findings: give a 'Finding Labels' column of findings joined by '|' "
                           "(NIH ChestX-ray14), or one column per finding of 1/0/-1/blank (CheXpert).")
    findings = torch.tensor([[1.0 if _cell(row, index) in ("1", "1.0") else 0.0 for index in columns]
                             for row in body])
    uncertain = sum(_cell(row, index) in ("-1", "-1.0") for row in body for index in columns)
    notes = [f"counted {uncertain:,} uncertain (-1) finding(s) as absent"] if uncertain else []
    names = [header[index] for index in columns]
    if "No Finding" in names:  # CheXpert's "No Finding" is the absence of the others, not a finding
        keep = [i for i, name in enumerate(names) if name != "No Finding"]
        names, findings = [names[i] for i in keep], findings[:, keep]
    return _Table([_cell(row, image_column) for row in body], names, findings, notes)


class _Finder:
    """Where a CSV's image path lies on disk."""

    def __init__(self, csv_path: Path) -> None:
        self.bases = (csv_path.parent, csv_path.parent.parent)
        self.root = csv_path.parent
        self.by_name: dict[str, Path] | None = None

    def find(self, name: str) -> Path | None:
        if not name:
            return None
        relative = Path(name)
        if relative.is_absolute() or ".." in relative.parts:  # a table points only inside its own folders
            return None
        for base in self.bases:
            if (base / relative).is_file():
                return base / relative
        if self.by_name is None:  # once: every image below the CSV's folder by file name
            self.by_name = {}
            for folder, dirs, files in os.walk(self.root):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for file in sorted(files):
                    self.by_name.setdefault(file, Path(folder) / file)
        return self.by_name.get(relative.name)


def _listing(items: list[str]) -> str:
    return ", ".join(items[:_SHOWN]) + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")


def load_findings_csv(path: str | os.PathLike, input_shape, *, val_fraction: float = 0.2, seed: int = 0,
                      window: Window | None = None) -> DataSplit:
    csv_path = Path(path).expanduser().resolve()
    shape = check_input_shape(input_shape)
    table = read_findings_table(csv_path)
    finder = _Finder(csv_path)
    images, kept, missing, unreadable = [], [], [], []
    for index, name in enumerate(table.images):
        file = finder.find(name)
        if file is None or not is_image_path(file):
            missing.append(name or f"row {index + 2}")
            continue
        try:
            images.append(adapt_images(decode_image(file, window).unsqueeze(0), shape))
        except DECODE_ERRORS as error:
            unreadable.append(f"{name} ({getattr(error, 'reason', None) or type(error).__name__})")
            continue
        kept.append(index)
    if len(images) < 2:
        raise DatasetError(f"{csv_path}: {len(images)} of {len(table.images)} listed images could be read; need at "
                           f"least 2. Put the images beside the CSV (paths as its image column gives them)"
                           + (f"; not found: {_listing(missing)}" if missing else "")
                           + (f"; unreadable: {_listing(unreadable)}" if unreadable else "") + ".")
    notes = list(table.notes)
    if missing:
        notes.append(f"skipped {len(missing)} of {len(table.images)} row(s) whose image was not found: "
                     f"{_listing(missing)}")
    if unreadable:
        notes.append(f"skipped {len(unreadable)} unreadable image(s): {_listing(unreadable)}")
    all_images, findings = torch.cat(images), table.findings[kept]
    train, val = random_indices(len(kept), val_fraction, seed)
    source = (f"{csv_path.name} (findings table, {len(kept):,} images, {len(table.names)} findings)")
    return build_findings_split((all_images[train], findings[train]), (all_images[val], findings[val]),
                                input_shape=shape, finding_names=table.names, source=source, notes=notes)


def findings_csv_info(path: str | os.PathLike, probes: int = 8) -> DatasetInfo:
    csv_path = Path(path).expanduser().resolve()
    table = read_findings_table(csv_path)
    finder = _Finder(csv_path)
    channels, sizes = 1, set()
    for name in table.images[:: max(1, len(table.images) // probes)][:probes]:
        file = finder.find(name)
        try:
            if file is None:
                continue
            file_channels, size = header_size(file)
        except DECODE_ERRORS:
            continue
        channels = max(channels, file_channels)
        sizes.add(size)
    positives = [int(v) for v in table.findings.sum(0).tolist()]
    return findings_info(csv_path.name, table.names, channels, sizes.pop() if len(sizes) == 1 else None,
                         len(table.images), f"{csv_path.name} (findings table, {len(table.images):,} rows, "
                         f"{len(table.names)} findings)", positives)
