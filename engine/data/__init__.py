"""Datasets behind one interface, adapted to a graph's Input node.

    split = load_dataset("digits", (1, 28, 28))
    for x, y in split.train.iter_batches(64, shuffle=True, generator=g, augment=Augment()):
        ...

Sources: the bundled Digits, generated Shapes, torchvision's MNIST,
Fashion-MNIST and CIFAR-10, and image folders (one sub-folder per class).
Small sets are held as normalised tensors (`TensorData`), large ones are
streamed through DataLoader workers (`StreamData`); both batch the same way.
This package never imports Qt.
"""

from .adapt import preprocess_images
from .assemble import DEFAULT_MAX_IN_MEMORY_BYTES
from .augment import Augment
from .catalog import DATASET_NAMES, DatasetSpec, dataset_info, load_dataset, parse_spec
from .datasplit import DatasetInfo, DataSplit
from .errors import DatasetError
from .shapes import generate_shapes
from .stratify import stratified_split
from .stream_data import StreamData
from .tensor_data import TensorData
from .torchvision_sets import default_data_root, download_torchvision_set

__all__ = [
    "DATASET_NAMES",
    "DEFAULT_MAX_IN_MEMORY_BYTES",
    "Augment",
    "DataSplit",
    "DatasetError",
    "DatasetInfo",
    "DatasetSpec",
    "StreamData",
    "TensorData",
    "dataset_info",
    "default_data_root",
    "download_torchvision_set",
    "generate_shapes",
    "load_dataset",
    "parse_spec",
    "preprocess_images",
    "stratified_split",
]
