"""The graph as it is (GraphState) and a step's state (StepState) answer the same questions the same way."""
import inspect

import numpy as np
import pytest

import graphscope as gs
from graphscope.examples import lecture_example as lecture
from graphscope.stepper import GraphState, StepState, Stepper
from graphscope.stepper.events import PHASES
from graphscope.stepper.state import LOOKS
from graphscope.viz import Picture

QUESTIONS = ("phase", "phases", "current", "graph", "values_key", "status", "look", "group_look", "progress",
             "value", "has_value", "grad", "grad_status", "edge_gradient", "backward_reached", "caption")


def public(cls):
    return {name for name, _ in inspect.getmembers(cls) if not name.startswith("_")}


def test_both_states_answer_every_question():
    step_only = {"recording", "event", "step", "is_final", "highlight"}
    assert public(StepState) - step_only <= public(GraphState)
    for name in QUESTIONS:
        assert name in public(StepState) and name in public(GraphState), name


def _same_answers(as_is, final, graph):
    assert as_is.phase == final.phase and as_is.phases == final.phases and as_is.phase in PHASES
    assert as_is.current is None and final.current is None
    for n in graph.nodes:
        assert as_is.status(n) == final.status(n), n.name
        assert as_is.look(n) == final.look(n) and as_is.look(n) in LOOKS, n.name
        assert as_is.grad_status(n) == final.grad_status(n), n.name
        assert as_is.backward_reached(n) == final.backward_reached(n), n.name
        np.testing.assert_array_equal(as_is.value(n), final.value(n))
        if final.grad(n) is None:
            assert as_is.grad(n) is None
        else:
            np.testing.assert_allclose(as_is.grad(n), final.grad(n), rtol=1e-12)
    assert as_is.group_look(graph.nodes) == final.group_look(graph.nodes)
    assert as_is.progress(graph.nodes) == final.progress(graph.nodes)


def test_after_backward_the_graph_as_it_is_looks_like_the_last_step():
    f = lecture()
    final = Stepper(f, keep_gradients=True).final()   # the walk's gradients left in the graph, as backward() does
    _same_answers(GraphState(f.graph()), final, f.graph())
    assert final.phase == "backward"


def test_before_backward_every_node_is_computed_and_none_backpropagated():
    f = lecture()
    graph = f.graph()
    state = GraphState(graph)
    assert state.phases == ("forward",)
    assert {state.look(n) for n in graph.nodes} == {"computed"}
    assert state.progress(graph.nodes) == (len(graph.nodes), len(graph.nodes), "forward")
    assert not any(state.backward_reached(n) for n in graph.nodes)


def test_a_step_state_at_a_forward_step_looks_pending_ahead_and_current_here():
    st = Stepper(lecture())
    state = st.at(1)
    here = state.current
    assert state.look(here) == "current"
    assert [state.look(n) for n in st.graph.nodes][2:] == ["pending"] * (len(st.graph.nodes) - 2)
    assert state.phases == ("forward", "backward")


def test_a_picture_draws_both_without_asking_which():
    f = lecture()
    st = Stepper(f)
    pic = Picture(f, rankdir="LR")
    for state in (GraphState(f.graph()), st.at(0), st.at(len(st) - 1), st.final()):
        assert pic.dot(state).startswith("digraph")


@pytest.mark.parametrize("make", [lambda f: GraphState(f.graph()), lambda f: Stepper(f).final()])
def test_the_non_finite_origin_is_marked_in_both(make):
    x = gs.param(np.array([1.0, -1.0]), name="x")
    with np.errstate(invalid="ignore"):
        y = gs.sum(gs.log(x))
        y.backward()
        state = make(y)
    pic = Picture(y, rankdir="LR")
    assert "first non-finite value made here" in pic.dot(state)


def test_phase_names_come_from_one_place():
    f = lecture()
    leaves = [n for n in f.graph().leaves if n.requires_grad]
    st = Stepper(f, optimizer=gs.optim.SGD(leaves, lr=0.1))  # forward, backward, then the update phase
    assert [st.at(k).phase for k in range(len(st))] == [e.phase for e in st.events]
    assert {e.phase for e in st.events} == set(PHASES)
    with pytest.raises(gs.GraphscopeError) as err:
        st.find("q", "sideways")
    assert all(repr(phase) in str(err.value) for phase in PHASES)
