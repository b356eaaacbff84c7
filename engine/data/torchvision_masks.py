"""Segmentation sets through torchvision: Pascal VOC (VOCSegmentation) and Oxford-IIIT Pet (trimaps).

They are read from a local data root (``--data-root``), with the same
missing/damaged messages as the classification sets; both give PIL pairs,
adapted here to the Input size as they are read (image bilinear, mask nearest).
"""
from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import torch

from .adapt import adapt_images, pil_to_tensor
from .datasplit import DatasetInfo
from .mask_split import MaskedImages, resize_masks
from .torchvision_sets import _LOAD_ERRORS, TorchvisionSet, _explain, _resolve_root

VOC_CLASSES = ("background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
               "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train",
               "tvmonitor")
PET_CLASSES = ("background", "pet")
IGNORE = 255

MASK_SETS: dict[str, TorchvisionSet] = {
    "voc": TorchvisionSet(
        "voc", "Pascal VOC 2012 segmentation", "VOCSegmentation", "VOCdevkit/VOC2012",
        ("ImageSets/Segmentation/train.txt", "ImageSets/Segmentation/val.txt"), 3, (0, 0), 1_464, 1_449,
        VOC_CLASSES, "about 2 GB", flip_safe=True),
    "pets": TorchvisionSet(
        "pets", "Oxford-IIIT Pet (segmentation)", "OxfordIIITPet", "oxford-iiit-pet",
        ("annotations/trainval.txt", "annotations/test.txt"), 3, (0, 0), 3_680, 3_669,
        PET_CLASSES, "about 800 MB", flip_safe=True),
}


def _pet_mask(trimap: np.ndarray) -> np.ndarray:
    """Trimap 1 pet, 2 background, 3 border → 1 pet, 0 background, 255 unlabelled (the border)."""
    return np.select([trimap == 1, trimap == 2], [1, 0], IGNORE)


def _splits(name: str, root: str, download: bool):
    import torchvision.datasets  # imported late: only these sets need it

    if name == "voc":
        make = lambda part, fetch: torchvision.datasets.VOCSegmentation(root, year="2012", image_set=part,
                                                                        download=fetch)
        return make("train", download), make("val", False), lambda mask: mask
    make = lambda part, fetch: torchvision.datasets.OxfordIIITPet(root, split=part, target_types="segmentation",
                                                                  download=fetch)
    return make("trainval", download), make("test", False), _pet_mask


def _read_all(dataset, input_shape, to_classes: Callable[[np.ndarray], np.ndarray]) -> MaskedImages:
    images, masks = [], []
    for index in range(len(dataset)):
        image, mask = dataset[index]
        images.append(adapt_images(pil_to_tensor(image).unsqueeze(0), input_shape))
        values = torch.from_numpy(to_classes(np.asarray(mask, dtype=np.int64)).astype(np.int64))
        masks.append(resize_masks(values.unsqueeze(0), input_shape[1:]))
    return MaskedImages(torch.cat(images), torch.cat(masks))


def load_torchvision_masks(name: str, input_shape, root: str | os.PathLike | None = None,
                           download: bool = False) -> tuple[MaskedImages, MaskedImages, list[str], str]:
    """(train, validation, class names, description), images already at the Input size."""
    spec = MASK_SETS[name]
    root_path = _resolve_root(root)
    try:
        train_set, val_set, to_classes = _splits(name, str(root_path), download)
        train, val = _read_all(train_set, input_shape, to_classes), _read_all(val_set, input_shape, to_classes)
    except _LOAD_ERRORS as error:
        raise _explain(spec, root_path, download, error) from error
    description = (f"{spec.title} (torchvision, {spec.location(root_path)}; {len(train):,} training and "
                   f"{len(val):,} validation images)")
    return train, val, list(spec.class_names), description


def torchvision_masks_info(name: str) -> DatasetInfo:
    spec = MASK_SETS[name]
    return DatasetInfo(name=spec.name, class_names=spec.class_names, channels=3, native_size=None,
                       num_samples=spec.train_count + spec.test_count,
                       description=f"{spec.title} (torchvision, {spec.train_count:,} + {spec.test_count:,} images)",
                       target="mask")
