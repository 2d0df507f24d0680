"""Short readable summaries of values and gradients, shared by every view."""
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
