"""Copies of an optimizer's state, for the trainer's dtype cast and the sanity checks' put-back."""
import numpy as np


def copied_state(optimizer_or_state, dtype=None):
    """An optimizer's state_dict with every per-parameter array copied (and float arrays cast to `dtype`)."""
    d = optimizer_or_state if isinstance(optimizer_or_state, dict) else optimizer_or_state.state_dict()

    def copy(a):
        a = np.asarray(a)
        return a.astype(dtype) if dtype is not None and a.dtype.kind == "f" else a.copy()
    return {**d, "state": [{k: copy(a) for k, a in (s or {}).items()} for s in d.get("state") or []]}
