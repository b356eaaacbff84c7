"""``Trainer``: trains a project's network on a dataset, headless.

    result = Trainer(project, callbacks=[...], out="runs/lenet5").fit()

The desktop app drives this from a worker thread (with a ``StopToken``, a
``PauseToken`` and a ``ProbeMailbox``), the command line drives it directly,
and ``torchrun`` runs one copy per process. Training works on a snapshot of
the graph, so editing the canvas meanwhile changes nothing.

Reproducibility: the initial weights come from ``torch.manual_seed(seed)``;
every epoch then reseeds torch's global generator (dropout) and makes a
fresh generator (shuffling, augmentation) from (seed, epoch), so a run
resumed from a checkpoint continues exactly as if it had never stopped, and
the same seed on the CPU gives the same curves.
"""
from __future__ import annotations

import contextlib
import gc
import math
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..analysis import analyze
from ..checkpoint import Checkpoint, load_checkpoint
from ..compiler import compile_graph, input_shape
from ..config import TrainingConfig
from ..data import Augment, DataSplit
from ..data.balance import EpochOrder, balanced_order, inverse_frequency_weights
from ..finetune import set_train_mode
from ..insight.gradients import GradientCapture, GradientMailbox
from ..project import Project
from ..tasks import task_for
from ..tasks.clinical import CLINICAL_METRIC_NAMES
from ..tasks.embedding import metric_names as embedding_metric_names
from .callbacks import Callback, CallbackList, TrainingState
from .results import FitResult
from .control import PauseToken, StopToken
from .data_setup import check_given_data, load_training_data
from .device import DeviceChoice, choose_device, use_mixed_precision
from .early_stopping import EarlyStopping
from .distributed import DistributedContext, distributed_from_env
from .compile_memory import measurement_key, recall, remember
from .errors import TrainingError
from .evaluation import evaluate
from .fast_path import (StepTrial, channels_last_input, compile_problem, decide, fused_optimizer_supported,
                        is_compile_failure, layer_mix, time_eager_steps, time_layouts, to_channels_last,
                        uses_channels_last)
from .metrics import EpochMeter, mean_and_accuracy, per_class_accuracy
from .optim import build_optimizer, build_scheduler, sync_learning_rate
from .outputs import CheckpointPaths, write_epoch_checkpoints
from .pretrained import apply_freezing, load_initial_weights
from .probe import ProbeMailbox

# In a distributed run, the ranks agree on stop requests and NaN losses every
# this many batches (one tiny all-reduce); a single process checks at every report.
SYNC_EVERY = 16
_NO_BAD_BATCH = 2**40


def epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    """The seed of one epoch's random numbers (distinct per epoch and per rank)."""
    return (seed * 1_000_003 + epoch) * 1_009 + rank


def augmentation_for(config: TrainingConfig) -> Augment | None:
    augment = Augment(crop_padding=None if config.augment_crop else 0, flip=config.augment_flip,
                      scale=config.augment_scale, turn=config.augment_turn)  # zoom: masks and boxes only
    return None if augment.is_identity else augment


class Trainer:
    def __init__(
        self,
        project: Project,
        config: TrainingConfig | None = None,
        *,
        callbacks: Iterable[Callback] = (),
        stop: StopToken | None = None,
        pause: PauseToken | None = None,
        probe: ProbeMailbox | None = None,
        gradients: GradientMailbox | None = None,
        out: str | os.PathLike | None = None,
        adapt: bool = False,
        download: bool = False,
        report_interval: float = 0.05,
    ) -> None:
        """``config`` defaults to the project's own training settings. ``out`` is a folder (``last.pt`` and
        ``best.pt``) or a ``.pt`` path for the best checkpoint; None writes no checkpoints. ``adapt``
        rewrites the snapshot's Input and last Dense to fit the dataset. ``report_interval``: seconds
        between ``on_batch_end`` calls (0: after every batch). ``gradients``: a mailbox for the gradient
        flow view (a step's gradient statistics, captured only while someone watches)."""
        self.project = project
        self.config = config or project.training
        self.callbacks = CallbackList(list(callbacks))
        self.stop = stop or StopToken()
        self.pause = pause or PauseToken()
        self.probe = probe
        self.gradients = gradients
        self.paths = CheckpointPaths.for_output(out) if out is not None else None
        self.adapt = adapt
        self.download = download
        self.report_interval = report_interval

    def fit(self, data: DataSplit | None = None, *, resume: str | os.PathLike | Checkpoint | None = None) -> FitResult:
        """Trains and returns the result; raises ``TrainingError`` (or ``DatasetError``, ``CheckpointError``,
        ``InvalidGraphError``) with a one-line message. ``data`` defaults to ``config.dataset``; ``resume``
        continues from a checkpoint (its network, weights, optimiser, schedule and history)."""
        context = distributed_from_env()
        state = TrainingState(epochs=self.config.epochs, batches_per_epoch=0, class_names=[], device="",
                              rank=context.rank, world_size=context.world_size)
        run = None
        try:
            device = choose_device(self.config.device, context.local_rank)
            context.start(device.device)
            run = _Run(self, state, context, device)
            result = run.execute(data, resume)
            # Rank 0 hosts the rendezvous store: if it tore the group down while another rank was
            # still finishing, that rank's gloo threads aborted ("terminate called ...").
            context.barrier()
        except BaseException as error:
            explained = explain_failure(error, self.config)
            self.callbacks.on_exception(state, explained)
            if explained is error:
                raise
            raise explained from error
        finally:
            if run is not None:
                run.close_owned_data()
            if run is not None and context.active:
                # DDP's reducer must die while its process group lives: freed later, at exit,
                # gloo's threads abort the process ("terminate called without an active exception").
                run.train_model = None
                gc.collect()
            context.stop()
        self.callbacks.on_fit_end(state, result)
        return result


