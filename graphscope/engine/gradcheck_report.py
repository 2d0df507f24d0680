"""What the gradient checks report: per entry, per input, per node, per graph; and the tables.

``check_nodes`` returns a NodeReport (one NodeCheck per op node, in
topological order; ``first_failure`` is the node to look at); ``gradcheck``
returns a GradcheckReport (one InputCheck per leaf). Both print as readable
tables and are true when everything passed.

Where the analytic and the numerical derivative are both 0 at every entry
checked, a right VJP and a wrong one look the same (2x^2 for 3x^2 at x = 0
passes): such inputs, nodes and leaves pass but are reported as not judged
(``report.unjudged``; ``report.conclusive`` is false), with one wording for
both reports (``unjudged_text``).
"""
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from .errors import GraphscopeError
from .formatting import format_table
from .source import display_location
from .optable import shape_of


class GradcheckError(GraphscopeError, AssertionError):
    """A gradient check failed (raised by gradcheck(..., raise_on_failure=True))."""


# ---------------------------------------------------------------- results

@dataclass
class Entry:
    """One sampled entry: analytic and numerical derivative and their errors."""

    index: tuple
    analytic: float
    numerical: float
    abs_err: float
    rel_err: float
    #: why it passed: "rel" (relative error within rtol), "abs" (error within the finite
    #: difference's own rounding/truncation error: a near-zero derivative), "kink"
    #: (between the one-sided differences at a kink); or "fail"
    basis: str = "rel"
    #: both derivatives are 0 (up to the finite difference's noise): the entry cannot tell right from wrong
    zero: bool = False

    @property
    def ok(self):
        return self.basis != "fail"

    def describe(self):
        where = "" if self.index == () else f"{list(self.index)} "
        return (f"entry {where}analytic {self.analytic:.6g}, numerical {self.numerical:.6g}, "
                f"relative error {self.rel_err:.2g}" + (" (at a kink)" if self.basis == "kink" else ""))


@dataclass
class InputCheck:
    """The check of one input of a node (per-node check) or of one leaf (gradcheck)."""

    name: str
    shape: tuple
    slot: Optional[int] = None
    checked: int = 0
    skipped: int = 0
    kinks: int = 0
    #: entries where the analytic and the numerical derivative are both 0
    zeros: int = 0
    max_rel: float = 0.0
    max_abs: float = 0.0
    worst: List[Entry] = field(default_factory=list)
    note: str = ""
    ok: bool = True
    #: its gradient is used (the input requires one); an unused gradient that is all 0 is not worth a warning
    needed: bool = True

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def unjudged(self):
        """True when it passed only because both derivatives are 0 at every entry checked (and it is needed)."""
        return self.ok and self.needed and self.checked > 0 and self.zeros == self.checked

    @property
    def status(self):
        """'FAIL', 'skip' (nothing could be checked), 'not judged' (all 0) or 'ok'."""
        return "FAIL" if not self.ok else "skip" if not self.checked else NOT_JUDGED if self.unjudged else "ok"

    @property
    def label(self):
        """'input 0 (x (3, 4))' for a node's input (per-node check), the leaf's name for gradcheck."""
        return self.name if self.slot is None else f"input {self.slot} ({self.name} {self.shape})"

    def result_text(self):
        """What was found, in one line: 'max relative error 1.9 over 16 of 16 entries', the reason nothing was
        checked, or why it was not judged."""
        if self.note and not self.checked:
            return self.note
        if self.unjudged:
            return f"not judged: analytic and numerical derivatives are both 0 at all {self.checked} entries checked"
        text = (f"max relative error {self.max_rel:.2g} over {self.checked} of {self.size} entries"
                + (f", {self.kinks} at kinks" if self.kinks else "")
                + (f", {self.skipped} skipped (non-finite)" if self.skipped else ""))
        return text + (f"; {self.note}" if self.note else "")

    def describe(self, entries=3):
        """One line, plus up to `entries` of the worst entries when it failed."""
        text = f"{self.label}: {self.result_text()}"
        if not self.ok and self.worst and entries and (self.checked or not self.note):
            text += "\n      worst " + "\n      ".join(e.describe() for e in self.worst[:entries])
        return text


