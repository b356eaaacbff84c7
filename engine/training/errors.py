"""The exceptions training raises for problems a person can act on."""
from __future__ import annotations

from pathlib import Path


class TrainingError(RuntimeError):
    """Training cannot start or had to stop; the message is one line for people.

    ``last_checkpoint`` is the newest checkpoint written before the failure
    (None if no epoch finished), so a diverged run still leaves its last
    good state behind.
    """

    def __init__(self, message: str, last_checkpoint: Path | None = None) -> None:
        super().__init__(message)
        self.last_checkpoint = last_checkpoint


class FitError(TrainingError):
    """The network does not fit the dataset (class count, channels); ``problems`` lists why."""

    ADAPT_HINT = "Adapt the network to the dataset (convcanvas train --adapt) or pick another dataset."

    def __init__(self, problems: list[str], hint: str = ADAPT_HINT) -> None:
        self.problems = problems
        super().__init__(" ".join([*problems, hint]).strip())
