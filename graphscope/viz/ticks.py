"""Axis ticks people read at a glance: whole numbers for counts (iterations, epochs, layers), round steps
(1, 2 or 5 times a power of 10) for values, powers of 10 on a log axis."""
import math

#: The round steps, within each power of 10.
ROUND = (1, 2, 5)


def round_step(span, most):
    """The smallest round step (1, 2 or 5 times a power of 10) that cuts `span` into at most `most` - 1 parts."""
    if span <= 0:
        return 1.0
    power = math.floor(math.log10(span / max(most - 1, 1)))
    return next(m * 10.0 ** k for k in range(power - 1, power + 3) for m in ROUND
                if span / (m * 10.0 ** k) <= most - 1)


def whole_ticks(n, most=6):
    """Ticks for an axis counting 1..n: whole numbers at a round spacing, at most `most` of them, starting at 1."""
    step = max(1, int(round_step(max(n - 1, 1), most)))
    return [1] + [t for t in range(step, n + 1, step) if t > 1]


def nice_ticks(lo, hi, most=5):
    """Multiples of the finest round step that puts at most `most` of them within [lo, hi]; [lo] when lo == hi."""
    if not hi > lo:
        return [lo]
    power = math.floor(math.log10(hi - lo)) - 2
    for step in (m * 10.0 ** k for k in range(power, power + 4) for m in ROUND):
        ticks = [round(k * step, 12) for k in range(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1)]
        if len(ticks) <= most:
            return ticks if len(ticks) >= 2 else [lo, hi]
    return [lo, hi]


def log_ticks(lo, hi, most=6):
    """Powers of 10 within [lo, hi] (every second, third, ... when there are more than `most`); for a range
    holding fewer than two, its ends and the power of 10 between them (or their geometric middle). `lo` > 0."""
    low, high = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
    if high - low < 1:
        middle = 10.0 ** low if low == high else math.sqrt(lo * hi)
        return [lo, middle, hi] if hi > lo else [lo]
    every = math.ceil((high - low + 1) / most)
    return [10.0 ** k for k in range(low, high + 1, every)]


def tick_label(t):
    """An axis label of at most 3 significant digits: '0.25', '1.5e+06', never '3984869818368.0'."""
    return f"{t + 0.0:.3g}"
