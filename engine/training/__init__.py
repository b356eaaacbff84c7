"""Training: ``Trainer.fit`` with callbacks, stop/pause tokens, checkpoints, resume, probes.

No Qt here: the desktop app drives this from a worker thread, the command
line (``convcanvas train``) and ``torchrun`` drive it directly.
"""

from ..lazy_exports import lazy_exports

__all__ = [
    "ActivationGrid", "Callback", "CallbackList", "CheckpointPaths", "DeviceChoice", "FitError", "FitResult",
    "PauseToken", "ProbeError", "ProbeMailbox", "StopToken", "Trainer", "TrainingError", "TrainingState",
    "adapt_graph_to_dataset", "choose_device", "final_dense", "fit_problems", "output_size",
    "probe_activations", "probe_boxes", "probe_mask", "size_note",
]

# Each name's module is imported on first use: most of them import torch (see engine.lazy_exports).
__getattr__, __dir__ = lazy_exports(__name__, {
    "Callback": ".callbacks",
    "CallbackList": ".callbacks",
    "TrainingState": ".callbacks",
    "PauseToken": ".control",
    "StopToken": ".control",
    "DeviceChoice": ".device",
    "choose_device": ".device",
    "FitError": ".errors",
    "TrainingError": ".errors",
    "adapt_graph_to_dataset": ".fit_check",
    "final_dense": ".fit_check",
    "fit_problems": ".fit_check",
    "output_size": ".fit_check",
    "size_note": ".fit_check",
    "CheckpointPaths": ".outputs",
    "ActivationGrid": ".probe",
    "ProbeError": ".probe",
    "ProbeMailbox": ".probe",
    "probe_activations": ".probe",
    "probe_boxes": ".probe",
    "probe_mask": ".probe",
    "FitResult": ".results",
    "Trainer": ".trainer",
})
