"""MedMNIST files (``*.npz`` as the medmnist package writes them) read from a local data root.

Spec: ``medmnist:pneumoniamnist`` (or ``medmnist:chestmnist_64`` for a larger size) reads
``<data root>/pneumoniamnist.npz``; a path ending ``.npz`` reads that file. Each file holds
``train_images``/``train_labels``, ``val_images``/``val_labels`` (and ``test_*``): images uint8
(N, H, W) or (N, H, W, 3), labels (N, 1) class indices, or (N, 14) 0/1 findings for ChestMNIST,
which is multi-label (engine.tasks.multilabel). The official validation split is the validation set.
Arrays are read with ``allow_pickle=False``: nothing in the file is executed.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import torch

from ..reading import GB, RefusedFile, open_regular
from .assemble import DEFAULT_MAX_IN_MEMORY_BYTES, LabelledImages, build_split
from .augment import Augment
from .datasplit import DatasetInfo, DataSplit
from .errors import DatasetError
from .findings_split import build_findings_split, findings_info

PREFIX = "medmnist"
ORGANS = ("bladder", "femur-left", "femur-right", "heart", "kidney-left", "kidney-right", "liver", "lung-left",
          "lung-right", "pancreas", "spleen")
MAX_NPZ_BYTES = 16 * GB
#: label names of the 2-D MedMNIST sets (medmnist's INFO), by flag
LABELS: dict[str, tuple[str, ...]] = {
    "pathmnist": ("adipose", "background", "debris", "lymphocytes", "mucus", "smooth muscle",
                  "normal colon mucosa", "cancer-associated stroma", "colorectal adenocarcinoma epithelium"),
    "chestmnist": ("atelectasis", "cardiomegaly", "effusion", "infiltration", "mass", "nodule", "pneumonia",
                   "pneumothorax", "consolidation", "edema", "emphysema", "fibrosis", "pleural", "hernia"),
    "dermamnist": ("actinic keratoses and intraepithelial carcinoma", "basal cell carcinoma",
                   "benign keratosis-like lesions", "dermatofibroma", "melanoma", "melanocytic nevi",
                   "vascular lesions"),
    "octmnist": ("choroidal neovascularization", "diabetic macular edema", "drusen", "normal"),
    "pneumoniamnist": ("normal", "pneumonia"),
    "retinamnist": ("0", "1", "2", "3", "4"),
    "breastmnist": ("malignant", "normal, benign"),
    "bloodmnist": ("basophil", "eosinophil", "erythroblast", "immature granulocytes", "lymphocyte", "monocyte",
                   "neutrophil", "platelet"),
    "tissuemnist": ("collecting duct, connecting tubule", "distal convoluted tubule", "glomerular endothelial cells",
                    "interstitial endothelial cells", "leukocytes", "podocytes", "proximal tubule segments",
                    "thick ascending limb"),
    "organamnist": ORGANS,
    "organcmnist": ORGANS,
    "organsmnist": ORGANS,
}
MULTI_LABEL = frozenset({"chestmnist"})
_KEYS = ("train_images", "train_labels", "val_images", "val_labels")


def is_medmnist_spec(text: str) -> bool:
    return text.strip().lower().startswith(PREFIX + ":") or text.strip().lower().endswith(".npz")


def medmnist_path(spec: str, root: str | os.PathLike | None) -> Path:
    """The npz file a spec names (``medmnist:FLAG`` under ``root``, or a path to a ``.npz``)."""
    text = spec.strip()
    if text.lower().startswith(PREFIX + ":"):
        from .data_root import default_data_root

        flag = text.split(":", 1)[1].strip().lower()
        if not flag:
            raise DatasetError(f"'{text}' names no MedMNIST set: write e.g. 'medmnist:pneumoniamnist'.")
        if Path(flag).name != flag:
            raise DatasetError(f"'{text}': give the set's name (e.g. 'medmnist:pneumoniamnist'), not a path.")
        base = Path(root).expanduser() if root else default_data_root()
        return base / (flag if flag.endswith(".npz") else f"{flag}.npz")
    return Path(text).expanduser()


def _flag(path: Path) -> str:
    """``pneumoniamnist_64.npz`` → ``pneumoniamnist``."""
    return path.name[: -len(".npz")].split("_")[0].lower()


def _read(path: Path, keys=_KEYS) -> dict[str, np.ndarray]:
    if not path.exists():
        sets = ", ".join(sorted(LABELS))
        raise DatasetError(f"No MedMNIST file at {path}. Download it with the medmnist package (e.g. "
                           f"`python -m medmnist download`) or from zenodo, and put {path.name} in {path.parent} "
                           f"(or pass --data-root). Sets: {sets}.")
    try:
        with open_regular(path, "a MedMNIST file", MAX_NPZ_BYTES) as handle, \
                np.load(handle, allow_pickle=False) as arrays:
            missing = [key for key in keys if key not in arrays.files]
            if missing:
                raise DatasetError(f"{path}: not a MedMNIST file: it lacks {', '.join(missing)} (it has "
                                   f"{', '.join(arrays.files[:8]) or 'no arrays'}).")
            return {key: arrays[key] for key in keys}
    except RefusedFile as refused:
        raise DatasetError(str(refused)) from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise DatasetError(f"{path}: a damaged MedMNIST file ({' '.join(str(error).split())[:100]}); download it "
                           "again.") from None


def _images(array: np.ndarray, where: str) -> torch.Tensor:
    if array.dtype != np.uint8 or array.ndim not in (3, 4) or (array.ndim == 4 and array.shape[3] not in (1, 3)):
        raise DatasetError(f"{where}: images must be uint8 (N, H, W) or (N, H, W, 3), got {array.dtype} "
                           f"{tuple(array.shape)}; the file may be damaged.")
    tensor = torch.from_numpy(np.ascontiguousarray(array))
    return tensor.unsqueeze(1) if tensor.dim() == 3 else tensor.permute(0, 3, 1, 2).contiguous()


def _names(flag: str, labels: np.ndarray, multi: bool) -> tuple[str, ...]:
    if flag in LABELS:
        return LABELS[flag]
    count = labels.shape[1] if multi else int(labels.max(initial=0)) + 1
    return tuple(f"class {i}" for i in range(max(count, 2)))


def load_medmnist(spec: str, input_shape, *, root=None,
                  max_in_memory_bytes: int = DEFAULT_MAX_IN_MEMORY_BYTES, seed: int = 0) -> DataSplit:
    path = medmnist_path(spec, root)
    arrays = _read(path)
    flag = _flag(path)
    multi = flag in MULTI_LABEL or arrays["train_labels"].ndim == 2 and arrays["train_labels"].shape[1] > 1
    names = _names(flag, arrays["train_labels"], multi)
    parts = []
    for split in ("train", "val"):
        images = _images(arrays[f"{split}_images"], f"{path.name} {split}_images")
        labels = np.asarray(arrays[f"{split}_labels"])
        if labels.shape[0] != images.shape[0]:
            raise DatasetError(f"{path}: {split} has {images.shape[0]} images but {labels.shape[0]} labels; the file "
                               "may be damaged.")
        parts.append((images, labels))
    source = f"{path.name} (MedMNIST {flag}, {sum(len(p[0]) for p in parts):,} images)"
    if multi:
        return build_findings_split(*[(images, torch.from_numpy(labels.astype(np.float32))) for images, labels in parts],
                                    input_shape=input_shape, finding_names=names, source=source)
    (train_x, train_y), (val_x, val_y) = parts
    return build_split(LabelledImages(train_x, torch.from_numpy(train_y.reshape(-1).astype(np.int64))),
                       LabelledImages(val_x, torch.from_numpy(val_y.reshape(-1).astype(np.int64))),
                       input_shape=input_shape, class_names=names, source=source, seed=seed,
                       max_in_memory_bytes=max_in_memory_bytes, suggested_augment=Augment(flip=False))


def medmnist_info(spec: str, root=None) -> DatasetInfo:
    path = medmnist_path(spec, root)
    arrays = _read(path, ("train_images", "train_labels", "val_images"))
    flag = _flag(path)
    images, labels = arrays["train_images"], arrays["train_labels"]
    multi = flag in MULTI_LABEL or labels.ndim == 2 and labels.shape[1] > 1
    names = _names(flag, labels, multi)
    channels = 3 if images.ndim == 4 and images.shape[3] == 3 else 1
    count = images.shape[0] + arrays["val_images"].shape[0]
    description = f"{path.name} (MedMNIST {flag}, {count:,} images)"
    if multi:
        return findings_info(path.name, names, channels, tuple(images.shape[1:3]), count, description,
                             [int(v) for v in labels.sum(0).tolist()])
    return DatasetInfo(name=path.name, class_names=names, channels=channels, native_size=tuple(images.shape[1:3]),
                       num_samples=count, description=description,
                       class_counts=tuple(int((labels.reshape(-1) == i).sum()) for i in range(len(names))))
