"""Data for the embedding task: images labelled by identity, split so that no validation identity is
ever trained on.

Sources: the bundled ``face-shapes[:N]`` (generated, seeded), a folder per identity (LFW's layout,
``Name/Name_0001.jpg``, read with the class-folder reader's care; LFW's ``pairs.txt`` beside the folders
picks the validation identities and the verification pairs), and ``lfw`` (torchvision's LFWPeople and
LFWPairs, read from the data root). Labels number the training identities first (0..T-1), then the
validation ones; training batches hold several images of each identity (``IdentityData``), which the
losses' miners need.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import torch

from .adapt import adapt_images, channel_stats, check_input_shape, normalise_
from .assemble import adapted_bytes, format_bytes
from .augment import Augment
from .datasplit import DatasetInfo, DataSplit
from .drawn_once import drawn
from .errors import DatasetError
from .face_shapes import DEFAULT_COUNT, IMAGES_PER_IDENTITY, MAX_COUNT, MIN_COUNT, NAME, face_shapes_info
from .face_shapes import generate_face_shapes, identity_names
from .tensor_data import TensorData

IDENTITY_DATASET_NAMES = (NAME, "lfw")
"""The named identity datasets, in the order the dataset box offers them."""
PER_IDENTITY_IN_BATCH = 4
"""Images of one identity next to each other in a training batch (P identities × K images)."""
PAIRS_FILE = "pairs.txt"


class IdentityData(TensorData):
    """``TensorData`` whose shuffled epochs come in runs of ``PER_IDENTITY_IN_BATCH`` images of one
    identity, so every batch holds positives for the miners (an unshuffled pass keeps the stored order)."""

    def iter_batches(self, batch_size: int, shuffle: bool = False, generator: torch.Generator | None = None,
                     augment: Augment | None = None, *, shard: tuple[int, int] | None = None,
                     sampler: Iterable[int] | None = None, drop_last: bool = False
                     ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        if shuffle and sampler is None and shard is None:
            sampler = identity_runs(self.labels, generator)
            shuffle = False
        return super().iter_batches(batch_size, shuffle, generator, augment, shard=shard, sampler=sampler,
                                    drop_last=drop_last)


def identity_runs(labels: torch.Tensor, generator: torch.Generator | None,
                  per_identity: int = PER_IDENTITY_IN_BATCH) -> list[int]:
    """Every index once: each identity's images shuffled and cut into runs of ``per_identity``, the runs
    shuffled together."""
    runs: list[list[int]] = []
    for label in labels.unique().tolist():
        members = torch.nonzero(labels == label).flatten()
        members = members[torch.randperm(len(members), generator=generator)].tolist()
        runs += [members[start:start + per_identity] for start in range(0, len(members), per_identity)]
    return [index for run in (runs[i] for i in torch.randperm(len(runs), generator=generator).tolist())
            for index in run]


def split_identities(labels: torch.Tensor, val_fraction: float, seed: int,
                     val_names: Sequence[int] | None = None) -> tuple[list[int], list[int]]:
    """Identities (label values) for training and for validation, disjoint. Validation takes
    ``val_fraction`` of the identities that have at least two images (a single image makes no pair);
    ``val_names``, when given (pairs.txt's), are the validation identities instead."""
    identities = labels.unique().tolist()
    if val_names is not None:
        val = sorted(set(val_names))
    else:
        counts = torch.bincount(labels)
        pairable = [identity for identity in identities if counts[identity] >= 2]
        order = torch.randperm(len(pairable), generator=torch.Generator().manual_seed(int(seed))).tolist()
        take = min(max(2, round(len(pairable) * val_fraction)), len(pairable) - 1)
        val = sorted(pairable[i] for i in order[:take]) if len(pairable) >= 3 else []
    train = [identity for identity in identities if identity not in set(val)]
    if len(val) < 2 or len(train) < 2:
        raise DatasetError(f"too few identities to split: {len(identities)} identities, of which "
                           f"{int((torch.bincount(labels) >= 2).sum())} have two or more images; the embedding task "
                           "needs at least 2 for training and 2 (with two images each) for validation. Add identities.")
    return train, val


def build_identity_split(images: torch.Tensor, labels: torch.Tensor, names: Sequence[str], *,
                         input_shape: Sequence[int], source: str, val_fraction: float, seed: int,
                         notes: Sequence[str] = (), val_identities: Sequence[int] | None = None,
                         pairs: list[tuple[int, int]] | None = None) -> DataSplit:
    """Adapts and normalises raw images (N, C, H, W) of identities ``labels`` (indices into ``names``),
    splits them by identity and renumbers the labels: training identities first.

    ``pairs``: verification pairs as indices into ``images``, kept for the validation images (both images
    in validation) and renumbered to the validation order."""
    shape = check_input_shape(input_shape)
    train_ids, val_ids = split_identities(labels, val_fraction, seed, val_identities)
    order = train_ids + val_ids
    renumber = torch.full((int(labels.max()) + 1,), -1, dtype=torch.int64)
    renumber[torch.tensor(order)] = torch.arange(len(order))
    new_labels = renumber[labels]
    in_train = new_labels < len(train_ids)
    train_index = torch.nonzero(in_train).flatten()
    # Validation in identity order: the gallery (each identity's first image) is then well defined.
    val_index = torch.nonzero(~in_train).flatten()
    val_index = val_index[torch.argsort(new_labels[val_index], stable=True)]
    train_x = adapt_images(images.index_select(0, train_index), shape)
    mean, std = channel_stats(train_x)
    val_x = normalise_(adapt_images(images.index_select(0, val_index), shape), mean, std)
    val_pairs = None
    if pairs is not None:
        position = {int(index): place for place, index in enumerate(val_index.tolist())}
        val_pairs = [(position[a], position[b]) for a, b in pairs if a in position and b in position]
    split = DataSplit(
        train=IdentityData(normalise_(train_x, mean, std), new_labels[train_index]),
        val=TensorData(val_x, new_labels[val_index]), class_names=[names[i] for i in order], input_shape=shape,
        mean=mean, std=std, source=source,
        notes=[*notes, f"split by identity: {len(train_ids):,} identities ({len(train_index):,} images) for "
                       f"training, {len(val_ids):,} others ({len(val_index):,} images) for validation"],
        suggested_augment=Augment(flip=True), target="identity", pairs=val_pairs)
    return split


# --- face-shapes ------------------------------------------------------------------------------------------


def parse_face_count(option: str) -> int:
    try:
        count = int(option.strip().replace("_", "").replace(",", ""))
    except ValueError:
        count = -1
    if not MIN_COUNT <= count <= MAX_COUNT:
        raise DatasetError(f"'{NAME}:{option}' asks for an impossible number of images: give a whole number from "
                           f"{MIN_COUNT} to {MAX_COUNT:,} ({IMAGES_PER_IDENTITY} images per identity), "
                           f"e.g. '{NAME}:{DEFAULT_COUNT}'.")
    return count


def load_face_shapes(count: int, shape: tuple[int, int, int], val_fraction: float, seed: int,
                     max_in_memory_bytes: int) -> DataSplit:
    needed = adapted_bytes(count, (3,) + shape[1:]) * 2
    if needed > max_in_memory_bytes:
        raise DatasetError(f"{count:,} {NAME} images of {shape[1]}×{shape[2]} would take {format_bytes(needed)} "
                           f"of memory, over the limit of {format_bytes(max_in_memory_bytes)}. Ask for fewer "
                           f"images (e.g. '{NAME}:1000') or a smaller Input size.")
    images, labels = drawn(generate_face_shapes, count, (shape[1], shape[2]), seed)
    people = count // IMAGES_PER_IDENTITY
    source = (f"{NAME} (generated, {people:,} identities of {IMAGES_PER_IDENTITY} images at "
              f"{shape[1]}×{shape[2]}, seed {seed})")
    return build_identity_split(images, labels, identity_names(count), input_shape=shape, source=source,
                                val_fraction=val_fraction, seed=seed)


# --- a folder per identity ----------------------------------------------------------------------------------


def read_pairs_file(path: Path, names: Sequence[str], files_of: dict[tuple[str, int], int]
                    ) -> tuple[list[tuple[int, int, bool]], list[str]]:
    """LFW's pairs.txt: an optional header line (folds and pairs per fold), then ``name n1 n2`` (same
    person) or ``name1 n1 name2 n2`` (different people) a line. Returns the pairs as indices into the
    files (``files_of[(name, number)]``) with whether they match, and a note per problem."""
    pairs, missing, bad = [], 0, 0
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        return [], [f"{path.name} could not be read ({error.strerror or error}); verification uses every pair"]
    for number, line in enumerate(lines, 1):
        parts = line.split()
        try:
            if len(parts) == 3:
                first, second = (parts[0], int(parts[1])), (parts[0], int(parts[2]))
            elif len(parts) == 4:
                first, second = (parts[0], int(parts[1])), (parts[2], int(parts[3]))
            else:
                bad += number > 1 or len(parts) not in (1, 2)
                continue
        except ValueError:
            bad += 1
            continue
        if first in files_of and second in files_of:
            pairs.append((files_of[first], files_of[second], first[0] == second[0]))
        else:
            missing += 1
    notes = []
    if missing:
        notes.append(f"{path.name}: {missing:,} pair(s) name images not in the folder (left out)")
    if bad:
        notes.append(f"{path.name}: {bad:,} line(s) are not 'name n1 n2' or 'name1 n1 name2 n2' (left out)")
    return pairs, notes


def _number_of(file: Path, identity: str) -> int | None:
    """LFW's image number: ``Name_0003.jpg`` → 3."""
    stem = file.stem
    tail = stem[len(identity) + 1:] if stem.startswith(identity + "_") else stem.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else None


def load_identity_folder(path: str | os.PathLike, shape: tuple[int, int, int], val_fraction: float, seed: int,
                         max_in_memory_bytes: int) -> DataSplit:
    """A folder per identity, read as class folders are (unreadable images named and skipped)."""
    from .image_folder import ImageFileDataset, _listing, decode_all, probe_image, scan_folder

    scan = scan_folder(path)
    notes = list(scan.notes)
    needed = adapted_bytes(len(scan.files), shape)
    if needed > max_in_memory_bytes:
        raise DatasetError(f"{len(scan.files):,} images of {scan.root} adapted to {shape[1]}×{shape[2]} would take "
                           f"{format_bytes(needed)}, over the in-memory limit of {format_bytes(max_in_memory_bytes)}: "
                           "use a smaller Input size or fewer identities.")
    readable = [probe_image(file) is not None for file in scan.files]
    files = [file for file, ok in zip(scan.files, readable) if ok]
    labels = torch.tensor([label for label, ok in zip(scan.labels, readable) if ok], dtype=torch.int64)
    unreadable = [scan.relative(file) for file, ok in zip(scan.files, readable) if not ok]
    if not files:
        raise DatasetError(f"None of the {len(scan.files)} image file(s) in {scan.root} could be read "
                           f"({_listing(unreadable)}). Check that they are intact images.")
    images, decoded = decode_all(ImageFileDataset(files, labels, shape), 0)
    unreadable += [scan.relative(file) for file, ok in zip(files, decoded.tolist()) if not ok]
    kept = torch.nonzero(decoded).flatten()
    images, labels, files = images[kept], labels[kept], [files[i] for i in kept.tolist()]
    if unreadable:
        notes.append(f"skipped {len(unreadable)} unreadable image(s): {_listing(unreadable)}")
    val_identities = pairs = None
    pairs_file = scan.root / PAIRS_FILE
    if pairs_file.is_file():
        files_of = {}
        for index, (file, label) in enumerate(zip(files, labels.tolist())):
            number = _number_of(file, scan.class_names[label])
            if number is not None:
                files_of[(scan.class_names[label], number)] = index
        listed, pair_notes = read_pairs_file(pairs_file, scan.class_names, files_of)
        notes += pair_notes
        if listed:
            val_identities = sorted({int(labels[i]) for a, b, _ in listed for i in (a, b)})
            pairs = [(a, b) for a, b, _ in listed]
            notes.append(f"{PAIRS_FILE}: {len(listed):,} verification pairs of {len(val_identities):,} identities "
                         "(those identities are held out for validation)")
    # Images are already adapted (decode_all adapts): the split re-adapts nothing but normalises.
    return build_identity_split(images, labels, scan.class_names, input_shape=shape,
                                source=f"identity folder {scan.root} ({len(files):,} images of "
                                       f"{len(set(labels.tolist())):,} identities)",
                                val_fraction=val_fraction, seed=seed, notes=notes, val_identities=val_identities,
                                pairs=pairs)


def identity_folder_info(path: str | os.PathLike) -> DatasetInfo:
    from .image_folder import image_folder_info

    info = image_folder_info(path)
    return DatasetInfo(name=info.name, class_names=info.class_names, channels=info.channels,
                       native_size=info.native_size, num_samples=info.num_samples,
                       description=info.description.replace("classes", "identities"),
                       class_counts=info.class_counts, left_out=info.left_out, target="identity")


# --- LFW through torchvision ----------------------------------------------------------------------------------

LFW_FOLDER = "lfw-py"
LFW_LAYOUT = "lfw-py/lfw-funneled/<Name>/<Name>_0001.jpg, lfw-py/lfw-names.txt, lfw-py/pairs.txt"


def load_lfw(shape: tuple[int, int, int], root: str | os.PathLike | None, download: bool, val_fraction: float,
             seed: int, max_in_memory_bytes: int) -> DataSplit:
    """torchvision's LFWPeople (funneled images) read from ``root``; LFWPairs' test pairs, when present,
    pick the validation identities and the verification pairs."""
    import torchvision.datasets

    from .torchvision_sets import _LOAD_ERRORS, _resolve_root

    root_path = _resolve_root(root)
    folder = root_path / LFW_FOLDER
    try:
        people = torchvision.datasets.LFWPeople(str(root_path), split="10fold", download=download)
    except _LOAD_ERRORS as error:
        raise _lfw_error(folder, download, error) from error
    files, labels = list(people.data), torch.as_tensor(people.targets, dtype=torch.int64)
    names = [name for name, _ in sorted(people.class_to_idx.items(), key=lambda item: item[1])]
    needed = adapted_bytes(len(files), shape)
    if needed > max_in_memory_bytes:
        raise DatasetError(f"LFW's {len(files):,} images adapted to {shape[1]}×{shape[2]} would take "
                           f"{format_bytes(needed)}, over the in-memory limit: use a smaller Input size.")
    from .image_folder import ImageFileDataset, decode_all

    images, decoded = decode_all(ImageFileDataset(files, labels, shape), 0)
    if not bool(decoded.all()):
        bad = [Path(files[i]).name for i in torch.nonzero(~decoded).flatten().tolist()[:5]]
        raise DatasetError(f"LFW's images in {folder} are damaged ({', '.join(bad)} cannot be read): delete the "
                           "folder and run with --download to fetch it again.")
    index_of = {str(Path(file)): index for index, file in enumerate(files)}
    pairs = val_identities = None
    notes = []
    try:
        listed = torchvision.datasets.LFWPairs(str(root_path), split="test", download=False)
        pairs = [(index_of[str(Path(a))], index_of[str(Path(b))]) for a, b in listed.data
                 if str(Path(a)) in index_of and str(Path(b)) in index_of]
        val_identities = sorted({int(labels[i]) for pair in pairs for i in pair})
        notes.append(f"LFW pairs (test): {len(pairs):,} verification pairs")
    except _LOAD_ERRORS:
        notes.append("LFW's pairs file is not there: verification scores every pair of the validation images")
    return build_identity_split(images, labels, names, input_shape=shape,
                                source=f"LFW (torchvision, {folder}; {len(files):,} images of {len(names):,} people)",
                                val_fraction=val_fraction, seed=seed, notes=notes, val_identities=val_identities,
                                pairs=pairs or None)


def _lfw_error(folder: Path, download: bool, error: Exception) -> DatasetError:
    if download:
        return DatasetError(f"Could not download LFW into {folder} ({error}). Check the internet connection and "
                            f"try again, or put the files of torchvision's layout there ({LFW_LAYOUT}).")
    if not folder.exists() or not any(folder.iterdir()):
        return DatasetError(f"LFW was not found in {folder}. Run with --download to fetch it (about 240 MB), or "
                            f"put the files of torchvision's layout there ({LFW_LAYOUT}).")
    return DatasetError(f"The LFW files in {folder} are unreadable or damaged ({error}). Delete the folder and run "
                        "with --download to fetch them again, or replace them with intact copies.")


def lfw_info() -> DatasetInfo:
    return DatasetInfo(name="lfw", class_names=(), channels=3, native_size=(250, 250), num_samples=13_233,
                       description="LFW (torchvision LFWPeople, 13,233 images of 5,749 people)", target="identity")
