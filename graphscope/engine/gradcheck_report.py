"""What the gradient checks report: per entry, per input, per node, per graph; and the tables.

``check_nodes`` returns a NodeReport (one NodeCheck per op node, in
topological order; ``first_failure`` is the node to look at); ``gradcheck``
returns a GradcheckReport (one InputCheck per leaf). Both print as readable
tables; ``ok`` says nothing failed, ``conclusive`` that nothing was left
unjudged, and a report is true when nothing failed and everything was
compared (false when a node's value or the output is not finite).

Where the analytic and the numerical derivative are both 0 at every entry
checked, a right VJP and a wrong one look the same (2x^2 for 3x^2 at x = 0
passes): such inputs, nodes and leaves pass but are reported as not judged
(``report.unjudged``; ``report.conclusive`` is false), with one wording for
both reports (``unjudged_text``). So are those where no entry could be compared at all (every
finite difference sampled was not finite): a check of 0 entries says nothing.

Every report prints as readable text (``print(gs.check_node(node))``,
``print(gs.check_nodes(loss))``) and has a one-line ``repr``; ``describe()``
and ``table()``/``summary()`` give the same text in parts.
"""
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from .errors import GraphscopeError
from .backward import vjp_source
from .formatting import format_table
from .optable import shape_of
from .source import display_location
from .words import plural


#: The status of an input, node or leaf that passed without a verdict.
NOT_JUDGED = "not judged"
#: Why: the analytic and numerical derivatives are 0 at every entry compared ...
ALL_ZERO = "all 0"
#: ... or no entry could be compared: every finite difference sampled was not finite.
NO_DIFFERENCES = "no finite differences"
#: The note of a node skipped because its value is not finite (the NaN-origin search says where that starts).
VALUE_NOT_FINITE = "its value is not finite"
#: The note of a node none of whose inputs can be checked (integer or declared non-differentiable inputs).
NOTHING_TO_CHECK = "no input it can be differentiated in"
#: The problem of an input whose VJP returns a gradient in less precision than the input (float32 for float64).
WRONG_DTYPE = "wrong dtype"
#: How many failing nodes a NodeReport summary describes in full.
FAILURES_DETAILED = 5
#: How many names an unjudged_text lists before '... and N more'.
NAMES_SHOWN = 6


class GradcheckError(GraphscopeError, AssertionError):
    """A gradient check failed (raised by gradcheck(..., raise_on_failure=True))."""


# ---------------------------------------------------------------- results

@dataclass
class Entry:
    """One sampled entry: analytic and numerical derivative and their errors (``str()`` is ``describe()``)."""

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
    #: set when `analytic` is the VJP's result in this dtype ('float32') and `numerical` float64's VJP result
    dtype: str = ""
    #: at a kink: the two one-sided differences (lower, upper) that `analytic` lies between
    between: Optional[tuple] = None

    @property
    def ok(self):
        return self.basis != "fail"

    def describe(self):
        where = "" if self.index == () else f"{list(self.index)} "
        if self.dtype:
            return f"entry {where}{self.dtype} {self.analytic + 0.0:.6g}, float64 {self.numerical + 0.0:.6g}"
        if self.between is not None:  # excused, not compared: say what was excused
            low, high = self.between
            return (f"entry {where}analytic {self.analytic + 0.0:.6g} at a kink: between the one-sided differences "
                    f"{low + 0.0:.6g} and {high + 0.0:.6g} (the central difference {self.numerical:.6g} is "
                    f"{self.rel_err:.2g} away, relatively)")
        return (f"entry {where}analytic {self.analytic:.6g}, numerical {self.numerical:.6g}, "
                f"relative error {self.rel_err:.2g}" + (" (at a kink)" if self.basis == "kink" else ""))

    __str__ = describe


