"""Why an op made a NaN or an infinity, and what to write instead: one sentence per known cause.

``cause_of(origin)`` reads the origin's op and input values (a NonFinite record of
graphscope.engine.nonfinite) and names the mathematical reason (log of 0, exp past
the largest float, 0/0, ...) with the stable form to use, or returns "" when it has
nothing more to say than the origin itself. ``fixable_in_the_model(origin)`` says
whether the cause lies in how the model or loss is written (true whatever the
parameters: a log of a softmax), as opposed to values that merely grew too large.
"""
import numpy as np

from .formatting import number_text

#: How the causes that are values grown too large (not a way of writing the model) begin.
OVERFLOWS = ("exp overflowed", "the values overflowed")
_STABLE_SOFTMAX = "gs.softmax, gs.log_softmax and gs.softmax_cross_entropy subtract each row's maximum first"


def _array(node):
    v = node._value
    return np.asarray(v, dtype=np.float64) if v.__class__ is float else np.asarray(v)


def _op_of(node):
    return getattr(node, "op", None) if getattr(node, "op_def", None) is not None else None


def _log_cause(node, x):
    source = node.inputs[0]
    low = number_text(x.min())
    if (x < 0).any():
        return f"log of a negative number is nan (its input {source.name} reaches {low})"
    if _op_of(source) == "softmax":
        s = source.inputs[0].name
        return (f"log(softmax({s})) is -inf where the softmax underflows to 0 (a score far below its row's "
                f"maximum): use gs.log_softmax({s}), or gs.softmax_cross_entropy({s}, labels) for the whole loss; "
                f"neither takes the log of 0")
    if _op_of(source) == "sigmoid":
        return (f"log(sigmoid(z)) is -inf where the sigmoid saturates to 0 (z far below 0): compute it as "
                f"-log(1 + exp(-z)) in a stable form, or use gs.softmax_cross_entropy on two class scores")
    return (f"log(0) = -inf: its input {source.name} reaches 0; keep it away from 0 (e.g. log(x + 1e-12)) or "
            f"compute the quantity in log space")


def _exp_cause(node, x, value):
    limit = float(np.log(np.finfo(value.dtype).max)) if value.dtype.kind == "f" else 709.78
    return (f"exp overflowed: its input {node.inputs[0].name} reaches {number_text(x.max())}, and exp(x) is inf "
            f"above {limit:.1f} in {value.dtype if value.dtype.kind == 'f' else 'float64'}: subtract the maximum "
            f"first ({_STABLE_SOFTMAX}), or keep the inputs smaller")


def _pow_cause(node, x):
    """Why x ** p is not finite when the power itself is undefined: 0 to a negative p (inf) or a negative base
    to a p that is not whole (nan); '' otherwise (a large base to a whole power merely overflows)."""
    p = float(node.attrs.get("exponent", 1.0))
    name = node.inputs[0].name
    if p < 0 and (x == 0).any():
        return (f"0 to a negative power is inf: its input {name} holds 0 and the exponent is {p:g}; keep the base "
                f"away from 0 (e.g. add a small epsilon)")
    if p != np.floor(p) and (x < 0).any():
        return (f"a negative number to a power that is not whole is nan: its input {name} reaches "
                f"{number_text(x.min())} and the exponent is {p:g}; keep the base positive (e.g. abs or relu first)")
    return ""


def _forward_cause(node, inputs, value):
    op = node.op
    x = inputs[0] if inputs else None
    if op == "log" and x is not None and (x <= 0).any():
        return _log_cause(node, x)
    if op == "exp" and x is not None:
        return _exp_cause(node, x, value)
    if op == "sqrt" and x is not None and (x < 0).any():
        return f"sqrt of a negative number is nan (its input {node.inputs[0].name} reaches {number_text(x.min())})"
    if op == "div" and len(inputs) == 2 and (inputs[1] == 0).any():
        return (f"division by 0: the divisor {node.inputs[1].name} holds 0 (0/0 is nan, x/0 is inf); add a small "
                f"epsilon to it or keep it away from 0")
    power = _pow_cause(node, x) if op == "pow" and x is not None else ""
    if power:
        return power
    biggest = max((float(np.abs(a).max()) for a in inputs if a.size and a.dtype.kind in "fiu"), default=0.0)
    if value.dtype.kind == "f" and (np.isinf(value).any() or biggest > np.sqrt(np.finfo(value.dtype).max)):
        return (f"the values overflowed {value.dtype} (largest finite {np.finfo(value.dtype).max:.3g}): its inputs "
                f"reach {number_text(biggest)} in size: the weights or activations grew too large")
    return ""


def _backward_cause(node, index, inputs):
    op = node.op
    x = inputs[index] if index is not None and index < len(inputs) else None
    if x is None:
        return ""
    if op == "log" and (x == 0).any():
        return f"d log(x)/dx = 1/x is infinite at x = 0 ({node.inputs[0].name} holds 0): keep the input away from 0"
    if op == "sqrt" and (x == 0).any():
        return (f"d sqrt(x)/dx = 1/(2 sqrt(x)) is infinite at x = 0 ({node.inputs[0].name} holds 0): add a small "
                f"epsilon inside the sqrt")
    if op == "div" and index == 1 and (x == 0).any():
        return f"d(a/b)/db = -a/b^2 is infinite where the divisor {node.inputs[1].name} is 0"
    return ""


def cause_of(origin):
    """One sentence: why `origin`'s node made a non-finite value or gradient and what to use instead ('' when no
    particular reason is known)."""
    node = origin.node
    if origin.phase == "forward" and origin.reason == "leaf":
        what = "the data fed into it holds" if getattr(node, "role", "") == "input" else "its values hold"
        return f"{what} NaN or infinity: check them with np.isfinite"
    if origin.reason != "op" or getattr(node, "op_def", None) is None:
        return ""
    with np.errstate(all="ignore"):
        inputs = [_array(i) for i in node.inputs]
        if origin.phase == "forward":
            return _forward_cause(node, inputs, _array(node))
        return _backward_cause(node, origin.input_index, inputs)


def fixable_in_the_model(origin):
    """True when the cause is how the model or loss is written (a log of a softmax or of a sigmoid, a log, sqrt
    or division reaching 0) or the data fed, not values that grew too large (an exp or a sum overflowing)."""
    if origin.reason == "leaf":
        return getattr(origin.node, "role", "") != "param"  # data fed (or a constant) vs a parameter an update broke
    text = cause_of(origin)
    return bool(text) and not text.startswith(OVERFLOWS)


__all__ = ["cause_of", "fixable_in_the_model"]
