"""The whole check of a graph: one verdict, as ``graphscope check`` prints it and the TUI's check-all shows it.

``check_graph`` runs the three checks ``graphscope check`` reports, each its
own report: where the first NaN or infinity is made (nonfinite; gradients
included, computed for the search when backward has not run), every op
node's VJP against finite differences of its own forward (check_nodes), and
the whole-graph gradcheck of the leaves that require a gradient. The graph
fails when any of them finds something; ``verdict`` is the word for it.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .checksettings import require_settings
from .errors import BackwardError
from .gradcheck import check_nodes, gradcheck, native_dtypes
from .held import gradients_held
from .gradcheck_report import ALL_ZERO, NO_DIFFERENCES, GradcheckReport, NodeReport, zero_text
from .nonfinite import find_nonfinite
from .words import plural

#: The verdicts.
PASSED = "passed"
FAILED = "FAILED"
#: `graphscope check`'s exit status when nothing failed but some gradients were 0 wherever checked.
NOT_JUDGED_STATUS = 3


@dataclass(repr=False)
class GraphCheck:
    """The three checks of one graph. ``whole`` is None when the whole-graph gradcheck did not run: not asked for
    (``whole_leaves`` is None), no leaf requires a gradient (``whole_leaves`` is 0), or its backward pass raised
    (``whole_error`` says what)."""

    origin: object  # the NonFinite record of the first NaN/inf, or None
    nodes: NodeReport
    whole: Optional[GradcheckReport] = None
    whole_leaves: Optional[int] = None
    whole_error: str = ""
    #: the graph's float dtypes ('float32') and how the checks treated them (see precision_text)
    dtypes: str = ""
    precision: str = ""

    @property
    def sampled(self):
        """(name, checked, size) of what was checked at only some of its entries: the whole-graph gradcheck's
        leaves when it ran, else the op nodes' inputs (each input once); a single wrong entry elsewhere passes."""
        if self.whole is not None:
            checks = self.whole.leaves
        else:
            checks = {}
            for row in self.nodes.rows:
                for i in row.inputs:
                    if i.checked and (i.name not in checks or i.checked < checks[i.name].checked):
                        checks[i.name] = i
            checks = list(checks.values())
        return [(i.name, i.checked + i.skipped, i.size) for i in checks
                if (i.checked or i.skipped) and i.checked + i.skipped < i.size]

    def sampled_text(self, shown=3):
        """'sampled 20 of 320 entries of B' (the first `shown`, then how many more), or '' when every entry was
        checked."""
        items = self.sampled
        if not items:
            return ""
        parts = [f"{k} of {n} entries of {name}" if j == 0 else f"{k} of {n} of {name}"
                 for j, (name, k, n) in enumerate(items[:shown])]
        more = f" and {len(items) - shown} more" if len(items) > shown else ""
        return "sampled " + ", ".join(parts) + more

    @property
    def failed(self):
        """True when a value or gradient is not finite, a node's VJP is wrong, a leaf's gradient is wrong, or the
        backward pass could not run."""
        return self.origin is not None or not self.nodes.ok or self.whole_failed

    @property
    def whole_failed(self):
        """True when a leaf's gradient is wrong or the whole-graph gradcheck's backward pass could not run."""
        return bool(self.whole_error) or (self.whole is not None and not self.whole.ok)

    @property
    def unjudged(self):
        """What passed without a verdict ('1 op node', '2 leaves'), when nothing failed: its gradients are 0
        wherever checked, or no entry could be compared; the check cannot tell a right VJP from a wrong one there."""
        if self.failed:
            return []
        counts = [plural(len(self.nodes.unjudged), "op node")] if self.nodes.unjudged else []
        if self.whole is not None and self.whole.unjudged:
            counts.append(plural(len(self.whole.unjudged), "leaf", "leaves"))
        return counts

    @property
    def verdict(self):
        """'passed', 'FAILED', or 'passed, but 1 op node and 2 leaves could not be judged (...)' (graphscope check
        then exits with NOT_JUDGED_STATUS)."""
        if self.failed:
            return FAILED
        if self.unjudged:
            return f"{PASSED}, but {' and '.join(self.unjudged)} could not be judged ({'; '.join(self._why())})"
        return PASSED

    def _why(self):
        """Why some node or leaf could not be judged, each reason once, in words."""
        checks = [i for r in self.nodes.unjudged for i in r.unjudged]
        checks += self.whole.unjudged if self.whole is not None else []  # (a report is false when not conclusive)
        reasons = {i.unjudged_reason for i in checks}
        largest = max((i.zero_largest for i in checks if i.unjudged_reason == ALL_ZERO), default=0.0)
        return [text for reason, text in ((ALL_ZERO, f"{zero_text(largest)} wherever checked"),
                                          (NO_DIFFERENCES, "no finite difference could be taken"))
                if reason in reasons] + (["values not finite"] if self.nodes.not_finite else [])

    def __repr__(self):
        return f"<GraphCheck: {self.verdict}>"

    def origin_text(self):
        """'non-finite value: log_3 (op log) made ...' (several lines), or '' when everything is finite."""
        if self.origin is None:
            return ""
        what = "value" if self.origin.phase == "forward" else "gradient"
        return f"non-finite {what}: " + self.origin.describe().replace("\n", "\n  ")

    def nodes_summary(self, named=""):
        """The per-node check's counts; nodes skipped because their values are not finite are pointed at the node
        that made the first one, followed by `named` (', named above')."""
        hint = None if self.origin is None else f"the first non-finite value is made at {self.origin.name}{named}"
        return self.nodes.summary(nonfinite_hint=hint)

    def whole_summary(self):
        """The whole-graph gradcheck's counts, or why its backward pass could not run; '' when it did not run."""
        if self.whole_error:
            return "backward could not run: " + self.whole_error.replace("\n", "\n  ")
        return "" if self.whole is None else self.whole.summary()


