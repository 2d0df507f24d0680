"""Key bindings that act in the order the keys were typed, however fast they come.

Textual runs a priority binding as soon as the app reads its key, but sends
any other key to the focused widget first: it then climbs the widgets one
message queue at a time and its binding runs only when it is back at the
app. In a burst (a fast typist, a paste, ``tmux send-keys f n``) a priority
key typed after an ordinary one thus overtakes it: ``f n`` ran n, then f, and
landed at the end of the forward pass. A screen whose keys are all priority
bindings (and whose widgets' keys are too) runs every key where the app
reads it, one after the other. Screens that hold a text box keep ordinary
bindings: their keys all take the same road, through the box, in order.
"""
from dataclasses import replace


def in_order(bindings):
    """`bindings` as priority bindings, so that a burst of them acts in the order it was typed."""
    return [replace(b, priority=True) for b in bindings]
