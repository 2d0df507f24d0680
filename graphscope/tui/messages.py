"""Messages the TUI's widgets post: each a tiny dataclass."""
from dataclasses import dataclass

from textual.message import Message


@dataclass
class NodeChosen(Message):
    """The user picked a node (a tape row, a box in the graph view)."""

    node: object


@dataclass
class StepChanged(Message):
    """The cursor moved (or the recording changed): every view redraws for this step."""

    step: int

    def can_replace(self, message):
        return isinstance(message, StepChanged)
