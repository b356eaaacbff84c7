"""Training: ``Trainer.fit`` with callbacks, stop/pause tokens, checkpoints, resume, probes.

No Qt here: the desktop app drives this from a worker thread, the command
line (``convcanvas train``) and ``torchrun`` drive it directly.
"""
from .callbacks import Callback, CallbackList, TrainingState
from .control import PauseToken, StopToken
from .device import DeviceChoice, choose_device
from .errors import FitError, TrainingError
from .fit_check import adapt_graph_to_dataset, final_dense, fit_problems, output_size, size_note
from .outputs import CheckpointPaths
from .probe import ActivationGrid, ProbeError, ProbeMailbox, probe_activations
from .trainer import FitResult, Trainer

__all__ = [
    "ActivationGrid", "Callback", "CallbackList", "CheckpointPaths", "DeviceChoice", "FitError", "FitResult",
    "PauseToken", "ProbeError", "ProbeMailbox", "StopToken", "Trainer", "TrainingError", "TrainingState",
    "adapt_graph_to_dataset", "choose_device", "final_dense", "fit_problems", "output_size",
    "probe_activations", "size_note",
]