@dataclass(repr=False)
class InputCheck:
    """The check of one input of a node (per-node check) or of one leaf (gradcheck).

    ``str()`` is ``describe()``; ``repr()`` one line.
    """

    name: str
    shape: tuple
    slot: Optional[int] = None
    checked: int = 0
    skipped: int = 0
    kinks: int = 0
    #: entries where the analytic and the numerical derivative are both 0 (up to the finite difference's noise)
    zeros: int = 0
    #: the largest |analytic derivative| among those entries: 0 when they are exactly 0, 1e-19 when they are ~0
    zero_largest: float = 0.0
    max_rel: float = 0.0
    max_abs: float = 0.0
    #: entries whose relative error was measured (not excused at a kink, not within the difference's own error):
    #: max_rel is theirs
    measured: int = 0
    #: the entries excused at kinks (largest relative distance from the central difference first, at most 3)
    excused: List[Entry] = field(default_factory=list)
    worst: List[Entry] = field(default_factory=list)
    note: str = ""
    ok: bool = True
    #: its gradient is used (the input requires one); an unused gradient that is all 0 is not worth a warning
    needed: bool = True
    #: what failed when it is not a measured error: 'wrong shape', 'not finite'
    problem: str = ""
    #: why its gradients are all 0, when the graph says (kind, detail): ('vanishing', 'at most 2e-15 reaches
    #: add_23, against 0.016 at scores'), ('zero input', 'relu_27 is all 0') or ('dead relu', '97% of its input
    #: entries are <= 0'); None when nothing explains it (then the input values may)
    cause: Optional[tuple] = None

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def unjudged_reason(self):
        """Why it passed without a verdict: ALL_ZERO (both derivatives are 0 at every entry checked, and it is
        needed), NO_DIFFERENCES (every sampled entry's finite difference was not finite: 0 entries compared), or
        None."""
        if not self.ok:
            return None
        if not self.checked:
            return NO_DIFFERENCES if self.skipped else None
        return ALL_ZERO if self.needed and self.zeros == self.checked else None

    @property
    def unjudged(self):
        """True when it passed without a verdict (see ``unjudged_reason``)."""
        return self.unjudged_reason is not None

    @property
    def reason_label(self):
        """``unjudged_reason`` as tables say it: 'all 0', 'all ~0' (derivatives of at most 1e-19, not exactly 0),
        'no finite differences', or None."""
        return _reason_label(self.unjudged_reason, self.zero_largest)

    @property
    def status(self):
        """'FAIL', 'not judged' (all 0, or no entry could be compared), 'skip' (nothing to check) or 'ok'."""
        return "FAIL" if not self.ok else NOT_JUDGED if self.unjudged else "skip" if not self.checked else "ok"

    @property
    def label(self):
        """'input 0 (x (3, 4))' for a node's input (per-node check), the leaf's name for gradcheck."""
        return self.name if self.slot is None else f"input {self.slot} ({self.name} {self.shape})"

    def result_text(self):
        """What was found, in one line: 'max relative error 1.9 over 16 of 16 entries', the reason nothing was
        checked, or why it was not judged."""
        if self.unjudged_reason == NO_DIFFERENCES:
            return (f"{NOT_JUDGED}: 0 of {self.size} entries compared; every finite difference of the "
                    f"{self.skipped} sampled was not finite")
        if self.note and not self.checked:
            return self.note
        if self.unjudged:
            both = f"~0 (at most {self.zero_largest:.2g})" if self.zero_largest else "0"
            return (f"{NOT_JUDGED}: analytic and numerical derivatives are both {both} at all {self.checked} entries "
                    f"checked")
        if self.problem == WRONG_DTYPE and self.checked:  # the dtype first: the values may well be right
            return (f"{self.note}; against finite differences: max relative error {self.max_rel:.2g} over "
                    f"{self.checked} of {self.size} entries")
        if self.worst and self.worst[0].dtype:  # right in float64, wrong in the graph's dtype: that first
            return (f"{self.note}; in float64 against finite differences: max relative error {self.max_rel:.2g} over "
                    f"{self.checked} of {self.size} entries")
        text = (f"max relative error {self.max_rel:.2g} over {self.checked} of {self.size} entries" if self.measured
                else f"{self.checked} of {self.size} entries checked, none by relative error"
                + (f", {self.kinks} at kinks" if self.kinks else "")
                + (f", {self.skipped} skipped (non-finite)" if self.skipped else ""))
        return text + (f"; {self.note}" if self.note else "")

    def describe(self, entries=3):
        """One line, plus up to `entries` of the worst entries when it failed, and of those excused at kinks."""
        text = f"{self.label}: {self.result_text()}"
        wrong = self.problem != WRONG_DTYPE or not all(e.ok for e in self.worst)  # a dtype alone: no entry is wrong
        if not self.ok and self.worst and entries and (self.checked or not self.note) and wrong:
            text += "\n      worst " + "\n      ".join(e.describe() for e in self.worst[:entries])
        if self.excused and entries:
            text += "\n      excused " + "\n      ".join(e.describe() for e in self.excused[:entries])
        return text


    __str__ = describe

    def __repr__(self):
        return f"<InputCheck {self.name} {self.shape}: {self.status}, {self.checked} checked, max rel err {self.max_rel:.1e}>"


