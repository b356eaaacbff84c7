"""Run table cells as people read them; the command line and the Runs panel show the same text."""
from __future__ import annotations

from .listing import COLUMNS, RunRow


def compact(number: int | None) -> str:
    """``416_512`` → ``416.5 K``; small numbers stay exact."""
    if number is None:
        return ""
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if number >= size:
            return f"{number / size:,.1f} {unit}"
    return str(number)


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def cell_text(row: RunRow, column: str) -> str:
    if column == "started":
        return row.started[:16].replace("T", " ")  # to the minute: 2026-12-07 17:08
    if column == "epochs":
        return f"{row.epochs}/{row.epochs_planned}" if row.epochs_planned else str(row.epochs)
    if column == "best":
        if row.best_value is None:
            return row.best_metric and f"{row.best_metric} –"
        return f"{row.best_metric} {row.best_value:.4g}"
    if column in ("parameters", "macs"):
        return compact(getattr(row, column))
    if column == "duration":
        return duration_text(row.duration)
    if column == "tags":
        return ", ".join(row.tags)
    return str(getattr(row, column))


def table_lines(rows: list[RunRow]) -> list[str]:
    """A plain-text table: a heading line, then one line per run, columns padded to fit."""
    cells = [[heading for _, heading in COLUMNS]] + [[cell_text(row, key) for key, _ in COLUMNS] for row in rows]
    widths = [max(len(line[index]) for line in cells) for index in range(len(COLUMNS))]
    return ["  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip() for line in cells]
