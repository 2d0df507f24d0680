"""The stepper: event order, the state at every step, and agreement with the engine's own backward().

The lecture's example f(x, y, z) = (x + y) z at x = -2, y = 5, z = -4 has
known numbers (q = 3, f = -12, df/dq = -4, df/dz = 3, df/dx = df/dy = -4);
the 2-layer net is compared step by step with the engine run on an
identical twin graph.
"""
import os

import numpy as np
import pytest

import graphscope as gs
from graphscope.examples import lecture_example as lecture
from graphscope.engine.hooks import BACKWARD_HOOKS
from graphscope.stepper import BACKWARD, FORWARD, StepError, Stepper, explain
from graphscope.userfile import build_output

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")


def names(nodes):
    return [n.name for n in nodes]


# ---------------------------------------------------------------- the lecture's example

def test_lecture_events_forward_then_backward():
    st = Stepper(lecture())
    assert len(st) == 10 and st.n_forward == 5 and st.n_backward == 5
    assert [ev.phase for ev in st] == [FORWARD] * 5 + [BACKWARD] * 5
    assert names(ev.node for ev in st) == ["x", "y", "q", "z", "f", "f", "z", "q", "y", "x"]
    assert [ev.step for ev in st] == list(range(10))
    assert st.events[5].is_seed and not st.events[6].is_seed


def test_lecture_values_appear_step_by_step_never_before():
    st = Stepper(lecture())
    g = {n.name: n for n in st.graph}
    expected = {"x": -2.0, "y": 5.0, "z": -4.0, "q": 3.0, "f": -12.0}
    order = ["x", "y", "q", "z", "f"]  # z is fed just before f, its only consumer
    for k in range(len(st)):
        state = st.at(k)
        for i, name in enumerate(order):
            if i <= k:
                assert state.value(g[name]) == expected[name]
                assert state.has_value(g[name])
            else:
                assert state.value(g[name]) is None, f"{name} has a value before its step ({k})"
                assert not state.has_value(g[name])


def test_lecture_gradients_at_every_step():
    st = Stepper(lecture())
    g = {n.name: n for n in st.graph}
    none = {"x": None, "y": None, "z": None, "q": None, "f": None}
    expected = {
        **{k: none for k in range(5)},                                # forward: no gradient anywhere
        5: {"f": 1.0, "q": -4.0, "z": 3.0, "x": None, "y": None},       # at f: df/dq = z, df/dz = q
        6: {"f": 1.0, "q": -4.0, "z": 3.0, "x": None, "y": None},       # at z: its gradient is complete
        7: {"f": 1.0, "q": -4.0, "z": 3.0, "x": -4.0, "y": -4.0},       # at q: upstream -4 times 1
    }
    for k in (8, 9):
        expected[k] = expected[7]
    for k, grads in expected.items():
        state = st.at(k)
        for name, want in grads.items():
            got = state.grad(g[name])
            assert got == want, f"step {k}: grad of {name} is {got}, expected {want}"
            assert state.grad_status(g[name]) == ("none" if want is None else "complete")


def test_lecture_backward_step_carries_upstream_jacobian_contribution_accumulated():
    st = Stepper(lecture())
    at_f = st[5]
    assert at_f.upstream == 1.0
    to_q, to_z = at_f.edges
    assert (to_q.input.name, to_q.slot, to_q.contribution, to_q.accumulated) == ("q", 0, -4.0, -4.0)
    assert (to_z.input.name, to_z.slot, to_z.contribution, to_z.accumulated) == ("z", 1, 3.0, 3.0)
    assert to_q.jacobian.structure == "scalar" and to_q.jacobian.shape == (1, 1)
    assert to_q.jacobian.formula == "d(q*z)/dq = z"  # in the graph's names; a 1x1 local is a number, no diag()
    assert to_q.local_matrix().tolist() == [[-4.0]]   # d(q z)/dq = z
    assert to_z.local_matrix().tolist() == [[3.0]]    # d(q z)/dz = q
    at_q = st[7]
    assert at_q.upstream == -4.0
    assert [(e.input.name, e.contribution, e.local_matrix().tolist()) for e in at_q.edges] == \
        [("x", -4.0, [[1.0]]), ("y", -4.0, [[1.0]])]
    assert all(e.complete for e in at_f.edges + at_q.edges)
    assert st[9].edges == () and st[9].upstream == -4.0  # a leaf's step: its gradient is complete