@dataclass(repr=False)
class NodeCheck:
    """The per-node check of one op node: its VJP against its own forward.

    ``str()`` is ``describe()`` (several readable lines); ``repr()`` one line.
    """

    node: object
    position: int
    status: str                 # "ok", "FAIL", "error", "skip"
    inputs: List[InputCheck] = field(default_factory=list)
    note: str = ""
    #: the whole message behind a short note (what a VJP that raised said, translated), shown below the table
    detail: str = ""

    @property
    def ok(self):
        return self.status in ("ok", "skip")

    @property
    def max_rel(self):
        return max((i.max_rel for i in self.inputs), default=0.0)

    @property
    def unjudged(self):
        """The inputs that passed without a verdict: both derivatives 0 at every entry checked, or no entry
        compared (every finite difference sampled was not finite)."""
        return [i for i in self.inputs if i.unjudged] if self.status == "ok" else []

    @property
    def judged_nothing(self):
        """True when every input it tried passed without a verdict."""
        zero = self.unjudged
        return bool(zero) and len(zero) == sum(1 for i in self.inputs if i.checked or i.skipped)

    @property
    def cause(self):
        """The first unjudged input's cause (see InputCheck.cause), or None."""
        return next((i.cause for i in self.unjudged if i.cause), None)

    @property
    def unjudged_reason(self):
        """ALL_ZERO or NO_DIFFERENCES (its inputs' reason, when they share one), 'several reasons', or None."""
        reasons = {i.unjudged_reason for i in self.unjudged}
        return None if not reasons else reasons.pop() if len(reasons) == 1 else "several reasons"

    @property
    def reason_label(self):
        """``unjudged_reason`` as tables say it ('all ~0' when some input's derivatives were not exactly 0)."""
        return _reason_label(self.unjudged_reason, max((i.zero_largest for i in self.unjudged), default=0.0))

    @property
    def status_text(self):
        """'ok', 'ok (2 kinks)', 'FAIL', 'skip (leaf)', 'not judged (all 0)', 'ok; W not judged (all ~0)', ..."""
        if self.node.op_def is None and self.note:  # a leaf: what the checks of the nodes using it say
            return self.note
        zero = self.unjudged
        if self.judged_nothing:
            return f"{NOT_JUDGED} ({self.reason_label})"
        if zero:
            return "ok; " + ", ".join(f"{i.name} {NOT_JUDGED} ({i.reason_label})" for i in zero)
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
        """Its largest relative error ('1.1e-10'), or None when no entry was compared or every entry compared was 0
        both ways (not judged). A failed node's figure is that of its failing inputs (None when what failed is not
        a measured error, such as a gradient of the wrong shape: ``failure`` says it)."""
        if self.status == "FAIL":
            measured = [i for i in self.inputs if not i.ok and i.checked and not (i.worst and i.worst[0].dtype)
                        and i.problem != WRONG_DTYPE]
            return f"{max(i.max_rel for i in measured):.1e}" if measured else None
        if not any(i.measured for i in self.inputs) or self.judged_nothing:
            return None
        return f"{self.max_rel:.1e}"

    @property
    def failure(self):
        """What failed when it is not a measured error ('wrong shape', 'wrong dtype'), else ''."""
        return next((i.problem for i in self.inputs if not i.ok and i.problem), "")

    @property
    def vjp_text(self):
        """'VJP sq_vjp at scratch/myops.py:9': where its op's VJP is defined ('' when that is not known)."""
        found = vjp_source(self.node.op_def)
        return "" if found is None else f"VJP {found[0]} at {display_location(found[1])}"

    def describe(self):
        """Several lines: the node, op, shapes, scope and source (and, when it failed, where its op's VJP is
        defined), then each input's result."""
        n = self.node
        head = (f"{n.name} (op {n.op}) {self.shapes}, scope {n.scope or '(top level)'}, made at {display_location(n.source)}: "
                f"{self.status}" + (f" ({self.note})" if self.note else ""))
        lines = [head]
        if self.status in ("FAIL", "error") and self.vjp_text:
            lines.append(f"    its {self.vjp_text}")
        if self.detail:
            lines.append("    " + self.detail.replace("\n", "\n    "))
        return "\n".join(lines + [f"    {i.describe()}" for i in self.inputs])

    __str__ = describe

    def __repr__(self):
        figure = self.error_figure
        return (f"<NodeCheck {self.node.name} (op {self.node.op}): {self.status_text}"
                + (f", max rel err {figure}" if figure else "") + ">")


