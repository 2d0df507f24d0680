"""The inspector: the current node's value; in the backward phase upstream x local = contribution per input; in the
update phase the gradient, the optimizer's state, the step and the update/weight ratio."""
import numpy as np
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...engine.formatting import number_text, summarize_value
from ...stepper import BACKWARD, FORWARD, UPDATE, explain
from ...viz import theme

#: Values with more entries than this are summarized (mean, std, then min and max).
SHOWN_ENTRIES = 4


def inspector_text(session):
    """The inspector's contents for the session's current step, as rich Text."""
    st = session.stepper
    event, out = st.event, session.output
    info = explain.details(event, out)
    node = event.node
    text = Text()
    text.append(f"{node.name}", style="bold")
    text.append(f"  {info['op']} · {info['shape']}" + (f" · {info['scope']}" if info["scope"] else "") + "\n",
                style=theme.MUTED)
    if info["source"]:
        text.append(f"{info['source']}\n", style=theme.MUTED)
    text.append(f"{info['title']}\n\n")
    value = session.state.value(node)
    text.append("value  ", style="bold")
    text.append(("not computed yet" if value is None else summarize_value(value)) + "\n", style=theme.VALUE_INK)
    if value is not None and np.size(value) > SHOWN_ENTRIES:
        text.append(f"       min={number_text(np.min(value))} max={number_text(np.max(value))}\n", style=theme.VALUE_INK)
    if event.phase == BACKWARD:
        _backward(text, info, event)
    elif event.phase == UPDATE:
        _update(text, info)
    elif event.phase != FORWARD:
        text.append(f"\n{event.phase} step\n")
    check = session.checks.get(node)
    if check is not None:
        text.append("\ngradient check: ", style="bold")
        text.append(check.status_text + "\n", style="green" if check.ok else "bold red")
        for inp in check.inputs:
            text.append(f"  {inp.describe()}\n")
    return text


def _backward(text, info, event):
    text.append("upstream  ", style="bold")
    text.append(f"{info['upstream_name']} = {info['upstream']}\n", style=theme.GRAD_INK)
    if not event.edges:
        text.append("a leaf: its gradient is complete\n" if event.node.op_def is None else "")
    for e in info["edges"]:
        text.append(f"\n▶ to {e['input']}", style="bold")
        text.append(f" (input {e['slot']}, {e['shape']})\n", style=theme.MUTED)
        if "note" in e:
            text.append(f"  {e['note']}\n", style=theme.MUTED)
            continue
        text.append("  upstream × local = contribution\n", style=theme.MUTED)
        text.append(f"  {info['upstream']} × {e['local']} = ")
        text.append(f"{e['contribution']}\n", style=f"bold {theme.GRAD_INK}")
        text.append(f"  local {e['local_name']}: {e['jacobian']}\n")
        status = "complete" if e["complete"] else "partial: more consumers to come"
        text.append(f"  {e['accumulated_name']} = {e['accumulated']}", style=theme.GRAD_INK)
        text.append(f"  ({status})\n", style=theme.MUTED)


def _update(text, info):
    """gradient, the optimizer's state before -> after, step, value before -> after, update/weight ratio."""
    text.append("gradient  ", style="bold")
    text.append(f"{info['grad_name']} = {info['grad']}\n", style=theme.GRAD_INK)
    text.append(f"\n{info['optimizer']} state", style="bold")
    if not info["state"]:
        text.append(": none (the step is -lr × gradient)\n", style=theme.MUTED)
    else:
        text.append("  before → after\n", style=theme.MUTED)
    for s in info["state"]:
        text.append(f"  {s['name']}: {s['before']} → {s['after']}\n")
    text.append("\nstep  ", style="bold")
    text.append(f"{info['step_taken']}\n", style=f"bold {theme.GRAD_INK}")
    text.append(f"  {info['node']}: {info['value_before']} → {info['value_after']}\n", style=theme.VALUE_INK)
    text.append("\nupdate/weight  ", style="bold")
    text.append(f"{info['ratio']}\n")
    text.append(f"  {info['ratio_verdict']}\n", style=theme.MUTED)


class Inspector(VerticalScroll):
    """Scrolls when the node has many inputs or a long check report."""

    DEFAULT_CSS = """
    Inspector > Static { width: 100%; }
    """

    def __init__(self, session, **kwargs):
        super().__init__(**kwargs)
        self.session = session
        self.body = Static(id="inspector-body")

    def compose(self):
        yield self.body

    def show_step(self):
        self.body.update(inspector_text(self.session))