def test_lecture_status_current_done_pending():
    st = Stepper(lecture())
    g = {n.name: n for n in st.graph}
    s2 = st.at(2)
    assert [s2.status(g[n]) for n in "xyqzf"] == ["done", "done", "current", "pending", "pending"]
    assert s2.current is g["q"] and s2.phase == FORWARD
    s5 = st.at(5)
    assert s5.phase == BACKWARD and s5.current is g["f"]
    # the leaf z has its whole gradient from f's step (its own step, 6, only says so): done; q passes its own on
    # at step 7, and x and y wait for it
    assert [s5.status(g[n]) for n in "fzqyx"] == ["current", "done", "pending", "pending", "pending"]
    assert st.at(6).current is g["z"] and st.at(6).status(g["z"]) == "current"
    s7 = st.at(7)
    assert s7.phase == BACKWARD and s7.current is g["q"]
    assert [s7.status(g[n]) for n in "fzqyx"] == ["done", "done", "current", "done", "done"]
    final = st.final()
    assert final.current is None and {final.status(n) for n in st.graph} == {"done"}


def test_a_leaf_used_twice_is_pending_until_its_last_contribution_then_done_before_its_own_step():
    x = gs.tensor(2.0, requires_grad=True, name="x")
    y = gs.tensor(3.0, requires_grad=True, name="y")
    a = x * y
    a.name = "a"
    out = a + x
    out.name = "out"
    st = Stepper(out)
    walk = [(ev.node.name, ev.step) for ev in st.events[st.n_forward:]]
    step = {name: k for name, k in walk}
    first = st.at(step["out"])   # x has out's contribution, not yet a's
    assert first.grad_status(x) == "partial" and first.status(x) == "pending"
    second = st.at(step["a"])    # a's contribution was the last: x's gradient is complete
    assert second.grad_status(x) == "complete" and second.status(x) == "done" and second.status(y) == "done"
    assert step["x"] > step["a"] and st.at(step["x"]).status(x) == "current"
    assert second.look(x) == second.look(y) == "backpropagated"


def test_recording_leaves_the_graphs_gradients_as_they_were():
    f = lecture()
    st = Stepper(f)
    assert [n.grad for n in f.graph()] == [None] * 5              # never differentiated: still none
    assert [st.final().grad(n) for n in f.graph()] == [-4.0, -4.0, 3.0, -4.0, 1.0]
    f.backward()                                                  # as if nobody had stepped through it
    assert [n.grad for n in f.graph()] == [-4.0, -4.0, 3.0, -4.0, 1.0]


def test_keep_gradients_leaves_what_zero_grad_then_backward_leaves():
    f = lecture()
    f.backward()
    f.backward()                                                  # leaves hold twice their gradient
    Stepper(f, keep_gradients=True)
    twin = lecture()
    twin.backward()
    for mine, ref in zip(f.graph(), twin.graph()):
        assert mine.grad == ref.grad, mine.name
    assert [n.grad for n in f.graph()] == [-4.0, -4.0, 3.0, -4.0, 1.0]


def test_explain_lines_show_the_local_rule():
    st = Stepper(lecture())
    text = "\n".join(explain.lines(st[5], st.graph.output))
    assert "upstream df/df = 1 (the seed)" in text
    assert "local df/dq = -4" in text and "1 × -4 = -4" in text
    assert "1 × 3 = 3" in text and "df/dz = 3   (complete)" in text
    assert explain.title(st[2], st.graph.output) == "forward: q = add(x, y) = 3"


# ---------------------------------------------------------------- the 2-layer net against the engine

def two_layer():
    return build_output(os.path.join(SAMPLES, "two_layer.py"))


def engine_contributions(out):
    """Run the engine's own backward() on `out`; every op node's upstream and per-input contributions."""
    seen = {}

    def hook(node, upstream, grads):
        seen[node] = (upstream, grads)

    BACKWARD_HOOKS.append(hook)
    try:
        out.backward()
    finally:
        BACKWARD_HOOKS.remove(hook)
    return seen


