"""``convcanvas train FILE``: train a project's network headless and save checkpoints.

The project's own training settings are the defaults; flags override them.
When resuming, the checkpoint's settings are the defaults instead. Under
``torchrun --nproc_per_node=N -m engine train ...`` every process runs this
command; rank 0 alone prints and writes files.
"""
from __future__ import annotations

import json
import math
import os
import signal
from contextlib import contextmanager
from pathlib import Path

from ..catalogue import ParamError
from ..checkpoint import Checkpoint, CheckpointError, load_checkpoint
from ..compiler import InvalidGraphError
from ..graph import GraphError
from ..config import TrainingConfig
from ..data.windowing import WINDOW_CHOICES
from ..data import DatasetError
from ..experiments.folders import new_run_folder, runs_beside
from ..fileio import check_writable
from ..experiments.recorder import RunRecorder
from ..finetune import freeze_all_but_head
from ..weights import WeightsError, torchvision_name_for, torchvision_weights_file
from ..tasks import TASK_NAMES
from ..training import StopToken, Trainer, TrainingError
from .common import CommandError, open_project
from .clinical import clinical_lines
from .progress import ProgressPrinter, summary_lines

# Flags that override a training setting of the same name.
OVERRIDES = ("dataset", "data_root", "epochs", "batch_size", "lr", "seed", "device", "patience", "clip_grad",
             "val_every", "class_weights", "target_sensitivity", "metric_loss")


def register(subparsers) -> None:
    parser = subparsers.add_parser("train", help="train a project's network on a dataset and save checkpoints")
    parser.add_argument("file", help="a project file (*.cnn.json)")
    parser.add_argument("--dataset", help="digits, shapes, mnist, fashion-mnist, cifar10, or an image folder; "
                                          "for segmentation seg-shapes; for embedding face-shapes, lfw or a "
                                          "folder per identity")
    parser.add_argument("--task", choices=TASK_NAMES,
                        help="what the network does (default: the project's task)")
    parser.add_argument("--loss", dest="metric_loss", choices=("triplet", "contrastive", "arcface"),
                        help="embedding task: the metric-learning loss (default: the project's)")
    parser.add_argument("--data-root", dest="data_root", metavar="DIR", help="where torchvision datasets are stored")
    parser.add_argument("--download", action="store_true", help="let torchvision download a missing dataset")
    parser.add_argument("--epochs", type=int, metavar="N", help="total epochs (when resuming: including those done)")
    parser.add_argument("--batch-size", dest="batch_size", type=int, metavar="N")
    parser.add_argument("--lr", type=float, metavar="X", help="learning rate")
    parser.add_argument("--seed", type=int, metavar="N")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument("--patience", type=int, metavar="N",
                        help="early stopping: stop when the validation loss has not improved for N validations "
                             "(0: off)")
    parser.add_argument("--clip-grad", dest="clip_grad", type=float, metavar="X",
                        help="clip the gradients' total norm to at most X each step (0: off)")
    parser.add_argument("--val-every", dest="val_every", type=int, metavar="N",
                        help="validate every N epochs (the last epoch always is; default 1)")
    parser.add_argument("--fast", action="store_true",
                        help="the fast path: torch.compile when the run is long enough to pay back the compile (it "
                             "says what it chose); on CUDA also channels-last memory and mixed precision")
    parser.add_argument("--out", metavar="CKPT_PATH_OR_DIR",
                        help="the run folder (last.pt, best.pt, metrics, TensorBoard events), or a .pt path for "
                             "the best checkpoint (default: a new folder per run under --runs)")
    parser.add_argument("--runs", metavar="DIR", help="the folder that gets a new run folder per run "
                        "(default: runs/ beside the project file, where the window and sweeps put theirs)")
    parser.add_argument("--resume", metavar="CKPT", help="continue from a checkpoint (e.g. runs/x/last.pt)")
    parser.add_argument("--adapt", action="store_true",
                        help="rewrite the Input channels and the last Dense to fit the dataset if they do not")
    parser.add_argument("--weights", metavar="FILE|torchvision[:NAME[:WEIGHTS]]",
                        help="start from pretrained weights: a weights file (.pt/.pth), or torchvision's for this "
                             "preset (or for NAME, e.g. torchvision:resnet18), downloaded into the torch cache; "
                             "tensors that do not fit (a replaced head) are re-initialised and listed")
    parser.add_argument("--freeze-all-but-head", dest="freeze_all_but_head", action="store_true",
                        help="train only the classifier head (the layers after the last Flatten); the rest keep "
                             "their weights")
    parser.add_argument("--window", choices=WINDOW_CHOICES,
                        help="DICOM, NIfTI and 16-bit images: the window/level (the Input node's; 'file': each "
                             "file's own, or a preset, or 'manual' with --window-centre and --window-width)")
    parser.add_argument("--window-centre", dest="window_centre", type=float, metavar="X",
                        help="manual window: the value shown mid-grey")
    parser.add_argument("--window-width", dest="window_width", type=float, metavar="X",
                        help="manual window: the range of values from black to white")
    parser.add_argument("--class-weights", dest="class_weights", metavar="W,W,...|auto",
                        help="segmentation: per-class loss weights; multi-label: per-finding weights of a missed "
                             "positive, or 'auto' (rare findings weigh more)")
    parser.add_argument("--target-sensitivity", dest="target_sensitivity", type=float, metavar="S",
                        help="the operating point: each class's threshold is the highest reaching this "
                             "sensitivity on validation (0.9)")
    parser.add_argument("--hash-names", dest="hash_names", action="store_true",
                        help="privacy: write hashes in place of image file names in the run's notes")
    parser.add_argument("--json", action="store_true", help="end with one JSON line summing up the run")
    parser.set_defaults(handler=run)


