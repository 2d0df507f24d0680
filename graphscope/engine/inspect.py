"""Short readable texts of values, shapes, nodes and tables, shared by every view."""
import numpy as np


def summarize_value(v, max_entries=4, precision=4):
    """'0.5' for scalars, '[0.1, 0.2, ...]' for small arrays, 'mean=.. std=..' for large ones."""
    if v is None:
        return "not computed yet"
    if v.__class__ is float:
        return f"{v:.{precision}g}"
    a = np.asarray(v)
    if a.size == 1:
        return f"{a.reshape(())[()]:.{precision}g}"
    if a.size <= max_entries:
        return "[" + ", ".join(f"{x:.{precision}g}" for x in a.ravel()) + "]"
    finite = a[np.isfinite(a)]
    bad = a.size - finite.size
    stats = f"mean={finite.mean():.3g} std={finite.std():.3g}" if finite.size else "no finite entries"
    return stats + (f" ({bad} non-finite)" if bad else "")


def shape_text(shape):
    """'scalar' for (), '3x4' for (3, 4)."""
    return "scalar" if shape == () else "x".join(str(s) for s in shape)


def call_text(node):
    """'add(x, y)': the node's op applied to its inputs' names."""
    return f"{node.fn.name}({', '.join(i.name for i in node.inputs)})"


def describe_call(node):
    """'q = add(x, y)' for an op node, just the name for a leaf."""
    return node.name if node.fn is None else f"{node.name} = {call_text(node)}"


def format_table(header, rows):
    """Left-aligned columns separated by two spaces, the last column unpadded."""
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1] for r in [header] + rows]
    return "\n".join(line.rstrip() for line in lines)