def test_two_layer_every_step_matches_the_engine():
    out = two_layer()
    st = Stepper(out)
    twin = two_layer()
    ref_contrib = engine_contributions(twin)
    mine, ref = st.graph.nodes, twin.graph().nodes
    assert [(n.op, n.role, n.shape) for n in mine] == [(n.op, n.role, n.shape) for n in ref]
    twin_of = dict(zip(mine, ref))
    # forward: each node's replayed value equals the engine's recorded value
    for ev in st.events[:st.n_forward]:
        np.testing.assert_allclose(ev.value, twin_of[ev.node].value, rtol=1e-12, atol=0)
    # backward visits the nodes needing a gradient, outputs first
    walk = [twin_of[ev.node] for ev in st.events[:st.n_forward]]
    assert [twin_of[ev.node] for ev in st.events[st.n_forward:]] == [n for n in reversed(walk) if n.requires_grad]
    # at every backward step, each node's gradient is the sum of the engine's contributions from the
    # consumers visited so far (the seed for the output), and None before the first one
    visited = []
    for ev in st.events[st.n_forward:]:
        visited.append(twin_of[ev.node])
        state = st.at(ev.step)
        for n in mine:
            r = twin_of[n]
            expected = 1.0 if n is out else None
            for consumer in visited:
                if consumer.op_def is None:
                    continue
                for inp, gi in zip(consumer.inputs, ref_contrib[consumer][1]):
                    if inp is r and gi is not None and inp.requires_grad:
                        expected = gi if expected is None else expected + gi
            got = state.grad(n)
            if expected is None:
                assert got is None, f"step {ev.step}: {n.name} has a gradient before any consumer gave it one"
            else:
                np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
        if ev.node.op_def is not None:
            np.testing.assert_allclose(ev.upstream, ref_contrib[twin_of[ev.node]][0], rtol=1e-12)
    # final step: every gradient equals the engine's; the graph's own .grad values are left as they were (none)
    final = st.final()
    for n in mine:
        r = twin_of[n]
        assert n.grad is None
        if r.grad is None:
            assert final.grad(n) is None
        else:
            np.testing.assert_allclose(final.grad(n), r.grad, rtol=1e-12)


def test_two_layer_input_data_gets_no_gradient_and_no_backward_step():
    st = Stepper(two_layer())
    X = st.graph["X"]
    assert st.final().grad(X) is None and st.final().grad_status(X) == "not needed"
    assert st.at(-1).status(X) == "inactive"
    with pytest.raises(StepError, match="does not require a gradient"):
        st.find("X", "backward")


def test_two_layer_edges_describe_matmul_jacobians():
    st = Stepper(two_layer())
    W2 = st.graph["W2"]
    ev = st[st.find(st.graph.consumers(W2)[0], "backward")]
    edge = next(e for e in ev.edges if e.input is W2)
    assert edge.jacobian.structure == "matmul" and edge.jacobian.shape == (12, 15)
    assert edge.local_matrix() is None          # 180 entries: described, not listed
    assert edge.contribution.shape == (5, 3) and edge.complete
    to_h = next(e for e in ev.edges if e.input.name == "h")
    assert to_h.contribution.shape == (4, 5)


# ---------------------------------------------------------------- semantics and edge cases

def test_forward_steps_replay_after_a_leaf_is_edited():
    f = lecture()
    st = Stepper(f)
    x = st.graph["x"]
    x.value = 1.0
    st.rerun()
    assert st.at(3).value(st.graph["q"]) == 6.0 and st.at(4).value(f) == -24.0
    assert f.value == -24.0                      # the graph itself was recomputed
    assert st.final().grad(st.graph["z"]) == 6.0


def test_fan_out_gradient_is_partial_until_every_consumer_ran():
    x = gs.tensor(3.0, requires_grad=True, name="x")
    a = x * 2.0
    a.name = "a"
    b = x * 5.0
    b.name = "b"
    f = a + b
    st = Stepper(f)
    sb, sa = st.find(b, "backward"), st.find(a, "backward")
    assert sb < sa
    assert st.at(sb).grad(x) == 5.0 and st.at(sb).grad_status(x) == "partial"
    assert st.at(sa).grad(x) == 7.0 and st.at(sa).grad_status(x) == "complete"
    edge_b = next(e for e in st[sb].edges if e.input is x)
    assert edge_b.accumulated == 5.0 and not edge_b.complete


def test_same_input_twice_gets_two_contributions():
    x = gs.tensor(-3.0, requires_grad=True, name="x")
    f = x * x
    st = Stepper(f)
    first, second = st[st.find(f, "backward")].edges
    assert (first.contribution, first.accumulated, first.complete) == (-3.0, -3.0, False)
    assert (second.contribution, second.accumulated, second.complete) == (-3.0, -6.0, True)
    assert st.final().grad(x) == -6.0 and x.grad is None


def test_the_walk_starts_from_zero_gradients_after_the_user_called_backward():
    f = lecture()
    f.backward()
    f.backward()                                           # the leaves hold -8, -8, 6: two passes accumulated
    st = Stepper(f)
    x, y, z = (st.graph[name] for name in "xyz")
    assert st.at(0).grad(x) is None and st.at(0).grad_status(x) == "none"   # nothing before the walk reaches it
    assert st.at(st.n_forward).grad(x) is None
    assert [st.final().grad(n) for n in (x, y, z)] == [-4.0, -4.0, 3.0]     # the true gradients, not a sum
    ev = st[st.find("q", "backward")]
    assert [(e.contribution, e.accumulated) for e in ev.edges] == [(-4.0, -4.0), (-4.0, -4.0)]
    assert [x.grad, y.grad, z.grad] == [-8.0, -8.0, 6.0]   # the user's own gradients are left alone
    st.rerun()                                             # and a second walk does not add to the first
    assert [st.final().grad(n) for n in (x, y, z)] == [-4.0, -4.0, 3.0] and x.grad == -8.0
    f.backward()                                           # the user's next pass adds to their own, not to ours
    assert x.grad == -12.0


