"""Is each layer healthy? A short diagnosis of gs.layer_stats' numbers, in the lecture's words.

``diagnose(stats)`` reads a ``LayerStatsList`` and finds, each as one line:

- vanishing or exploding gradients: a scope whose gradient std is three orders
  of magnitude (``GRADIENT_ORDERS``) below or above the last scope's (the
  scores, which the loss's gradient reaches first; the last one whose
  gradient has a spread), and scopes no gradient reaches at all (exactly 0);
- dead ReLU layers and saturated tanh / sigmoid layers: more than
  ``UNHEALTHY_FRACTION`` (90%) of their units;
- symmetric weights: a weight matrix whose units all hold the same weights
  (zero or constant init): they compute the same and get the same gradient;
- statistics that are not finite (a NaN or inf activation or gradient).

``epoch_summary(stats)`` is the compact per-epoch record the trainer keeps
in its history (per scope: gradient std, dead or saturated fraction, the
weight's update/weight ratio) with the diagnosis's lines.
"""
import math
from dataclasses import dataclass

from ..engine.formatting import pretty_as_str, stat_text
from .monitor import SIGMOID_SATURATED, TANH_SATURATED

#: A gradient std more than this many orders of magnitude from the last scope's is vanishing (or exploding).
GRADIENT_ORDERS = 3
#: A layer with more than this share of dead (or saturated) units is reported.
UNHEALTHY_FRACTION = 0.9
#: How many scope names a line lists before 'and N more'.
NAMES_SHOWN = 4

HEALTHY = "no vanishing or exploding gradients, dead or saturated layers, or symmetric weights found"
#: What the diagnosis says of a graph in which it found no layer to examine.
NOTHING_EXAMINED = "nothing examined: no layers (no op reads a gs.param)"


@dataclass(frozen=True)
class Finding:
    """One problem: its kind ('vanishing', 'exploding', 'no gradient', 'dead', 'saturated', 'symmetric',
    'not finite'), the scopes (or parameters) it concerns, and the line that says it."""

    kind: str
    names: tuple
    text: str

    def __str__(self):
        return self.text

    def __repr__(self):
        return f"<Finding {self.kind}: {', '.join(self.names)}>"

    _repr_pretty_ = pretty_as_str


class Diagnosis(list):
    """The findings of ``diagnose``, in the order above; ``lines()`` their texts, ``str()`` one per line (or the
    line saying all is well in the layers examined, and what could not be checked)."""

    #: the LayerStatsList diagnosed (what the all-well line says was examined)
    stats = ()

    def lines(self):
        return [f.text for f in self]

    def kinds(self):
        return {f.kind for f in self}

    def __str__(self):
        return "\n".join(self.lines()) if self else healthy_text(self.stats)

    def __repr__(self):
        if not self:
            return "<Diagnosis: nothing found; print it for what was examined>"
        return f"<Diagnosis: {', '.join(sorted(self.kinds()))}; print it for the advice>"

    _repr_pretty_ = pretty_as_str


def healthy_text(stats):
    """The line for a diagnosis that found nothing: what was looked for, in how many layers, and what could not
    be checked there (never 'none found' for a check that had nothing to examine)."""
    if not stats:
        return NOTHING_EXAMINED
    checked, unchecked = [], []
    grads = [s for s in stats if s.gradient is not None and _finite(s.gradient.std)]
    if not grads:
        unchecked.append("vanishing or exploding gradients (no gradient computed yet)")
    elif len(grads) < 2:
        unchecked.append("vanishing or exploding gradients (one layer: no other gradient to compare with)")
    else:
        checked.append("vanishing or exploding gradients")
    if any(s.fraction_kind for s in stats):
        checked.append("dead or saturated layers")
    else:
        unchecked.append("dead or saturated units (no layer ends in ReLU, tanh or sigmoid)")
    if any(p.symmetric is not None for s in stats for p in s.params):
        checked.append("symmetric weights")
    else:
        unchecked.append("symmetric weights (no weight matrix of 2 or more units)")
    noun = "layer" if getattr(stats, "implicit", False) else "scope"
    where = f"{len(stats)} {noun}{'s' if len(stats) != 1 else ''}"
    if not checked:
        return f"nothing could be checked in {where}: " + "; ".join(unchecked)
    if len(checked) == 3:
        text = HEALTHY
    else:
        text = "no " + " or ".join(checked) + " found"
    text += f" in {where}"
    return text + ("; not checked: " + "; ".join(unchecked) if unchecked else "")