@dataclass(repr=False)
class NodeReport:
    """The per-node check of a whole graph, in topological order.

    ``str()`` is the table and the summary; ``repr()`` one line.
    """

    rows: List[NodeCheck]

    @property
    def ok(self):
        """True when no node failed (some may not have been judged: see ``conclusive``)."""
        return all(r.ok for r in self.rows)

    def __bool__(self):
        """True when no node failed and every node was compared: false when one was never checked (its value is
        not finite) or none of an input's entries could be compared, so ``assert gs.check_nodes(loss)`` does not
        hold on a NaN graph. Nodes whose gradients are 0 both ways were compared (see ``conclusive``)."""
        return self.ok and not any(r in self.not_finite or any(i.unjudged_reason == NO_DIFFERENCES for i in r.unjudged)
                                   for r in self.unjudged)

    @property
    def failures(self):
        return [r for r in self.rows if not r.ok]

    @property
    def first_failure(self):
        """The first failing node in topological order (the one to look at first), or None."""
        bad = self.failures
        return bad[0] if bad else None

    @property
    def not_finite(self):
        """The nodes never checked because their values are not finite (a NaN or an infinity made upstream)."""
        return [r for r in self.rows if r.status == "skip" and r.note == VALUE_NOT_FINITE]

    @property
    def unjudged(self):
        """The nodes the check could not judge: an input that passed without a verdict (all 0, or no entry
        compared), or a value that is not finite (the node was never checked)."""
        return [r for r in self.rows if r.unjudged or (r.status == "skip" and r.note == VALUE_NOT_FINITE)]

    @property
    def conclusive(self):
        """False when some node passed without a verdict (its gradients 0 where checked, nothing compared, or its
        value not finite)."""
        return not self.unjudged

    def table(self, failures_only=False):
        """A readable table: one row per op node, inputs before outputs."""
        rows = self.failures if failures_only else self.rows
        header = ("#", "node", "op", "shapes", "scope", "max rel err", "checked", "status", "source")
        body = [(str(r.position), r.node.name, r.node.op, r.shapes, r.node.scope or "-",
                 r.error_figure or r.failure or "-", str(sum(i.checked for i in r.inputs)),
                 r.status_text, display_location(r.node.source)) for r in rows]
        return format_table(header, body)

    def summary(self, nonfinite_hint=None, detailed=FAILURES_DETAILED):
        """One line, or the failing nodes in full: the first, then up to `detailed` - 1 others, then how many more.

        Nodes skipped because their values are not finite get `nonfinite_hint`
        (where to look for the first non-finite value), by default a pointer to
        ``graph.find_nonfinite()``.
        """
        n_ops = len(self.rows)
        not_finite = sum(r.status == "skip" and r.note == VALUE_NOT_FINITE for r in self.rows)
        nothing = sum(r.status == "skip" and r.note != VALUE_NOT_FINITE for r in self.rows)
        zero = [r for r in self.rows if r.unjudged]  # not judged by their inputs (those not finite: counted apart)
        unjudged = [(r.node.name, r.unjudged_reason) for r in zero]
        causes = {r.node.name: r.cause for r in zero}
        warning = "".join(f"\n{line}" for line in unjudged_warnings(unjudged, causes=causes))
        counted = unjudged_count([(r.node.name, r.reason_label) for r in zero])
        bad = self.failures
        if not bad:
            passed = n_ops - not_finite - nothing - len(unjudged)
            text = f"all {n_ops} op nodes passed" if passed == n_ops else f"{passed} of {n_ops} op nodes passed"
            if not_finite:
                hint = nonfinite_hint or "graph.find_nonfinite() names the node that made the first"
                text += (f", {not_finite} skipped (their values are not finite: {hint}), so {NOT_JUDGED}: "
                         f"a wrong VJP among them would pass as well")
            if nothing:
                text += f", {nothing} skipped ({NOTHING_TO_CHECK})"
            return text + counted + warning
        lines = [f"{len(bad)} of {n_ops} op nodes failed{counted}; first failing node:",
                 "  " + bad[0].describe().replace("\n", "\n  ")]
        shown = bad[1:max(detailed, 1)]
        if shown:
            lines.append("other failing nodes:")
            lines += ["  " + r.describe().replace("\n", "\n  ") for r in shown]
        if len(bad) > 1 + len(shown):
            lines.append(f"and {plural(len(bad) - 1 - len(shown), 'more failing node')} (in the table)")
        return "\n".join(lines) + warning

    def __str__(self):
        return self.table() + "\n\n" + self.summary()

    def __repr__(self):
        bad = len(self.failures)
        verdict = f"{bad} failed" if bad else "all passed" if self.conclusive else f"{len(self.unjudged)} not judged"
        skipped = len(self.not_finite)
        if not bad and skipped:
            verdict += " (values not finite)" if skipped == len(self.unjudged) else \
                f" ({skipped} of them with values that are not finite)"
        return f"<NodeReport of {plural(len(self.rows), 'op node')}: {verdict}>"


