"""Short readable texts of values, shapes, nodes and tables, shared by every view.

A value is written the same way everywhere (the text walk, the TUI, the
pictures, the step-player, the layer statistics): a scalar as a number, an
array of at most ``SHOWN_ENTRIES`` entries as its entries (nested by rows, as
numpy prints it), a larger one as ``mean=0.12 std=0.5``. Views with room
for several lines lay a listed matrix out one row a line (``value_lines``).
"""
import re

import numpy as np

from .visible import visible


#: Arrays with at most this many entries are shown entry by entry in every view; larger ones by their summary.
SHOWN_ENTRIES = 12
#: Significant digits of a scalar value.
SCALAR_DIGITS = 4
#: Significant digits of a listed entry and of a summary's mean and std: 12 of them still fit on a picture's label.
ENTRY_DIGITS = 3
#: The words of a summary, in every view: 'mean=0.12 std=0.5'.
MEAN_WORD, STD_WORD = "mean", "std"
#: A mean this close to 0 next to the spread (|mean| <= ZERO_MEAN_RTOL * std) is shown as 0 ('mean≈0'):
#: it is the rounding noise of a zero mean (e.g. the gradient of softmax cross-entropy summed over classes).
#: float64 arrays use this; narrower floats, whose rounding is coarser, 10 machine epsilons.
ZERO_MEAN_RTOL = 1e-12

NOT_COMPUTED = "not computed yet"
#: How a summary writes a mean that is rounding noise.
ZERO_MEAN = "\u22480"
#: An entry split where columns line up: its integer part (with the sign), then the rest ('.25', 'e-05').
_INTEGER_PART = re.compile(r"-?\d+")


def number_text(x, digits=SCALAR_DIGITS):
    """A number in `digits` significant digits, never '-0' (a negative zero is shown as 0)."""
    return f"{float(x) + 0.0:.{digits}g}"


def percent_text(share):
    """'93.3%' for a share such as an accuracy (0.9333), '-' for None (not measured)."""
    return "-" if share is None else f"{100 * share:.1f}%"


def mean_std(a):
    """(mean, std) of the entries of `a` (all finite) as Python floats, computed in float64 and scaled by the
    largest magnitude, so finite entries never give an infinite std (float32's squares overflow past 1.8e19;
    float64's past 1.3e154)."""
    x = np.asarray(a, dtype=np.float64)
    if not x.size:
        return 0.0, 0.0
    scale = float(np.max(np.abs(x)))
    if scale == 0.0 or not np.isfinite(scale):
        return float(x.mean()), float(x.std())
    y = x / scale
    return float(y.mean()) * scale, float(y.std()) * scale


def mean_is_noise(mean, std, dtype=np.float64):
    """True when `mean` is rounding noise around 0 next to `std` (see ZERO_MEAN_RTOL)."""
    dtype = np.dtype(dtype)
    rtol = max(ZERO_MEAN_RTOL, 10 * float(np.finfo(dtype).eps)) if dtype.kind == "f" else ZERO_MEAN_RTOL
    return abs(mean) <= rtol * std


def mean_text(mean, std, dtype=np.float64):
    """A summary's mean: '≈0' when it is rounding noise next to `std`, else its ENTRY_DIGITS digits."""
    return ZERO_MEAN if mean_is_noise(mean, std, dtype) else number_text(mean, ENTRY_DIGITS)


def summary_text(mean, std, dtype=np.float64):
    """'mean=0.12 std=0.5' ('mean≈0 std=0.5' for a mean that is rounding noise): the one summary notation."""
    m = mean_text(mean, std, dtype)
    return f"{MEAN_WORD}{m if m == ZERO_MEAN else '=' + m} {STD_WORD}={number_text(std, ENTRY_DIGITS)}"


def stat_text(x):
    """A statistic in a table (a mean, a std, a norm): ENTRY_DIGITS digits, as summaries write them; '-' for none."""
    return "-" if x is None else number_text(x, ENTRY_DIGITS)


