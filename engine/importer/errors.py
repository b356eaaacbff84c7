"""What an import reports when it cannot be done: every unsupported operation, by name and place."""
from __future__ import annotations

from dataclasses import dataclass

LISTED = 20
"""How many unsupported operations a message lists before "… and N more"."""


@dataclass(frozen=True)
class Unsupported:
    """One operation of the traced network that no ConvCanvas block computes."""

    name: str
    """The operation: ``nn.LSTM``, ``torch.sigmoid``, ``Tensor.mean``, a custom module's class."""
    location: str
    """Where it is: the module path and the torch.fx node (``layer1.0.se (node layer1_0_se_fc1)``)."""
    what: str
    """Why it cannot be imported, and what to do where something can be done."""

    def __str__(self) -> str:
        return f"{self.name} at {self.location}: {self.what}"


class ModelImportError(ImportError):
    """A network that cannot be imported; the message says why (one line, then any operations listed)."""

    def __init__(self, message: str, unsupported: list[Unsupported] | None = None) -> None:
        self.unsupported = list(unsupported or [])
        self.summary = message
        lines = [message, *(f"- {item}" for item in self.unsupported[:LISTED])]
        if len(self.unsupported) > LISTED:
            lines.append(f"… and {len(self.unsupported) - LISTED} more")
        super().__init__("\n".join(lines))

    def __str__(self) -> str:
        return self.args[0]
