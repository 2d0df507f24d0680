"""Weight initialization, as the lecture compares them.

Every initializer is ``f(shape, rng=None, *, <its own keywords>) -> float64 ndarray``
for a weight of shape ``(fan_in, fan_out)`` (graphscope's layers compute ``x @ W``).
``zeros``, ``xavier``, ``glorot`` and ``he`` have no numbers of their own: their second
argument is the seed (``he(shape, 0)``). ``normal`` and ``constant`` do, so every number
they take goes by name, the seed too (``normal(shape, std=0.1, rng=0)``,
``constant(shape, value=0.01)``): a number in second place could mean either, and
is refused with one message that names both keywords. Second, they take only what
cannot be mistaken for one of their numbers: a numpy Generator, or None.

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
from ..engine.words import suggesting_getattr as _suggesting_getattr
from .torch_names import INIT as _TORCH_NAMES


def as_rng(rng, who=None, usage=None):
    """A numpy Generator from a seed, a Generator, or None (fresh entropy).

    `who` ('he'): the initializer the `rng` was given to, and `usage` how it is called ('he(shape, rng)', the
    default): both name the mistake in the message.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    got = repr(rng) if isinstance(rng, (bool, float, np.floating)) else type(rng).__name__
    if who is None:
        raise GraphscopeError(f"rng must be a seed (int), a numpy Generator or None, got {got}")
    if usage is None:
        raise GraphscopeError(f"gs.nn.init.{who}(shape, rng): rng, the second argument, is the seed (an int), a "
                              f"numpy Generator or None, got {got}")
    raise GraphscopeError(f"gs.nn.init.{usage}: rng is the seed (an int), a numpy Generator or None, got {got}")


def _fans(shape):
    if len(shape) < 1:
        raise GraphscopeError(f"weight initializers need a shape with at least one axis, got {shape}")
    fan_in = shape[0]
    fan_out = shape[1] if len(shape) > 1 else shape[0]
    return fan_in, fan_out


def _gaussian(shape, std, rng, who, usage=None):
    return as_rng(rng, who, usage).standard_normal(tuple(shape)) * std


def zeros(shape, rng=None):
    """All zeros (breaks nothing but symmetry: every unit stays the same)."""
    as_rng(rng, "zeros")
    return np.zeros(tuple(shape))


def _by_name(who, keyword, args, rng):
    """The `rng` of normal or constant called as ``f(shape, *args, rng=..., <keyword>=...)``: a Generator or None
    may come second (the ``f(shape, rng)`` every initializer answers to); a number there could be the seed or
    the initializer's own number, and is refused with the call to write instead."""
    if not args:
        return rng
    if len(args) == 1 and rng is None and (args[0] is None or isinstance(args[0], np.random.Generator)):
        return args[0]
    given = ", ".join(type(a).__name__ if isinstance(a, np.random.Generator) else repr(a) for a in args)
    head = f"gs.nn.init.{who}(shape, {given}): {who} takes its {keyword} and its seed by name"
    first = args[0]
    if len(args) == 1 and isinstance(first, np.random.Generator):
        raise GraphscopeError(f"{head}; the Generator and rng={rng!r} are both the seed: give one")
    if len(args) >= 2:
        raise GraphscopeError(f"{head}: {who}(shape, {keyword}={first!r}, rng={args[1]!r})")
    if isinstance(first, (int, np.integer)) and not isinstance(first, bool):
        raise GraphscopeError(f"{head}: {who}(shape, {keyword}={first!r}) or, if {first!r} is the seed, "
                              f"{who}(shape, rng={first!r})")
    raise GraphscopeError(f"{head}: {who}(shape, {keyword}={first!r})")


def constant(shape, *args, value=0.0, rng=None):
    """Every entry `value` (biases: 0, or 0.01 for ReLU units): ``constant(shape, value=0.01)``. It draws
    nothing; `rng` is taken (by name, or a Generator second) so that it answers to ``f(shape, rng)``."""
    as_rng(_by_name("constant", "value", args, rng), "constant", "constant(shape, value=..., rng=...)")
    return np.full(tuple(shape), float(value))


def normal(shape, *args, std=0.01, rng=None):
    """N(0, std^2): the lecture's small random numbers (``normal(shape, std=0.1, rng=0)``)."""
    return _gaussian(shape, std, _by_name("normal", "std", args, rng), "normal", "normal(shape, std=..., rng=...)")


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


# gs.nn.init.kaiming: did you mean 'he'? gs.nn.init.kaiming_normal_: what to write instead of filling in place
__getattr__ = _suggesting_getattr(globals(), __name__, SYNONYMS, _TORCH_NAMES)