def summarize_value(v):
    """A value in one line, the same words in every view.

    '0.5' for a scalar (0-d); the entries of an array of at most SHOWN_ENTRIES
    ('[0.1, 0.2, 0.3]', a matrix '[[1, 2], [3, 4]]', a (1,) array '[3]', in
    ENTRY_DIGITS digits, one entry in SCALAR_DIGITS);
    'all 0' when every entry of a larger one is the same, else
    'mean=0.12 std=0.5' of its finite entries (summary_text), with
    '(2 non-finite)' when there are any. Negative zeros show as 0. A mask
    (booleans) lists its entries as 0 and 1, says 'True' for one entry and
    '15/30 true' ('all true') when too large to list.
    """
    if v is None:
        return NOT_COMPUTED
    if v.__class__ is float:
        return number_text(v)
    a = np.asarray(v)
    if a.size == 1:  # a (1,) or (1, 1) array keeps its brackets, as numpy prints it: [3], [[3]]
        return "[" * a.ndim + _scalar_text(a.reshape(())[()], a.dtype) + "]" * a.ndim
    if a.size <= SHOWN_ENTRIES:
        return " ".join(line.strip() for line in _listed_lines(a, align=False))
    return summary_line(a)


def summary_line(v):
    """An array of any size in the words summarize_value gives one too large to list: 'mean=0.12 std=0.5' of its
    finite entries (summary_text), 'all 0' when they are all the same, '(2 non-finite)' when some are not.

    For a view too narrow to list a small matrix's rows: the same notation, never fewer digits."""
    a = np.asarray(v)
    if a.dtype.kind == "b":  # a mask: how many entries are true
        true = int(np.count_nonzero(a))
        return ("all true" if true else "all false") if true in (0, a.size) else f"{true}/{a.size} true"
    finite = a[np.isfinite(a)]
    bad = a.size - finite.size
    if not finite.size:
        return f"all {bad} non-finite"
    if not bad and finite.min() == finite.max():
        return f"all {_scalar_text(finite.flat[0], a.dtype)}"
    text = summary_text(*mean_std(finite), a.dtype)
    return text + (f" ({bad} non-finite)" if bad else "")


def value_lines(v):
    """A value's text as lines for a view with room for several: a listed array with several rows one row a
    line, its columns lined up on the decimal point (as numpy prints it); anything else one line.

    The lines hold the same numbers, in the same order, as ``summarize_value(v)``: only spaces differ.
    """
    if v is None or v.__class__ is float:
        return [summarize_value(v)]
    a = np.asarray(v)
    if a.size <= 1 or a.size > SHOWN_ENTRIES or a.ndim < 2:
        return [summarize_value(a)]
    return _listed_lines(a, align=True)


def listed_lines(v):
    """Every entry of an array of any size, as value_lines lays a listed one out (one row a line, columns lined up):
    for a view with room to list more than SHOWN_ENTRIES (a wide inspector listing a 5x3 matrix)."""
    a = np.asarray(v)
    if a.ndim < 2:
        return [" ".join(line.strip() for line in _listed_lines(a, align=False))]
    return _listed_lines(a, align=True)


def shown_in_full(v):
    """True when `v` is shown entry by entry (a scalar, or an array of at most SHOWN_ENTRIES entries)."""
    return v is not None and np.size(v) <= SHOWN_ENTRIES


def _scalar_text(x, dtype):
    kind = np.dtype(dtype).kind
    if kind == "b":
        return "True" if x else "False"
    return str(int(x)) if kind in "iu" else number_text(x)


def _entry_texts(a):
    if a.dtype.kind in "biu":
        return [str(int(x)) for x in a.ravel()]
    return [number_text(x, ENTRY_DIGITS) for x in a.ravel()]


def _listed_lines(a, align):
    """An array's entries nested in brackets as numpy prints them, one line per innermost row; `align` lines the
    rows' columns up on their decimal points."""
    if a.size == 0:
        return ["[]"]
    entries = _entry_texts(a)
    width = a.shape[-1] if a.ndim else 1
    rows = [entries[k:k + width] for k in range(0, len(entries), width)]
    bodies = _aligned(rows) if align and len(rows) > 1 else [", ".join(row) for row in rows]
    lead = a.shape[:-1]
    lines = []
    for k, index in enumerate(np.ndindex(*lead) if lead else [()]):
        opens = 1 + _trailing(index, [0] * len(lead))
        closes = 1 + _trailing(index, [n - 1 for n in lead])
        comma = "," if k < len(rows) - 1 else ""
        lines.append(" " * (len(lead) + 1 - opens) + "[" * opens + bodies[k] + "]" * closes + comma)
    return lines


def _trailing(index, bound):
    """How many of the last components of `index` equal `bound`'s: the brackets that open (or close) there."""
    count = 0
    for i, b in zip(reversed(index), reversed(bound)):
        if i != b:
            break
        count += 1
    return count


