"""A training file: a sample whose build() returns the loss, whose data() returns the data set, and which may
suggest its own training settings with settings()."""
import math
import os

from ..engine.words import did_you_mean
from ..train.labels import label_shape_problem
from ..train.search_result import MAX_EPOCHS
from ..userfile import (DATA_WHAT, UserFileError, _call_user, call_build, is_python_file, load_module,
                        split_target, training_data)

#: What a training file must define, and why.
NEEDS = ("a training file is a .py that defines build() (returning the loss) and data() (returning "
         "x_train, y_train, x_val, y_val)")

#: What settings() may set (in the order train's header lists them), each with a check of its value and what
#: it must be.
SETTINGS = {
    "optimizer": (lambda v: isinstance(v, str), "an optimizer's name, e.g. 'adam'"),
    "lr": (lambda v: _number(v) and math.isfinite(v) and v > 0, "a finite number greater than 0"),
    "schedule": (lambda v: v is None or isinstance(v, str), "None or a schedule as --schedule takes it, "
                                                             "e.g. 'exp:0.02'"),
    "batch_size": (lambda v: _whole(v) and v >= 1, "a whole number of at least 1"),
    "reg": (lambda v: _number(v) and math.isfinite(v) and v >= 0, "a number >= 0"),
    "seed": (lambda v: _whole(v), "a whole number"),
    "dtype": (lambda v: v in ("float32", "float64"), "'float32' or 'float64'"),
    "epochs": (lambda v: _whole(v) and 1 <= v <= MAX_EPOCHS, f"a whole number from 1 to {MAX_EPOCHS:,}"),
}

#: Other names people give the settings (lower case), for the did-you-mean of an unknown one.
SETTING_ALIASES = {"learning_rate": "lr", "learningrate": "lr", "step_size": "lr", "batch": "batch_size",
                   "batchsize": "batch_size", "minibatch_size": "batch_size", "n_epochs": "epochs",
                   "num_epochs": "epochs", "max_epochs": "epochs", "epoch": "epochs", "weight_decay": "reg",
                   "l2": "reg", "lambda": "reg", "regularization": "reg", "optim": "optimizer", "opt": "optimizer",
                   "optimiser": "optimizer", "lr_schedule": "schedule", "scheduler": "schedule", "decay": "schedule",
                   "lr_decay": "schedule", "random_seed": "seed", "rng": "seed", "precision": "dtype"}


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _whole(v):
    return isinstance(v, int) and not isinstance(v, bool)


class TrainingFile:
    """A loaded training file: its module, its path and the settings it suggests (``{}`` without settings())."""

    def __init__(self, path):
        if not is_python_file(path):
            saved = " is a saved graph: it holds a graph but no data to train it on" \
                if path.endswith(".gsgraph") else " is not a Python file"
            raise UserFileError(f"{path}{saved}; {NEEDS}")
        self.path = path
        self.module = load_module(path)
        missing = [f"{name}()" for name in (split_target(path)[1], "data") if not hasattr(self.module, name)]
        if len(missing) == 2:
            raise UserFileError(f"{path} defines neither build() nor data(): {NEEDS}")
        if missing == ["data()"]:
            raise UserFileError(f"{path} does not define data(): add {DATA_WHAT}")
        self.settings = file_settings(self.module, path)

    @property
    def name(self):
        return os.path.basename(self.path)

    def load(self):
        """(loss tensor, (x_train, y_train, x_val, y_val)): data() is called, then build()."""
        data = training_data(self.module, self.path)
        loss = call_build(self.module, self.path)
        for name, y in (("y_train", data[1]), ("y_val", data[3])):
            problem = None if y is None else label_shape_problem(y, loss.graph(), name)
            if problem:  # before anything is said or trained, naming data(), not the op that would fail at replay
                raise UserFileError(f"{self.path}: data() returned {problem}")
        return loss, data


def file_settings(module, path):
    """The settings a training file's settings() suggests ({} without one), each checked; a bad one is named."""
    fn = getattr(module, "settings", None)
    if fn is None:
        return {}
    example = "e.g. return {'optimizer': 'adam', 'lr': 0.01, 'epochs': 150, 'batch_size': 30}"
    if not callable(fn):
        raise UserFileError(f"{path}: settings is {type(fn).__name__}, not a function: define settings() returning "
                            f"a dict of training settings ({example})")
    got = _call_user(fn, path, "settings()")
    if not isinstance(got, dict):
        raise UserFileError(f"{path}: settings() returned {type(got).__name__}; it must return a dict ({example})")
    problems = []
    for key, value in got.items():
        if key not in SETTINGS:
            problems.append(f"unknown setting {key!r}{did_you_mean(str(key), list(SETTINGS), SETTING_ALIASES)}")
        elif not SETTINGS[key][0](value):
            problems.append(f"{key} {value!r}; it must be {SETTINGS[key][1]}")
    if problems:  # every bad key and value at once: one fix, not one run per mistake
        known = f"\n  (known settings: {', '.join(SETTINGS)})" if any("unknown" in p for p in problems) else ""
        if len(problems) == 1:
            raise UserFileError(f"{path}: settings() returned {problems[0]}{known}")
        raise UserFileError(f"{path}: settings() returned {len(problems)} bad settings:\n  "
                            + "\n  ".join(problems) + known)
    return dict(got)