def diagnose(stats):
    """The Diagnosis of a ``LayerStatsList`` (gs.layer_stats, trainer.layer_stats())."""
    found = Diagnosis()
    found.stats = stats
    found += _not_finite(stats)
    found += _symmetric(stats)
    found += _fractions(stats, "dead", "dead units",
                        "they output 0 on every example, so no gradient passes them (a negative bias, too large a "
                        "learning rate, or a poor init pushed them there): try bias 0 or 0.01, He init, a smaller "
                        "learning rate, or leaky ReLU")
    found += _fractions(stats, "saturated", "saturated outputs",
                        f"they sit where tanh/sigmoid is flat (|tanh| > {TANH_SATURATED:g}, sigmoid < "
                        f"{SIGMOID_SATURATED[0]:g} or > {SIGMOID_SATURATED[1]:g}), so their local gradient is ~0: try "
                        f"smaller weights (Xavier init), standardized inputs, or batch norm")
    found += _gradients(stats)
    return found


def _finite(x):
    return x is not None and math.isfinite(x)


def _names(names, noun="scopes"):
    """'fc1, fc2, fc3' or, for more than NAMES_SHOWN, 'fc1 ... sigmoid8 (16 scopes)'."""
    if len(names) <= NAMES_SHOWN:
        return ", ".join(names)
    return f"{names[0]} ... {names[-1]} ({len(names)} {noun})"


def _not_finite(stats):
    bad = [s.scope for s in stats if s.activation.nonfinite or (s.gradient is not None and s.gradient.nonfinite)
           or (s.gradient is not None and not _finite(s.gradient.std))]
    if not bad:
        return []
    return [Finding("not finite", tuple(bad),
                    f"not finite: {_names(bad)} {'holds' if len(bad) == 1 else 'hold'} NaN or inf activations or gradients: the run has diverged (or "
                    f"is about to): find the node that made it with gs.detect_anomaly (or `graphscope check`), "
                    f"whose why: line says if it is written in an unstable form; the learning rate is to blame only "
                    f"when the loss grew over the updates before it")]


def _gradients(stats):
    """Vanishing, exploding and absent gradients, against the last scope's gradient std."""
    with_grad = [s for s in stats if s.gradient is not None and _finite(s.gradient.std)]
    spread = [i for i, s in enumerate(with_grad) if s.gradient.std > 0]
    if not spread:
        return []
    ref = with_grad[spread[-1]]  # the last scope with a spread gradient (a scalar loss's scope has none)
    before = with_grad[:spread[-1]]
    ref_std = ref.gradient.std
    factor = 10.0 ** GRADIENT_ORDERS
    zero = [s for s in before if s.gradient.std == 0 and s.gradient.min == 0 == s.gradient.max]
    small = [s for s in before if s not in zero and s.gradient.std * factor < ref_std]
    large = [s for s in before if s.gradient.std > factor * ref_std]
    out = []
    against = f"the gradient std at {ref.scope} ({stat_text(ref_std)})"
    if small:
        low = min(small, key=lambda s: s.gradient.std)
        out.append(Finding("vanishing", tuple(s.scope for s in small),
                           f"vanishing gradients: {_names([s.scope for s in small])} {_get(small)} less than "
                           f"1/{factor:g} of "
                           f"{against}, down to {stat_text(low.gradient.std)} at {low.scope}: their weights barely "
                           f"learn; try Xavier or He init, ReLU instead of sigmoid/tanh, or batch norm"))
    if zero:
        dead = [s.scope for s in stats if s.fraction_kind == "dead" and _finite(s.fraction) and s.fraction >= 1]
        zeros = [p.name for s in stats for p in s.params if len(p.shape) >= 2 and p.norm == 0]
        why = (f"the dead units of {_names(dead)} pass nothing back" if dead else
               f"the all-0 weights of {_names(zeros, 'weights')} pass nothing back" if zeros else
               "something between them and the loss passes nothing back (dead units, zero weights)")
        out.append(Finding("no gradient", tuple(s.scope for s in zero),
                           f"no gradient: {_names([s.scope for s in zero])} {_get(zero)} exactly 0: {why}"))
    if large:
        high = max(large, key=lambda s: s.gradient.std)
        out.append(Finding("exploding", tuple(s.scope for s in large),
                           f"exploding gradients: {_names([s.scope for s in large])} {_get(large)} more than "
                           f"{factor:g} times {against}, up to {stat_text(high.gradient.std)} at {high.scope}"
                           f"{_dead_yet_reached(stats, large)}: try smaller initial weights (Xavier or He), a "
                           f"smaller learning rate, or batch norm"))
    return out


