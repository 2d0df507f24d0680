"""Short readable texts of values, shapes, nodes and tables, shared by every view."""
import numpy as np


#: A mean this close to 0 next to the spread (|mean| <= ZERO_MEAN_RTOL * std) is shown as 0 ('mean≈0'):
#: it is the rounding noise of a zero mean (e.g. the gradient of softmax cross-entropy summed over classes).
#: float64 arrays use this; narrower floats, whose rounding is coarser, 10 machine epsilons.
ZERO_MEAN_RTOL = 1e-12


def number_text(x, digits=4):
    """A number in `digits` significant digits, never '-0' (a negative zero is shown as 0)."""
    return f"{float(x) + 0.0:.{digits}g}"


def mean_is_noise(mean, std, dtype=np.float64):
    """True when `mean` is rounding noise around 0 next to `std` (see ZERO_MEAN_RTOL)."""
    dtype = np.dtype(dtype)
    rtol = max(ZERO_MEAN_RTOL, 10 * float(np.finfo(dtype).eps)) if dtype.kind == "f" else ZERO_MEAN_RTOL
    return abs(mean) <= rtol * std


def summarize_value(v, max_entries=4, precision=4, short=False):
    """A value in a few characters, the same rules for every view.

    '0.5' for a scalar, '[0.1, 0.2, 0.3]' for up to `max_entries` entries,
    'all 0' when every entry is the same, else 'mean=0.12 std=0.5' of the
    finite entries (a mean that is rounding noise next to the spread shows as
    'mean≈0'), with '(2 non-finite)' when there are any. Negative zeros show
    as 0. ``short`` is the pictures' form: 'μ=0.12 σ=0.5', listed entries
    and the spread with a digit less.
    """
    if v is None:
        return "not computed yet"
    if v.__class__ is float:
        return number_text(v, precision)
    a = np.asarray(v)
    if a.size == 1:
        return number_text(a.reshape(())[()], precision)
    less = 1 if short else 0  # the pictures' digit less for entries and the spread
    if a.size <= max_entries:
        return "[" + ", ".join(number_text(x, precision - less) for x in a.ravel()) + "]"
    finite = a[np.isfinite(a)]
    bad = a.size - finite.size
    if not finite.size:
        return f"all {bad} non-finite"
    if not bad and finite.min() == finite.max():
        return f"all {number_text(finite.flat[0], precision)}"
    mean, std = finite.mean(), finite.std()
    mean_name, std_name = ("\u03bc", "\u03c3") if short else ("mean", "std")
    mean_text = "\u22480" if mean_is_noise(mean, std, a.dtype) else f"={number_text(mean, 3)}"
    text = f"{mean_name}{mean_text} {std_name}={number_text(std, 3 - less)}"
    return text + (f" ({bad} non-finite)" if bad else "")


def shape_text(shape):
    """'scalar' for (), '3x4' for (3, 4): of a shape, a node or a raw value."""
    if not isinstance(shape, tuple):
        shape = shape.shape if hasattr(shape, "shape") else np.shape(shape)
    return "scalar" if shape == () else "x".join(str(s) for s in shape)


def call_text(node):
    """'add(x, y)': the node's op applied to its inputs' names."""
    return f"{node.op_def.name}({', '.join(i.name for i in node.inputs)})"


def describe_call(node):
    """'q = add(x, y)' for an op node, just the name for a leaf."""
    return node.name if node.op_def is None else f"{node.name} = {call_text(node)}"


def format_table(header, rows):
    """Left-aligned columns separated by two spaces, the last column unpadded."""
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1] for r in [header] + rows]
    return "\n".join(line.rstrip() for line in lines)