@dataclass(repr=False)
class GradcheckReport:
    """gradcheck's answer: per leaf, the analytic gradient against finite differences of the output.

    ``str()`` is the table and the summary; ``repr()`` one line.
    """

    output: object
    leaves: List[InputCheck]
    nodes: Optional[NodeReport] = None
    #: 'nan' when the output's own value is not finite: no finite difference can be taken, whatever eps
    output_not_finite: str = ""
    #: why the backward pass could not run (a VJP that raised or returned a gradient of the wrong shape: the
    #: engine's message, naming the node and the shapes), '' when it ran; then every leaf fails
    backward_error: str = ""
    #: the per-node check of the graph's custom-op nodes (their VJPs are the user's), None when there are none or
    #: it did not run; one that fails fails the report, whatever the leaves say
    custom: Optional[NodeReport] = None

    @property
    def ok(self):
        """True when no leaf's gradient is wrong and no custom op's VJP failed its own check (some may not have
        been judged: see ``conclusive``)."""
        return all(leaf.ok for leaf in self.leaves) and (self.custom is None or self.custom.ok)

    def __bool__(self):
        """True when no leaf's gradient is wrong and every leaf was compared: false when no entry of a leaf could
        be compared (a NaN output). Leaves whose gradients are 0 both ways were compared (see ``conclusive``)."""
        return self.ok and not any(leaf.unjudged_reason == NO_DIFFERENCES for leaf in self.leaves)

    @property
    def max_rel(self):
        return max((leaf.max_rel for leaf in self.leaves), default=0.0)

    @property
    def unjudged(self):
        """The leaves that passed without a verdict: gradient 0 at every entry checked, or no entry compared."""
        return [leaf for leaf in self.leaves if leaf.unjudged]

    @property
    def conclusive(self):
        """False when some leaf passed without a verdict."""
        return not self.unjudged

    def table(self):
        header = ("leaf", "shape", "checked", "max rel err", "max abs err", "status")
        body = [(leaf.name, str(leaf.shape), f"{leaf.checked}/{leaf.size}",
                 _figure(leaf, leaf.max_rel), _figure(leaf, leaf.max_abs),
                 leaf.status + (f" ({leaf.reason_label})" if leaf.unjudged else "")) for leaf in self.leaves]
        return format_table(header, body)

    def summary(self):
        unjudged = [(leaf.name, leaf.unjudged_reason) for leaf in self.unjudged]
        causes = {leaf.name: leaf.cause for leaf in self.unjudged}
        warnings = unjudged_warnings(unjudged, "a wrong gradient", causes)
        if self.output_not_finite:  # a smaller eps cannot help: the value differenced is not finite to begin with
            warnings = [line for line in warnings if NO_DIFFERENCES_WORDS not in line] + [
                f"warning: {self.output.name} is {self.output_not_finite} before any entry is nudged, so no finite "
                f"difference can be taken whatever eps is ({NOT_JUDGED}); find the node that makes the first "
                f"non-finite value (graph.find_nonfinite(), or graphscope check) and fix it first"]
        warning = "".join(f"\n{line}" for line in warnings)
        if self.custom is not None and self.custom.failures and all(leaf.ok for leaf in self.leaves):
            return self._custom_failure() + warning
        if self.ok:
            checked = [leaf for leaf in self.leaves if leaf.status == "ok"]
            skipped = sum(leaf.status == "skip" for leaf in self.leaves)
            text = f"gradcheck of {self.output.name}: {_count(checked, 'leaf', 'leaves')} passed"
            if skipped:
                text += f", {skipped} skipped (nothing to check)"
            return text + unjudged_count([(leaf.name, leaf.reason_label) for leaf in self.unjudged]) + warning
        if self.backward_error:
            lines = [f"gradcheck of {self.output.name}: backward could not run, so no leaf got a gradient: "
                     + self.backward_error.replace("\n", "\n  ")]
        else:
            lines = [f"gradcheck of {self.output.name}: the gradient of "
                     f"{', '.join(leaf.name for leaf in self.leaves if not leaf.ok)} is wrong"]
            lines += [f"  {leaf.describe(entries=1)}" for leaf in self.leaves if not leaf.ok]
        if self.nodes is not None:
            first = self.nodes.first_failure
            if first is not None:
                lines.append("  the per-node check blames: " + first.describe().replace("\n", "\n  "))
            elif not self.backward_error:
                lines.append("  every node's own VJP passed the per-node check: look at how the graph was built "
                             "(e.g. a value used after an in-place change)")
        return "\n".join(lines) + warning

    def _custom_failure(self):
        """The summary when the leaves passed but a custom op's VJP failed its own check."""
        bad = self.custom.failures
        ops = sorted({r.node.op for r in bad})
        lines = [f"gradcheck of {self.output.name}: the VJP of custom op {', '.join(ops)} fails its own check (at "
                 f"{len(bad)} of the graph's {plural(len(self.custom.rows), 'custom-op node')}), though the leaves' "
                 f"gradients pass (max relative error {self.max_rel:.2g}): too little of the gradient flows through "
                 f"it to show in the leaves",
                 "  the per-node check blames: " + bad[0].describe().replace("\n", "\n  ")]
        if len(bad) > 1:
            lines.append(f"  and {plural(len(bad) - 1, 'more failing custom-op node')}: "
                         + _listed([r.node.name for r in bad[1:]], ", ..."))
        return "\n".join(lines)

    def __str__(self):
        return self.table() + "\n\n" + self.summary()

    def __repr__(self):
        bad = sum(not leaf.ok for leaf in self.leaves)
        custom = [] if self.custom is None else self.custom.failures
        verdict = "backward failed" if self.backward_error else f"{bad} wrong" if bad else \
            f"custom op {custom[0].node.op}'s VJP failed its own check" if custom else \
            "all passed" if self.conclusive else f"{len(self.unjudged)} not judged"
        return f"<GradcheckReport of {self.output.name} over {_count(self.leaves, 'leaf', 'leaves')}: {verdict}>"


