"""A dataset's summary: counts per class and split, the balance warning, statistics and problems.

``convcanvas data`` prints it; the Data view shows the same pieces."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .balance import count_classes
from .data_problems import DataProblem, scan_problems
from .sample_index import SampleIndex
from .stream_stats import streamed_channel_stats


def summarise(samples: SampleIndex, input_shape: Sequence[int], *, statistics: bool = True,
              problems: bool = True) -> dict[str, Any]:
    counts = count_classes(samples.labels, samples.split, samples.class_names)
    summary: dict[str, Any] = {
        "source": samples.source, "target": samples.target, "classes": list(samples.class_names),
        "train": int((samples.split == 0).sum()), "val": int((samples.split == 1).sum()),
        "excluded": list(samples.excluded),
    }
    if samples.target == "label":
        summary["counts"] = {"train": list(counts.train), "val": list(counts.val)}
        summary["balance_warning"] = counts.warning()
    if statistics:
        mean, std, counted = streamed_channel_stats(samples, input_shape)
        summary["statistics"] = {"input_shape": list(input_shape), "mean": list(mean), "std": list(std),
                                 "images": counted}
    if problems:
        summary["problems"] = [problem.as_dict() for problem in scan_problems(samples)]
    return summary


def summary_text(summary: dict[str, Any]) -> str:
    lines = [summary["source"], f"{summary['train']:,} training and {summary['val']:,} validation samples, "
             f"{len(summary['classes'])} classes"]
    if summary["excluded"]:
        lines.append(f"{len(summary['excluded']):,} file(s) excluded by the project")
    if "counts" in summary:
        width = max(len(name) for name in summary["classes"])
        lines += ["", f"{'class'.ljust(width)}  {'train':>8}  {'val':>8}"]
        for name, train, val in zip(summary["classes"], summary["counts"]["train"], summary["counts"]["val"]):
            lines.append(f"{name.ljust(width)}  {train:>8,}  {val:>8,}")
        if summary["balance_warning"]:
            lines += ["", f"warning: {summary['balance_warning']}"]
    if "statistics" in summary:
        stats = summary["statistics"]
        lines += ["", f"statistics over {stats['images']:,} training images at "
                  f"{'×'.join(map(str, stats['input_shape']))}: mean "
                  + ", ".join(f"{m:.4f}" for m in stats["mean"]) + ", std "
                  + ", ".join(f"{s:.4f}" for s in stats["std"])]
    if "problems" in summary:
        found = summary["problems"]
        lines += ["", f"{len(found)} problem(s) found" + (":" if found else ".")]
        lines += [f"  {p['kind']}: {p['file']}: {p['message']}" for p in found]
    return "\n".join(lines)


__all__ = ["summarise", "summary_text", "DataProblem"]