def _aligned(rows):
    """Each row's entries joined so the columns line up on their decimal points ('-0.5,  1.25'); 'nan' and 'inf'
    stand right-aligned in their column, as numpy prints them."""
    split = [[_number_parts(t) for t in row] for row in rows]
    padded = [[None] * len(rows[0]) for _ in rows]  # (spaces before, text, spaces after) of each entry
    for j in range(len(rows[0])):
        numbers = [row[j] for row in split if row[j] is not None]
        left = max((len(p[0]) for p in numbers), default=0)
        right = max((len(p[1]) for p in numbers), default=0)
        width = max([left + right] + [len(row[j]) for row, parts in zip(rows, split) if parts[j] is None])
        for i, (row, parts) in enumerate(zip(rows, split)):
            p = parts[j]
            if p is None:
                padded[i][j] = (width - len(row[j]), row[j], 0)
            else:
                padded[i][j] = (width - right - len(p[0]), row[j], right - len(p[1]))
    return [" ".join(" " * pre + text + ("," + " " * post if j < len(row) - 1 else "")
                     for j, (pre, text, post) in enumerate(row)) for row in padded]


def _number_parts(text):
    """(integer part with its sign, the rest: '.25', 'e-05') of a number's text; None for 'nan' or 'inf'."""
    m = _INTEGER_PART.match(text)
    return None if m is None else (m.group(0), text[m.end():])


def shape_text(shape):
    """'scalar' for (), '3x4' for (3, 4): of a shape, a node or a raw value."""
    if not isinstance(shape, tuple):
        shape = shape.shape if hasattr(shape, "shape") else np.shape(shape)
    return "scalar" if shape == () else "x".join(str(s) for s in shape)


#: The settings (attributes) a call's text shows, per op: (name, default, keyword), in the order the call takes
#: them. A setting equal to its default (a reduction over all axes, softmax along the last axis) is left out; one
#: without a default (`_ALWAYS`) is always shown; `keyword` False writes the value alone ('pow(a, 3)').
_ALWAYS = object()
_REDUCTION = (("axis", None, True), ("keepdims", False, True))
_CALL_SETTINGS = {
    "sum": _REDUCTION, "mean": _REDUCTION, "max": _REDUCTION, "min": _REDUCTION, "any": _REDUCTION,
    "all": _REDUCTION,
    "pow": (("exponent", _ALWAYS, False),),
    "clip": (("lo", None, False), ("hi", None, False)),
    "softmax": (("axis", -1, True),), "log_softmax": (("axis", -1, True),),
    "softmax_cross_entropy": (("labels", _ALWAYS, True),), "svm_loss": (("labels", _ALWAYS, True),),
    "reshape": (("shape", _ALWAYS, False),), "transpose": (("axes", None, True),),
    "concat": (("axis", 0, True),), "stack": (("axis", 0, True),),
    "dropout": (("p", _ALWAYS, True), ("training", True, True)),
    "batch_norm": (("training", True, True), ("eps", 1e-5, True)),
}
#: A setting's array (a loss's labels) lists at most this many entries, then how many there are.
SETTING_ENTRIES = 6


def setting_text(v):
    """A setting's value in a call: '3' (a number), '(0, 1)', '[2, 0, 1]', '[2, 0, 1, 5, 3, 1, ... 128 in all]'."""
    if isinstance(v, (bool, np.bool_)) or v is None or isinstance(v, str):
        return repr(v) if isinstance(v, str) else str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return number_text(v)
    if isinstance(v, tuple) and all(isinstance(k, (int, np.integer)) for k in v):
        return f"({', '.join(str(int(k)) for k in v)}{',' if len(v) == 1 else ''})"
    a = np.asarray(v)
    if a.dtype.kind not in "biuf":
        return f"<{type(v).__name__}>"
    texts = [str(int(x)) if a.dtype.kind in "biu" else number_text(x) for x in a.ravel()[:SETTING_ENTRIES + 1]]
    if a.size > SETTING_ENTRIES:
        return f"[{', '.join(texts[:SETTING_ENTRIES])}, ... {a.size} in all]"
    return f"[{', '.join(texts)}]" if a.ndim else texts[0]


