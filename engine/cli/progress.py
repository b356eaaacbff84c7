"""What ``convcanvas train`` shows while it runs: tqdm bars on a terminal, one line per epoch otherwise."""
from __future__ import annotations

import sys
from typing import Any, TextIO

from ..training import Callback, FitResult, TrainingState


def format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def epoch_line(metrics: dict[str, Any], epochs: int) -> str:
    width = len(str(epochs))
    validation = (f"val loss {metrics['val_loss']:.4f} acc {metrics['val_accuracy']:6.1%}"
                  if metrics["val_loss"] is not None else "(no validation this epoch)")
    if metrics.get("val_mean_auc") is not None:  # classes scored one by one: the ROC AUC
        validation += f" AUC {metrics['val_mean_auc']:.3f}"
    if metrics.get("val_miou") is not None:  # segmentation: the mean IoU says more than pixel accuracy
        validation += f" mIoU {metrics['val_miou']:.3f}"
    if metrics.get("val_map50") is not None:  # detection: mAP, not the centre recall "accuracy"
        validation += f" mAP@.5 {metrics['val_map50']:.3f} mAP@[.5:.95] {metrics['val_map']:.3f}"
    elif "val_map50" in metrics and metrics["val_loss"] is not None:
        validation += " mAP n/a (install faster-coco-eval)"
    if "val_eer" in metrics and metrics["val_loss"] is not None:  # embedding: verification and identification
        validation = f"val loss {metrics['val_loss']:.4f} " + embedding_words(metrics)
    return (f"epoch {metrics['epoch']:>{width}}/{epochs}  "
            f"train loss {metrics['train_loss']:.4f} acc {metrics['train_accuracy']:6.1%}  "
            f"{validation}  lr {metrics['lr']:.2g}  {format_seconds(metrics['seconds'])}")


class ProgressPrinter(Callback):
    """Prints the run's notes, progress and epoch lines to ``stream`` (bars only when it is a terminal)."""

    def __init__(self, stream: TextIO | None = None, bars: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.bars = self.stream.isatty() if bars is None else bars
        self.bar = None

    def write(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def on_fit_start(self, state: TrainingState) -> None:
        for note in state.notes:
            self.write(note)

    def on_epoch_start(self, state: TrainingState) -> None:
        if self.bars:
            from tqdm import tqdm

            self.bar = tqdm(total=state.batches_per_epoch, desc=f"epoch {state.epoch}/{state.epochs}",
                            unit="batch", leave=False, file=self.stream, dynamic_ncols=True)

    def on_batch_end(self, state: TrainingState, metrics: dict[str, Any]) -> None:
        if self.bar is not None:
            self.bar.update(metrics["batch"] - self.bar.n)
            self.bar.set_postfix(loss=f"{metrics['loss']:.4f}", acc=f"{metrics['accuracy']:.1%}",
                                 img_s=f"{metrics['images_per_second']:.0f}", refresh=False)

    def on_validation_end(self, state: TrainingState, metrics: dict[str, Any]) -> None:
        self._close_bar()

    def on_epoch_end(self, state: TrainingState, metrics: dict[str, Any]) -> None:
        self._close_bar()  # an epoch without validation gets no on_validation_end
        self.write(epoch_line(metrics, state.epochs))

    def on_fit_end(self, state: TrainingState, result: FitResult) -> None:
        self._close_bar()

    def on_exception(self, state: TrainingState, error: BaseException) -> None:
        self._close_bar()

    def _close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def summary_lines(result: FitResult) -> list[str]:
    if not result.history:
        return ["stopped before the first epoch finished: no checkpoint was written"]
    lines = []
    state = "stopped early after" if result.stopped else "trained"
    if result.early_stopped:
        lines.append(f"early stopping: the validation loss did not improve for {result.project.training.patience} "
                     "validation(s) in a row")
    best = result.metrics.get("best_metric", "val_accuracy")
    validation = ("no validation yet" if result.best_epoch is None else
                  f"val accuracy {result.val_accuracy:.1%}, val loss {result.val_loss:.4f} "
                  f"(best {result.best_val_accuracy:.1%} at epoch {result.best_epoch})" if best == "val_accuracy" else
                  f"val mean IoU {result.metrics.get('val_miou') or 0:.3f}, pixel accuracy {result.val_accuracy:.1%}, "
                  f"val loss {result.val_loss:.4f} (best mean IoU {result.best_val_accuracy:.3f} at epoch "
                  f"{result.best_epoch})" if best == "val_miou" else
                  f"val mean ROC AUC {result.metrics.get('val_mean_auc') or 0:.3f}, per-finding accuracy "
                  f"{result.val_accuracy:.1%}, val loss {result.val_loss:.4f} (best mean AUC "
                  f"{result.best_val_accuracy:.3f} at epoch {result.best_epoch})" if best == "val_mean_auc" else
                  f"{embedding_words(result.metrics)}, val loss {result.val_loss:.4f} (best AUC "
                  f"{result.best_val_accuracy:.3f} at epoch {result.best_epoch}; threshold at the EER "
                  f"{result.metrics.get('val_threshold') or 0:.3f})" if best == "val_auc" else
                  detection_summary(result))
    lines.append(f"{state} {result.epochs_completed} epoch(s) in {format_seconds(result.seconds)} on {result.device}: "
                 f"{validation}")
    if result.best_checkpoint is not None:
        lines.append(f"best checkpoint: {result.best_checkpoint}")
    if result.last_checkpoint is not None:
        lines.append(f"last checkpoint (to resume): {result.last_checkpoint}")
    return lines


def embedding_words(metrics: dict[str, Any]) -> str:
    """Verification (AUC, EER, TAR at FAR 1e-3) and identification (top-1, top-5) in one line."""
    def share(key: str) -> str:
        return "n/a" if metrics.get(key) is None else f"{metrics[key]:.1%}"

    auc = "n/a" if metrics.get("val_auc") is None else f"{metrics['val_auc']:.3f}"
    return (f"AUC {auc} EER {share('val_eer')} TAR@FAR=1e-3 {share('val_tar_at_far')} "
            f"top-1 {share('val_top1')} top-5 {share('val_top5')}")


def detection_summary(result: FitResult) -> str:
    metrics = result.metrics
    if metrics.get("val_map50") is None:
        return (f"val loss {result.val_loss:.4f}, centre recall {result.val_accuracy:.1%} (mAP needs faster-coco-eval: "
                "pip install faster-coco-eval)")
    return (f"val mAP@.5 {metrics['val_map50']:.3f}, mAP@[.5:.95] {metrics['val_map']:.3f}, val loss "
            f"{result.val_loss:.4f} (best mAP@.5 {result.best_val_accuracy:.3f} at epoch {result.best_epoch})")
