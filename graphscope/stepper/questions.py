"""Predict mode's questions: before a backward step, one number a student can work out from the numbers shown.

What is asked follows the structure of the local Jacobian (the op table's
descriptor):

- scalar / diagonal / broadcast: one entry d out[e] / d x[e'] of the local
  Jacobian, with the entries it depends on (each input's and the output's at
  that position, and the op's settings there: a dropout mask, an exponent);
- broadcast, when few positions were broadcast: one entry of the contribution,
  the upstream summed over them (the lecture's "the VJP sums over the broadcast
  axes"), with those upstream entries;
- matmul: one entry of the contribution dA[i, k] = G[i, :] . B[k, :] (or
  dB[k, j] = A[:, k] . G[:, j]) with the row and the column it needs; with a
  long inner dimension, one Jacobian entry and its formula instead;
- a loss over rows of examples (an op with ``labels``): one entry dL/ds[i, j]
  with the row s[i, :], its label and N;
- block-diagonal (softmax, log-softmax: blocks along their axis; batch norm:
  one per feature, a column): one entry d y[e] / d x[e'] of one block, with
  that block of x and y (batch norm: the column, gamma and eps there);
- reduce, identity, permutation: one entry, with the input entry it reads;
- any other small Jacobian: one entry, with every input in full.

The answer is the engine's own number: the Jacobian's row from one VJP
(``Jacobian.row``) or the step's recorded contribution.
"""
import inspect
import re
from dataclasses import dataclass

import numpy as np

from ..engine.formatting import SHOWN_ENTRIES
from .events import BACKWARD
from .explain import call

#: Significant digits of every number a question shows: enough that an answer worked out from them lands within
#: predict mode's tolerance (a relative 1e-3) of the engine's number.
DIGITS = 6
#: A dot product is asked only when the shown terms do not cancel below this fraction of their total size
#: (rounded terms of a cancelling sum would not give the engine's answer to 1e-3).
MIN_KEPT = 0.05
#: Structures asked as one Jacobian entry at the position the output reads the input from.
POINTWISE = ("scalar", "diagonal", "identity", "broadcast")
#: Structures asked as one entry of a row's nonzero columns (the input entry the output entry reads).
SPARSE = ("reduce", "permutation")


@dataclass(frozen=True)
class Question:
    """One number to work out before step `step` is shown: `asked` (its name), the numbers `given` to work it out
    from, the engine's `truth`, and `why` (how it follows, told after the guess), with `worked` (the formula with
    the shown numbers put in) and `slips` (numbers a common mistake gives, and what it is)."""

    step: int
    edge: object
    heading: str
    given: tuple
    asked: str
    truth: float
    why: str
    contribution: bool = False
    #: The formula with this entry's numbers put in ('(0.216 - 1) / 4 = -0.196'), '' when none is written.
    worked: str = ""
    #: Common slips: (the number a slip gives, what it says) pairs ('you did not divide by N = 4').
    slips: tuple = ()

    @property
    def title(self):
        return "Predict the contribution" if self.contribution else "Predict the local gradient"

    @property
    def prompt(self):
        what = "contribution to" if self.contribution else "local gradient"
        lines = [self.heading]
        if self.given:
            lines.append("where " + self.given[0])
            lines += ["      " + g for g in self.given[1:]]
        lines.append(f"{what} {self.asked} = ?")
        return "\n".join(lines)


