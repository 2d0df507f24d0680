"""The trainer's plain settings checked in one place: one line per bad value, in the CLI's words."""
import math

import numpy as np

#: What the graph may compute in.
DTYPES = {"float32": np.float32, "float64": np.float64}

_UNSET = object()


def _whole(value, minimum):
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, np.integer)) and value >= minimum


def setting_problems(*, batch_size=_UNSET, epochs=_UNSET, reg=_UNSET, seed=_UNSET, dtype=_UNSET, schedule=_UNSET):
    """One line per bad setting among those given (empty when all are fine)."""
    problems = []
    if batch_size is not _UNSET and not _whole(batch_size, 1):
        problems.append(f"batch_size must be an integer >= 1, got {batch_size!r}")
    if epochs is not _UNSET and not _whole(epochs, 1):
        problems.append(f"epochs must be an integer >= 1, got {epochs!r}")
    if reg is not _UNSET and not (isinstance(reg, (int, float, np.integer, np.floating))
                                  and not isinstance(reg, (bool, np.bool_)) and math.isfinite(reg) and reg >= 0):
        problems.append(f"reg must be a number >= 0, got {reg!r}")
    if seed is not _UNSET and seed is not None and not _whole(seed, 0):
        problems.append(f"seed must be an integer >= 0 or None, got {seed!r}")
    if dtype is not _UNSET and str(dtype) not in DTYPES:
        problems.append(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    if schedule is not _UNSET and schedule is not None and not callable(schedule):
        problems.append(f"schedule must be a function epoch -> learning rate (e.g. gs.optim.exponential(0.1, 0.05)) "
                        f"or None, got {type(schedule).__name__}")
    return problems


def batch_text(batch_size, n_train):
    """'batch 32', or, when `batch_size` is more than the `n_train` examples, the batch the trainer really takes:
    'batch 5 (all of them: --batch-size 64 is more than the 5 examples)' (graphscope train's header, the TUI's
    training screen)."""
    if n_train is None or batch_size <= n_train:
        return f"batch {batch_size}"
    return f"batch {n_train} (all of them: --batch-size {batch_size} is more than the {n_train} examples)"


#: Rows per evaluation pass (it needs no gradient, so bigger chunks than a batch are fine).
VAL_CHUNK = 2048
