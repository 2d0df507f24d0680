"""The terminal UI's colours: one per meaning on every screen (graph, tape, inspector, help, training and layer
screens), dark enough to read on a projector: text at least 4.5:1 and borders 3:1 against the panes' backgrounds.

They are the pictures' hues (viz.theme), darker where the pictures' are pale: a pale grey or light blue on white
paper reads, washed out by a projector it disappears.
"""
from ..viz import theme

INK = theme.INK
#: Secondary text (a node's source line, 'upstream × local = contribution').
MUTED = "#5c636a"
#: Values, and the boxes whose value is computed.
VALUE = "#1864ab"
#: Gradients, and the boxes that passed their gradient on.
GRAD = "#0b7285"
#: This step: the current node's border, its edges, its tape row.
CURRENT = "#c2410c"
#: The current node's name line.
CURRENT_FILL = "#ffc078"
#: Not computed yet (dashed borders).
PENDING = "#5f666d"
#: Needs no gradient (inputs, constants, what depends on them only).
NO_GRAD = "#6741d9"
#: Right: a check that passed, a guess that matches (open-color green 9, darkened to read at 4.5:1).
RIGHT = "#2b7a3b"
#: Errors: a non-finite value's origin, a VJP that failed or failed its check.
ERROR = theme.ORIGIN_INK
#: A box that passed its gradient on is filled with this, so that it reads apart from a box with its value only
#: (their borders are about as dark).
GRAD_FILL = "#e3fafc"
#: The graph's edges and scope frames.
EDGE = "#868e96"
FRAME = "#adb5bd"
FRAME_TITLE = "#495057"

#: The colour of each kind of node (viz.theme.LOOKS's keys), in the graph and the tape alike.
LOOK_COLOURS = {"pending": PENDING, "computed": VALUE, "backpropagated": GRAD, "current": CURRENT,
                "inactive": NO_GRAD}
#: The tape's status column is 8 characters: the words for 'needs no gradient' there.
SHORT_WORDS = {"inactive": "no grad", "origin": "made NaN"}

def rgb(colour):
    """'#1864ab' as (24, 100, 171): a colour as plotext takes it (the layer screen's histograms, the training
    screen's curves)."""
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


#: Training curves: the loss in ink; accuracies in colours no other screen gives a meaning to.
LOSS_CURVE = "#212529"
TRAIN_ACC_CURVE = "#2b8a3e"
VAL_ACC_CURVE = "#e67700"
