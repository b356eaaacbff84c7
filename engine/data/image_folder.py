"""Image folders in torchvision's ImageFolder layout: one sub-folder per class.

    my_images/
        cats/ 001.png  002.jpg  more/003.png   <- nested folders count for "cats"
        dogs/ 004.png  ...

Non-image files are ignored; images that cannot be decoded are skipped and
reported in the notes. Medical files (DICOM, NIfTI, 16-bit PNG/TIFF) are read
through the Input's window (engine.data.medical_files, engine.data.windowing). A folder that fits in memory is decoded once into a
`TensorData`; a larger one is decoded per sample by DataLoader workers.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from .adapt import adapt_images, channel_stats, check_input_shape, normalise_, pil_channels, pil_to_tensor
from .assemble import DEFAULT_MAX_IN_MEMORY_BYTES, adapted_bytes, format_bytes
from .augment import Augment
from .datasplit import DatasetInfo, DataSplit
from .errors import DatasetError
from .image_files import open_image
from .medical_files import (HIGH_BIT_MODES, MEDICAL_EXTENSIONS, MedicalFileError,
                            high_bit_values, is_medical_path, looks_like_dicom, medical_header, read_medical)
from .stratify import stratified_split
from .stream_data import StreamData, default_num_workers
from .tensor_data import TensorData
from .windowing import Window, apply_window

#: the extensions torchvision's ImageFolder accepts
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp", *MEDICAL_EXTENSIONS)
#: what PIL raises on files it cannot decode
DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, TypeError, Image.DecompressionBombError)
#: decode in worker processes only above this many images (starting them costs time)
PARALLEL_DECODE_MIN = 2000
#: images decoded to estimate mean/std of a streamed folder
STATS_SAMPLE_SIZE = 1000
_NAMES_SHOWN = 5


def _example(root: Path) -> str:
    return f"{root / 'cats' / '001.png'}, {root / 'dogs' / '002.png'}"


def _listing(names: Sequence[str]) -> str:
    shown = ", ".join(names[:_NAMES_SHOWN])
    return shown + (", ..." if len(names) > _NAMES_SHOWN else "")


def is_image_file(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(IMAGE_EXTENSIONS)


def is_image_path(path: str | os.PathLike) -> bool:
    """An image by its suffix, or a suffix-less DICOM file (``IM000001``), found by its marker."""
    return is_image_file(path) or (Path(path).suffix == "" and looks_like_dicom(path))


def file_stem(path: Path) -> str:
    """The name without its image suffix (``scan.nii.gz`` → ``scan``)."""
    name = path.name
    return name[:-len(".nii.gz")] if name.lower().endswith(".nii.gz") else path.stem


@dataclass
class FolderScan:
    """The image files of a folder, by class, found without opening any."""

    root: Path
    class_names: list[str]
    files: list[Path]
    labels: list[int]
    notes: list[str] = field(default_factory=list)

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()


def _visible(name: str) -> bool:
    return not name.startswith(".")


def scan_folder(path: str | os.PathLike) -> FolderScan:
    """List the class folders and their image files; raise DatasetError if unusable."""
    root = Path(path).expanduser().resolve()
    if not root.exists():
        raise DatasetError(
            f"No image folder at {root}: it does not exist. Give the path of a folder with one "
            f"sub-folder per class (e.g. {_example(root)})."
        )
    if not root.is_dir():
        raise DatasetError(
            f"{root} is a file, not a folder. Give the path of a folder with one sub-folder per class "
            f"(e.g. {_example(root)})."
        )
    entries = sorted((e for e in os.scandir(root) if _visible(e.name)), key=lambda e: e.name)
    class_dirs = [Path(e.path) for e in entries if e.is_dir()]
    loose = [e.name for e in entries if e.is_file() and is_image_path(e.path)]
    scan = FolderScan(root, [], [], [])
    ignored: list[Path] = []
    empty: list[str] = []
    for class_dir in class_dirs:
        found: list[Path] = []
        for folder, dirs, names in os.walk(class_dir, followlinks=True):
            dirs[:] = sorted(d for d in dirs if _visible(d))
            for name in sorted(names):
                if not _visible(name):
                    continue
                file = Path(folder) / name
                if is_image_path(file):
                    found.append(file)
                else:
                    ignored.append(file)
        if not found:
            empty.append(class_dir.name)
            continue
        scan.labels.extend([len(scan.class_names)] * len(found))
        scan.class_names.append(class_dir.name)
        scan.files.extend(found)
    if not scan.files:
        if loose:
            raise DatasetError(
                f"The images in {root} must be sorted into one sub-folder per class (e.g. {_example(root)}): "
                f"found {len(loose)} image(s) directly in the folder but none in class sub-folders."
            )
        if class_dirs:
            raise DatasetError(
                f"No images found in the class folders of {root} (looked for {', '.join(IMAGE_EXTENSIONS)} "
                f"files in {_listing([d.name for d in class_dirs])}). Put the images in one sub-folder per class."
            )
        raise DatasetError(
            f"The image folder {root} is empty. Put the images in one sub-folder per class "
            f"(e.g. {_example(root)})."
        )
    if loose:
        scan.notes.append(
            f"ignored {len(loose)} image(s) lying directly in {root} (images belong in class "
            f"sub-folders): {_listing(loose)}"
        )
    if ignored:
        scan.notes.append(
            f"ignored {len(ignored)} non-image file(s): {_listing([scan.relative(p) for p in ignored])}"
        )
    if empty:
        scan.notes.append(f"ignored {len(empty)} class folder(s) without images: {_listing(empty)}")
    return scan


def exclude_files(scan: FolderScan, exclude: Collection[str]) -> int:
    """Drops from ``scan`` the files named (relative to its folder) in ``exclude``; how many it dropped."""
    names = set(exclude)
    kept = [(file, label) for file, label in zip(scan.files, scan.labels) if scan.relative(file) not in names]
    dropped = len(scan.files) - len(kept)
    scan.files, scan.labels = [file for file, _ in kept], [label for _, label in kept]
    return dropped


def _require_two_classes(root: Path, class_names: Sequence[str]) -> None:
    if len(class_names) < 2:
        raise DatasetError(
            f"The image folder {root} has only one class ({class_names[0]!r}); a classifier needs at "
            f"least two. Add a sub-folder per class (e.g. {root / 'other'}) holding its images."
        )


def probe_image(path: str | os.PathLike) -> str | None:
    """The PIL mode of an image file from its header (``"dicom"``/``"nifti"`` for medical files, read
    up to their pixels), or None if unreadable."""
    return probe_problem(path)[0]


def probe_problem(path: str | os.PathLike) -> tuple[str | None, str | None]:
    """(mode, None) for a usable file, (None, why not) for an unusable one; the reason is given for
    medical files (which DICOM transfer syntax lacks a decoder, a volume...), else None."""
    if is_medical_path(path):
        try:
            medical_header(path)
        except MedicalFileError as error:
            return None, error.reason
        except DECODE_ERRORS:
            return None, None
        return ("nifti" if str(path).lower().endswith((".nii", ".nii.gz")) else "dicom"), None
    try:
        with open_image(path) as image:
            return image.mode, None
    except DECODE_ERRORS:
        return None, None


def header_size(path: str | os.PathLike) -> tuple[int, tuple[int, int]]:
    """(channels, (height, width)) of any image file from its header; raises one of DECODE_ERRORS."""
    if is_medical_path(path):
        return medical_header(path)
    with open_image(path) as image:
        return pil_channels(image.mode), (image.height, image.width)


def decode_image(path: str | os.PathLike, window: Window | None = None) -> torch.Tensor:
    """Decode an image file into a (C, H, W) tensor (see adapt.pil_to_tensor): DICOM and NIfTI through
    ``window`` (None: the file's own) as float 0..1; 16-bit PNG/TIFF through a preset or manual window
    on their raw values, else scaled from their full range as before."""
    if is_medical_path(path):
        return torch.from_numpy(read_medical(path).to_unit(window))
    with open_image(path) as image:
        image.load()
        if window is not None and not window.from_file and image.mode in HIGH_BIT_MODES:
            band = window.band(None)
            return torch.from_numpy(apply_window(high_bit_values(image), *band)[None].copy())
        return pil_to_tensor(image)


class ImageFileDataset(Dataset):
    """Image files decoded and adapted per item; None for a file that fails to decode.

    Without `mean`/`std` the images are adapted but not normalised.
    """

    def __init__(
        self,
        paths: Sequence[str | os.PathLike],
        labels: torch.Tensor,
        input_shape: Sequence[int],
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        window: Window | None = None,
    ) -> None:
        self.paths = [str(p) for p in paths]  # plain strings pickle cheaply to workers
        self.window = window
        self.labels = torch.as_tensor(labels, dtype=torch.int64)
        self.input_shape = tuple(input_shape)
        self.mean = None if mean is None else tuple(mean)
        self.std = None if std is None else tuple(std)

    def __len__(self) -> int:
        return len(self.paths)

    def load(self, index: int) -> torch.Tensor | None:
        try:
            image = adapt_images(decode_image(self.paths[index], self.window).unsqueeze(0), self.input_shape)
        except DECODE_ERRORS:
            return None
        if self.mean is not None and self.std is not None:
            normalise_(image, self.mean, self.std)
        return image[0]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor] | None:
        image = self.load(index)
        return None if image is None else (image, self.labels[index])


class _Decoded(Dataset):
    """(index, adapted image or None): lets workers decode a folder once."""

    def __init__(self, files: ImageFileDataset) -> None:
        self.files = files

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> tuple[int, torch.Tensor | None]:
        return index, self.files.load(index)


def _keep_items(batch: list) -> list:
    return batch


def decode_all(files: ImageFileDataset, num_workers: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode every image once into one tensor; also a bool mask of those that decoded."""
    c, h, w = files.input_shape
    images = torch.zeros((len(files), c, h, w), dtype=torch.float32)
    ok = torch.zeros(len(files), dtype=torch.bool)
    items = _Decoded(files)
    if num_workers > 0:
        batches = DataLoader(items, batch_size=64, num_workers=num_workers, collate_fn=_keep_items)
    else:
        batches = ([items[i]] for i in range(len(items)))
    for batch in batches:
        for index, image in batch:
            if image is not None:
                images[index] = image
                ok[index] = True
    return images, ok


def load_image_folder(
    path: str | os.PathLike,
    input_shape: Sequence[int],
    *,
    val_fraction: float = 0.2,
    seed: int = 0,
    max_in_memory_bytes: int = DEFAULT_MAX_IN_MEMORY_BYTES,
    num_workers: int | None = None,
    window: Window | None = None,
    exclude: Collection[str] = (),
) -> DataSplit:
    """Load an image folder as a stratified train/validation split; DICOM, NIfTI and 16-bit images
    through ``window`` (None: each file's own). ``exclude``: files (relative to the folder, as the Data view
    lists them) the project leaves out of training; the files stay where they are."""
    shape = check_input_shape(input_shape)
    scan = scan_folder(path)
    notes = list(scan.notes)
    if exclude:
        left_out = exclude_files(scan, exclude)
        if left_out:
            notes.append(f"left out {left_out} file(s) the project excludes")
    _require_two_classes(scan.root, scan.class_names)

    probes = [probe_problem(p) for p in scan.files]
    modes = [mode for mode, _ in probes]
    unreadable = [_named(scan.relative(p), why) for p, (m, why) in zip(scan.files, probes) if m is None]
    if len(unreadable) == len(scan.files):
        raise DatasetError(
            f"None of the {len(scan.files)} image file(s) in {scan.root} could be read "
            f"({_listing(unreadable)}). Check that they are intact images."
        )
    files = [p for p, m in zip(scan.files, modes) if m is not None]
    old_labels = [label for label, m in zip(scan.labels, modes) if m is not None]
    # Classes whose every image was unreadable drop out; the rest are renumbered.
    kept = sorted(set(old_labels))
    class_names = [scan.class_names[i] for i in kept]
    renumber = {old: new for new, old in enumerate(kept)}
    labels = torch.tensor([renumber[label] for label in old_labels], dtype=torch.int64)
    _require_two_classes(scan.root, class_names)

    train_index, val_index = stratified_split(labels, val_fraction, seed)
    workers = default_num_workers() if num_workers is None else num_workers
    train_files = ImageFileDataset([files[i] for i in train_index], labels[train_index], shape, window=window)
    val_files = ImageFileDataset([files[i] for i in val_index], labels[val_index], shape, window=window)
    needed = adapted_bytes(len(files), shape)

    if needed <= max_in_memory_bytes:
        decode_workers = workers if len(files) >= PARALLEL_DECODE_MIN else 0
        train_x, train_ok = decode_all(train_files, decode_workers)
        val_x, val_ok = decode_all(val_files, decode_workers)
        for part, ok in ((train_files, train_ok), (val_files, val_ok)):
            unreadable += [scan.relative(Path(p)) for p, good in zip(part.paths, ok.tolist()) if not good]
        train_x, train_y = train_x[train_ok], train_files.labels[train_ok]
        val_x, val_y = val_x[val_ok], val_files.labels[val_ok]
        if len(train_y) == 0 or len(val_y) == 0:
            raise DatasetError(
                f"Too few images of {scan.root} could be decoded to train and validate "
                f"({_listing(unreadable)} failed). Check that they are intact images."
            )
        mean, std = channel_stats(train_x)
        train: TensorData | StreamData = TensorData(normalise_(train_x, mean, std), train_y)
        val: TensorData | StreamData = TensorData(normalise_(val_x, mean, std), val_y)
    else:
        sample_paths = train_files.paths[:: max(1, len(train_files) // STATS_SAMPLE_SIZE)]
        sample = ImageFileDataset(sample_paths, torch.zeros(len(sample_paths)), shape, window=window)
        sample_x, sample_ok = decode_all(sample, 0)
        mean, std = channel_stats(sample_x[sample_ok])
        for part in (train_files, val_files):
            part.mean, part.std = mean, std
        train = StreamData(train_files, num_workers=workers)
        val = StreamData(val_files, num_workers=workers)
        notes.append(
            f"streamed from disk: adapted to {shape[0]}×{shape[1]}×{shape[2]} the images would take "
            f"{format_bytes(needed)}, over the in-memory limit of {format_bytes(max_in_memory_bytes)}; "
            f"mean/std estimated on {len(sample):,} training images"
        )
    if unreadable:
        notes.append(f"skipped {len(unreadable)} unreadable image(s) of {len(scan.files)}: {_listing(unreadable)}")
    if any(mode in ("dicom", "nifti") or mode in HIGH_BIT_MODES for mode in modes):
        notes.append(f"high-bit-depth images read through {(window or Window()).describe()}")
    dropped = [name for i, name in enumerate(scan.class_names) if i not in renumber]
    if dropped:
        notes.append(f"left out class(es) with no readable image: {_listing(dropped)}")
    return DataSplit(
        train=train,
        val=val,
        class_names=class_names,
        input_shape=shape,
        mean=mean,
        std=std,
        source=f"image folder {scan.root} ({len(train) + len(val):,} images of {len(class_names)} classes)",
        notes=notes,
        suggested_augment=Augment(flip=False),
    )


def _named(name: str, reason: str | None) -> str:
    return f"{name} ({reason})" if reason else name


def _without_unreadable_classes(scan: FolderScan) -> list[str]:
    """Leaves out of ``scan`` the classes none of whose image headers can be read (as loading does);
    their names. Cheap: a class stops being probed at its first readable image."""
    files_of: dict[int, list[Path]] = {}
    for file, label in zip(scan.files, scan.labels):
        files_of.setdefault(label, []).append(file)
    dropped = {label for label, files in files_of.items() if not any(probe_image(f) for f in files)}
    if not dropped or len(dropped) == len(files_of):  # none readable at all: loading says so
        return []
    kept = [label for label in range(len(scan.class_names)) if label not in dropped]
    renumber = {old: new for new, old in enumerate(kept)}
    pairs = [(file, renumber[label]) for file, label in zip(scan.files, scan.labels) if label in renumber]
    names = [scan.class_names[label] for label in sorted(dropped)]
    scan.files, scan.labels = [file for file, _ in pairs], [label for _, label in pairs]
    scan.class_names = [scan.class_names[label] for label in kept]
    return names


def image_folder_info(path: str | os.PathLike, probes: int = 16) -> DatasetInfo:
    """Classes from the class folders with a readable image, image count from the file names,
    channels and size from a few headers."""
    scan = scan_folder(path)
    dropped = _without_unreadable_classes(scan)
    if dropped and len(scan.class_names) < 2:
        raise DatasetError(
            f"The image folder {scan.root} has only one class with readable images ({scan.class_names[0]!r}); "
            f"none of the images of {_listing([repr(name) for name in dropped])} could be read. A classifier "
            "needs at least two: check that those images are intact."
        )
    _require_two_classes(scan.root, scan.class_names)
    step = max(1, len(scan.files) // probes)
    channels, sizes = 1, set()
    for file in scan.files[::step][:probes]:
        try:
            file_channels, size = header_size(file)
        except DECODE_ERRORS:
            continue
        channels = max(channels, file_channels)
        sizes.add(size)
    return DatasetInfo(
        name=str(scan.root),
        class_names=tuple(scan.class_names),
        channels=channels,
        native_size=sizes.pop() if len(sizes) == 1 else None,
        num_samples=len(scan.files),
        class_counts=tuple(scan.labels.count(label) for label in range(len(scan.class_names))),
        left_out=tuple(dropped),
        description=f"image folder {scan.root} ({len(scan.files):,} image files, {len(scan.class_names)} classes"
                    + (f"; left out {_listing(dropped)}: no readable image" if dropped else "") + ")",
    )