def call_settings(node):
    """The settings a call's text shows ('axis=0', '3', 'labels=[2, 0, 1]'): those that change the maths, as the
    call was written (_CALL_SETTINGS); a custom op's keyword arguments all."""
    attrs = node.attrs
    if node.op_def.handle is not None:
        return [f"{k}={setting_text(v)}" for k, v in attrs.items()]
    shown, skipped = [], False
    for name, default, keyword in _CALL_SETTINGS.get(node.op_def.name, ()):
        v = attrs.get(name, default)
        if name == "training" and attrs.get("computed_training") is not None:
            v = attrs["computed_training"]  # the mode the value was computed in (a switch waits: ops.nn)
        if default is not _ALWAYS and _same_setting(v, default):
            skipped = True
            continue
        shown.append(f"{name}={setting_text(v)}" if keyword or skipped else setting_text(v))
    return shown


def _same_setting(v, default):
    """True when setting `v` is its default (a flag only when it is the same flag: 1 is not True)."""
    if isinstance(v, np.ndarray):
        return False
    if isinstance(default, bool) or isinstance(v, (bool, np.bool_)):
        return isinstance(v, (bool, np.bool_)) and bool(v) == default
    return v == default


def call_text(node):
    """'add(x, y)': the node's op applied to its inputs' names, then the settings that change its maths
    ('sum(a, axis=0)', 'pow(a, 3)', 'clip(x, 0, 1)', 'softmax_cross_entropy(scores, labels=[2, 0, 1])')."""
    args = [i.name for i in node.inputs] + call_settings(node)
    return f"{node.op_def.name}({', '.join(args)})"


def describe_call(node):
    """'q = add(x, y)' for an op node, just the name for a leaf."""
    return node.name if node.op_def is None else f"{node.name} = {call_text(node)}"


def format_table(header, rows):
    """Left-aligned columns separated by two spaces, the last column unpadded; control characters in a cell (a
    name holding ESC) written out (``\\x1b``), so the columns line up as printed."""
    header, rows = [visible(c) for c in header], [[visible(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1] for r in [header] + rows]
    return "\n".join(line.rstrip() for line in lines)


def pretty_as_str(obj, printer, cycle):
    """IPython's display of a report (``_repr_pretty_ = pretty_as_str``): the readable text ``print`` gives."""
    printer.text(str(obj) if not cycle else f"<{type(obj).__name__} ...>")


def array_brief(a):
    """'(100, 2) float64 mean=0.12 std=0.5' for an array, one line whatever its size (reports' short reprs)."""
    a = np.asarray(a)
    if a.size <= SHOWN_ENTRIES:
        return summarize_value(a) if a.ndim else f"{summarize_value(a)} {a.dtype}"
    return f"{a.shape} {a.dtype} {summary_line(a)}"


#: A tensor's repr lists at most this many entries, and the first and last REPR_EDGE of each axis beyond.
REPR_THRESHOLD = 8
REPR_EDGE = 3
#: The dtypes a tensor's repr does not name (the defaults of floats, integers and masks), as torch leaves its own.
_DEFAULT_DTYPES = ("float64", "int64", "bool")


def _repr_array(v, prefix):
    """numpy's text of a value in 4 decimals, rows after the first lined up under the first (after `prefix`)."""
    return np.array2string(np.asarray(v), precision=4, threshold=REPR_THRESHOLD, edgeitems=REPR_EDGE,
                           separator=", ", prefix=prefix)


def tensor_repr(t):
    """``repr`` of a tensor, in torch's habits: 'tensor([[1., 2.], [3., 4.]], name='x', input)' for a small one;
    rows lined up under 'tensor(['; the shape when the values are elided or empty, the dtype when it is not the
    default (float32); a large tensor's gradient by its summary (``grad=<mean=0.12 std=0.5>``), a small one's
    entries; a scalar in 4 decimals, as its entries."""
    v = t._value
    a = np.asarray(v)
    elided = a.size > REPR_THRESHOLD
    notes = []
    if elided or a.size == 0:
        notes.append(f"shape={a.shape}")
    if a.dtype.name not in _DEFAULT_DTYPES:
        notes.append(f"dtype={a.dtype.name}")
    notes.append(f"name={t.name!r}")
    notes.append(f"op={t.op_def.name}" if t.op_def is not None else t.role)
    text = f"tensor({_repr_array(a, 'tensor(')}, {', '.join(notes)}"
    g = t.grad
    if g is not None:
        if elided and np.size(g) > REPR_THRESHOLD:
            text += f", grad=<{summary_line(g)}>"
        else:   # its rows lined up under its first, wherever that starts
            text += ", grad=" + _repr_array(g, " " * (len(text.rsplit("\n", 1)[-1]) + len(", grad=")))
    return text + ")"