def run(args) -> int:
    project = open_project(args.file)
    if args.task:
        project.task = args.task
    set_window(args, project)
    checkpoint = _open_checkpoint(args.resume) if args.resume else None
    config = training_config(args, project.training, checkpoint)
    set_starting_point(args, project, checkpoint)
    main = int(os.environ.get("RANK", "0")) == 0
    stop = StopToken()
    out, folder = (run_folder(args, project) if main else (args.out, None))
    callbacks = [ProgressPrinter(), RunRecorder(folder, project, config)] if main else []
    trainer = Trainer(project, config, callbacks=callbacks, stop=stop, out=out, adapt=args.adapt,
                      download=args.download)
    try:
        with _stop_on_interrupt(stop):
            result = trainer.fit(resume=checkpoint)
    except (TrainingError, DatasetError, CheckpointError) as error:
        raise CommandError(str(error)) from None
    except InvalidGraphError as error:
        more = f" (and {len(error.issues) - 1} more: see convcanvas summary)" if len(error.issues) > 1 else ""
        raise CommandError(f"the network cannot be built: {error.issues[0]}{more}") from None
    if main:
        for line in summary_lines(result) + clinical_lines(result.metrics, result.class_names):
            print(line)
        print(f"run folder: {folder}")
        if args.json:
            print(json.dumps({**json_summary(result), "run": str(folder)}))
    return 130 if result.stopped else 0


def training_config(args, project_settings: TrainingConfig, checkpoint: Checkpoint | None) -> TrainingConfig:
    """The project's settings (or the resumed checkpoint's), with the flags given on top."""
    base = project_settings
    try:
        if checkpoint is not None:
            base = TrainingConfig.from_dict(checkpoint.config) if checkpoint.config else checkpoint.project.training
        changes = {name: getattr(args, name) for name in OVERRIDES if getattr(args, name) is not None}
        if getattr(args, "fast", False):  # a switch: only turns the fast path on
            changes["fast"] = True
        if getattr(args, "hash_names", False):
            changes["hash_file_names"] = True
        return base.replace(**changes)
    except ParamError as error:
        raise CommandError(f"bad training setting: {error}") from None


