"""Data sets for training and their preprocessing, as the lecture does it.

- generated: ``spiral`` (cs231n's K-class spiral), ``moons``;
- bundled: ``digits`` (scikit-learn's 8x8 digits; the optional ``data`` extra);
- from a folder the user names: ``load_mnist`` (IDX files), ``load_cifar10``
  (binary batches), both parsed with numpy, never unpickled (``datafiles``);
- preprocessing: ``zero_center`` and ``standardize`` take their statistics from
  the training set only and apply them to the others; ``train_val_split``.

Features are float32 and labels int64 throughout.
"""
import numpy as np

from ..engine.errors import out_of_memory
from ..engine.words import suggesting_getattr
from .datafiles import CIFAR_CLASSES, DataError, Split, load_cifar10, load_mnist  # noqa: F401

__all__ = ["spiral", "moons", "digits", "load_mnist", "load_cifar10", "zero_center", "standardize",
           "train_val_split", "DataError", "Split", "CIFAR_CLASSES"]


# ---------------------------------------------------------------------- generated sets

def spiral(n_per_class=100, classes=3, seed=0, noise=0.2):
    """cs231n's spiral: `classes` arms of `n_per_class` 2-D points each, not linearly separable.

    Returns ``(x, y)``: x (n_per_class * classes, 2) float32, y int64 class
    ids, ordered class by class (the trainer shuffles).
    """
    _require_count(n_per_class, "n_per_class", 1)
    _require_count(classes, "classes", 2)
    _require_noise(noise, "spiral")
    try:
        rng = np.random.default_rng(seed)
        r = np.linspace(0.0, 1.0, n_per_class)
        x = np.empty((n_per_class * classes, 2))
        for j in range(classes):
            t = np.linspace(j * 4.0, (j + 1) * 4.0, n_per_class) + rng.standard_normal(n_per_class) * noise
            x[j * n_per_class:(j + 1) * n_per_class] = np.c_[r * np.sin(t), r * np.cos(t)]
        return x.astype(np.float32), np.repeat(np.arange(classes, dtype=np.int64), n_per_class)
    except MemoryError:
        raise out_of_memory(f"spiral(n_per_class={n_per_class}, classes={classes})", (n_per_class * classes, 2),
                            np.dtype(np.float64).itemsize) from None


def moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles (as scikit-learn's make_moons), shuffled: ``(x (n, 2) float32, y int64)``."""
    _require_count(n, "n", 2)
    _require_noise(noise, "moons")
    try:
        rng = np.random.default_rng(seed)
        n_outer = n // 2
        t_outer = np.linspace(0.0, np.pi, n_outer)
        t_inner = np.linspace(0.0, np.pi, n - n_outer)
        x = np.concatenate([np.c_[np.cos(t_outer), np.sin(t_outer)],
                            np.c_[1.0 - np.cos(t_inner), 0.5 - np.sin(t_inner)]])
        y = np.concatenate([np.zeros(n_outer, np.int64), np.ones(n - n_outer, np.int64)])
        x += rng.standard_normal(x.shape) * noise
        order = rng.permutation(n)
        return x[order].astype(np.float32), y[order]
    except MemoryError:
        raise out_of_memory(f"moons(n={n})", (n, 2), np.dtype(np.float64).itemsize) from None


def digits():
    """scikit-learn's bundled 8x8 digits: ``(x (1797, 64) float32 pixel values 0..16, y int64 0..9)``.

    The pixels are raw counts from 0 to 16, not scaled (MNIST and CIFAR-10 come in [0, 1]): standardize
    before training, with statistics from the training part only::

        x_train, y_train, x_val, y_val = gs.data.train_val_split(x, y)
        x_train, x_val = gs.data.standardize(x_train, x_val)

    (an He-initialized net on the raw values starts far above log(10), and the sanity check says so).
    Needs scikit-learn: ``pip install -e '.[data]'`` in graphscope's checkout.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DataError("digits() needs scikit-learn, which is not installed; install graphscope's `data` extra: "
                        "pip install scikit-learn (or pip install -e '.[data]' in graphscope's checkout)") from None
    bunch = load_digits()
    return bunch.data.astype(np.float32), bunch.target.astype(np.int64)


# ---------------------------------------------------------------------- preprocessing

def zero_center(x_train, *others):
    """Subtract the training set's per-feature mean from it and from each of `others`.

    ``x_train = zero_center(x_train)``, or ``x_train, x_val = zero_center(x_train, x_val)``:
    one array back for one array given, else a tuple in the same order.
    """
    return _normalize("zero_center", x_train, others, scale=False)


def standardize(x_train, *others, eps=1e-8):
    """Zero-centre and divide by the per-feature std, both from the training set; constant features keep scale 1."""
    return _normalize("standardize", x_train, others, scale=True, eps=eps)


def _normalize(what, x_train, others, scale, eps=0.0):
    x_train = _features(x_train, f"{what}: x_train")
    arrays = [x_train] + [_features(o, f"{what}: argument {i + 2}") for i, o in enumerate(others)]
    if len(x_train) == 0:
        raise DataError(f"{what}: x_train is empty; its statistics are what the other sets are scaled with")
    for i, a in enumerate(arrays[1:]):
        if a.shape[1:] != x_train.shape[1:]:
            raise DataError(f"{what}: argument {i + 2} has examples of shape {a.shape[1:]}, but x_train's are "
                            f"{x_train.shape[1:]}")
    for i, a in enumerate(arrays):
        _require_finite(a, what, "x_train" if i == 0 else f"argument {i + 1}")
    mean = x_train.mean(axis=0, dtype=np.float64)
    std = x_train.std(axis=0, dtype=np.float64) if scale else None
    if scale:
        std = np.where(std > eps, std, 1.0)
    out = tuple(((a - mean) / std if scale else a - mean).astype(np.float32) for a in arrays)
    return out[0] if len(out) == 1 else out


def _require_finite(a, what, name):
    """A DataError naming the first NaN or infinite entry of `a` (its row and column) and how many there are."""
    bad = ~np.isfinite(a)
    if bad.any():
        at = np.unravel_index(int(np.argmax(bad)), a.shape)
        kind = "a NaN" if np.isnan(a[at]) else "an infinite"
        column = f", column {', '.join(str(int(k)) for k in at[1:])}" if len(at) > 1 else ""
        spread = "its statistics would carry it into every example" if name == "x_train" else \
            "it would reach training as it is"
        raise DataError(f"{what}: {name} has {kind} value at row {int(at[0])}{column} ({int(bad.sum())} of "
                        f"{a.size} entries are not finite); {spread}: drop or fill those examples first")


def _features(x, what):
    x = np.asarray(x)
    if x.ndim < 1 or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool) or x.dtype.kind == "c":
        raise DataError(f"{what}: expected an array of examples (a first axis of examples), "
                        f"got {x.dtype} of shape {x.shape}")
    return x


# ---------------------------------------------------------------------- splitting

def train_val_split(x, y, val_fraction=0.2, seed=0):
    """A seeded random split: ``(x_train, y_train, x_val, y_val)``, with at least one example on each side."""
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim < 1 or y.ndim < 1 or len(x) != len(y):
        raise DataError(f"train_val_split: x and y must hold one example per label; got x of shape {x.shape} and "
                        f"y of shape {y.shape}")
    if not 0.0 < val_fraction < 1.0:
        raise DataError(f"train_val_split: val_fraction must be between 0 and 1 (exclusive), got {val_fraction}")
    n = len(x)
    n_val = int(round(n * val_fraction))
    if n_val < 1 or n_val > n - 1:
        raise DataError(f"train_val_split: {n} example(s) with val_fraction={val_fraction} leave "
                        f"{n - n_val} for training and {n_val} for validation; each needs at least one")
    order = np.random.default_rng(seed).permutation(n)
    train, val = order[n_val:], order[:n_val]
    return x[train], y[train], x[val], y[val]


def _require_noise(noise, who):
    """A DataError unless `noise` (the std of the Gaussian noise added) is a finite number >= 0."""
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)) \
            or not np.isfinite(noise) or noise < 0:
        raise DataError(f"{who}: noise must be >= 0 (a finite number: the std of the noise added to each point), "
                        f"got {noise!r:.40}")


def _require_count(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise DataError(f"{name} must be an integer >= {minimum}, got {value!r}")


__getattr__ = suggesting_getattr(globals(), __name__)  # gs.data.load_mnst: did you mean 'load_mnist'?
