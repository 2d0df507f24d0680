"""The inspector: the current node's value; in the backward phase upstream x local = contribution per input; in the
update phase the gradient, the optimizer's state, the step and the update/weight ratio.

Values read as in every other view (engine.formatting); a listed matrix
stands one row a line, its columns lined up."""
import numpy as np
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...engine.formatting import number_text, shown_in_full, value_lines
from ...stepper import BACKWARD, FORWARD, UPDATE, explain
from ...viz import theme

#: 'upstream × local = contribution' with the numbers is written as one line when it is at most this long;
#: longer (or with listed matrices), the contribution stands alone under it.
PRODUCT_CHARS = 48
#: A listed matrix stands beside a lead of at most this many characters ('value  '), else on the lines under it,
#: indented this much.
LEAD_CHARS = 10
MATRIX_INDENT = 4


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
    block(text, "value  ", value, theme.VALUE_INK)
    if value is not None and not shown_in_full(value):
        text.append(f"       min={number_text(np.min(value))} max={number_text(np.max(value))}\n",
                    style=theme.VALUE_INK)
    if event.phase == BACKWARD:
        _backward(text, info, event)
    elif event.phase == UPDATE:
        _update(text, info, event)
    elif event.phase != FORWARD:
        text.append(f"\n{event.phase} step\n")
    check = session.checks.get(node)
    if check is not None:
        text.append("\ngradient check: ", style="bold")
        text.append(check.status_text + "\n", style="green" if check.ok else "bold red")
        for inp in check.inputs:
            text.append(f"  {inp.describe()}\n")
    return text


def block(text, lead, value, style, end="\n"):
    """Append `value` as the views write it (after `lead`, already appended): a listed matrix one row a line,
    each row under the first; under a long lead the rows start on the next line, indented."""
    lines = ["not computed yet"] if value is None else value_lines(value)
    if len(lines) > 1 and len(lead) > LEAD_CHARS:
        text.append("\n")
        lead = " " * MATRIX_INDENT
        text.append(lead)
    text.append(("\n" + " " * len(lead)).join(lines) + end, style=style)


def _backward(text, info, event):
    text.append("upstream  ", style="bold")
    lead = f"{info['upstream_name']} = "
    text.append(lead, style=theme.GRAD_INK)
    block(text, "upstream  " + lead, event.upstream, theme.GRAD_INK)
    if event.error is not None:  # the step whose VJP failed: the engine's words, the user's line, where it ends
        text.append(f"\nVJP failed: {info['error']}\n", style=f"bold {theme.ORIGIN_INK}")
        if "error_at" in info:
            text.append(f"  {info['error_at']}\n", style=theme.ORIGIN_INK)
        text.append(f"\n{info['stopped']}\n" + (f"{info['unreached']}\n" if "unreached" in info else ""),
                    style=theme.MUTED)
        return
    if not event.edges:
        text.append("a leaf: its gradient is complete\n" if event.node.op_def is None else "")
    for e, edge in zip(info["edges"], event.edges):
        text.append(f"\n▶ to {e['input']}", style="bold")
        text.append(f" (input {e['slot']}, {e['shape']})\n", style=theme.MUTED)
        if "note" in e:
            text.append(f"  {e['note']}\n", style=theme.MUTED)
            continue
        text.append("  upstream × local = contribution\n", style=theme.MUTED)
        local = edge.local_matrix()
        product = f"  {info['upstream']} × {e['local']} = "
        in_line = (shown_on_one_line(event.upstream, local, edge.contribution)
                   and len(product) + len(e["contribution"]) <= PRODUCT_CHARS)
        if in_line:
            text.append(product)
        else:  # long lists or matrices: the upstream stands above, the contribution and local matrix get their rows
            text.append("  = ")
        block(text, "  = ", edge.contribution, f"bold {theme.GRAD_INK}")
        text.append(f"  local {e['local_name']}: {e['jacobian']}\n")
        if local is not None and not in_line:
            text.append("  ")
            block(text, "  ", local, None)
        status = "complete" if e["complete"] else "partial: more consumers to come"
        lead = f"  {e['accumulated_name']} = "
        text.append(lead, style=theme.GRAD_INK)
        block(text, lead, edge.accumulated, theme.GRAD_INK, end="")
        text.append(f"  ({status})\n", style=theme.MUTED)


def shown_on_one_line(*values):
    """True when every value is written on one line (no listed matrix)."""
    return all(v is None or len(value_lines(v)) == 1 for v in values)


def _update(text, info, event):
    """gradient, the optimizer's state before -> after, step, value before -> after, update/weight ratio."""
    text.append("gradient  ", style="bold")
    lead = f"{info['grad_name']} = "
    text.append(lead, style=theme.GRAD_INK)
    block(text, "gradient  " + lead, event.grad, theme.GRAD_INK)
    text.append(f"\n{info['optimizer']} state", style="bold")
    if not info["state"]:
        text.append(": none (the step is -lr × gradient)\n", style=theme.MUTED)
    else:
        text.append("  before → after\n", style=theme.MUTED)
    for s in info["state"]:
        _before_after(text, f"  {s['name']}", event.state_before[s["name"]], event.state_after[s["name"]], None)
    text.append("\nstep  ", style="bold")
    block(text, "step  ", event.delta, f"bold {theme.GRAD_INK}")
    _before_after(text, f"  {info['node']}", event.value_before, event.value_after, theme.VALUE_INK)
    text.append("\nupdate/weight  ", style="bold")
    text.append(f"{info['ratio']}\n")
    text.append(f"  {info['ratio_verdict']}\n", style=theme.MUTED)


def _before_after(text, name, before, after, style):
    """'  W: before → after' on one line; listed matrices as two blocks, 'before' then 'after'."""
    if shown_on_one_line(before, after):
        text.append(f"{name}: {value_lines(before)[0]} → {value_lines(after)[0]}\n", style=style)
        return
    for word, value in (("before", before), ("after", after)):
        lead = f"{name} {word}: "
        text.append(lead, style=style)
        block(text, lead, value, style)


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
