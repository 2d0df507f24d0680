"""Computing an op's value on raw values, and explaining why it failed (never numpy's traceback)."""
import inspect

from .errors import GraphscopeError, ShapeError, describe_shapes
from .forward_warnings import unwatch, watch
from .optable import caller_keywords
from .source import caller_location
from .values import normalize


class ForwardFailed(Exception):
    """Internal: an op's forward rejected its inputs; carries the readable reason."""


def compute(op, vals, attrs):
    """The op's value on raw input values: the scalar lane when every input is a float, else numpy."""
    scalar = op.scalar_forward
    if scalar is not None and all([v.__class__ is float for v in vals]):
        try:
            return scalar(*vals, **attrs)
        except GraphscopeError:
            raise
        except _REFUSALS as exc:
            raise _failed(op, vals, attrs, exc) from None
    return compute_array(op, vals, attrs)


_REFUSALS = (ValueError, TypeError, IndexError, KeyError, AttributeError, ZeroDivisionError, OverflowError)


def compute_array(op, vals, attrs):
    """The op's numpy forward. numpy's own exceptions become ForwardFailed with the op's explanation
    (``op.input_problem``) or numpy's message; nothing of numpy's traceback survives."""
    token = watch()  # numpy's warnings become one NonFiniteWarning at the user's line (forward_warnings)
    try:
        return normalize(op.forward(*vals, **attrs), op)
    except GraphscopeError:
        raise
    except _REFUSALS as exc:
        raise _failed(op, vals, attrs, exc) from None
    finally:
        unwatch(token)


def _failed(op, vals, attrs, exc):
    """ForwardFailed for `exc`, with the op's own explanation when it has one."""
    try:
        problem = op.input_problem(*vals, **attrs)
    except Exception:  # an explanation must never hide the failure it explains
        problem = None
    return ForwardFailed(problem or str(exc))


def compute_or_explain(op, inputs, attrs, compute=compute):
    """compute() for a node being recorded: failures name the op, inputs, shapes and the user's line."""
    vals = [t._value for t in inputs]
    try:
        return compute(op, vals, attrs)
    except ForwardFailed as exc:
        __tracebackhide__ = True   # IPython and pytest show the user's line and the error, not this frame
        names = ", ".join(t.name for t in inputs)
        raise ShapeError(f"{op.name}: {exc}\n  inputs: {names}\n  shapes: {describe_shapes(vals)}\n"
                         f"  at {caller_location()}") from None


def attribute_problem(op, n_inputs, attrs):
    """Why `attrs` (read from a file, say) cannot go to `op`'s forward with `n_inputs` inputs: 'sum takes no
    attribute 'zz' (its attributes: axis, keepdims)'; None when every name is one the forward takes (or it takes
    any, as a custom op's does)."""
    try:
        params = list(inspect.signature(op.forward).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    filled = positional if any(p.kind is p.VAR_POSITIONAL for p in params) else positional[:n_inputs]
    given = caller_keywords(op)  # out=, saved=: the trainer's plan passes them, no node holds them
    taken = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p not in filled
             and not (p.kind is p.KEYWORD_ONLY and p.name in given)]
    unknown = [name for name in attrs if name not in taken]
    if not unknown:
        return None
    return (f"op {op.name} takes no attribute {', '.join(repr(n) for n in unknown)} (its attributes: "
            f"{', '.join(taken) or 'none'})")
