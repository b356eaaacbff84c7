"""Training settings, as saved in the ``training`` section of a project file.

Each setting is a ``ParamSpec``, the same kind of spec block parameters use,
so validation, messages and the app's editors come from one place.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .catalogue import ParamError, ParamSpec

#: how the loss treats classes of different sizes (engine.data.balance)
BALANCE_CHOICES = ("none", "weight", "resample")
#: the exclusion list's length in characters: room for tens of thousands of file names
MAX_EXCLUDE_CHARS = 4_000_000

TRAINING_SETTINGS: tuple[ParamSpec, ...] = (
    ParamSpec("dataset", "text", "digits", "A dataset name (digits, shapes, mnist, fashion-mnist, cifar10) "
              "or the path of an image folder with one sub-folder per class.", maximum=4096),
    ParamSpec("data_root", "text", "", "Where torchvision datasets are stored (empty: the default cache).",
              label="Data folder", maximum=4096),
    ParamSpec("epochs", "int", 10, "Passes over the training set.", minimum=1, maximum=100_000),
    ParamSpec("batch_size", "int", 64, "Images per optimisation step.", label="Batch size",
              minimum=1, maximum=65_536),
    ParamSpec("optimizer", "choice", "adam", "How weights are updated.", choices=("sgd", "adam", "adamw")),
    ParamSpec("lr", "float", 0.001, "Learning rate: the step size of each update.", label="Learning rate",
              minimum=1e-8, maximum=10.0),
    ParamSpec("momentum", "float", 0.9, "SGD momentum (SGD only).", minimum=0.0, maximum=1.0,
              exclusive_maximum=True),
    ParamSpec("weight_decay", "float", 0.0, "L2 penalty on the weights.", label="Weight decay",
              minimum=0.0, maximum=1.0),
    ParamSpec("clip_grad", "float", 0.0, "Gradient clipping: scales each step's gradients down so their total "
              "norm is at most this (0: off). Tames exploding gradients.", label="Clip gradients",
              minimum=0.0, maximum=1e6),
    ParamSpec("scheduler", "choice", "none", "How the learning rate changes over the run.",
              label="LR schedule", choices=("none", "step", "cosine", "onecycle")),
    ParamSpec("step_epochs", "int", 5, "Step schedule: epochs between learning-rate drops.",
              label="Step every", minimum=1, maximum=100_000),
    ParamSpec("step_gamma", "float", 0.1, "Step schedule: factor applied at each drop.",
              label="Step factor", minimum=1e-6, maximum=1.0),
    ParamSpec("label_smoothing", "float", 0.0, "Spreads a little target probability over all classes.",
              label="Label smoothing", minimum=0.0, maximum=1.0, exclusive_maximum=True),
    ParamSpec("seed", "int", 0, "Random seed: the same seed gives the same run on CPU.",
              minimum=0, maximum=2**31 - 1),
    ParamSpec("device", "choice", "auto", "Where to train: auto picks CUDA, then MPS, then the CPU.",
              choices=("auto", "cpu", "cuda", "mps")),
    ParamSpec("mixed_precision", "bool", False, "Use 16-bit autocast on CUDA (faster, less memory).",
              label="Mixed precision"),
    ParamSpec("fast", "bool", False, "Fast path: channels-last memory, mixed precision and cuDNN autotuning on "
              "CUDA, and torch.compile when this run is long enough to pay back the compile (it says which it "
              "chose). Results equal the normal path within float rounding.", label="Fast path"),
    ParamSpec("val_fraction", "float", 0.2, "Share of the images held out for validation.",
              label="Validation share", minimum=0.01, maximum=0.9),
    ParamSpec("val_every", "int", 1, "Check the validation images every N epochs (the last epoch always is).",
              label="Validate every", minimum=1, maximum=100_000),
    ParamSpec("patience", "int", 0, "Early stopping: end the run when the validation loss has not improved for "
              "this many validations in a row (0: off).", label="Early-stop patience", minimum=0, maximum=100_000),
    ParamSpec("augment_crop", "bool", False, "Random shifts (pad and crop) of training images.",
              label="Random crop"),
    ParamSpec("augment_flip", "bool", False, "Random horizontal flips (not for digits or text).",
              label="Random flip"),
    ParamSpec("augment_scale", "float", 0.0, "Segmentation and detection: random zoom in by up to this much "
              "(0.25: up to 1.25×), the mask or boxes moved with the image (0: off).", label="Random zoom",
              minimum=0.0, maximum=1.0),
    ParamSpec("augment_turn", "bool", False, "Random quarter turns (0, 90, 180 or 270°) of training images, "
              "the mask or boxes turned with the image; with random flips, all eight symmetries of a square. "
              "Square Inputs only; not for digits or text.", label="Random turns", saved_when_default=False),
    ParamSpec("dice", "bool", False, "Segmentation: add a Dice loss to the per-pixel cross-entropy (helps "
              "small classes).", label="Dice loss"),
    ParamSpec("class_weights", "text", "", "Segmentation: one weight per class for the per-pixel loss, "
              "comma-separated (e.g. 0.2,1,1); empty: all 1. Multi-label: how much a missed positive of each "
              "finding counts against a false alarm, or 'auto' (negatives/positives: rare findings weigh more).",
              label="Class weights", maximum=4096),
    ParamSpec("target_sensitivity", "float", 0.9, "The operating point: for each class (finding) the highest "
              "threshold at which validation still finds this share of the positives; sensitivity and "
              "specificity are reported there.", label="Target sensitivity", minimum=0.01, maximum=1.0,
              saved_when_default=False),
    ParamSpec("hash_file_names", "bool", False, "Privacy: write a hash in place of each image file name in the "
              "run's notes and results (for file names that hold a patient's name or ID).",
              label="Hash file names", saved_when_default=False),
    ParamSpec("balance", "choice", "none", "Classification, for classes with few images: weight the loss by "
              "inverse class frequency, or resample so each class is drawn about equally often (the Data view "
              "offers this).", label="Class balance", choices=BALANCE_CHOICES, saved_when_default=False),
    ParamSpec("exclude", "text", "", "Files of a dataset folder left out of training, one a line, relative to "
              "the folder (the Data view's Problems list sets it); the files themselves stay.",
              label="Excluded files", maximum=MAX_EXCLUDE_CHARS, saved_when_default=False),
    ParamSpec("metric_loss", "choice", "triplet", "Embedding: the metric-learning loss (pytorch-metric-learning): "
              "triplet (margin 0.2, hardest pairs of each batch mined), contrastive (all pairs), or arcface "
              "(angular margin on learned identity centres).", label="Embedding loss",
              choices=("triplet", "contrastive", "arcface"), saved_when_default=False),
)


#: settings that became something else; read from older checkpoints and ignored (the project moves them)
MOVED_SETTINGS = frozenset({"normalisation"})  # now the Input node's parameter (engine.data.normalisation_text)


@dataclass
class TrainingConfig:
    dataset: str = "digits"
    data_root: str = ""
    epochs: int = 10
    batch_size: int = 64
    optimizer: str = "adam"
    lr: float = 0.001
    momentum: float = 0.9
    weight_decay: float = 0.0
    clip_grad: float = 0.0
    scheduler: str = "none"
    step_epochs: int = 5
    step_gamma: float = 0.1
    label_smoothing: float = 0.0
    seed: int = 0
    device: str = "auto"
    mixed_precision: bool = False
    fast: bool = False
    val_fraction: float = 0.2
    val_every: int = 1
    patience: int = 0
    augment_crop: bool = False
    augment_flip: bool = False
    augment_scale: float = 0.0
    augment_turn: bool = False
    dice: bool = False
    class_weights: str = ""
    target_sensitivity: float = 0.9
    hash_file_names: bool = False
    balance: str = "none"
    exclude: str = ""

    @property
    def excluded_files(self) -> list[str]:
        return [line.strip() for line in self.exclude.splitlines() if line.strip()]

    metric_loss: str = "triplet"

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainingConfig:
        """Validates every setting; raises ``ParamError`` naming the bad one."""
        specs = {spec.name: spec for spec in TRAINING_SETTINGS}
        checked = {}
        for key, value in values.items():
            if key in MOVED_SETTINGS:  # a checkpoint's copy of older settings: the project file migrates it
                continue
            if key not in specs:
                raise ParamError(f"unknown training setting {key!r} (known: {', '.join(specs)})")
            try:
                checked[key] = specs[key].validate(value)
            except ParamError as error:
                raise ParamError(f"{key}: {error}") from None
        if checked.get("class_weights"):
            _check_class_weights(checked["class_weights"])
        return cls(**checked)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_saved_dict(self) -> dict[str, Any]:
        """What a project file holds: every setting but those left at a default that is not saved."""
        specs = {spec.name: spec for spec in TRAINING_SETTINGS}
        return {key: value for key, value in self.to_dict().items()
                if specs[key].saved_when_default or value != specs[key].default}

    def replace(self, **changes: Any) -> TrainingConfig:
        """A validated copy with some settings changed (command-line overrides)."""
        return TrainingConfig.from_dict({**self.to_dict(), **changes})



def _check_class_weights(text: str) -> None:
    """Class weights are positive numbers separated by commas (or ``auto``, for multi-label)."""
    if text.strip().lower() == "auto":
        return
    try:
        weights = [float(part) for part in text.split(",")]
    except ValueError:
        weights = []
    if not weights or not all(0 < weight < float("inf") for weight in weights):
        raise ParamError(f"class_weights: must be positive numbers separated by commas (e.g. 0.2,1,1), "
                         f"got {text[:40]!r}")
