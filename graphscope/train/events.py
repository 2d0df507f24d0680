"""What a running fit tells its callbacks: small immutable records, safe to hand to another thread."""
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class BatchEnd:
    """One optimizer step done: its loss (with the regularization) and the batch's accuracy.

    Counts: ``epoch`` is 0-based (as in ``EpochEnd``: the first epoch is 0); ``batch`` is 1-based within the
    epoch (1 .. ``batches``: the last batch of an epoch has ``batch == batches``); ``iteration`` is the 1-based
    count of steps taken in the run (resumed runs continue counting), so ``BatchEnd(epoch=0, iteration=4,
    batch=4, batches=4)`` is the fourth and last step of the first epoch. ``lr`` is the rate of that step.
    """

    epoch: int          # 0-based epoch
    iteration: int      # 1-based count of steps taken in the run (resumed runs continue counting)
    batch: int          # 1-based batch within the epoch
    batches: int        # batches per epoch
    loss: float
    accuracy: Optional[float]
    lr: float


@dataclass(frozen=True)
class EpochEnd:
    """One epoch done, with the epoch's figures.

    Counts: ``epoch`` is 0-based (0 .. ``epochs`` - 1: the last one has ``epoch == epochs - 1``), as in
    ``BatchEnd``, whose ``batch`` and ``iteration`` count from 1.
    """

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