def value_dtypes(graph):
    """The float dtypes of a graph's values, narrowest first ('float32', 'float32 and float64'; 'float64' for the
    scalar path's Python floats): what the header of a check says the graph computes in."""
    kinds = set()
    for n in graph.nodes:
        v = n._value
        if v.__class__ is float:
            kinds.add(np.dtype(np.float64))
        elif getattr(v, "dtype", None) is not None and v.dtype.kind == "f":
            kinds.add(v.dtype)
    return " and ".join(str(d) for d in sorted(kinds, key=lambda d: d.itemsize)) or "no float values"


def precision_text(graph):
    """How the checks treat the graph's dtype, for their headers: 'in float64' or 'in float64, and each custom
    op's VJP again in float32 against float64's result' (a graph with values below float64 and a custom op)."""
    low = native_dtypes(graph)
    return "in float64" + (f", and each custom op's VJP again in {' and '.join(map(str, low))} against float64's "
                           f"result" if low else "")


def check_graph(graph, max_coords=20, eps=1e-6, rtol=1e-5, seed=0, whole=True):
    """Check `graph` (a Graph) as ``graphscope check`` does, with its defaults: a GraphCheck.

    `whole` false leaves out the whole-graph gradcheck (``--nodes-only``). The settings are validated before any
    work (an ArgumentError names the first bad one).
    """
    require_settings("check", eps=eps, rtol=rtol, max_coords=max_coords, seed=seed)
    origin = first_nonfinite(graph)
    nodes = check_nodes(graph, max_coords=max_coords, eps=eps, rtol=rtol, seed=seed)
    result = GraphCheck(origin, nodes, dtypes=value_dtypes(graph), precision=precision_text(graph))
    if whole:
        result.whole_leaves = sum(1 for n in graph.leaves if n.requires_grad)
        if result.whole_leaves:
            result.whole = gradcheck(graph, eps=eps, rtol=rtol, max_coords=max_coords, seed=seed, locate=False)
            if result.whole.backward_error:  # e.g. a VJP that raises: the per-node check names the node
                result.whole, result.whole_error = None, result.whole.backward_error
    return result


def first_nonfinite(graph):
    """Where the first NaN or infinity is made, among the values and the gradients (a NonFinite record, or None).

    A graph whose backward pass has not run yet (a sample's build() only records the forward pass) gets its
    gradients computed for the search, as the TUI's recording computes them, and put back after it: a gradient
    that is not finite is found whether or not backward() was called.
    """
    with np.errstate(all="ignore"):  # the search names what is not finite; numpy need not warn about it
        return _first_nonfinite(graph)


def _first_nonfinite(graph):
    out = graph.output
    if out.grad is not None or not out.requires_grad or np.size(out._value) != 1:
        return find_nonfinite(graph.nodes)
    with gradients_held(graph.nodes):
        try:
            graph.backward()
            return find_nonfinite(graph.nodes)
        except BackwardError:  # a VJP that fails: the per-node check and the whole-graph gradcheck say which
            pass
    return find_nonfinite(graph.nodes)  # with the gradients as they were
