"""Datasets behind one interface, adapted to a graph's Input node.

    split = load_dataset("digits", (1, 28, 28))
    for x, y in split.train.iter_batches(64, shuffle=True, generator=g, augment=Augment()):
        ...

Sources: the bundled Digits, generated Shapes, torchvision's MNIST,
Fashion-MNIST and CIFAR-10, image folders (one sub-folder per class; DICOM,
NIfTI and 16-bit images read through the Input's window, see windowing.py),
findings tables (CSV, multi-label) and MedMNIST .npz files.
Small sets are held as normalised tensors (`TensorData`), large ones are
streamed through DataLoader workers (`StreamData`); both batch the same way.
This package never imports Qt.
"""


from ..lazy_exports import lazy_exports

__all__ = [
    "DATASET_NAMES",
    "DEFAULT_MAX_IN_MEMORY_BYTES",
    "SEGMENTATION_DATASET_NAMES",
    "IDENTITY_DATASET_NAMES",
    "DETECTION_DATASET_NAMES",
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

# Each name's module is imported on first use: most of them import torch (see engine.lazy_exports).
__getattr__, __dir__ = lazy_exports(__name__, {
    "preprocess_images": ".adapt",
    "DEFAULT_MAX_IN_MEMORY_BYTES": ".assemble",
    "Augment": ".augment",
    "DATASET_NAMES": ".catalog",
    "SEGMENTATION_DATASET_NAMES": ".catalog",
    "IDENTITY_DATASET_NAMES": ".identities",
    "DETECTION_DATASET_NAMES": ".catalog",
    "DatasetSpec": ".catalog",
    "dataset_info": ".catalog",
    "load_dataset": ".catalog",
    "parse_spec": ".catalog",
    "DatasetInfo": ".datasplit",
    "DataSplit": ".datasplit",
    "DatasetError": ".errors",
    "generate_shapes": ".shapes",
    "stratified_split": ".stratify",
    "StreamData": ".stream_data",
    "TensorData": ".tensor_data",
    "default_data_root": ".data_root",
    "download_torchvision_set": ".torchvision_sets",
})
