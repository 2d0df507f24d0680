"""The stepper: a cursor over a graph's forward then backward events, and the state at any step.

    st = gs.Stepper(loss)
    for event in st: ...           # ForwardEvent / BackwardEvent
    st.goto(-1); st.state.grad(W)  # gradients at the last step
"""
from . import explain
from .cursor import StepError, Stepper
from .events import BACKWARD, FORWARD, BackwardEvent, EdgeGradient, ForwardEvent
from .record import Recording
from .state import GraphState, StepState

__all__ = ["Stepper", "StepError", "StepState", "GraphState", "Recording", "ForwardEvent", "BackwardEvent",
           "EdgeGradient", "FORWARD", "BACKWARD", "explain"]