def test_a_failing_walk_leaves_the_graphs_gradients_as_they_were():
    f = lecture()
    f.backward()
    before = [n.grad for n in f.graph()]
    with pytest.raises(Exception):
        Stepper(f, optimizer=object())                     # not an optimizer: recording fails after the backward
    assert [n.grad for n in f.graph()] == before


def test_no_backward_phase_is_explained():
    x = gs.tensor(2.0, name="x")
    st = Stepper(x * 3.0)
    assert st.n_backward == 0 and "nothing" in st.backward_note
    with pytest.raises(StepError, match="no backward step"):
        st.find("x", "backward")
    W = gs.param(np.ones((2, 2)), name="W")
    st2 = Stepper(W * 2.0)
    assert st2.n_backward == 0 and "shape (2, 2)" in st2.backward_note
    st3 = Stepper(W * 2.0, grad=np.ones((2, 2)))
    assert st3.n_backward == 2 and np.all(st3.final().grad(W) == 2.0)


def test_cursor_moves_and_clamps():
    st = Stepper(lecture())
    assert st.step == 0 and st.event.node.name == "x"
    assert st.prev().node.name == "x" and st.step == 0
    st.goto(-1)
    assert st.step == 9 and st.at_end
    assert st.next().step == 9
    st.step = 2
    assert st.state.current.name == "q" and st.phase == FORWARD
    assert st.find("q", "backward") == 7 and st.find("q") == 2 and st.find("z") == 3
    assert st.at(7).current.name == "q" and st.step == 2   # at() does not move the cursor


@pytest.mark.parametrize("bad, message", [(10, "out of range: this graph has 10 steps, 0..9"),
                                          (-11, "out of range"), (2.5, "whole number"), ("two", "whole number")])
def test_bad_steps_name_the_range(bad, message):
    st = Stepper(lecture())
    with pytest.raises(StepError, match=message):
        st.goto(bad)


def test_unknown_node_and_phase_are_clear_errors():
    st = Stepper(lecture())
    with pytest.raises(StepError, match="no node named 'nope'"):
        st.find("nope")
    with pytest.raises(StepError, match="phase must be 'forward' or 'backward'"):
        st.find("q", "sideways")


def test_stepper_backward_is_seen_by_engine_hooks():
    seen = []
    BACKWARD_HOOKS.append(lambda node, g, grads: seen.append(node.name))
    try:
        Stepper(lecture())
    finally:
        BACKWARD_HOOKS.pop()
    assert seen == ["f", "q"]


# ---------------------------------------------------------------- the walk order

def test_each_leaf_is_fed_just_before_its_first_consumer_in_a_layered_net():
    """A gs.nn net makes every parameter before the input: the walk still starts at x, not at fc1.W ... fc7.b."""
    import graphscope as gs
    model = gs.nn.MLP([3, 4, 4, 2], activation="relu")
    x = gs.tensor(np.ones((2, 3)), name="x")
    out = model(x).sum()
    st = Stepper(out)
    walk = [ev.node for ev in st.events[:st.n_forward]]
    assert walk[0] is x
    step = {id(n): k for k, n in enumerate(walk)}
    for k, node in enumerate(walk):
        consumers = [j for j, c in enumerate(walk) if any(i is node for i in c.inputs)]
        if node.op_def is None and consumers:
            first = walk[consumers[0]]
            # fed just before its first consumer: only other leaves of that consumer stand between
            assert all(w.op_def is None and any(w is i for i in first.inputs) for w in walk[k:consumers[0]]), node.name
    # still a topological order, and the backward walk is it reversed
    assert all(step[id(i)] < k for k, n in enumerate(walk) for i in n.inputs)
    backward = [ev.node for ev in st.events[st.n_forward:]]
    assert [id(n) for n in backward] == [id(n) for n in reversed(walk) if n.requires_grad]
    # the steps the state and find() use agree with the walk
    for k, node in enumerate(walk):
        assert st.find(node) == k
        assert st.at(k).has_value(node) and (k == 0 or not st.at(k - 1).has_value(node))