def set_window(args, project) -> None:
    """``--window`` (and its centre and width) set the Input node's window, which the run then uses and
    its checkpoints carry."""
    changes = {name: getattr(args, key) for name, key in (("window", "window"), ("window_centre", "window_centre"),
                                                           ("window_width", "window_width"))
               if getattr(args, key, None) is not None}
    if not changes:
        return
    inputs = project.graph.nodes_of_type("input")
    if len(inputs) != 1:
        raise CommandError("--window needs a network with one Input node")
    if "window" not in changes and (changes.keys() & {"window_centre", "window_width"}):
        changes["window"] = "manual"  # a centre or width given by hand is a manual window
    try:
        for name, value in changes.items():
            project.graph.set_param(inputs[0].id, name, value)
    except GraphError as error:
        raise CommandError(f"bad window: {error}") from None


def set_starting_point(args, project, checkpoint: Checkpoint | None) -> None:
    """Applies ``--weights`` and ``--freeze-all-but-head`` to the project (a fresh run only)."""
    if checkpoint is not None and (args.weights or args.freeze_all_but_head):
        raise CommandError("--weights and --freeze-all-but-head start a fresh run; a resumed run keeps the "
                           "checkpoint's weights and frozen layers")
    if args.weights:
        kind, _, rest = args.weights.partition(":")
        if kind == "torchvision" and not Path(args.weights).exists():
            name, _, weights = rest.partition(":")
            name = name or torchvision_name_for(project.name)
            if not name:
                raise CommandError(f"torchvision has no model called like the project {project.name!r}; "
                                   "name one: --weights torchvision:resnet18")
            try:
                found = torchvision_weights_file(name, weights or "DEFAULT")
            except WeightsError as error:
                raise CommandError(str(error)) from None
            project.weights, project.weights_source = str(found.path), found.source
        else:
            project.weights, project.weights_source = str(Path(args.weights).expanduser().resolve()), ""
    if args.freeze_all_but_head:
        freeze_all_but_head(project.graph)


def run_folder(args, project) -> tuple[Path, Path]:
    """Where the checkpoints go and the run folder (rank 0 only). ``--out DIR`` is the run folder itself
    (a resumed run may continue in it); ``--out NAME.pt`` or no ``--out``: a new folder under ``--runs``
    (default ``runs/`` beside the project file), so every run is kept."""
    if args.out and Path(args.out).suffix != ".pt":
        folder = Path(args.out)
        # Before any data is loaded: one line naming what refuses the files (/proc, a file in the path).
        check_writable(folder / "last.pt")
        return folder, folder
    try:
        folder = new_run_folder(Path(args.runs) if getattr(args, "runs", None) else runs_beside(args.file), project.name)
    except OSError as error:
        raise CommandError(f"cannot make the run folder: {error.strerror or error} ({error.filename}); "
                           "choose another with --runs DIR or --out DIR") from None
    return Path(args.out) if args.out else folder, folder


def json_summary(result) -> dict:
    def number(value: float) -> float | None:
        return value if math.isfinite(value) else None

    checkpoint = result.best_checkpoint or result.last_checkpoint
    return {"epochs": result.epochs_completed, "train_loss": number(result.train_loss),
            "val_loss": number(result.val_loss), "val_accuracy": number(result.val_accuracy),
            **({"val_miou": number(result.metrics["val_miou"])} if result.metrics.get("val_miou") is not None else {}),
            **{key: number(result.metrics[key]) for key in ("val_map50", "val_map", "val_auc", "val_eer",
                                                             "val_tar_at_far", "val_threshold", "val_top1", "val_top5")
               if isinstance(result.metrics.get(key), (int, float))},  # per-class lists share some names
            "checkpoint": str(checkpoint) if checkpoint else ""}


def _open_checkpoint(path: str) -> Checkpoint:
    try:
        return load_checkpoint(path)
    except CheckpointError as error:
        raise CommandError(str(error)) from None


@contextmanager
def _stop_on_interrupt(stop: StopToken):
    """The first Ctrl-C ends training after the current batch (keeping checkpoints); a second one aborts."""
    try:
        previous = signal.getsignal(signal.SIGINT)
    except ValueError:  # not the main thread
        yield
        return

    def handle(signum, frame):
        if stop.stopped:
            raise KeyboardInterrupt
        stop.stop()
        print("\nstopping after this batch (Ctrl-C again to abort)", flush=True)

    try:
        signal.signal(signal.SIGINT, handle)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
