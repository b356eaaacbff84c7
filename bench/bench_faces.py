"""How well the face-embedder-small preset verifies unseen face-shapes identities (issue 23's target).

Trains ``presets/face-embedder-small.cnn.json`` with its default settings through ``convcanvas train
--json`` and prints the verification AUC on the validation identities (never trained on) against the
0.95 target as MET/MISSED, with the EER, TAR at FAR 1e-3, identification top-1/top-5 and the time
against a three-minute budget. Not a test: the full default run takes minutes on a busy machine.
"""
from __future__ import annotations

import os

from .preset_runs import train_preset

TARGET_AUC = 0.95
BUDGET_S = 180.0


def main() -> int:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"face-embedder-small preset on face-shapes, {os.cpu_count()} CPUs, load average {load:.1f}", flush=True)
    seconds, summary = train_preset("face-embedder-small", "face-shapes", 0, "--device", "cpu")
    auc = summary["val_auc"]
    print(f"  verification AUC {auc:.3f} (target >= {TARGET_AUC:.2f}): {'MET' if auc >= TARGET_AUC else 'MISSED'}",
          flush=True)
    top5 = summary.get("val_top5")
    print(f"  EER {summary['val_eer']:.1%}, TAR@FAR=1e-3 {summary['val_tar_at_far']:.1%}, identification top-1 "
          f"{summary['val_top1']:.1%}, top-5 {'n/a' if top5 is None else f'{top5:.1%}'}", flush=True)
    ratio = seconds / BUDGET_S
    print(f"  {seconds:.1f} s; ratio to the {BUDGET_S:.0f} s budget {ratio:.2f} (target <= 1.00): "
          f"{'MET' if ratio <= 1.0 else 'MISSED'}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
