"""Weight initialization, as the lecture compares them.

Every initializer is ``f(shape, rng=None, *, <its own keywords>) -> float64 ndarray``
for a weight of shape ``(fan_in, fan_out)`` (graphscope's layers compute ``x @ W``);
the second argument is always the seed, what else an initializer takes is given
by name (``normal(shape, 0, std=0.1)``):

- ``zeros``: every unit computes the same thing and gets the same gradient
  (the symmetry problem);
- ``normal(std=0.01)``: fine for small nets, activations vanish in deep ones;
- ``xavier``: variance 1 / fan_in; ``glorot``: 2 / (fan_in + fan_out);
- ``he``: variance 2 / fan_in (for ReLU).

``rng`` is a seed (int) or a ``numpy.random.Generator``; ``None`` draws fresh
entropy. Biases: ``constant(shape, value=v)`` (0, or the lecture's 0.01 for ReLU).
"""
import functools

import numpy as np

from ..engine import GraphscopeError


def as_rng(rng, who=None, keyword=None):
    """A numpy Generator from a seed, a Generator, or None (fresh entropy).

    `who` ('normal'): the initializer the `rng` was given to, and `keyword` ('std'): its own setting that a
    number in the seed's place was probably meant as; both name the mistake in the message.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    got = repr(rng) if isinstance(rng, (bool, float, np.floating)) else type(rng).__name__
    if who is None:
        raise GraphscopeError(f"rng must be a seed (int), a numpy Generator or None, got {got}")
    meant = (f"; give the {keyword} by name: {who}(shape, {keyword}={rng!r})"
             if keyword and isinstance(rng, (float, np.floating)) else "")
    raise GraphscopeError(f"gs.nn.init.{who}(shape, rng): rng, the second argument, is the seed (an int), a numpy "
                          f"Generator or None, got {got}{meant}")


def _fans(shape):
    if len(shape) < 1:
        raise GraphscopeError(f"weight initializers need a shape with at least one axis, got {shape}")
    fan_in = shape[0]
    fan_out = shape[1] if len(shape) > 1 else shape[0]
    return fan_in, fan_out


def _gaussian(shape, std, rng, who, keyword=None):
    return as_rng(rng, who, keyword).standard_normal(tuple(shape)) * std


def zeros(shape, rng=None):
    """All zeros (breaks nothing but symmetry: every unit stays the same)."""
    as_rng(rng, "zeros")
    return np.zeros(tuple(shape))


def constant(shape, rng=None, *, value=0.0):
    """Every entry `value` (biases: 0, or 0.01 for ReLU units): ``constant(shape, value=0.01)``."""
    as_rng(rng, "constant", "value")
    return np.full(tuple(shape), float(value))


def normal(shape, rng=None, *, std=0.01):
    """N(0, std^2): the lecture's small random numbers (``normal(shape, seed, std=0.1)``)."""
    return _gaussian(shape, std, rng, "normal", "std")


def xavier(shape, rng=None):
    """N(0, 1 / fan_in): keeps the activations' variance through a linear (or tanh) layer."""
    return _gaussian(shape, np.sqrt(1.0 / _fans(shape)[0]), rng, "xavier")


def glorot(shape, rng=None):
    """N(0, 2 / (fan_in + fan_out)): Glorot and Bengio's compromise between forward and backward."""
    fan_in, fan_out = _fans(shape)
    return _gaussian(shape, np.sqrt(2.0 / (fan_in + fan_out)), rng, "glorot")


def he(shape, rng=None):
    """N(0, 2 / fan_in): Xavier corrected for ReLU, which zeroes half its inputs."""
    return _gaussian(shape, np.sqrt(2.0 / _fans(shape)[0]), rng, "he")


INITIALIZERS = {"zeros": zeros, "normal": normal, "xavier": xavier, "glorot": glorot, "he": he}

#: Other names for the same initializers (compared in lower case, '-' as '_'): PyTorch's and Keras's
#: spellings. PyTorch's xavier_normal_ is Glorot's 2 / (fan_in + fan_out); the lecture's Xavier,
#: 1 / fan_in, is LeCun's.
SYNONYMS = {"kaiming": "he", "kaiming_normal": "he", "he_normal": "he", "msra": "he",
            "xavier_normal": "glorot", "glorot_normal": "glorot", "lecun": "xavier", "lecun_normal": "xavier",
            "zero": "zeros", "gaussian": "normal", "randn": "normal"}


def _canonical(name):
    """The INITIALIZERS key a spelling means ('He', 'kaiming' -> 'he'), or None."""
    key = name.strip().lower().replace("-", "_")
    key = SYNONYMS.get(key, key)
    return key if key in INITIALIZERS else None


def get(spec):
    """An initializer from a name ('he', 'normal', ...; any case, or a synonym such as 'kaiming'),
    'normal(std=0.1)'-style text, or a callable."""
    if callable(spec):
        return spec
    suggestion = ""
    if isinstance(spec, str):
        name, _, rest = spec.partition("(")
        key = _canonical(name)
        fn = INITIALIZERS.get(key)
        if fn is not None and not rest:
            return fn
        if fn is normal and rest.endswith(")"):
            std, _, value = rest[:-1].partition("=")
            try:
                if std.strip() == "std":
                    return functools.partial(normal, std=float(value))
            except ValueError:
                pass
        if key is None:
            from ..engine.words import did_you_mean
            suggestion = did_you_mean(name.strip().lower(), list(INITIALIZERS) + list(SYNONYMS))
    raise GraphscopeError(f"unknown initializer {spec!r}: use one of {', '.join(INITIALIZERS)} (any case, or "
                          f"PyTorch's and Keras's names: kaiming, lecun, glorot_normal, ...), 'normal(std=0.1)', "
                          f"or a function f(shape, rng) -> array{suggestion}")
