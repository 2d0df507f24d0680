"""The true derivative a predict-mode question asks for, by central finite differences of the op's own forward (in
float64): what a guess is held against when the op's VJP, which gives the question its answer, is wrong."""
import re

import numpy as np

from ..engine.errors import GraphscopeError
from ..engine.replay import compute_for_node

#: The central difference's step, relative to the entry's size (at least this, absolute).
STEP = 1e-6
#: The one-sided differences on either side of the entry must agree this closely (else it sits on a kink).
KINK_RTOL = 1e-3
KINK_ATOL = 1e-5
_INDEX = re.compile(r"\[(\d+(?:, \d+)*)\]$")


def finite_difference_answer(question):
    """d node[r] / d input[c] for a local-gradient question, or the contribution's entry sum_r g[r] d node[r]/d
    input[c] (g the node's gradient), by central differences; None when it cannot be measured (an input that is not
    a float array, a question whose entries are not named, a forward that fails or is not finite, an entry on a kink
    where the one-sided differences disagree)."""
    edge = question.edge
    node, slot = edge.node, edge.slot
    head, sep, tail = question.asked.rpartition(f"/d{edge.input.name}")
    if not sep or node.op_def is None:
        return None
    c_index = _index(tail)
    if question.contribution:
        weights = getattr(node, "grad", None)
        if weights is None:
            return None
        weights = np.asarray(weights, dtype=np.float64)
    else:
        if not head.startswith(f"d{node.name}"):
            return None
        r_index = _index(head[len(node.name) + 1:])
        if r_index is None:
            return None
    xs = [np.array(i._value, dtype=np.float64) for i in node.inputs]
    x = xs[slot]
    if c_index is None or x.dtype.kind != "f" or len(c_index) != x.ndim:
        return None
    x0 = float(x[c_index])
    h = STEP * max(1.0, abs(x0))
    try:
        with np.errstate(all="ignore"):
            outs = []
            for step in (h, 0.0, -h):
                x[c_index] = x0 + step
                outs.append(np.asarray(compute_for_node(node.op_def, node, xs, node.attrs), dtype=np.float64))
    except (GraphscopeError, IndexError, ValueError, TypeError):
        return None
    finally:
        x[c_index] = x0
    if question.contribution:
        if weights.shape != outs[0].shape:
            return None
        picked = [float(np.sum(weights * out)) for out in outs]
    elif len(r_index) == outs[0].ndim:
        picked = [float(out[r_index]) for out in outs]
    else:
        return None
    above, below = (picked[0] - picked[1]) / h, (picked[1] - picked[2]) / h
    if not abs(above - below) <= KINK_ATOL + KINK_RTOL * max(abs(above), abs(below)):
        return None  # a kink (relu at 0, a tie of max): the derivative is not one number there
    value = (picked[0] - picked[2]) / (2 * h)
    return value if np.isfinite(value) else None


def _index(text):
    """(5, 15) from '[5, 15]'; () from ''; None from anything else."""
    if text == "":
        return ()
    found = _INDEX.fullmatch(text)
    return tuple(int(k) for k in found.group(1).split(", ")) if found else None
