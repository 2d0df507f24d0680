"""A training file: a sample whose build() returns the loss and whose data() returns the data set."""
import numpy as np

from ..userfile import UserFileError, _user_traceback, call_build, load_module, require
from ..engine.errors import GraphscopeError

DATA_WHAT = "a function data() that returns (x_train, y_train, x_val, y_val) as numpy arrays (x_val, y_val may be None)"


def load_training_file(path):
    """(loss tensor, (x_train, y_train, x_val, y_val)) from a training file; a missing part is named."""
    module = load_module(path)
    data_fn = require(module, path, "data", DATA_WHAT)
    if not callable(data_fn):
        raise UserFileError(f"{path}: data is {type(data_fn).__name__}, not a function: define {DATA_WHAT}")
    loss = call_build(module, path)
    try:
        data = data_fn()
    except GraphscopeError as exc:
        raise UserFileError(f"{path}: data() failed: {exc}") from None
    except Exception as exc:
        raise UserFileError(f"{path}: data() failed:\n{_user_traceback(exc, path)}") from None
    if not isinstance(data, (tuple, list)) or len(data) != 4:
        got = f"a {len(data)}-tuple" if isinstance(data, (tuple, list)) else type(data).__name__
        raise UserFileError(f"{path}: data() returned {got}; it must return (x_train, y_train, x_val, y_val) "
                            f"(x_val and y_val may be None)")
    names = ("x_train", "y_train", "x_val", "y_val")
    for name, value in zip(names, data):
        if value is None and name in ("x_val", "y_val"):
            continue
        try:
            arr = np.asarray(value)
        except Exception:
            arr = None
        if arr is None or arr.dtype.kind not in "fiub" or arr.ndim == 0:
            raise UserFileError(f"{path}: data() returned {name} of type {type(value).__name__}; "
                                f"it must be a numeric numpy array with one row per example")
    if (data[2] is None) != (data[3] is None):
        raise UserFileError(f"{path}: data() returned only one of x_val and y_val; return both or neither (None)")
    return loss, tuple(data)
