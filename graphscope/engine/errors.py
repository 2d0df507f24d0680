"""Errors graphscope raises, each naming the op, the shapes and the user's line."""


class GraphscopeError(Exception):
    """Base class of every error graphscope raises on purpose."""


class ShapeError(GraphscopeError, ValueError):
    """An op was given inputs whose shapes do not fit together."""


class StaleBranchError(GraphscopeError):
    """A replay reached a comparison whose recorded answer chose a Python branch (an ``if`` on it), and the new
    values answer otherwise: the recorded graph is not what the code would compute."""


class StaleNumberError(StaleBranchError):
    """A replay changed a number Python read from a tensor while the graph was recorded (``x.shape[0] - 1``,
    ``int(t)``, ``len(t)``, ``for row in x``, ``np.asarray(t)``) and that went into the graph as a constant: the
    constant is stale (see ``graphscope.engine.reads``)."""


class StaleNumberWarning(UserWarning):
    """Like StaleNumberError where graphscope is not sure the number went into the graph (a constant with its
    value made later in the function that read it): replay goes on with the recorded constant."""


class InputError(GraphscopeError, TypeError):
    """A value that is not numeric (or not the expected kind) reached an op."""


class ArgumentError(GraphscopeError, ValueError):
    """An argument has the right type but a value graphscope cannot use (a NaN eps, a name with '/')."""


class NotFoundError(GraphscopeError, KeyError):
    """A name or key looked up in graphscope (a node, an op, a layer) does not exist."""

    def __str__(self):  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ""


class PositionError(GraphscopeError, IndexError):
    """A position (a step, an input index) is outside the range that exists."""


class BackwardError(GraphscopeError, RuntimeError):
    """backward() could not run: no upstream for a non-scalar, a bad VJP, ...

    When a node's VJP failed, ``node`` is that node, and ``location`` / ``detail`` the user's line that
    shows it ('file.py:10', 'in sq_vjp: return ...'), or None; ``summary`` is the message's first line.
    """

    node = None
    location = None
    detail = ""

    @property
    def summary(self):
        return str(self).split("\n", 1)[0]


class VJPError(BackwardError):
    """An op's VJP raised (typically a bug in a custom op's VJP); ``cause`` is what it raised."""

    #: a short status for a table cell: 'VJP raised ValueError, line 10', 'VJP writes into its input x, line 9'
    short = ""

    def __init__(self, message, cause, location=None, detail=""):
        super().__init__(message)
        self.cause = cause
        self.location = location
        self.detail = detail


class ForwardError(GraphscopeError, RuntimeError):
    """A custom op's forward raised something its ``check`` did not explain (a ZeroDivisionError, a bug): not a
    shape problem; ``cause`` is what it raised."""

    def __init__(self, message, cause=None):
        super().__init__(message)
        self.cause = cause


class OutOfMemoryError(GraphscopeError, MemoryError):
    """An array graphscope was asked to make does not fit in memory; the message names the size asked for."""


def out_of_memory(what, shape, itemsize=8):
    """The OutOfMemoryError for `what` ('Linear(1000000, 1000000): weight W'), an array of `shape` whose entries
    take `itemsize` bytes each."""
    entries = 1
    for n in shape:
        entries *= int(n)
    return OutOfMemoryError(f"{what}: an array of shape {tuple(int(n) for n in shape)} ({entries:,} entries) needs "
                            f"{readable_bytes(entries * itemsize)}, more memory than this machine can give")


def readable_bytes(n):
    """'7.3 TiB', '512 B': a byte count for a message."""
    for unit, size in (("PiB", 2 ** 50), ("TiB", 2 ** 40), ("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def describe_shapes(values):
    """'(3, 4) float64, () float' for a list of raw values."""
    parts = []
    for v in values:
        if v.__class__ is float:
            parts.append("() float")
        else:
            shape = getattr(v, "shape", None)
            dtype = getattr(v, "dtype", type(v).__name__)
            parts.append(f"{tuple(shape) if shape is not None else '?'} {dtype}")
    return ", ".join(parts)