def num(x):
    """A shown number: DIGITS significant digits, an integer without a point."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:.{DIGITS}g}"


def numbers(values):
    """'[0.5, -1, 2]', '[[1, 2], [3, 4]]': the entries of an array in its nesting, every one shown."""
    values = np.asarray(values)
    if values.ndim == 0:
        return num(values)
    return "[" + ", ".join(numbers(v) if values.ndim > 1 else num(v) for v in values) + "]"


def at(name, index):
    """'h[1, 2]', 'x[:, 2]' (a slice is ':'); just 'h' for a 0-d value."""
    return f"{name}[{', '.join(':' if isinstance(i, slice) else str(int(i)) for i in index)}]" if len(index) else name


def source_index(out_index, in_shape):
    """The index of an input of shape `in_shape` that numpy broadcasting reads at output index `out_index` (which
    may hold slices: what it reads along them)."""
    lead = len(out_index) - len(in_shape)
    return tuple(0 if n == 1 else out_index[lead + k] for k, n in enumerate(in_shape))


def question(event, output, seed=None, slot=None):
    """The question before backward step `event` (None when no input's local gradient can be asked by hand).

    `seed` (default: the step) picks the input and the entry, so the same step asks the same; `slot` picks the
    input instead."""
    if event.phase != BACKWARD or getattr(event, "error", None) is not None:
        return None
    rng = np.random.default_rng(event.step if seed is None else seed)
    edges = [e for e in event.edges if e.needs_grad and (slot is None or e.slot == slot)]
    rng.shuffle(edges)
    for edge in edges:
        asked = ask_edge(event, edge, output, rng)
        if asked is not None:
            return asked
    return None


def ask_edge(event, edge, output, rng):
    """A question about one input edge, chosen by its Jacobian's structure; None when none fits."""
    jac = edge.jacobian
    for maker in (_loss_entry, _block_entry, _matmul_contribution, _broadcast_contribution, _pointwise_entry,
                  _matmul_entry, _sparse_entry, _small_entry):
        q = maker(event, edge, output, rng, jac)
        if q is not None:
            return q
    return None


# ---------------------------------------------------------------- helpers
def _heading(event):
    return f"next: step {event.step}, backward at {call(event.node)}"


def _ask(event, edge, given, asked, truth, why, contribution=False, worked="", slips=()):
    truth = float(truth)
    slips = tuple(slips) + ((-truth, "the sign is the other way round"),) if truth else tuple(slips)
    return Question(event.step, edge, _heading(event), tuple(given), asked, truth, why, contribution, worked, slips)


def _dot_worked(xs, ys, truth):
    """'0.5 × 2 + -1 × 3 = -2': a short dot product written out with its terms (at most SHOWN_ENTRIES // 2 of
    them), '' when longer."""
    if len(xs) > SHOWN_ENTRIES // 2:
        return ""
    return " + ".join(f"{num(x)} × {num(y)}" for x, y in zip(xs, ys)) + f" = {num(truth)}"


def _local_name(edge, r_index, c_index):
    return f"d{at(edge.node.name, r_index)}/d{at(edge.input.name, c_index)}"


def _value(node):
    return np.asarray(node._value, dtype=np.float64)


def _entry_lines(edge, r_index, c_index, formula):
    """Each input's and the output's entry at output position `r_index` (the edge's input at `c_index`), and the
    op's settings (_attr_lines)."""
    node = edge.node
    out_shape = np.shape(node._value)
    inputs, output = _read_by(edge, formula)
    lines, seen = [], set()
    for x in inputs:
        if x in seen:
            continue
        seen.add(x)
        xi = c_index if x is edge.input else source_index(r_index, np.shape(x._value))
        lines.append(f"{at(x.name, xi)} = {num(_value(x)[xi])}")
    if output:
        lines.append(f"{at(node.name, r_index)} = {num(_value(node)[r_index])}")
    return lines + _attr_lines(node, r_index, out_shape, formula)


def _read_by(edge, formula):
    """(the inputs, whether the output) the local gradient `formula` reads: 'd(q*z)/dz = diag(q)' reads q alone,
    'd tanh(x)/dx = diag(1 - tanh(x)^2)' the output, 'd(x+y)/dx = I' nothing. Formulas are written in the node's
    input names (engine.jacobian); one written otherwise reads every input and the output (all are shown)."""
    node = edge.node
    everything = list(node.inputs), True
    m = FORMULA.match(formula)
    names = _input_names(node)
    if m is None or names[edge.slot] != m.group("wrt"):
        return everything
    rhs = m.group("rhs").split("  (")[0]  # '  (x broadcast ...)' explains; it is not the formula
    of = m.group("of").strip()
    output = bool(of) and of in rhs
    if output:  # tanh(x) in the result is the output's entry: x itself is not needed
        rhs = rhs.replace(of, " ")
    return [x for x, name in zip(node.inputs, names) if _names(name, rhs)], output


#: 'd tanh(x)/dx = diag(...)', 'd(a*b)/db = ...', 'dy/dx = ...': what is differentiated, by what, and the result.
FORMULA = re.compile(r"^d(?P<of>.*?)/d(?P<wrt>[\w.]+) = (?P<rhs>.*)$")


def _input_names(node):
    """The names a node's formulas give its inputs: their own (engine.jacobian writes formulas in them)."""
    return [x.name for x in node.inputs]


def _forward_names(node):
    """The names the op's forward gives its inputs ('x', 'gamma', 'beta'), None when they cannot be read: how a
    block's worked answer (BlockEntry.work) reads the numbers shown."""
    try:
        params = list(inspect.signature(node.op_def.forward).parameters.values())
    except (TypeError, ValueError, AttributeError):
        return None
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return positional[:len(node.inputs)] if len(positional) >= len(node.inputs) else None


def _name_pattern(name):
    """A regex matching `name` as a whole name (not inside a longer one: q in q2, x in x.T)."""
    return rf"(?<![\w.]){re.escape(name)}(?![\w.])"


def _names(name, text):
    """True when `text` names `name` as a whole name."""
    return re.search(_name_pattern(name), text) is not None


def _attr_lines(node, r_index, out_shape, formula):
    """The op's settings: its real numbers (an exponent, clip bounds, p) as they are, and the arrays `formula`
    names (a dropout mask) at the entry; never a count or a seed."""
    lines = []
    for name, v in node.attrs.items():
        if isinstance(v, (bool, np.bool_, int, np.integer)) or v is None:
            continue
        if isinstance(v, (float, np.floating)):
            lines.append(f"{name} = {num(v)}")
            continue
        if not re.search(rf"\b{re.escape(name)}\b", formula):
            continue
        arr = np.asarray(v)
        if arr.dtype.kind not in "biuf" or arr.ndim == 0 or arr.ndim > len(out_shape):
            continue
        try:
            np.broadcast_shapes(arr.shape, out_shape)
        except ValueError:
            continue
        entry = arr[source_index(r_index, arr.shape)]
        lines.append(f"{at(name, source_index(r_index, arr.shape))} = "
                     f"{entry if arr.dtype.kind == 'b' else num(entry)}")
    return lines


def _well_conditioned(terms):
    """True when a sum of `terms` keeps at least MIN_KEPT of their total size (or is exactly 0 by zeros)."""
    total = float(np.sum(np.abs(terms)))
    return total == 0.0 or abs(float(np.sum(terms))) >= MIN_KEPT * total


def _pick(rng, candidates, good):
    """A random candidate for which `good` holds, else None."""
    for k in rng.permutation(len(candidates)):
        if good(candidates[k]):
            return candidates[k]
    return None


# ---------------------------------------------------------------- the makers
def _loss_entry(event, edge, output, rng, jac):
    """dL/ds[i, j] of a loss over rows of examples: the row s[i, :], its label and N are all it needs."""
    node, x = edge.node, edge.input
    labels = node.attrs.get("labels")
    s = _value(x)
    if labels is None or np.size(node._value) != 1 or s.ndim not in (1, 2):
        return None
    labels = np.reshape(labels, (-1,))
    s2 = s.reshape(1, -1) if s.ndim == 1 else s
    if len(labels) != s2.shape[0] or s2.shape[1] > SHOWN_ENTRIES:
        return None
    i, j = int(rng.integers(s2.shape[0])), int(rng.integers(s2.shape[1]))
    row_index = (i,) if s.ndim == 2 else ()
    c_index = (i, j) if s.ndim == 2 else (j,)
    truth = jac.row(0)[np.ravel_multi_index(c_index, s.shape)]
    row_name = f"{x.name}[{i}, :]" if s.ndim == 2 else x.name
    n = s2.shape[0]
    given = [f"{row_name} = {numbers(s2[i])}",
             f"{at('labels', row_index) if s.ndim == 2 else 'label'} = {int(labels[i])} (classes 0..{s2.shape[1] - 1})",
             f"N = {n} example{'s' if n != 1 else ''}"]
    worked, slips = _softmax_worked(s2[i], j, int(labels[i]), n, truth, row_name)
    if n > 1:
        slips += ((truth * n, f"you did not divide by N = {n}"), (truth / n, f"you divided by N = {n} twice"))
    return _ask(event, edge, given, f"d{node.name}/d{at(x.name, c_index)}", truth, jac.formula,
                worked=worked, slips=slips)


def _softmax_worked(row, j, label, n, truth, row_name="s"):
    """Softmax cross-entropy's entry worked out from the shown row `row_name` ('scores[1, :]'): ('softmax(scores[1,
    :])[j] = ...; (... - onehot) / N = ...' with the
    numbers, its slips: the softmax alone, the onehot forgotten); ('', ()) when the engine's number is not that (another
    loss over rows)."""
    z = np.exp(row - np.max(row))
    p = z / z.sum()
    onehot = 1 if j == label else 0
    if not np.isclose((p[j] - onehot) / n, truth, rtol=1e-6, atol=1e-12):
        return "", ()
    worked = f"softmax({row_name})[{j}] = {num(p[j])}; ({num(p[j])} - {onehot}) / {n} = {num(truth)}"
    slips = ((p[j] / n, f"that is softmax({row_name})[{j}] / N: the label's onehot[{j}] = 1 is not subtracted"),) \
        if onehot else ()
    return worked, slips


def _block_entry(event, edge, output, rng, jac):
    """A block-diagonal Jacobian (softmax's rows, batch norm's columns: the blocks lie along jac.block_axis):
    d y[e] / d x[e'] for two entries e, e' of one block, with the input's and the output's block, the other inputs'
    entries there and the settings the formula names. A block too long to show is asked only of an op whose entry
    is written out here (BLOCK_ENTRIES), with the two entries it reads and the block's figures (batch norm's mean
    and sigma); for such an op, an entry whose answer worked out from the shown (rounded) numbers would miss the
    engine's is not asked."""
    node, x = edge.node, edge.input
    shape, axis = np.shape(node._value), jac.block_axis
    entry = BLOCK_ENTRIES.get(node.op_def.name)
    if jac.structure != "block-diagonal" or axis is None or shape != np.shape(x._value):
        return None
    long = shape[axis] > SHOWN_ENTRIES
    if long and (entry is None or entry.summary is None):
        return None
    lead = _random_index(shape, rng)
    block = lead[:axis] + (slice(None),) + lead[axis + 1:]
    shown = None if entry is None else _shown_block(edge, block)
    summary = entry.summary(edge, block) if long else ((), {})
    pairs = _entry_pairs(shape[axis], rng)
    rows = {}
    for j, k in pairs[:MAX_TRIED]:
        r_index, c_index = _at_axis(lead, axis, j), _at_axis(lead, axis, k)
        if j not in rows:
            rows[j] = jac.row(np.ravel_multi_index(r_index, shape))
        truth = rows[j][np.ravel_multi_index(c_index, shape)]
        read = shown if not long else {**shown, **summary[1], entry.reads: _only(shown[entry.reads], (j, k))}
        worked, slips = ("", ()) if entry is None else entry.work(read, j, k, truth)
        if entry is None or worked:
            given = _block_lines(edge, block, jac.formula, (j, k) if long else None, entry and entry.reads)
            return _ask(event, edge, given + list(summary[0]), _local_name(edge, r_index, c_index), truth,
                        jac.formula, worked=worked, slips=slips)
    return None


#: The most pairs of entries of one block tried for a question whose shown numbers give the engine's answer.
MAX_TRIED = 64


def _entry_pairs(n, rng):
    """Pairs (j, k) of entries of a block of `n`, in a random order, a diagonal one first half the time (a long
    block has few). A long block gets a sample of its n² pairs, never the list of them all (a batch of 4,000)."""
    if n * n <= 4 * MAX_TRIED:
        pairs = [(j, k) for j in range(n) for k in range(n)]
        pairs = [pairs[p] for p in rng.permutation(len(pairs))]
    else:
        pairs = list(zip(rng.integers(0, n, MAX_TRIED).tolist(), rng.integers(0, n, MAX_TRIED).tolist()))
        pairs += [(j, j) for j in rng.integers(0, n, MAX_TRIED // 2).tolist()]
    if rng.random() < 0.5:
        pairs.sort(key=lambda pair: pair[0] != pair[1])
    return pairs


def _at_axis(index, axis, k):
    return index[:axis] + (k,) + index[axis + 1:]


def _only(values, keep):
    """`values` with every entry but those at `keep` unknown (nan): what a student reads of a long block."""
    out = np.full(np.shape(values), np.nan)
    out[list(keep)] = values[list(keep)]
    return out


def _block_lines(edge, block, formula, entries=None, reads=None):
    """The lines a block question shows: the input and the output along the block ('x[:, 2] = [...]'), each other
    input the formula reads where the block reads it ('gamma[2] = 1.5'), and the real numbers the formula names
    ('eps = 1e-05'). With `entries` (a block too long to show), the two entries along the block of the one it
    `reads` ('x' the input, 'y' the output) instead of the two blocks."""
    node = edge.node
    names = _input_names(node)
    lines = []
    if entries is None:
        lines.append(f"{at(edge.input.name, block)} = {numbers(_value(edge.input)[block])}")
    elif reads == "x":
        lines += _entry_pair(edge.input, block, entries)
    for x, name in dict(zip(node.inputs, names)).items():
        if x is not edge.input and _names(name, formula):
            index = source_index(block, np.shape(x._value))
            lines.append(f"{at(x.name, index)} = {numbers(_value(x)[index])}")
    if entries is None:
        lines.append(f"{at(node.name, block)} = {numbers(_value(node)[block])}")
    elif reads == "y":
        lines += _entry_pair(node, block, entries)
    lines += [f"{name} = {num(v)}" for name, v in node.attrs.items()
              if isinstance(v, (float, np.floating)) and re.search(rf"\b{re.escape(name)}\b", formula)]
    return lines


def _entry_pair(node, block, entries):
    """'x[3, 2] = 0.5' for each of the entries (positions along the block) asked about."""
    axis = next(a for a, b in enumerate(block) if isinstance(b, slice))
    return [f"{at(node.name, _at_axis(block, axis, k))} = {num(_value(node)[_at_axis(block, axis, k)])}"
            for k in dict.fromkeys(entries)]


def _shown_block(edge, block):
    """What a block question shows, as the numbers a student reads (rounded to DIGITS): {'x': the input's block,
    'y': the output's block, each other input's name: its numbers there, each setting's name: its number}."""
    node = edge.node
    rounded = np.vectorize(lambda v: float(num(v)), otypes=[float])
    shown = {name: rounded(_value(x)[source_index(block, np.shape(x._value))])
             for x, name in zip(node.inputs, _forward_names(node) or ())}
    shown.update({name: float(num(v)) for name, v in node.attrs.items() if isinstance(v, (float, np.floating))})
    shown.update(x=rounded(_value(edge.input)[block]), y=rounded(_value(node)[block]))
    return shown


def _factor(v):
    """A number as a factor of a product: '(-0.5)' for a negative one."""
    return f"({num(v)})" if v < 0 else num(v)


def _close_enough(worked_value, truth):
    """An answer worked out from the shown numbers lands well within predict mode's tolerance of the engine's."""
    return abs(worked_value - truth) <= 1e-7 + 1e-4 * abs(truth)


def _softmax_block(shown, j, k, truth):
    """d s[j] / d x[k] = s[j] (1[j=k] - s[k]) from the shown output block s."""
    s, same = shown["y"], int(j == k)
    value = s[j] * (same - s[k])
    if not _close_enough(value, truth):
        return "", ()
    worked = f"s[{j}] (1[j=k] - s[{k}]) = {num(s[j])} × ({same} - {num(s[k])}) = {num(value)}"
    slips = ((0.0, "the outputs of one block are coupled: s[j] depends on every x[k] through the sum"),) \
        if not same else ((float(s[j]), f"that is s[{j}] alone: the - s[{j}]^2 is missing"),)
    return worked, slips


def _log_softmax_block(shown, j, k, truth):
    """d y[j] / d x[k] = 1[j=k] - softmax(x)[k] = 1[j=k] - exp(y[k]) from the shown output block y."""
    y, same = shown["y"], int(j == k)
    value = same - np.exp(y[k])
    if not _close_enough(value, truth):
        return "", ()
    return f"1[j=k] - exp(y[{k}]) = {same} - exp({num(y[k])}) = {num(value)}", \
        ((float(same), f"that is 1[j=k] alone: the - softmax(x)[{k}] of the normalizer is missing"),)


def _batch_norm_block(shown, m, n, truth):
    """dy[m] / dx[n] within one feature's column: gamma / (N sigma) (N 1[m=n] - 1 - xhat[m] xhat[n]), the column's
    mean and sigma worked out from it (or read, for a column too long to show)."""
    x, gamma, eps = shown["x"], float(shown["gamma"]), shown["eps"]
    size, same = shown.get("N", len(x)), int(m == n)
    mean = shown.get("mean", np.mean(x))
    sigma = shown.get("sigma", np.sqrt(np.mean((x - mean) ** 2) + eps))
    xhat_m, xhat_n = (x[m] - mean) / sigma, (x[n] - mean) / sigma
    value = gamma / (size * sigma) * (size * same - 1 - xhat_m * xhat_n)
    if not _close_enough(value, truth):
        return "", ()
    stats = "" if "sigma" in shown else f"mean = {num(mean)}, sigma = sqrt(var + eps) = {num(sigma)}, "
    xhats = f"xhat[{m}] = {num(xhat_m)}" + (f", xhat[{n}] = {num(xhat_n)}" if n != m else "")
    worked = (f"{stats}{xhats}; gamma / (N sigma) (N 1[m=n] - 1 - "
              f"xhat[m] xhat[n]) = {num(gamma)} / ({size} × {num(sigma)}) × ({size * same} - 1 - {_factor(xhat_m)} "
              f"× {_factor(xhat_n)}) = {num(value)}")
    slips = ((float(gamma / sigma * same), "that is the element-wise gamma / sigma 1[m=n]: the batch mean and "
                                           "variance depend on every x of the column too"),)
    return worked, slips


def _batch_norm_figures(edge, block):
    """A column too long to show: its length, mean and sigma = sqrt(var + eps), as lines and as the numbers read."""
    x = _value(edge.input)[block]
    eps = float(edge.node.attrs.get("eps", 1e-5))
    mean, sigma = np.mean(x), np.sqrt(np.var(x) + eps)
    column = at(edge.input.name, block)
    lines = (f"N = {len(x)} examples", f"mean({column}) = {num(mean)}",
             f"sigma({column}) = {num(sigma)}  (sqrt(var + eps), var the column's biased variance)")
    return lines, {"N": len(x), "mean": float(num(mean)), "sigma": float(num(sigma))}


def _no_figures(edge, block):
    """A long softmax block: the two entries asked about are all its entry reads."""
    return (), {}


@dataclass(frozen=True)
class BlockEntry:
    """An op's entry d y[e] / d x[e'] within one block, worked out by hand. `work(shown, j, k, truth) -> (worked,
    slips)` works it out from the numbers a question shows (('', ()) when they do not give the engine's number);
    `reads`: which block ('x' the input's, 'y' the output's) gives the entries it needs; `summary(edge, block) ->
    (lines, numbers)`: the block's figures shown in its place when it is too long to show."""

    work: object
    reads: str
    summary: object = None


#: The ops whose entry within a block predict mode works out (and checks) from the numbers it shows.
BLOCK_ENTRIES = {"softmax": BlockEntry(_softmax_block, "y", _no_figures),
                 "log_softmax": BlockEntry(_log_softmax_block, "y", _no_figures),
                 "batch_norm": BlockEntry(_batch_norm_block, "x", _batch_norm_figures)}


def _matmul_operands(edge, jac):
    """(node, A, B) of a matmul of two 2-D operands, the node `edge` enters; None for any other node."""
    node = edge.node
    if jac.structure != "matmul" or len(node.inputs) != 2:
        return None
    a, b = (_value(v) for v in node.inputs)
    return (node, a, b) if a.ndim == 2 and b.ndim == 2 else None


def _matmul_contribution(event, edge, output, rng, jac):
    """One entry of a 2-D matmul's contribution: dA[i, k] = G[i, :] . B[k, :] or dB[k, j] = A[:, k] . G[:, j]."""
    operands = _matmul_operands(edge, jac)
    if operands is None:
        return None
    node, a, b = operands
    g = np.asarray(event.upstream, dtype=np.float64)
    other = node.inputs[1 - edge.slot]
    up = f"d{output.name}/d{node.name}"
    if edge.slot == 0:
        if b.shape[1] > SHOWN_ENTRIES:
            return None
        cells = [(i, k) for i in range(a.shape[0]) for k in range(a.shape[1])]
        cell = _pick(rng, cells, lambda c: _well_conditioned(g[c[0]] * b[c[1]]))
        if cell is None:
            return None
        i, k = cell
        given = [f"upstream {up}[{i}, :] = {numbers(g[i])}", f"{other.name}[{k}, :] = {numbers(b[k])}"]
        why = f"{up}[{i}, :] . {other.name}[{k}, :]  ({jac.formula})"
        terms = (g[i], b[k])
    else:
        if a.shape[0] > SHOWN_ENTRIES:
            return None
        cells = [(k, j) for k in range(b.shape[0]) for j in range(b.shape[1])]
        cell = _pick(rng, cells, lambda c: _well_conditioned(a[:, c[0]] * g[:, c[1]]))
        if cell is None:
            return None
        k, j = cell
        given = [f"{other.name}[:, {k}] = {numbers(a[:, k])}", f"upstream {up}[:, {j}] = {numbers(g[:, j])}"]
        why = f"{other.name}[:, {k}] . {up}[:, {j}]  ({jac.formula})"
        terms = (a[:, k], g[:, j])
    truth = np.asarray(edge.contribution, dtype=np.float64)[cell]
    return _ask(event, edge, given, f"d{output.name}/d{at(edge.input.name, cell)}", truth, why,
                contribution=True, worked=_dot_worked(*terms, truth))


def _broadcast_contribution(event, edge, output, rng, jac):
    """One entry of a broadcast input's contribution: the upstream summed over the positions that read it."""
    node, x = edge.node, edge.input
    if jac.structure != "broadcast":
        return None
    out_shape, x_shape = np.shape(node._value), np.shape(x._value)
    c_index = _random_index(x_shape, rng)
    lead = len(out_shape) - len(x_shape)
    where = tuple(slice(None) if k < lead or x_shape[k - lead] == 1 else c_index[k - lead]
                  for k in range(len(out_shape)))
    g = np.asarray(event.upstream, dtype=np.float64)[where]
    if g.size > SHOWN_ENTRIES:
        return None
    local = np.array([jac.row(r)[np.ravel_multi_index(c_index, x_shape) if x_shape else 0]
                      for r in np.ravel_multi_index(np.nonzero(_mask(out_shape, where)), out_shape)])
    if not np.all(np.isin(local, (1.0, -1.0))):
        return None  # the local factors vary (a product): asked as a Jacobian entry instead
    slice_text = ", ".join(":" if isinstance(w, slice) else str(w) for w in where)
    given = [f"upstream d{output.name}/d{node.name}[{slice_text}] = {numbers(g)}"]
    truth = np.asarray(edge.contribution, dtype=np.float64)[c_index]
    sign = "" if local[0] > 0 else "minus "
    why = (f"{x.name} {x_shape} was broadcast to {out_shape}: its gradient is {sign}the sum of the upstream's "
           f"entries at [{slice_text}], every position that read {at(x.name, c_index)}")
    return _ask(event, edge, given, f"d{output.name}/d{at(x.name, c_index)}", truth, why,
                contribution=True, worked=_sum_worked(g.ravel(), local[0] < 0, truth))


def _sum_worked(terms, negated, truth):
    """'0.0866 + 0.0831 + (-0.157) = 0.0127' (or '-(...) = ...'): a short sum written out, '' when longer."""
    if len(terms) > SHOWN_ENTRIES // 2:
        return ""
    text = " + ".join(num(t) if t >= 0 else f"({num(t)})" for t in terms)
    return (f"-({text})" if negated else text) + f" = {num(truth)}"


def _random_index(shape, rng):
    """One entry of an array of `shape`, drawn with `rng` (() for a scalar)."""
    return tuple(int(rng.integers(n)) for n in shape)


def _mask(shape, where):
    m = np.zeros(shape, dtype=bool)
    m[where] = True
    return m


def _pointwise_entry(event, edge, output, rng, jac):
    """d out[e] / d x[e'] where out[e] reads x[e']: each input's and the output's entry there, and the settings."""
    node, x = edge.node, edge.input
    if jac.structure not in POINTWISE:
        return None
    out_shape, x_shape = np.shape(node._value), np.shape(x._value)
    r_index = _random_index(out_shape, rng)
    r = np.ravel_multi_index(r_index, out_shape) if out_shape else 0
    if jac.structure == "identity" and x_shape != out_shape:  # a reshape: the same entry, indexed anew
        c_index = tuple(int(i) for i in np.unravel_index(r, x_shape)) if x_shape else ()
    else:
        c_index = source_index(r_index, x_shape)
    c = np.ravel_multi_index(c_index, x_shape) if c_index else 0
    truth = jac.row(r)[c]
    given = _entry_lines(edge, r_index, c_index, jac.formula)
    return _ask(event, edge, given, _local_name(edge, r_index, c_index), truth, jac.formula,
                worked=_pointwise_worked(edge, r_index, c_index, jac.formula, truth))


def _pointwise_worked(edge, r_index, c_index, formula, truth):
    """The local gradient's formula with the entry's numbers put in: 'diag(a) = a = 3', 'diag(1[x > 0]) = 1[x > 0] =
    1[-0.16 > 0] = 0', 'diag(1 - tanh(x)^2) = 1 - tanh(x)^2 = 1 - 0.537^2 = 0.7116'; '' for a formula that is a
    constant (I, 1^T) or that cannot be read."""
    m = FORMULA.match(formula)
    if m is None:
        return ""
    node = edge.node
    rhs = m.group("rhs").split("  (")[0].strip()
    inner = rhs[len("diag("):-1] if rhs.startswith("diag(") and rhs.endswith(")") else rhs
    filled, of = inner, m.group("of").strip()
    if of and of in filled:
        filled = filled.replace(of, num(_value(node)[r_index]))
    for name, x in zip(_input_names(node), node.inputs):
        xi = c_index if x is edge.input else source_index(r_index, np.shape(x._value))
        filled = re.sub(_name_pattern(name), num(_value(x)[xi]), filled)
    for name, v in node.attrs.items():
        if isinstance(v, (float, np.floating)) and not isinstance(v, bool):
            filled = re.sub(rf"\b{re.escape(name)}\b", num(v), filled)
    if filled == inner:  # a constant (I, 1^T, 0): no number to put in
        return ""
    parts = []
    for part in (rhs, inner, filled, num(truth)):
        if part not in parts:
            parts.append(part)
    return " = ".join(parts) if len(parts) > 1 else ""


def _matmul_entry(event, edge, output, rng, jac):
    """One entry of a 2-D matmul's Jacobian, formula given: d C[i, j] / d A[i', k] = B[k, j] when i' = i, else 0."""
    operands = _matmul_operands(edge, jac)
    if operands is None:
        return None
    node, a, b = operands
    i, j = int(rng.integers(a.shape[0])), int(rng.integers(b.shape[1]))
    k = int(rng.integers(a.shape[1]))
    same = rng.random() < 0.75
    if edge.slot == 0:
        i2 = i if same or a.shape[0] == 1 else (i + 1) % a.shape[0]
        c_index, given = (i2, k), [f"{node.inputs[1].name}[{k}, {j}] = {num(b[k, j])}"]
    else:
        j2 = j if same or b.shape[1] == 1 else (j + 1) % b.shape[1]
        c_index, given = (k, j2), [f"{node.inputs[0].name}[{i}, {k}] = {num(a[i, k])}"]
    r = np.ravel_multi_index((i, j), np.shape(node._value))
    truth = jac.row(r)[np.ravel_multi_index(c_index, np.shape(edge.input._value))]
    given.append(f"(the formula: {jac.formula})")
    return _ask(event, edge, given, _local_name(edge, (i, j), c_index), truth, jac.formula)


def _sparse_entry(event, edge, output, rng, jac):
    """A reduce or permutation: d out[e] / d x[e'] for an input entry x[e'] that out[e] reads."""
    node, x = edge.node, edge.input
    if jac.structure not in SPARSE:
        return None
    out_shape, x_shape = np.shape(node._value), np.shape(x._value)
    r_index = _random_index(out_shape, rng)
    row = jac.row(np.ravel_multi_index(r_index, out_shape) if out_shape else 0)
    read = np.flatnonzero(row)
    if not len(read):
        return None
    c = int(rng.choice(read))
    c_index = np.unravel_index(c, x_shape) if x_shape else ()
    given = [f"{x.name} has shape {x_shape} and {node.name} shape {out_shape}"]
    return _ask(event, edge, given, _local_name(edge, r_index, c_index), row[c], jac.formula)


def _small_entry(event, edge, output, rng, jac):
    """Any small Jacobian: one entry, with every input shown in full."""
    node, x = edge.node, edge.input
    if jac.entries > SHOWN_ENTRIES or any(np.size(v._value) > SHOWN_ENTRIES for v in node.inputs):
        return None
    out_shape, x_shape = np.shape(node._value), np.shape(x._value)
    r, c = int(rng.integers(jac.shape[0])), int(rng.integers(jac.shape[1]))
    r_index = np.unravel_index(r, out_shape) if out_shape else ()
    c_index = np.unravel_index(c, x_shape) if x_shape else ()
    given = [f"{v.name} = {numbers(_value(v))}" for v in dict.fromkeys(node.inputs)]
    return _ask(event, edge, given, _local_name(edge, r_index, c_index), jac.row(r)[c], jac.formula)