def _figure(leaf, value):
    """A leaf's error in the table: measured ('1.2e-08', 'inf' for a gradient that is not finite) or '-'."""
    if leaf.status == "FAIL" and (not leaf.checked or (leaf.worst and leaf.worst[0].dtype)):
        return leaf.problem or "-"
    if leaf.status == "ok" and not leaf.measured:  # every entry excused at a kink, or within noise: no figure
        return "-"
    return f"{value:.1e}" if leaf.status in ("ok", "FAIL") else "-"


# ---------------------------------------------------------------- helpers

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


#: What no_differences_text's warning says, and no other warning does.
NO_DIFFERENCES_WORDS = "no entry could be compared"


def no_differences_text(names):
    """The warning about inputs, nodes or leaves where no entry could be compared (every finite difference sampled
    was not finite)."""
    shown = _listed(names, f" and {len(names) - NAMES_SHOWN} more")
    return (f"warning: at {shown} {NO_DIFFERENCES_WORDS}: every finite difference sampled was not finite (a "
            f"nudge of eps * max(1, |x|) leaves the op's domain or overflows), so nothing was checked "
            f"({NOT_JUDGED}); check again with a smaller eps or at other input values")


#: Why gradients are all 0, when the graph explains it: what the warning says instead of "try other inputs".
CAUSE_TEXTS = {
    "vanishing": ("almost no gradient reaches {it} ({detail}): not the input values but a vanishing gradient (or dead "
                  "units, or zero weights) between {it} and the output make it 0; {what} would pass as well "
                  "({not_judged}); graphscope train FILE --layers shows where it vanishes"),
    "zero input": ("{detail}: dead units or zero weights upstream make it 0, not the input values; {what} would "
                   "pass as well ({not_judged})"),
    "dead relu": ("{detail}: dead ReLU units (a large negative bias, or too large a learning rate) make it 0, not "
                  "the input values; {what} would pass as well ({not_judged})"),
}


