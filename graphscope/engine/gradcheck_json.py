"""A check's results as plain data (dicts, lists, numbers, strings) for ``json.dumps``: what an autograder reads.

``graph_check_data(result)`` turns a GraphCheck (``graphscope check``'s three
checks) into one object: the verdict, the graph's dtype, the first NaN or
infinity, and per op node and per leaf its status and worst entries.
Numbers that are not finite become the strings "nan", "inf", "-inf" (JSON
has no such numbers).
"""
import math

from .source import display_location

#: What `graphscope check`'s exit statuses mean (the "exit_status" field is one of them).
EXIT_STATUSES = {
    "0": "passed: every op node and leaf checked passed",
    "1": "failed: a VJP or a leaf's gradient is wrong, a VJP raised, or a NaN/infinity was found",
    "2": "the file could not be checked, or an option is out of range",
    "3": "nothing failed, but some node or leaf could not be judged (gradients 0 wherever checked, or no finite "
         "difference could be taken)",
}


def number(x):
    """A float as JSON can hold it: finite numbers as they are, others as 'nan', 'inf', '-inf'."""
    x = float(x)
    if math.isfinite(x):
        return x + 0.0  # no -0.0
    return "nan" if x != x else "inf" if x > 0 else "-inf"


def entry_data(e):
    """One entry: its index, the analytic derivative and what it was compared with, the errors."""
    data = {"index": list(e.index), "analytic": number(e.analytic), "numerical": number(e.numerical),
            "abs_err": number(e.abs_err), "rel_err": number(e.rel_err), "basis": e.basis}
    if e.between is not None:  # excused at a kink: the one-sided differences it lies between
        data["between"] = [number(v) for v in e.between]
    if e.dtype:  # the analytic figure is the VJP's in this dtype, the other float64's VJP
        data["dtype"] = e.dtype
        data["float64"] = data.pop("numerical")
    return data


def input_data(i):
    """One input of a node (or one leaf): its status, how many entries were checked of how many, the worst ones."""
    data = {"name": i.name, "shape": list(i.shape), "status": i.status, "checked": i.checked,
            "skipped": i.skipped, "total": i.size, "sampled": i.checked + i.skipped < i.size,
            "max_rel_err": number(i.max_rel) if i.measured or not i.ok else None, "max_abs_err": number(i.max_abs),
            "problem": i.problem or None, "result": i.result_text(), "worst": [entry_data(e) for e in i.worst],
            "kinks": [entry_data(e) for e in i.excused]}
    if i.slot is not None:
        data = {"slot": i.slot, **data}
    return data


def node_data(row):
    """One op node's check: name, op, source line, status (with the short note), the full message, per input."""
    n = row.node
    return {"name": n.name, "op": n.op, "source": display_location(n.source), "scope": n.scope or None,
            "shapes": row.shapes, "status": row.status, "status_text": row.status_text,
            "message": row.detail or row.note or None, "vjp": row.vjp_text or None,
            "inputs": [input_data(i) for i in row.inputs]}


def graph_check_data(result, file=None, status=None, settings=None):
    """One object for a GraphCheck: file, dtype, verdict, exit status (and what each means), the first NaN or
    infinity, the per-node check's rows and the whole-graph gradcheck's leaves."""
    origin = result.origin
    whole = result.whole
    return {
        "file": file,
        "dtype": result.dtypes,
        "precision": result.precision,
        "verdict": result.verdict,
        "passed": not result.failed,
        "exit_status": status,
        "exit_statuses": EXIT_STATUSES,
        "sampled": result.sampled_text() or None,
        "settings": settings,
        "nonfinite": None if origin is None else {
            "node": origin.name, "op": origin.op, "phase": origin.phase, "kind": origin.kind,
            "count": origin.count, "size": origin.size, "first": list(origin.first),
            "source": display_location(origin.source), "message": result.origin_text()},
        "nodes": [node_data(r) for r in result.nodes.rows],
        "nodes_summary": result.nodes_summary(),
        "leaves": None if whole is None else [input_data(i) for i in whole.leaves],
        "leaves_summary": result.whole_summary() or None,
    }
