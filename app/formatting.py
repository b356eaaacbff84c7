"""Numbers as the app shows them: exact counts and compact sizes."""
from __future__ import annotations


def count_text(number: int) -> str:
    """``61706`` → ``61,706``."""
    return f"{number:,}"


def compact_text(number: int) -> str:
    """``416_512`` → ``416.5 K``; ``25_557_032`` → ``25.6 M``; small numbers stay exact."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if number >= size:
            return f"{number / size:,.1f} {unit}"
    return str(number)