def cause_text(names, kind, detail, what="a wrong VJP"):
    """The warning about unjudged inputs, nodes or leaves whose 0 gradients the graph explains (CAUSE_TEXTS)."""
    shown = _listed(names, f" and {len(names) - NAMES_SHOWN} more")
    it = "it" if len(names) == 1 else "them"
    return (f"warning: at {shown} the analytic and numerical gradients are both 0 at every entry checked because "
            + CAUSE_TEXTS[kind].format(it=it, detail=detail, what=what, not_judged=NOT_JUDGED))


def unjudged_warnings(items, what="a wrong VJP", causes=None):
    """The warning lines for (name, reason) pairs that passed without a verdict: one per reason, and, for
    names whose all-0 gradients `causes` explains ({name: (kind, detail)}), one per kind of cause instead."""
    causes = causes or {}
    explained = {}
    for name, reason in items:
        if reason == ALL_ZERO and causes.get(name):
            kind, detail = causes[name]
            explained.setdefault(kind, ([], detail))[0].append(name)
    zero = [name for name, reason in items if reason != NO_DIFFERENCES and not (reason == ALL_ZERO and causes.get(name))]
    none = [name for name, reason in items if reason != ALL_ZERO]
    return ([cause_text(names, kind, detail, what) for kind, (names, detail) in explained.items()]
            + ([unjudged_text(zero, what)] if zero else []) + ([no_differences_text(none)] if none else []))


def unjudged_count(items):
    """', 2 not judged (all 0): x, W' for a summary line ('' when there are none); `items` are (name, reason)
    pairs, or names (all 0)."""
    groups = {}
    for item in items:
        name, reason = (item, ALL_ZERO) if isinstance(item, str) else item
        groups.setdefault(reason, []).append(name)
    return "".join(f", {len(names)} {NOT_JUDGED} ({reason}): {_listed(names, ' ...')}" for reason, names in groups.items())


def _reason_label(reason, largest):
    """'all ~0' for ALL_ZERO derivatives that were not exactly 0 (`largest` > 0); else the reason itself."""
    return "all ~0" if reason == ALL_ZERO and largest else reason


def zero_text(largest):
    """'gradients 0' or 'gradients ~0 (at most 1.1e-18)': what an all-0 verdict says of the largest derivative."""
    return f"gradients ~0 (at most {largest:.2g})" if largest else "gradients 0"


def _listed(names, more):
    """The first NAMES_SHOWN names, then `more` when there are others."""
    return ", ".join(names[:NAMES_SHOWN]) + (more if len(names) > NAMES_SHOWN else "")


def _count(items, one, many):
    return f"{len(items)} {one if len(items) == 1 else many}"
