"""Weight initialization, as the lecture compares them.

Every initializer is ``f(shape, rng=None) -> float64 ndarray`` for a weight of
shape ``(fan_in, fan_out)`` (graphscope's layers compute ``x @ W``):

- ``zeros``: every unit computes the same thing and gets the same gradient
  (the symmetry problem);
- ``normal(std=0.01)``: fine for small nets, activations vanish in deep ones;
- ``xavier``: variance 1 / fan_in; ``glorot``: 2 / (fan_in + fan_out);
- ``he``: variance 2 / fan_in (for ReLU).

``rng`` is a seed (int) or a ``numpy.random.Generator``; ``None`` draws fresh
entropy. Biases: ``constant(shape, value)`` (0, or the lecture's 0.01 for ReLU).
"""
import functools

import numpy as np

from ..engine import GraphscopeError


def as_rng(rng):
    """A numpy Generator from a seed, a Generator, or None (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise GraphscopeError(f"rng must be a seed (int), a numpy Generator or None, got {type(rng).__name__}")


def _fans(shape):
    if len(shape) < 1:
        raise GraphscopeError(f"weight initializers need a shape with at least one axis, got {shape}")
    fan_in = shape[0]
    fan_out = shape[1] if len(shape) > 1 else shape[0]
    return fan_in, fan_out


def _gaussian(shape, std, rng):
    return as_rng(rng).standard_normal(tuple(shape)) * std


def zeros(shape, rng=None):
    """All zeros (breaks nothing but symmetry: every unit stays the same)."""
    return np.zeros(tuple(shape))


def constant(shape, value=0.0, rng=None):
    """Every entry `value` (biases: 0, or 0.01 for ReLU units)."""
    return np.full(tuple(shape), float(value))


def normal(shape, std=0.01, rng=None):
    """N(0, std^2): the lecture's small random numbers."""
    return _gaussian(shape, std, rng)


def xavier(shape, rng=None):
    """N(0, 1 / fan_in): keeps the activations' variance through a linear (or tanh) layer."""
    return _gaussian(shape, np.sqrt(1.0 / _fans(shape)[0]), rng)


def glorot(shape, rng=None):
    """N(0, 2 / (fan_in + fan_out)): Glorot and Bengio's compromise between forward and backward."""
    fan_in, fan_out = _fans(shape)
    return _gaussian(shape, np.sqrt(2.0 / (fan_in + fan_out)), rng)


def he(shape, rng=None):
    """N(0, 2 / fan_in): Xavier corrected for ReLU, which zeroes half its inputs."""
    return _gaussian(shape, np.sqrt(2.0 / _fans(shape)[0]), rng)


INITIALIZERS = {"zeros": zeros, "normal": normal, "xavier": xavier, "glorot": glorot, "he": he}


def get(spec):
    """An initializer from a name ('he', 'normal', ...), 'normal(std=0.1)'-style text, or a callable."""
    if callable(spec):
        return spec
    if isinstance(spec, str):
        name, _, rest = spec.partition("(")
        fn = INITIALIZERS.get(name.strip())
        if fn is not None and not rest:
            return fn
        if fn is normal and rest.endswith(")"):
            key, _, value = rest[:-1].partition("=")
            try:
                if key.strip() == "std":
                    return functools.partial(normal, std=float(value))
            except ValueError:
                pass
    raise GraphscopeError(f"unknown initializer {spec!r}: use one of {', '.join(INITIALIZERS)}, "
                          f"'normal(std=0.1)', or a function f(shape, rng) -> array")
