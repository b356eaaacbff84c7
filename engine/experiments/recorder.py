"""``RunRecorder``: the trainer callback that keeps one run's folder (rank 0 writes; other ranks do nothing).

    Trainer(project, config, callbacks=[RunRecorder(folder, project, config)], out=folder).fit()

The window, ``convcanvas train`` (and so torchrun) and sweep trials all add
this one callback. Disk work is per epoch (one appended, synced line, one
small atomic ``run.json``, a TensorBoard flush), never per batch.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..analysis import analyze
from ..compiler import input_shape
from ..config import TrainingConfig
from ..fileio import atomic_write_text
from ..project import Project, dumps_project
from ..tasks import task_for
from ..training.callbacks import Callback, TrainingState
from .folders import METRICS_FILE, PROJECT_FILE, SETTINGS_FILE
from .metrics_log import append_metrics, start_metrics
from .status import now_text, write_status, writer_identity

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ..training.probe import ProbeMailbox
    from ..training.results import FitResult
    from .tensorboard_log import TensorBoardLog


BATCH_SCALAR_INTERVAL = 1.0
"""Seconds between batch-level TensorBoard points (epoch points are all kept)."""


class RunRecorder(Callback):
    def __init__(self, folder: str | Path, project: Project, config: TrainingConfig | None = None, *,
                 probe: ProbeMailbox | None = None, tensorboard: bool = True,
                 extra: dict[str, Any] | None = None) -> None:
        """``folder``: the run folder (made by ``new_run_folder``); ``project`` and ``config``: what is
        trained (the trainer's snapshot replaces them once known). ``probe``: the window's feature-map
        mailbox, whose latest frame goes to TensorBoard each epoch. ``extra``: more fields for ``run.json``
        (a sweep's study and trial number)."""
        self.folder = Path(folder)
        self.project = project
        self.config = config or project.training
        self.probe = probe
        self.use_tensorboard = tensorboard
        self.extra = dict(extra or {})
        self.tensorboard: TensorBoardLog | None = None
        self.status: dict[str, Any] | None = None
        self._started = 0.0
        self._ending: str | None = None
        self._next_batch_scalars = 0.0

    def end_as(self, status: str) -> None:
        """How a run its caller ends on purpose will be recorded: a sweep that prunes a trial sets the
        trainer's ``StopToken`` and calls ``end_as("pruned")`` (instead of ``stopped``)."""
        self._ending = status

    def set_fields(self, **fields: Any) -> None:
        """More fields for ``run.json`` (a trial's objective values), written at the next epoch or the end."""
        self.extra.update(fields)
        if self.status is not None:
            self.status.update(fields)

    # --- hooks ----------------------------------------------------------------------

    def on_fit_start(self, state: TrainingState) -> None:
        if not state.is_main:
            return
        project = state.project or self.project
        self.project, self.config = project, state.config or self.config
        atomic_write_text(self.folder / PROJECT_FILE, dumps_project(project))
        atomic_write_text(self.folder / SETTINGS_FILE, _json(self.config.to_dict()))
        start_metrics(self.folder / METRICS_FILE, state.history)
        self.status = self._first_status(state)
        write_status(self.folder, self.status)
        if self.use_tensorboard:
            self._open_tensorboard(state)

    def on_batch_end(self, state: TrainingState, metrics: dict[str, Any]) -> None:
        # The trainer reports every ~50 ms for live views; a curve in TensorBoard needs far fewer points.
        now = time.monotonic()
        if self.tensorboard is not None and now >= self._next_batch_scalars:
            self._next_batch_scalars = now + BATCH_SCALAR_INTERVAL
            self.tensorboard.scalars("batch", {"loss": metrics.get("loss"), "accuracy": metrics.get("accuracy"),
                                               "lr": metrics.get("lr")}, state.global_step)

    def on_epoch_end(self, state: TrainingState, metrics: dict[str, Any]) -> None:
        if not state.is_main or self.status is None:
            return
        entry = state.history[-1]
        append_metrics(self.folder / METRICS_FILE, entry)
        best_value = metrics.get("best_val_accuracy")
        self.status.update(epochs=len(state.history), best_value=best_value, best_epoch=metrics.get("best_epoch"),
                           duration=self._duration(), **writer_identity())
        write_status(self.folder, self.status)
        if self.tensorboard is not None:
            self._epoch_to_tensorboard(state, entry)

    def on_fit_end(self, state: TrainingState, result: FitResult) -> None:
        if not state.is_main:
            return
        if self.status is None:  # fit_start never came (nothing to train): still a listed run
            self.status = self._first_status(state)
        ending = self._ending if self._ending and result.stopped else "stopped" if result.stopped else "finished"
        self.status.update(status=ending, ended=now_text(),
                           epochs=result.epochs_completed, duration=self._duration(),
                           checkpoints={"best": _text(result.best_checkpoint), "last": _text(result.last_checkpoint)})
        self._close(state)

    def on_exception(self, state: TrainingState, error: BaseException) -> None:
        if not state.is_main:
            return
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        # A second Ctrl-C aborts the command line: the run was cut short, not broken.
        ending = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
        try:
            if self.status is None:  # failed before training began (data, graph): the run is still listed
                self.status = self._first_status(state)
            self.status.update(status=ending, ended=now_text(), epochs=len(state.history),
                               duration=self._duration(), error=first[:500])
            self._close(state)
        except Exception as problem:  # the run's own error is the one to report, not its record's
            state.notes.append(f"the run folder could not be updated: {problem}")

    # --- parts ----------------------------------------------------------------------

    def _first_status(self, state: TrainingState) -> dict[str, Any]:
        self._started = time.time()
        project, config = self.project, self.config
        analysis = analyze(project.graph, task=project.task)
        return {
            "status": "running", "started": now_text(), "ended": None, "network": project.name,
            "dataset": config.dataset, "task": project.task, "epochs": len(state.history),
            "epochs_planned": config.epochs, "best_metric": task_for(project.task).score_name, "best_value": None,
            "best_epoch": None, "parameters": analysis.total_params, "macs": analysis.total_macs, "duration": 0.0,
            "device": state.device, "world_size": state.world_size, **self.extra, **writer_identity(),
        }

    def _duration(self) -> float:
        return round(time.time() - self._started, 3) if self._started else 0.0

    def _open_tensorboard(self, state: TrainingState) -> None:
        from .tensorboard_log import TensorBoardLog

        try:
            self.tensorboard = TensorBoardLog(self.folder)
        except Exception as error:  # never fail a run for its logging
            state.notes.append(f"TensorBoard: no event files ({error})")
            return
        if state.model is not None:
            note = self.tensorboard.graph(state.model, input_shape(self.project.graph))
            if note:
                state.notes.append(note)

    def _epoch_to_tensorboard(self, state: TrainingState, entry: dict[str, Any]) -> None:
        board, epoch = self.tensorboard, entry.get("epoch", state.epoch)
        board.scalars("epoch", {key: value for key, value in entry.items() if key != "epoch"}, epoch)
        frame = self.probe.latest() if self.probe is not None else None
        if frame is not None and frame.images.ndim == 3 and frame.images.shape[0]:
            board.feature_maps(frame.node, frame.images, epoch)
        if state.model is not None:
            board.histograms(state.model, epoch)
        board.flush()

    def _close(self, state: TrainingState) -> None:
        if self.tensorboard is not None:
            if state.notes:
                self.tensorboard.text("notes", "\n\n".join(state.notes))
            self.tensorboard.close()
            self.tensorboard = None
        write_status(self.folder, self.status)


def _json(value: Any) -> str:
    return json.dumps(value, indent=1, default=str) + "\n"


def _text(path: Path | None) -> str | None:
    return str(path) if path is not None else None
