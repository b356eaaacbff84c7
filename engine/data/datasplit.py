"""The records the datasets layer hands out: `DataSplit` and `DatasetInfo`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

from .augment import Augment

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch

    from .stream_data import StreamData
    from .tensor_data import TensorData

    Batches = Union[TensorData, StreamData]


@dataclass
class DataSplit:
    """Train and validation data ready for the trainer.

    Images are already adapted to `input_shape` and normalised with `mean` and
    `std` (per channel, computed on the train split only). A checkpoint records
    `input_shape`, `mean` and `std` so that `predict` can repeat exactly the
    same preprocessing through :func:`engine.data.preprocess_images`.
    """

    train: "Batches"
    val: "Batches"
    class_names: list[str]
    input_shape: tuple[int, int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    source: str
    notes: list[str] = field(default_factory=list)
    #: augmentation that suits this data (no flips for digits, say); the
    #: trainer may use it, change it or leave augmentation off.
    suggested_augment: Augment = field(default_factory=Augment)
    #: "label" (labels are (N,) class indices) or "mask" (labels are (N, H, W) masks; engine.tasks)
    target: str = "label"
    #: the window/level (engine.data.windowing.Window) high-bit-depth files were read through; None: each
    #: file's own. Other files of the same run (a probe image) are read through it too.
    window: Any = None
    #: embedding only: verification pairs (i, j) into the validation order (LFW's pairs.txt); None: every pair
    pairs: list[tuple[int, int]] | None = None

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def close(self) -> None:
        """Ends the worker processes of streamed splits (and the forkserver, when idle); in-memory
        splits have none. The data stays usable: the next epoch starts new workers."""
        from .stream_data import StreamData, stop_idle_forkserver

        streamed = [split for split in (self.train, self.val) if isinstance(split, StreamData)]
        for split in streamed:
            split.close()
        if streamed:
            stop_idle_forkserver()

    def preprocess(self, images) -> "torch.Tensor":
        """Adapt and normalise user images exactly as the training data was."""
        from .adapt import preprocess_images

        return preprocess_images(images, self.input_shape, self.mean, self.std)


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset holds, found cheaply (without loading every image).

    Used to check that a graph fits the data before training ("the Output has
    10 scores but the dataset has 5 classes").
    """

    name: str
    class_names: tuple[str, ...]
    #: channels of the stored images (1 grey, 3 colour)
    channels: int
    #: (height, width) of the stored images; None when they vary or when the
    #: images are generated at whatever size the Input asks for
    native_size: tuple[int, int] | None
    #: images in train and validation together (for folders: image files
    #: found, before unreadable ones are skipped)
    num_samples: int
    description: str = ""
    #: images per class, in `class_names` order; None when not known cheaply
    class_counts: tuple[int, ...] | None = None
    #: class folders left out of `class_names` because none of their images could be read
    left_out: tuple[str, ...] = ()
    #: what a sample's target is: "label" (classification) or "mask" (segmentation; engine.tasks)
    target: str = "label"

    @property
    def num_classes(self) -> int:
        return len(self.class_names)