@dataclass
class NodeCheck:
    """The per-node check of one op node: its VJP against its own forward."""

    node: object
    position: int
    status: str                 # "ok", "FAIL", "error", "skip"
    inputs: List[InputCheck] = field(default_factory=list)
    note: str = ""

    @property
    def ok(self):
        return self.status in ("ok", "skip")

    @property
    def max_rel(self):
        return max((i.max_rel for i in self.inputs), default=0.0)

    @property
    def unjudged(self):
        """The inputs that passed only because both derivatives are 0 at every entry checked."""
        return [i for i in self.inputs if i.unjudged] if self.status == "ok" else []

    @property
    def judged_nothing(self):
        """True when every input it checked passed only because both derivatives are 0 there."""
        zero = self.unjudged
        return bool(zero) and len(zero) == sum(1 for i in self.inputs if i.checked)

    @property
    def status_text(self):
        """'ok', 'ok (2 kinks)', 'FAIL', 'skip (leaf)', 'not judged (all 0)', 'ok; W not judged (all 0)', ..."""
        zero = self.unjudged
        if self.judged_nothing:
            return f"{NOT_JUDGED} (all 0)"
        if zero:
            return f"ok; {', '.join(i.name for i in zero)} {NOT_JUDGED} (all 0)"
        kinks = sum(i.kinks for i in self.inputs)
        note = self.note or (f"{kinks} kink{'s' if kinks > 1 else ''}" if kinks else "")
        return self.status + (f" ({note})" if note else "")

    @property
    def shapes(self):
        """'(4, 8), (8,) -> (4, 8)': input shapes and output shape."""
        ins = ", ".join(str(shape_of(i._value)) for i in self.node.inputs)
        return f"{ins} -> {shape_of(self.node._value)}"

    @property
    def error_figure(self):
        """Its largest relative error ('1.1e-10'), or None when no entry was compared (a skipped node, or inputs
        that cannot be checked) or every entry compared was 0 both ways (not judged): such a node has no error
        figure."""
        if not any(i.checked for i in self.inputs) or self.judged_nothing:
            return None
        return f"{self.max_rel:.1e}"

    def describe(self):
        """Several lines: the node, op, shapes, scope and source, then each input's result."""
        n = self.node
        head = (f"{n.name} (op {n.op}) {self.shapes}, scope {n.scope or '(top level)'}, made at {display_location(n.source)}: "
                f"{self.status}" + (f" ({self.note})" if self.note else ""))
        return "\n".join([head] + [f"    {i.describe()}" for i in self.inputs])


@dataclass
class NodeReport:
    """The per-node check of a whole graph, in topological order."""

    rows: List[NodeCheck]

    @property
    def ok(self):
        return all(r.ok for r in self.rows)

    def __bool__(self):
        return self.ok

    @property
    def failures(self):
        return [r for r in self.rows if not r.ok]

    @property
    def first_failure(self):
        """The first failing node in topological order (the one to look at first), or None."""
        bad = self.failures
        return bad[0] if bad else None

    @property
    def unjudged(self):
        """The nodes with an input whose analytic and numerical derivatives are both 0 at every entry checked."""
        return [r for r in self.rows if r.unjudged]

    @property
    def conclusive(self):
        """False when some node passed only because its gradients are 0 where they were checked."""
        return not self.unjudged

    def table(self, failures_only=False):
        """A readable table: one row per op node, inputs before outputs."""
        rows = self.failures if failures_only else self.rows
        header = ("#", "node", "op", "shapes", "scope", "max rel err", "checked", "status", "source")
        body = [(str(r.position), r.node.name, r.node.op, r.shapes, r.node.scope or "-",
                 r.error_figure or "-", str(sum(i.checked for i in r.inputs)),
                 r.status_text, display_location(r.node.source)) for r in rows]
        return format_table(header, body)

    def summary(self, nonfinite_hint=None):
        """One line, or the first failure in full.

        Nodes skipped because their values are not finite get `nonfinite_hint`
        (where to look for the first non-finite value), by default a pointer to
        ``graph.find_nonfinite()``.
        """
        n_ops = len(self.rows)
        skipped = sum(r.status == "skip" for r in self.rows)
        zero = [r.node.name for r in self.unjudged]
        warning = f"\n{unjudged_text(zero)}" if zero else ""
        first = self.first_failure
        if first is None:
            passed = n_ops - skipped - len(zero)
            text = f"all {n_ops} op nodes passed" if passed == n_ops else f"{passed} of {n_ops} op nodes passed"
            if skipped:
                hint = nonfinite_hint or "graph.find_nonfinite() names the node that made the first"
                text += f", {skipped} skipped (their values are not finite: {hint})"
            return text + unjudged_count(zero) + warning
        return (f"{len(self.failures)} of {n_ops} op nodes failed{unjudged_count(zero)}; first failing node:\n  "
                + first.describe().replace("\n", "\n  ") + warning)

    def __str__(self):
        return self.table() + "\n\n" + self.summary()


