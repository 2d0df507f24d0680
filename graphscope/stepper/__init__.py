"""The stepper: a cursor over a graph's forward, backward (and optimizer update) events, and the state at any step.

    st = gs.Stepper(loss)
    for event in st: ...           # ForwardEvent / BackwardEvent
    st.goto(-1); st.state.grad(W)  # gradients at the last step
    gs.Stepper(loss, optimizer=opt)  # then one UpdateEvent per parameter
"""
from . import explain
from .cursor import StepError, Stepper
from .events import BACKWARD, FORWARD, UPDATE, BackwardEvent, EdgeGradient, ForwardEvent, UpdateEvent
from .record import Recording
from .state import GraphState, StepState

__all__ = ["Stepper", "StepError", "StepState", "GraphState", "Recording", "ForwardEvent", "BackwardEvent",
           "EdgeGradient", "UpdateEvent", "FORWARD", "BACKWARD", "UPDATE", "explain"]