def explain_failure(error: BaseException, config: TrainingConfig) -> BaseException:
    """Turns out-of-memory errors into a ``TrainingError`` with advice; anything else passes through."""
    out_of_memory = isinstance(error, torch.OutOfMemoryError) or (
        isinstance(error, RuntimeError) and "can't allocate memory" in str(error))
    if out_of_memory:
        where = "the GPU" if isinstance(error, torch.OutOfMemoryError) else "the computer"
        return TrainingError(f"{where} ran out of memory: use a smaller batch size (now {config.batch_size}), "
                             "a smaller Input size or fewer channels" +
                             (", or turn on mixed precision" if not config.mixed_precision and
                              isinstance(error, torch.OutOfMemoryError) else "") + ".")
    return error


class _Run:
    """One call of ``Trainer.fit``: everything it builds, and the loops."""

    def __init__(self, trainer: Trainer, state: TrainingState, context: DistributedContext,
                 device: DeviceChoice) -> None:
        self.trainer = trainer
        self.config = trainer.config
        self.state = state
        self.context = context
        self.device = device.device
        self.paths = trainer.paths if context.is_main else None
        state.device = device.description
        state.notes.append(f"device: {device.description}")
        if context.active:
            state.notes.append(f"distributed: process {context.rank + 1} of {context.world_size}, "
                               f"{torch.distributed.get_backend()}")

    # --- setup ------------------------------------------------------------------

    def execute(self, data: DataSplit | None, resume: str | os.PathLike | Checkpoint | None) -> FitResult:
        started = time.perf_counter()
        if self.paths is not None:
            self.paths.check_writable()
        checkpoint = load_checkpoint(resume) if isinstance(resume, (str, os.PathLike)) else resume
        self._prepare(data, checkpoint)
        self.trainer.callbacks.on_fit_start(self.state)
        stopped = self._train_epochs()
        self.model.eval()
        return self._result(stopped, time.perf_counter() - started)

    def _prepare(self, data: DataSplit | None, checkpoint: Checkpoint | None) -> None:
        config, state, trainer = self.config, self.state, self.trainer
        source = checkpoint.project if checkpoint else trainer.project
        graph = source.graph.copy()
        # The task decides the targets, loss and metrics; the loops below only ask it.
        self.task = task_for(source.task)
        adapt = trainer.adapt and checkpoint is None  # a resumed network must keep its shape
        if data is None:
            data, notes = load_training_data(graph, config, adapt=adapt, download=trainer.download,
                                             context=self.context, task=self.task.name)
            self.owns_data = True
        else:
            notes = check_given_data(graph, data, adapt=adapt, task=self.task.name)
            self.owns_data = False
        self.data = data
        if config.hash_file_names:  # names of skipped files may hold a patient's name (engine.privacy)
            from ..privacy import hash_file_names

            notes = [hash_file_names(note) for note in notes]
        state.notes += [f"data: {data.source}, {len(data.train):,} training and {len(data.val):,} validation "
                        "images", *notes]
        self.snapshot = Project(graph, source.name, source.description, config, task=self.task.name)
        state.project, state.config = self.snapshot, config
        state.class_names = list(data.class_names)

        torch.manual_seed(config.seed)
        analysis = analyze(graph, task=self.task.name)
        self.output_shape = next((analysis.nodes[node.id].output_shape for node in graph.nodes_of_type("output")
                                  if node.id in analysis.nodes), None)
        self.model = compile_graph(graph, analysis, name=source.name).to(self.device)
        if checkpoint is None:  # a resumed run has its own weights
            self.task.prepare_model(self.model)
            state.notes += load_initial_weights(trainer.project, graph, self.model)
        trainable, self.frozen, freeze_notes = apply_freezing(graph, self.model)
        state.notes += freeze_notes
        set_train_mode(self.model, self.frozen)
        self.steps = data.train.num_batches(config.batch_size, shard=self.context.shard)
        state.batches_per_epoch = self.steps
        state.model = self.model
        self.trainable = trainable
        self.criterion = self.task.loss(num_classes=len(state.class_names), label_smoothing=config.label_smoothing,
                                        **self._loss_options()).to(self.device)
        amp, note = use_mixed_precision(self.device, config.mixed_precision or (
            config.fast and self.device.type == "cuda"))
        if note:
            state.notes.append(note)
        self.scaler = torch.amp.GradScaler("cuda") if amp else None
        self.autocast = (lambda: torch.autocast("cuda", dtype=torch.float16)) if amp else contextlib.nullcontext
        self.eager_step_seconds: float | None = None  # the fast path's timing, when it has timed a step
        self.channels_last = config.fast and self._choose_layout(graph)
        if self.channels_last:  # before the optimiser: its state must be laid out as the weights are
            self.model = to_channels_last(self.model)
            torch.backends.cudnn.benchmark = True  # fixed input sizes: let cuDNN pick its fastest kernels
        # A loss with weights of its own (ArcFace's identity centres) learns with the network.
        self.optimizer = build_optimizer([*trainable, *self.criterion.parameters()], config,
                                         fused=config.fast and fused_optimizer_supported(self.device))
        self.scheduler = build_scheduler(self.optimizer, config, self.steps)
        self.augment = augmentation_for(config)
        height, width = data.input_shape[1:]
        if config.augment_turn and height != width:
            raise TrainingError(f"random turns need a square Input but it takes {height}×{width} images: turn "
                                "them off or make the Input's height equal its width.")
        self.resampled = self._resampling()
        self.first_epoch = 1
        self.best_epoch: int | None = None
        self.best_accuracy: float | None = None
        self.last_metrics: dict[str, Any] = {}
        self.last_written: Path | None = None
        self.best_written: Path | None = None
        self.early_stopped = False
        if checkpoint is not None:
            self._resume(checkpoint)
        self.early_stopping = EarlyStopping.from_history(config.patience, self.state.history)
        self.train_model = self._distributed(self.model)  # after resuming: DDP starts from rank 0's weights
        self.eager_train_model = self.train_model
        self.compiled_train_model: nn.Module | None = None
        self.trial: StepTrial | None = None  # set while the first steps time eager against compiled
        if config.fast and self._choose_compile(graph):
            self.trial = StepTrial()

    def _loss_options(self) -> dict[str, Any]:
        """Segmentation's own loss settings (Dice, class weights), multi-label's finding weights, the
        embedding's (which loss, its size), classification's class balance weights."""
        if self.task.target_kind == "identity":
            return {"metric_loss": self.config.metric_loss,
                    "embedding_size": self.output_shape[0] if self.output_shape else 0}
        if self.task.target_kind == "findings":
            return {"class_weights": self._finding_weights()}
        if self.task.target_kind == "label" and self.config.balance == "weight":
            counts = torch.bincount(torch.as_tensor(self.data.train.labels), minlength=len(self.state.class_names))
            weights = inverse_frequency_weights(counts.tolist())
            self.state.notes.append("class balance: loss weighted by inverse class frequency ("
                                    + ", ".join(f"{n} {w:.2f}" for n, w in zip(self.state.class_names, weights)) + ")")
            return {"class_weights": weights}
        if self.task.target_kind != "mask":
            return {}
        weights = [float(w) for w in self.config.class_weights.split(",")] if self.config.class_weights else None
        if weights is not None and len(weights) != len(self.state.class_names):
            raise TrainingError(f"class weights give {len(weights)} numbers but the dataset has "
                                f"{len(self.state.class_names)} classes ({', '.join(self.state.class_names)}).")
        return {"dice": self.config.dice, "class_weights": weights}

    def _finding_weights(self) -> list[float] | None:
        """BCE's positive weight per finding: as given, or ``auto`` (negatives/positives in training)."""
        text = self.config.class_weights.strip()
        if not text:
            return None
        if text.lower() == "auto":
            from ..tasks.multilabel import auto_positive_weights

            weights = auto_positive_weights(self.data.train.labels)
            self.state.notes.append("finding weights (auto, negatives/positives): " + ", ".join(
                f"{name} {weight:.3g}" for name, weight in zip(self.state.class_names, weights)))
            return weights
        weights = [float(w) for w in text.split(",")]
        if len(weights) != len(self.state.class_names):
            raise TrainingError(f"class weights give {len(weights)} numbers but the dataset has "
                                f"{len(self.state.class_names)} findings ({', '.join(self.state.class_names)}).")
        return weights
    def _resampling(self) -> EpochOrder | None:
        """The epoch order holder when the class balance setting asks to resample (classification, one process)."""
        if self.config.balance != "resample" or self.task.target_kind != "label":
            return None
        if self.context.active:
            self.state.notes.append("class balance: a distributed run does not resample; it trains on the "
                                    "shuffled data as it is")
            return None
        self.state.notes.append("class balance: each epoch resamples the training images so every class is "
                                "drawn about equally often")
        return EpochOrder()

    def _timing_batch(self, graph) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch of random images and targets to time steps with, on the run's device. From a fixed
        generator: timing must not move the run's random numbers."""
        generator = torch.Generator().manual_seed(0)
        images = torch.randn(self.config.batch_size, *input_shape(graph), generator=generator)
        target_shape = input_shape(graph)[1:] if self.task.target_kind == "mask" else ()
        labels = torch.randint(0, len(self.state.class_names), (self.config.batch_size, *target_shape),
                               generator=generator)
        if self.task.target_kind == "findings":  # a random set of findings per image
            labels = (torch.rand(self.config.batch_size, len(self.state.class_names), generator=generator) < 0.5).float()
        if self.task.target_kind == "boxes":  # one class-0 box in the middle of each image
            labels = torch.tensor([[[0.0, 0.25, 0.25, 0.75, 0.75]]]).expand(self.config.batch_size, 1, 5)
        return images.to(self.device), labels.to(self.device)

    def _choose_layout(self, graph) -> bool:
        """The fast path's memory layout: channels_last on CUDA; on a CPU whichever layout a timed step
        of this network prefers (``choose_cpu_layout``)."""
        if uses_channels_last(self.device):
            return True
        if self.device.type != "cpu":
            return False
        images, labels = self._timing_batch(graph)
        timing = time_layouts(self.model, images, labels, self.criterion, self.autocast)
        self.state.notes.append(timing.message)
        self.eager_step_seconds = timing.chosen_seconds
        return timing.channels_last

    def _choose_compile(self, graph) -> bool:
        """The fast path's choice: compile when this run is long enough to pay the compile back."""
        problem = compile_problem(self.device)
        if problem is None and self.context.active:
            problem = "a distributed run trains eager"
        if problem is not None:
            self.state.notes.append(f"fast path: not compiling: {problem}; training eager")
            return False
        eager_step = self.eager_step_seconds
        if eager_step is None:
            images, labels = self._timing_batch(graph)
            eager_step = time_eager_steps(self.model, channels_last_input(images) if self.channels_last else images,
                                          labels, self.criterion, self.autocast)
        run_steps = (self.config.epochs - self.first_epoch + 1) * self.steps
        self.measurement_key = measurement_key(self.model, self.device, self.config.batch_size)
        decision = decide(self.snapshot.name or "the network", layer_mix(self.model), eager_step, run_steps,
                          recall(self.measurement_key))
        self.state.notes.append(decision.message)
        if decision.compile:
            self.compiled_train_model = torch.compile(self.train_model)
        return decision.compile

    def _distributed(self, model: nn.Module) -> nn.Module:
        if not self.context.active:
            return model
        from torch.nn.parallel import DistributedDataParallel

        device_ids = [self.device.index] if self.device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=device_ids,
                                       find_unused_parameters=_has_unused_parameters(model))

    def _resume(self, checkpoint: Checkpoint) -> None:
        if list(checkpoint.class_names) != self.state.class_names:
            raise TrainingError(f"the checkpoint was trained on classes {', '.join(checkpoint.class_names)} but "
                                f"the dataset has {', '.join(self.state.class_names)}; resume with its dataset.")
        if checkpoint.epoch >= self.config.epochs:
            raise TrainingError(f"the checkpoint has already trained {checkpoint.epoch} epochs and "
                                f"{self.config.epochs} were asked for: ask for more epochs to continue it.")
        self.model.load_state_dict(checkpoint.model_state)
        if checkpoint.loss_state:  # ArcFace's identity centres continue where they were
            self.criterion.load_state_dict(checkpoint.loss_state)
        if checkpoint.optimizer_state is not None:
            self.optimizer.load_state_dict(checkpoint.optimizer_state)
        if checkpoint.scheduler_state is not None:
            self.scheduler.load_state_dict(checkpoint.scheduler_state)
            sync_learning_rate(self.scheduler)
        self.state.history = [dict(entry) for entry in checkpoint.history]
        self.state.global_step = checkpoint.epoch * self.steps
        self.first_epoch = checkpoint.epoch + 1
        score = self.task.score_name
        for entry in self.state.history:
            if entry.get(score) is None:  # an epoch without validation
                continue
            if self.best_accuracy is None or entry[score] > self.best_accuracy:
                self.best_epoch, self.best_accuracy = entry["epoch"], entry[score]
        self.last_metrics = dict(checkpoint.metrics)
        self.state.notes.append(f"resumed after epoch {checkpoint.epoch} of {self.config.epochs}")

    # --- the loops -------------------------------------------------------------------

    def _train_epochs(self) -> bool:
        """Runs the remaining epochs; returns True if a stop request ended the run early."""
        self.run_started = time.perf_counter()
        self.paused_seconds = 0.0
        self.steps_this_run = 0
        self.validation_seconds: list[float] = []
        for epoch in range(self.first_epoch, self.config.epochs + 1):
            if self._agree_to_stop(self.trainer.stop.stopped):
                return True
            epoch_started = time.perf_counter()
            self.state.epoch, self.state.batch = epoch, 0
            self.trainer.callbacks.on_epoch_start(self.state)
            self._loss_parts()  # what earlier calls (the fast-path timing, a stopped epoch) left is not this epoch's
            totals = self._train_one_epoch(epoch)
            if totals is None:
                return True
            self._finish_epoch(epoch, totals, epoch_started)
            if self.early_stopped:
                break
        return False

    def _train_one_epoch(self, epoch: int) -> torch.Tensor | None:
        """Trains one epoch; returns ``[loss × samples, correct, samples]`` summed over ranks, or None if a
        stop request ended it early."""
        config, state, trainer = self.config, self.state, self.trainer
        torch.manual_seed(epoch_seed(config.seed, epoch, self.context.rank))
        generator = torch.Generator().manual_seed(epoch_seed(config.seed, epoch))
        meter = EpochMeter(self.steps, self.device)
        set_train_mode(self.model, self.frozen)  # frozen BatchNorm statistics stay put
        report_at = time.perf_counter() + self.trainer.report_interval
        window = _Window(time.perf_counter())
        sampler = None
        if self.resampled is not None:  # class balance by resampling: each class about equally often
            self.resampled.order = balanced_order(self.data.train.labels, generator).tolist()
            sampler = self.resampled
        batches = self.data.train.iter_batches(config.batch_size, shuffle=True, generator=generator,
                                               augment=self.augment, shard=self.context.shard, sampler=sampler)
        for images, labels in batches:
            images = images.to(self.device, non_blocking=True)
            labels = labels.to(self.device, non_blocking=True)
            if self.channels_last:
                images = channels_last_input(images)
            if self.trial is not None:
                self._trial_step(images, labels, meter)
            else:
                self._step(images, labels, meter, self._gradient_capture())
            state.batch += 1
            state.global_step += 1
            self.steps_this_run += 1
            window.images += labels.shape[0]

            self._wait_while_paused(window)
            if trainer.probe is not None and self.context.is_main:
                trainer.probe.serve(self.model, self._probe_image)
            now = time.perf_counter()
            last = state.batch >= self.steps
            report = last or now >= report_at
            if report:
                report_at = now + trainer.report_interval
            if self.context.active:
                sync = last or state.batch % SYNC_EVERY == 0
            else:
                sync = report or trainer.stop.stopped
            if sync:
                self._check_loss(meter, epoch)
            if report:
                trainer.callbacks.on_batch_end(state, self._batch_metrics(meter, window, now))
            if sync and self._agree_to_stop(trainer.stop.stopped):
                return None
        self._check_loss(meter, epoch)
        return self.context.sum_(meter.totals())

    def _gradient_capture(self) -> GradientCapture | None:
        """A capture of this step's gradient flow when the view watches and one is due (rank 0 only)."""
        mailbox = self.trainer.gradients
        if mailbox is None or not self.context.is_main:
            return None
        return mailbox.begin(self.model)

    def _step(self, images: torch.Tensor, labels: torch.Tensor, meter: EpochMeter,
              capture: GradientCapture | None = None) -> None:
        # A captured step runs eager: hooks on a compiled model would recompile it.
        model = self.train_model if capture is None else self.eager_train_model
        self.optimizer.zero_grad(set_to_none=True)
        with capture if capture is not None else contextlib.nullcontext():
            with self.autocast():
                logits = model(images)
                loss = self.criterion(logits, labels)
            if self.scaler is None:
                loss.backward()
                self._clip_gradients()
                if capture is not None:
                    capture.weights_ready()
                self.optimizer.step()
            else:
                self.scaler.scale(loss).backward()
                if self.config.clip_grad > 0 or capture is not None:
                    self.scaler.unscale_(self.optimizer)  # clip (and measure) the true gradients, not the scaled ones
                self._clip_gradients()
                if capture is not None:
                    capture.weights_ready(activation_scale=float(self.scaler.get_scale()))
                self.scaler.step(self.optimizer)
                self.scaler.update()
        self.scheduler.step()
        meter.record(loss, self.task.correct_and_count(logits, labels), labels.shape[0])
        if capture is not None:
            self.trainer.gradients.deliver(capture.frame(self.state.epoch, self.state.global_step + 1))

    def _trial_step(self, images: torch.Tensor, labels: torch.Tensor, meter: EpochMeter) -> None:
        """One of the run's first steps, timed: eager ones, then compiled ones (``StepTrial``)."""
        trial = self.trial
        self.train_model = self.compiled_train_model if trial.compiled else self.eager_train_model
        started = time.perf_counter()
        if trial.phase == "compile":
            if not self._first_compiled_step(images, labels, meter):
                self.trial = None
                return
        else:
            self._step(images, labels, meter)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)  # kernels run ahead of Python: time the work, not the queueing
        trial.record(time.perf_counter() - started)
        if trial.phase is None:
            self.trial = None
            run_steps = (self.config.epochs - self.first_epoch + 1) * self.steps
            keep, message = trial.verdict(self.snapshot.name or "the network", run_steps - self.steps_this_run - 1,
                                          run_steps)
            self.state.notes.append(message)
            self.train_model = self.compiled_train_model if keep else self.eager_train_model
            remember(self.measurement_key, trial.measured())  # the next run of this network decides from it

    def _first_compiled_step(self, images: torch.Tensor, labels: torch.Tensor, meter: EpochMeter) -> bool:
        """torch.compile compiles on the first call; if its backend fails there, the run goes on eager
        (returns False)."""
        try:
            self._step(images, labels, meter)
            return True
        except Exception as error:
            if not is_compile_failure(error):
                raise
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            self.state.notes.append(f"fast path: compiling failed ({first_line[:200]}); training eager")
            self.train_model = self.eager_train_model
            self._step(images, labels, meter)  # nothing was updated: the failure came before the optimiser
            return False

    def _clip_gradients(self) -> None:
        # After backward, so in a distributed run every rank clips the same all-reduced gradients.
        if self.config.clip_grad > 0:
            nn.utils.clip_grad_norm_(self.trainable, self.config.clip_grad)

    def _wait_while_paused(self, window: _Window) -> None:
        if not self.trainer.pause.paused:
            return
        started = time.perf_counter()
        self.trainer.pause.wait_while_paused(self.trainer.stop)
        waited = time.perf_counter() - started
        self.paused_seconds += waited
        window.paused += waited

    def _probe_image(self) -> torch.Tensor:
        images, _ = next(iter(self.data.val.iter_batches(1)))
        return images[0]

    def _agree_to_stop(self, requested: bool) -> bool:
        """In a distributed run every rank stops together (if any rank was asked to)."""
        if not self.context.active:
            return requested
        flag = torch.tensor([float(requested)], device=self.device)
        return bool(self.context.max_(flag).item())

    def _check_loss(self, meter: EpochMeter, epoch: int) -> None:
        """Raises ``TrainingError`` naming the first batch (on any rank) whose loss was NaN or infinite."""
        bad = meter.first_nonfinite()
        if self.context.active:
            flag = torch.tensor([0.0 if bad is None else float(_NO_BAD_BATCH - bad)], device=self.device)
            agreed = int(self.context.max_(flag).item())
            bad = None if agreed == 0 else _NO_BAD_BATCH - agreed
        if bad is None:
            return
        value = float(meter.losses[bad]) if bad < meter.batches else float("nan")
        kind = "NaN (not a number)" if math.isnan(value) else "infinite"
        where = f" Last good checkpoint: {self.last_written}." if self.last_written else ""
        raise TrainingError(
            f"training diverged at epoch {epoch}, batch {bad + 1} of {self.steps}: the loss became {kind}. "
            f"Lower the learning rate (it is {self.config.lr:g}) or check the data for broken values.{where}",
            last_checkpoint=self.last_written)

    def _batch_metrics(self, meter: EpochMeter, window: _Window, now: float) -> dict[str, Any]:
        loss, accuracy = mean_and_accuracy(meter.totals())
        seconds = max(now - window.started - window.paused, 1e-9)
        rate = window.images * self.context.world_size / seconds
        window.restart(now)
        return {
            "epoch": self.state.epoch, "epochs": self.config.epochs, "batch": self.state.batch,
            "batches_per_epoch": self.steps, "global_step": self.state.global_step, "loss": loss,
            "accuracy": accuracy, "images_per_second": rate, "lr": self.optimizer.param_groups[0]["lr"],
            "eta_seconds": self._eta(now),
        }

    def _eta(self, now: float) -> float:
        per_step = (now - self.run_started - self.paused_seconds - sum(self.validation_seconds)) / max(
            1, self.steps_this_run)
        remaining_epochs = self.config.epochs - self.state.epoch
        remaining_steps = (self.steps - self.state.batch) + remaining_epochs * self.steps
        per_validation = (sum(self.validation_seconds) / len(self.validation_seconds)
                          if self.validation_seconds else 0.0)
        every, first, last = self.config.val_every, self.state.epoch, self.config.epochs
        validations_left = last // every - (first - 1) // every + (1 if last % every else 0)
        return max(0.0, remaining_steps * per_step + validations_left * per_validation)

    # --- end of an epoch ------------------------------------------------------------

    def _validates(self, epoch: int) -> bool:
        """Validation runs every ``val_every`` epochs, and always after the last one."""
        return epoch % self.config.val_every == 0 or epoch == self.config.epochs

    def _finish_epoch(self, epoch: int, train_totals: torch.Tensor, epoch_started: float) -> None:
        state, trainer = self.state, self.trainer
        train_loss, train_accuracy = mean_and_accuracy(train_totals)
        parts = self._loss_parts("train_")
        validated = self._validates(epoch)
        if validated:
            validation_started = time.perf_counter()
            val_totals, confusion, task_metrics = self._validate()
            parts.update(self._loss_parts("val_"))
            self.validation_seconds.append(time.perf_counter() - validation_started)
            val_loss, val_accuracy = mean_and_accuracy(val_totals)
            validation = {"val_loss": val_loss, "val_accuracy": val_accuracy, "confusion": confusion.tolist(),
                          "per_class_accuracy": per_class_accuracy(confusion), **task_metrics}
            trainer.callbacks.on_validation_end(state, dict(validation))
        else:  # None, not a stale or made-up number: the curves and printers skip it
            validation = dict.fromkeys(("val_loss", "val_accuracy", "confusion", "per_class_accuracy",
                                        *self._task_metric_names()))
        seconds = time.perf_counter() - epoch_started
        entry = {"epoch": epoch, "train_loss": train_loss, "train_accuracy": train_accuracy,
                 "val_loss": validation["val_loss"], "val_accuracy": validation["val_accuracy"],
                 "lr": self.optimizer.param_groups[0]["lr"], "seconds": seconds,
                 "images_per_second": float(train_totals[2]) / max(seconds, 1e-9),
                 # The task's scalar scores (mean IoU…) belong to the curves and the history too.
                 **{key: value for key, value in validation.items()
                    if key in self._task_metric_names() and not isinstance(value, (list, dict))},
                 **parts}
        state.history.append(entry)
        score = validation.get(self.task.score_name)
        is_best = validated and score is not None and (self.best_accuracy is None or score > self.best_accuracy)
        if is_best:
            self.best_epoch, self.best_accuracy = epoch, score
        if validated and self.early_stopping.update(validation["val_loss"]) and epoch < self.config.epochs:
            self.early_stopped = True
            state.notes.append(self.early_stopping.note(epoch))
        self.last_metrics = {**entry, **validation, "best_epoch": self.best_epoch,
                             "best_val_accuracy": self.best_accuracy, "best_metric": self.task.score_name}
        self._write_checkpoints(epoch, is_best)
        trainer.callbacks.on_epoch_end(state, {**self.last_metrics, "checkpoint": _text(self.last_written)})

    def _loss_parts(self, prefix: str = "") -> dict[str, float | None]:
        """The loss's parts since the last call (detection: heat map and box), named with ``prefix``; {} when
        the loss has no parts. A rank's own batches: the parts are for the curves, not for decisions."""
        take = getattr(self.criterion, "take_part_means", None)
        return {prefix + key: value for key, value in take().items()} if take is not None else {}

    def _task_metric_names(self) -> tuple[str, ...]:
        return {"mask": ("val_pixel_accuracy", "val_iou", "val_miou"),
                "boxes": ("val_map50", "val_map", "val_ap", "val_pr"),
                "findings": CLINICAL_METRIC_NAMES, "identity": embedding_metric_names()}.get(self.task.target_kind, ())

    def _validate(self) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
        """Each rank checks a disjoint share of the validation images; the counts are summed."""
        sampler = (range(self.context.rank, len(self.data.val), self.context.world_size)
                   if self.context.active else None)
        totals, confusion, task_metrics = evaluate(
            self.model, self.data.val, criterion=self.criterion, num_classes=len(self.state.class_names),
            batch_size=self.config.batch_size * 2, device=self.device, autocast=self.autocast, sampler=sampler,
            task=self.task, metric_options=self._metric_options(), pairs=self.data.pairs)
        return self.context.sum_(totals).cpu(), self.context.sum_(confusion).cpu(), task_metrics

    def _metric_options(self) -> dict[str, Any]:
        """The operating point's target sensitivity, for the tasks that score classes one by one."""
        if self.task.target_kind in ("label", "findings"):
            return {"target_sensitivity": self.config.target_sensitivity}
        return {}

    def _write_checkpoints(self, epoch: int, is_best: bool) -> None:
        if self.paths is None:
            return
        write_epoch_checkpoints(
            self.paths, is_best=is_best, project=self.snapshot, model_state=self.model.state_dict(),
            class_names=self.state.class_names, mean=self.data.mean, std=self.data.std,
            metrics=self.last_metrics, history=self.state.history, epoch=epoch,
            optimizer_state=self.optimizer.state_dict(), scheduler_state=self.scheduler.state_dict(),
            config=self.config.to_dict(), loss_state=self.criterion.state_dict() or None)
        self.last_written = self.paths.last
        if is_best:
            self.best_written = self.paths.best

    def close_owned_data(self) -> None:
        """A run's data workers end with the run (finished, stopped or failed); data the caller
        gave is the caller's to close."""
        if getattr(self, "owns_data", False):
            self.data.close()

    def _result(self, stopped: bool, seconds: float) -> FitResult:
        return FitResult(
            project=self.snapshot, model=self.model, history=list(self.state.history), metrics=self.last_metrics,
            epochs_completed=len(self.state.history), stopped=stopped, best_epoch=self.best_epoch,
            best_val_accuracy=self.best_accuracy, last_checkpoint=self.last_written,
            best_checkpoint=self.best_written, class_names=self.state.class_names, device=self.state.device,
            notes=list(self.state.notes), seconds=seconds, early_stopped=self.early_stopped)


@dataclass
class _Window:
    """Images and pause time since the last batch report (for images per second)."""

    started: float
    images: int = 0
    paused: float = 0.0

    def restart(self, now: float) -> None:
        self.started, self.images, self.paused = now, 0, 0.0


def _text(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def _has_unused_parameters(model: torch.fx.GraphModule) -> bool:
    """True when some weights never reach the output (a dead branch), which DDP must be told about."""
    output = next(node for node in model.graph.nodes if node.op == "output")
    live, stack = set(), [output]
    while stack:
        node = stack.pop()
        if node not in live:
            live.add(node)
            stack.extend(node.all_input_nodes)
    used = {node.target for node in live if node.op == "call_module"}
    called = {node.target for node in model.graph.nodes if node.op == "call_module"}
    return any(name not in used and any(True for _ in model.get_submodule(name).parameters()) for name in called)