@dataclass
class GradcheckReport:
    """gradcheck's answer: per leaf, the analytic gradient against finite differences of the output."""

    output: object
    leaves: List[InputCheck]
    nodes: Optional[NodeReport] = None

    @property
    def ok(self):
        return all(leaf.ok for leaf in self.leaves)

    def __bool__(self):
        return self.ok

    @property
    def max_rel(self):
        return max((leaf.max_rel for leaf in self.leaves), default=0.0)

    @property
    def unjudged(self):
        """The leaves whose analytic and numerical gradients are both 0 at every entry checked."""
        return [leaf for leaf in self.leaves if leaf.unjudged]

    @property
    def conclusive(self):
        """False when some leaf passed only because its gradient is 0 where it was checked."""
        return not self.unjudged

    def table(self):
        header = ("leaf", "shape", "checked", "max rel err", "max abs err", "status")
        body = [(leaf.name, str(leaf.shape), f"{leaf.checked}/{leaf.size}",
                 f"{leaf.max_rel:.1e}" if leaf.status in ("ok", "FAIL") else "-",
                 f"{leaf.max_abs:.1e}" if leaf.status in ("ok", "FAIL") else "-",
                 leaf.status + (" (all 0)" if leaf.unjudged else "")) for leaf in self.leaves]
        return format_table(header, body)

    def summary(self):
        zero = self.unjudged
        if self.ok:
            checked = [leaf for leaf in self.leaves if leaf.status == "ok"]
            skipped = sum(leaf.status == "skip" for leaf in self.leaves)
            text = f"gradcheck of {self.output.name}: {_count(checked, 'leaf', 'leaves')} passed"
            if skipped:
                text += f", {skipped} skipped (no finite differences: the output is not finite around them)"
            names = [leaf.name for leaf in zero]
            return text + unjudged_count(names) + (f"\n{unjudged_text(names, 'a wrong gradient')}" if zero else "")
        lines = [f"gradcheck of {self.output.name}: the gradient of "
                 f"{', '.join(leaf.name for leaf in self.leaves if not leaf.ok)} is wrong"]
        lines += [f"  {leaf.describe(entries=1)}" for leaf in self.leaves if not leaf.ok]
        if self.nodes is not None:
            first = self.nodes.first_failure
            if first is not None:
                lines.append("  the per-node check blames: " + first.describe().replace("\n", "\n  "))
            else:
                lines.append("  every node's own VJP passed the per-node check: look at how the graph was built "
                             "(e.g. a value used after an in-place change)")
        if zero:
            lines.append(unjudged_text([leaf.name for leaf in zero], "a wrong gradient"))
        return "\n".join(lines)

    def __str__(self):
        return self.table() + "\n\n" + self.summary()


# ---------------------------------------------------------------- helpers

#: The status of an input, node or leaf whose compared derivatives are all 0.
NOT_JUDGED = "not judged"
#: How many names an unjudged_text lists before '... and N more'.
NAMES_SHOWN = 6


def unjudged_text(names, what="a wrong VJP"):
    """The warning about inputs, nodes or leaves whose compared gradients are all 0: one wording for every report.

    'warning: at cube_4 the analytic and numerical gradients are both 0 at every entry checked: ...'
    """
    shown = _listed(names, f" and {len(names) - NAMES_SHOWN} more")
    these = "this gradient is" if len(names) == 1 else "these gradients are"
    it = "it is" if len(names) == 1 else "they are"
    return (f"warning: at {shown} the analytic and numerical gradients are both 0 at every entry checked, so "
            f"{what} would pass as well ({NOT_JUDGED}); unless {these} always 0 (as a bias's before batch "
            f"norm is), check again at input values where {it} not (not all zeros, not symmetric around 0)")


def unjudged_count(names):
    """', 2 not judged (all 0): x, W' for a summary line ('' when there are none)."""
    if not names:
        return ""
    return f", {len(names)} {NOT_JUDGED} (all 0): {_listed(names, ' ...')}"


def _listed(names, more):
    """The first NAMES_SHOWN names, then `more` when there are others."""
    return ", ".join(names[:NAMES_SHOWN]) + (more if len(names) > NAMES_SHOWN else "")


def _count(items, one, many):
    return f"{len(items)} {one if len(items) == 1 else many}"
