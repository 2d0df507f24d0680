"""A leaf's gradient check: a leaf has no VJP of its own, so its verdict is that of the op nodes its gradient
passes through, from its own consumers back to the output.

``check_leaf`` is what the TUI's ``c`` shows on a leaf; the per-node checks it
makes are kept in the caller's `known` dict, so a later ``c`` on those nodes
(or on another leaf) does not check them again.
"""
import numpy as np

from .gradcheck import check_node
from .gradcheck_report import NodeCheck
from .replay import downstream

#: The op nodes further on a leaf's gradient's way are checked too while fewer than this many checks are known;
#: beyond, they are named as not checked yet (a large graph's whole-graph check is its own command).
FURTHER_CHECKS = 200


def check_leaf(leaf, graph, known=None, whole=None, seed=0, limit=FURTHER_CHECKS):
    """What the checks say of `leaf`: a NodeCheck whose note names the op nodes its gradient comes from and their
    verdict for it ('a leaf has no VJP of its own: its gradient comes from mm_3 (FAIL, input B)').

    The gradient also passes through every op node further on (between its consumers and the output): one found
    wrong makes the leaf's verdict FAIL ('further on, its gradient passes through swish_21 (FAIL)'); those left
    unchecked once `known` holds `limit` checks are named. `known`: {node: NodeCheck} already made; the checks made
    here are added to it. `whole`: the whole-graph gradcheck's report, whose verdict on this leaf is added.
    """
    known = {} if known is None else known
    with np.errstate(all="ignore"):  # nudged inputs may leave an op's domain: such entries are skipped
        text, status = _from_consumers(leaf, graph, known, seed)
        further_failed, unchecked = _further_on(leaf, graph, known, seed, limit)
    if further_failed:
        text += ("; further on, its gradient passes through " + ", ".join(n.name for n in further_failed)
                 + " (FAIL): so it is wrong too")
        status = "FAIL"
    if unchecked:
        names = ", ".join(n.name for n in unchecked[:3]) + (", ..." if len(unchecked) > 3 else "")
        text += (f"; {len(unchecked)} op node{'s' if len(unchecked) != 1 else ''} further on "
                 f"({names}) not checked yet: C checks them all")
    mine = [i for i in (whole.leaves if whole is not None else []) if i.name == leaf.name]
    if mine:
        text += f"; the whole-graph gradcheck (C) says {mine[0].status}" + \
            (f" ({mine[0].result_text()})" if not mine[0].ok else "")
        status = "FAIL" if not mine[0].ok else status
    return NodeCheck(leaf, graph.position(leaf), status, note=text)


def _from_consumers(leaf, graph, known, seed):
    """The note and status from the op nodes that take `leaf` as an input: their verdict for its slots."""
    parts, failed = [], False
    for user in graph.consumers(leaf):
        if user.op_def is None:
            continue
        row = known.get(user) or check_node(user, seed=seed, position=graph.position(user))
        known[user] = row
        mine = [i for i in row.inputs if user.inputs[i.slot] is leaf]
        bad = row.status == "error" or any(not i.ok for i in mine)
        failed = failed or bad
        verdict = f"{row.status}: {row.note}" if row.status in ("error", "skip") and row.note else "FAIL" if bad else \
            ", ".join(i.status for i in mine) or row.status_text
        slots = ", ".join(f"input {i.name}" for i in mine)
        parts.append(f"{user.name} ({verdict}{', ' + slots if slots and bad else ''})")
    if not parts:
        return "a leaf has no VJP of its own, and no op node uses it: nothing to check", "skip"
    return "a leaf has no VJP of its own: its gradient comes from " + ", ".join(parts), "FAIL" if failed else "ok"


def _further_on(leaf, graph, known, seed, limit):
    """The op nodes beyond `leaf`'s consumers on its gradient's way back from the output: (failed, unchecked).

    A node fails the leaf when its VJP raised, or when it is wrong for an input on the leaf's way (the leaf's
    gradient never passes through a wrong gradient for another input)."""
    direct = set(graph.consumers(leaf))
    on_path = [n for n in downstream(graph.nodes, [leaf]) if n is not leaf]  # its gradient's way, in order
    reached = {id(n) for n in on_path} | {id(leaf)}
    failed, unchecked = [], []
    for node in on_path:
        if node in direct or node.op_def is None:
            continue
        row = known.get(node)
        if row is None and len(known) < limit:
            row = known[node] = check_node(node, seed=seed, position=graph.position(node))
        if row is None:
            unchecked.append(node)
        elif row.status == "error" or any(not i.ok and id(node.inputs[i.slot]) in reached for i in row.inputs):
            failed.append(node)
    return failed, unchecked