def _get(scopes):
    """The verb after a list of scopes: 'relu2 gets', 'fc1, fc2 get' (a scope's gradient: the one reaching its
    output)."""
    return "gets" if len(scopes) == 1 else "get"


def _dead_yet_reached(stats, large):
    """What the exploding line adds when some of its scopes are dead units: the gradient measured is the one that
    reaches their output; none passes through them (dead: they output 0 on every example)."""
    dead = [s.scope for s in large if s.fraction_kind == "dead" and _finite(s.fraction)
            and s.fraction > UNHEALTHY_FRACTION]
    if not dead:
        return ""
    one = len(dead) == 1
    return (f" (the gradient reaching the output of {_names(dead)}: {'its' if one else 'their'} units are dead, "
            f"they output 0, so none of it passes back through {'it' if one else 'them'})")


def _fractions(stats, kind, title, why):
    bad = [s for s in stats if s.fraction_kind == kind and _finite(s.fraction) and s.fraction > UNHEALTHY_FRACTION]
    if not bad:
        return []
    listed = ", ".join(f"{s.scope} {s.fraction:.0%}" for s in bad[:NAMES_SHOWN])
    if len(bad) > NAMES_SHOWN:
        listed += f" and {len(bad) - NAMES_SHOWN} more"
    counted = next((s.examples for s in bad if s.examples), None)
    on = f" (on {counted} examples)" if counted else ""
    return [Finding(kind, tuple(s.scope for s in bad), f"{title}{on}: {listed}: {why}")]


def _symmetric(stats):
    same = [p for s in stats for p in s.params if p.symmetric]
    if not same:
        return []
    units = sorted({p.shape[1] for p in same})
    count = " or ".join(map(str, units))
    return [Finding("symmetric", tuple(p.name for p in same),
                    f"symmetric weights: in {_names([p.name for p in same], 'weights')} all {count} units hold the same "
                    f"weights (zero or constant init), so they compute the same and get the same gradient, for "
                    f"ever: draw random initial weights (Xavier, He, or normal with std 0.01)")]


def epoch_summary(stats, epoch=None):
    """The compact record of one epoch's layers: JSON-able, for the history.

    {"epoch": 3, "examples": 500, "scopes": {"relu1": {"grad_std": 0.01, "dead": 0.38, "update_ratio": 2e-3},
    ...}, "diagnosis": [lines]}: per scope the gradient std, the dead or saturated fraction (when its op has
    one) and the update/weight ratio of its weight (when it has one and a step was taken).
    """
    scopes = {}
    for s in stats:
        entry = {"grad_std": None if s.gradient is None else s.gradient.std}
        if s.fraction_kind:
            entry[s.fraction_kind] = s.fraction
        w = s.weight
        if w is not None and w.update_ratio is not None:
            entry["update_ratio"] = w.update_ratio
        scopes[s.scope] = entry
    out = {"epoch": epoch} if epoch is not None else {}
    examples = next((s.examples for s in stats if s.examples), None)
    out.update({"examples": examples, "scopes": scopes, "diagnosis": diagnose(stats).lines()})
    return out
