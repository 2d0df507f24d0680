"""The card of repeated calls (calls.CallsItem): "fc1 × 222 calls", which call's numbers it shows, and one
number per call."""
from . import summaries
from .html_labels import _params, _shapes, card, current_rows, esc, mono, spread_row, value_rows
from .step_texts import box_value_text, item_output, progress_text
from .view import pattern_name
from . import theme


def call_output(call):
    """The node a call hands on: its last op (its last node when it has no op)."""
    return next((n for n in reversed(call) if n.op_def is not None), call[-1])


def calls_label(item, state, widths, look, alert=None):
    """A card standing for every call of a repeated scope, op or input: what one call does, the call whose value
    and gradient it shows (the last), and each call's number (summaries.spread_text)."""
    n = len(item.calls)
    out = item_output(item)
    rows = []
    if item.what == "scope":
        rows.append(("each call", esc(pattern_name(item.calls[0]))))
        used, made = _ids_used(item.shown), {id(node) for node in item.shown}
        shown_in = [t for t in item.inputs if id(t) in used]
        shown_out = [t for t in item.outputs if id(t) in made]
        rows.append(("in", esc(_shapes(shown_in or item.inputs)) or "none"))
        rows.append(("out", esc(_shapes(shown_out or item.outputs))))
        params = [p for p in item.inputs if p.op_def is None and p.requires_grad and not p.inputs
                  and all(id(p) in _ids_used(call) for call in item.calls)]
        if params:
            rows.append(("params", esc(_params(params))))
    else:
        rows.append(("names", esc(f"{item.calls[0][0].name} \u2026 {item.calls[-1][0].name}")))
    leaves = item.what != "scope" and item.calls[0][0].op_def is None
    rows.append(("shown", esc(f"{out.name}, the last" if leaves else f"call {n} of {n} ({out.name})")))
    rows += value_rows(item.key, out, state, widths, look, box_value_text(item, state))
    outs = [call_output(call) for call in item.calls]
    scalar = all(summaries.is_scalar(o) for o in outs)
    rows.append(spread_row("value/call" if scalar else "value mean/call",
                           [summaries.entry(state.value(o), scalar, "mean") for o in outs], look.ink))
    if out.requires_grad:  # the gradient's size (a uniform gradient's std would read 0)
        rows.append(spread_row("grad/call" if scalar else "grad rms/call",
                               [summaries.entry(state.grad(o), scalar, "rms") for o in outs], signed=scalar))
    rows.append(mono(progress_text(item, state), widths.get((item.key, "progress")), theme.MUTED, theme.SMALL))
    head = f"{item.title} \u00d7 {n}" + ("" if leaves else " calls")
    return card(look, head, item.what, rows + current_rows(item, state, widths, look), alert)


def _ids_used(call):
    """The ids of the tensors the nodes of `call` read (a tensor's == compares values)."""
    return {id(inp) for node in call for inp in node.inputs}
