"""What a running fit tells its callbacks: small immutable records, safe to hand to another thread."""
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class BatchEnd:
    """One optimizer step done: its loss (with the regularization) and the batch's accuracy."""

    epoch: int          # 0-based epoch
    iteration: int      # 1-based count of steps taken in the run (resumed runs continue counting)
    batch: int          # 1-based batch within the epoch
    batches: int        # batches per epoch
    loss: float
    accuracy: Optional[float]
    lr: float


@dataclass(frozen=True)
class EpochEnd:
    """One epoch done (0-based `epoch` of `epochs`), with the epoch's figures."""

    epoch: int
    epochs: int
    loss: float                   # mean over the epoch's iterations
    train_acc: Optional[float]
    val_acc: Optional[float]
    val_loss: Optional[float]
    lr: float
    seconds: float


@dataclass(frozen=True)
class Stopped:
    """The run ended early: `reason` is 'stopped' (trainer.stop()) or 'diverged' (a NaN or inf loss).

    `epoch` is the 0-based epoch the run was in; stopped at an epoch's end ('stopped after epoch N'), it is N,
    the epoch that was not begun.
    """

    reason: str
    epoch: int
    iteration: int
    message: str
