"""The inspector: the current node's value; in the backward phase upstream x local = contribution per input; in the
update phase the gradient, the optimizer's state, the step and the update/weight ratio.

Values read as in every other view (engine.formatting); a listed matrix
stands one row a line, its columns lined up. The text is laid out for the
pane's width: any array of at most LISTED_ROWS rows whose rows fit the pane
is listed in full (a 5x3 weight matrix at 160 columns, beyond the
SHOWN_ENTRIES the one-line views list); a matrix whose rows do not fit beside
its name stands under it, and when they do not fit there either it is
summarized (mean=.. std=..); a long vector is cut between its entries. A row
is never broken mid-number."""
import numpy as np
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...engine.formatting import NOT_COMPUTED, listed_lines, number_text, shown_in_full, summary_line, value_lines
from ...stepper import BACKWARD, FORWARD, UPDATE, explain
from .. import colours
from ..keys import in_order
from ..messages import NodeChosen
from .check_texts import graph_check_text, node_check_text
from .text_fit import fits, hanging, wrapped

#: 'upstream × local = contribution' with the numbers is written as one line when it is at most this long;
#: longer (or with listed matrices), the contribution stands alone under it.
PRODUCT_CHARS = 48
#: A listed matrix stands beside a lead of at most this many characters ('value  '), else on the lines under it,
#: indented this much.
LEAD_CHARS = 10
MATRIX_INDENT = 4
#: An array larger than SHOWN_ENTRIES is still listed when its rows fit the pane and it has at most this many rows
#: (a vector at most this many entries): a 5x3 weight matrix reads in full in a wide inspector.
LISTED_ROWS = 12
LISTED_ENTRIES = 144
#: After a matrix summarized because its rows are wider than the pane (when the words fit on its line).
TOO_WIDE_NOTE = "  (widen to list)"
#: A guess judged right (predict mode); a wrong one is the error red.
RIGHT_INK = colours.RIGHT
#: The heading of each input's paragraph at a backward step, before its name: a click on it goes to that node.
INPUT_HEADING = "▶ to "
#: How many refreshes to wait for new text to be laid out before scrolling in it.
LAYOUT_TRIES = 5


def inspector_text(session, width=None):
    """The inspector's contents for the session's current step, as rich Text laid out for `width` columns
    (None: as wide as its longest line): the step, then the gradient checks."""
    return step_text(session, width) + checks_text(session, width)


def step_text(session, width=None):
    """What the inspector says about the current step (its node, value, and the backward or update step)."""
    st = session.stepper
    event, out = st.event, session.output
    info = explain.details(event, out)
    node = event.node
    text = verdict_text(session, width)
    text.append(f"{node.name}", style="bold")
    text.append(f"  {info['op']} · {info['shape']}" + (f" · {info['scope']}" if info["scope"] else "") + "\n",
                style=colours.MUTED)
    if info["source"]:
        text.append(f"{info['source']}\n", style=colours.MUTED)
    text.append(hanging(explain.heading(event, out), width) + "\n\n")  # its value stands just under it
    value = session.state.value(node)
    text.append("value  ", style="bold")
    block(text, "value  ", value, colours.VALUE, width)
    if value is not None and not shown_in_full(value) and room_lines(value, width) is None:
        text.append(f"       min={number_text(np.min(value))} max={number_text(np.max(value))}\n",
                    style=colours.VALUE)
    if event.phase == BACKWARD:
        _backward(text, info, event, width)
    elif event.phase == UPDATE:
        _update(text, info, event, width, getattr(st.optimizer, "lr", None))
    elif event.phase != FORWARD:
        text.append(f"\n{event.phase} step\n")
    return text


def verdict_text(session, width=None):
    """Predict mode's verdict on the guess about the current step ('not quite: it is 3, you said 5 (off by 2)', how
    the answer follows, and a doubt about the VJP), then a blank line; empty at any other step."""
    text = Text()
    verdict = session.verdict
    if verdict is None or verdict.step != session.step:
        return text
    headline, *rest = verdict.text().split("\n")
    ink = RIGHT_INK if verdict.matches_derivative else colours.ERROR
    text.append(hanging(f"predict mode: {headline}", width) + "\n", style=f"bold {ink}")
    for line in rest:
        text.append(hanging(f"  {line}", width) + "\n", style=colours.MUTED)
    text.append("\n")
    return text


def checks_text(session, width=None):
    """The gradient checks' paragraphs (check_texts), each after a blank line: the current node's check (c, or C's
    check of it) and check-all's report (C); empty before any check."""
    text = Text()
    check = session.checks.get(session.node)
    if check is not None:
        text.append("\n")
        text.append(node_check_text(check, width))
    if session.graph_check is not None:
        text.append("\n")
        text.append(graph_check_text(session.graph_check, width))
    return text


def block(text, lead, value, style, width=None, end="\n"):
    """Append `value` as the views write it (after `lead`, already appended): a listed matrix one row a line,
    each row under the first. Under a long lead, or when the value does not fit beside it, it starts on the next
    line, indented; a matrix whose rows do not fit there either is summarized (formatting.summary_line).
    Returns the column the last line ends at (`end` aside)."""
    lines = [NOT_COMPUTED] if value is None else room_lines(value, width) or value_lines(value)
    widest = max(len(line) for line in lines)
    if (len(lines) > 1 and len(lead) > LEAD_CHARS) or not fits(len(lead) + widest, width):
        if fits(MATRIX_INDENT + widest, width):
            lead = _next_line(text)
        elif len(lines) > 1:
            summary = summary_line(value)
            text.append(summary, style=style)
            note = TOO_WIDE_NOTE if fits(len(lead) + len(summary) + len(TOO_WIDE_NOTE), width) and end == "\n" else ""
            text.append(note + end, style=colours.MUTED)
            return len(lead) + len(summary) + len(note)
        elif lines[0].startswith("["):  # one long row (a vector): cut between its entries, as numpy does
            if len(lead) > LEAD_CHARS:
                lead = _next_line(text)
            lines = wrapped(lines[0], width - len(lead))
    text.append(("\n" + " " * len(lead)).join(lines) + end, style=style)
    return len(lead) + len(lines[-1])


def room_lines(value, width):
    """The lines listing every entry of `value` when it is larger than the one-line views list (SHOWN_ENTRIES) yet
    small enough to read here: at most LISTED_ROWS rows (a vector at most LISTED_ROWS entries) that fit `width`
    under a name; None otherwise."""
    if value is None or shown_in_full(value) or np.ndim(value) < 1 or np.size(value) > LISTED_ENTRIES:
        return None
    shape = np.shape(value)
    rows = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
    if rows > LISTED_ROWS or (len(shape) == 1 and shape[0] > LISTED_ROWS):
        return None
    lines = listed_lines(value)
    return lines if fits(MATRIX_INDENT + max(len(line) for line in lines), width) else None


def _next_line(text):
    """Start a value on the next line, indented; returns the new lead."""
    lead = " " * MATRIX_INDENT
    text.append("\n" + lead)
    return lead


def _backward(text, info, event, width):
    text.append("upstream  ", style="bold")
    lead = f"{info['upstream_name']} = "
    text.append(lead, style=colours.GRAD)
    block(text, "upstream  " + lead, event.upstream, colours.GRAD, width)
    if event.error is not None:  # the step whose VJP failed: the engine's words, the user's line, where it ends
        text.append("\n" + hanging(f"VJP failed: {info['error']}", width) + "\n", style=f"bold {colours.ERROR}")
        if "error_at" in info:
            text.append(hanging(f"  {info['error_at']}", width, cut_words=True) + "\n", style=colours.ERROR)
        text.append("\n" + "\n".join(hanging(info[k], width) for k in ("stopped", "unreached") if k in info) + "\n",
                    style=colours.MUTED)
        return
    if not event.edges:
        text.append("a leaf: its gradient is complete\n" if event.node.op_def is None else "")
    for e, edge in zip(info["edges"], event.edges):
        text.append(f"\n{INPUT_HEADING}{e['input']}", style="bold")
        text.append(f" (input {e['slot']}, {e['shape']})\n", style=colours.MUTED)
        if "note" in e:
            text.append(hanging(f"  {e['note']}", width) + "\n", style=colours.MUTED)
            continue
        text.append("  upstream × local = contribution\n", style=colours.MUTED)
        local = edge.local_matrix()
        product = f"  {info['upstream']} × {e['local']} = "
        in_line = (shown_on_one_line(event.upstream, local, edge.contribution, width=width)
                   and fits(len(product) + len(e["contribution"]), PRODUCT_CHARS)
                   and fits(len(product) + len(e["contribution"]), width))
        if in_line:
            text.append(product)
        else:  # long lists or matrices: the upstream stands above, the contribution and local matrix get their rows
            text.append("  = ")
        block(text, "  = ", edge.contribution, f"bold {colours.GRAD}", width)
        text.append(hanging(f"  local {e['local_name']}: {e['jacobian']}", width) + "\n")
        if local is not None and not in_line:
            text.append("  ")
            block(text, "  ", local, None, width)
        status = "complete" if e["complete"] else "partial: more consumers to come"
        lead = f"  {e['accumulated_name']} = "
        text.append(lead, style=colours.GRAD)
        column = block(text, lead, edge.accumulated, colours.GRAD, width, end="")
        words = f"({status})"
        gap = "  " if fits(column + 2 + len(words), width) else "\n" + " " * MATRIX_INDENT  # never cut at column 0
        text.append(f"{gap}{words}\n", style=colours.MUTED)


def shown_on_one_line(*values, width=None):
    """True when every value is written on one line in a pane `width` wide (no listed matrix)."""
    return all(v is None or len(room_lines(v, width) or value_lines(v)) == 1 for v in values)


def _update(text, info, event, width, lr=None):
    """gradient, the optimizer's state before -> after, step, value before -> after, update/weight ratio."""
    text.append("gradient  ", style="bold")
    lead = f"{info['grad_name']} = "
    text.append(lead, style=colours.GRAD)
    block(text, "gradient  " + lead, event.grad, colours.GRAD, width)
    head = f"{info['optimizer']} state"
    rate = f" (lr {lr:g})" if lr is not None else ""
    text.append(f"\n{head}", style="bold")
    text.append(rate, style=colours.MUTED)
    tail = ": none (the step is -lr × gradient)" if not info["state"] else "  before → after"
    if width and len(head + rate + tail) > width:  # the rest on a line of its own, indented
        tail = "\n  " + tail.lstrip(": ")
    text.append(tail + "\n", style=colours.MUTED)
    for s in info["state"]:
        _before_after(text, f"  {s['name']}", event.state_before[s["name"]], event.state_after[s["name"]], None,
                      width)
    text.append("\nstep  ", style="bold")
    block(text, "step  ", event.delta, f"bold {colours.GRAD}", width)
    _before_after(text, f"  {info['node']}", event.value_before, event.value_after, colours.VALUE, width)
    text.append("\nupdate/weight  ", style="bold")
    text.append(f"{info['ratio']}\n")
    text.append(hanging(f"  {info['ratio_verdict']}", width) + "\n", style=colours.MUTED)


def _before_after(text, name, before, after, style, width):
    """'  W: before → after' on one line (when narrow, '→ after' under 'before'), an array larger than the one-line
    views list as its summaries (the step above lists it where it fits); listed matrices as two blocks, 'before'
    then 'after'."""
    if all(v is None or len(value_lines(v)) == 1 for v in (before, after)):  # summaries: 'mean=.. → mean=..'
        head, tail = f"{name}: {value_lines(before)[0]}", f"→ {value_lines(after)[0]}"
        if fits(len(head) + 1 + len(tail), width):
            text.append(f"{head} {tail}\n", style=style)
            return
        column = len(name) + 2  # where the values start: a cut list goes on under its entries
        text.append(hanging(head, width, indent=column + 1) + "\n", style=style)
        text.append(hanging(" " * column + tail, width, indent=column + 3) + "\n", style=style)
        return
    for word, value in (("before", before), ("after", after)):
        lead = f"{name} {word}: "
        text.append(lead, style=style)
        block(text, lead, value, style, width)


def _line_count(text, console, width):
    """The screen lines `text` takes `width` wide (a line longer than that wraps, as the pane wraps it)."""
    return text.plain.count("\n") + 1 if width is None else len(text.wrap(console, width))


def _first_line(whole, tail, console, width):
    """The screen line `tail`'s first words stand on, where `whole` (ending in `tail`) is drawn `width` wide."""
    words = tail[len(tail.plain) - len(tail.plain.lstrip("\n")):]
    return _line_count(whole, console, width) - _line_count(words, console, width)


class Inspector(VerticalScroll):
    """Scrolls when the node has many inputs or a long check report; after a check it scrolls to the checks."""

    ALLOW_MAXIMIZE = True  # the palette's Maximize, as for the graph and the tape (VerticalScroll's is False)

    DEFAULT_CSS = """
    Inspector { scrollbar-gutter: stable; scrollbar-size-vertical: 1; }
    Inspector > Static { width: 100%; min-height: 100%; }  /* a short text changes no height: no layout */
    """
    #: Its scrolling keys as priority bindings, as the screen's (keys.in_order): a burst acts in order. Left and right
    #: stay the screen's steps (its text is wrapped to its width: nothing to scroll sideways).
    BINDINGS = in_order([b for b in VerticalScroll.BINDINGS if b.key not in ("left", "right")])

    def __init__(self, session, **kwargs):
        super().__init__(**kwargs)
        self.session = session
        self.body = Static(id="inspector-body")
        self.laid_out_for = None  # the width the text was last laid out for
        self.lines = 0  # the lines the text takes in the pane
        self.checks_line = None  # the line the checks' paragraphs start at (None: no check to show)
        self.revealing = False  # the next redraw scrolls to the checks

    def compose(self):
        yield self.body

    def on_click(self, event):
        """A click on an input's heading ('▶ to matmul_9') goes to that input's node."""
        offset = event.get_content_offset(self.body)
        if offset is None:
            return
        line = self.body.render_line(offset.y).text.strip()
        if line.startswith(INPUT_HEADING):
            name = line[len(INPUT_HEADING):].split(" ", 1)[0]
            node = next((n for n in self.session.graph.nodes if n.name == name), None)
            if node is not None:
                self.post_message(NodeChosen(node))

    def text_width(self):
        """The columns the text has (inside the border, padding and scrollbar gutter); None before layout."""
        return self.scrollable_content_region.width or None

    def show_step(self):
        self.laid_out_for = width = self.text_width()
        text = step_text(self.session, width)
        checks = checks_text(self.session, width)
        whole = text + checks
        self.lines = _line_count(whole, self.app.console, width)
        self.checks_line = _first_line(whole, checks, self.app.console, width) if checks.plain else None
        self._set_text(whole)
        if self.revealing:
            self.revealing = False
            self.call_after_refresh(self.scroll_to_checks)

    def _set_text(self, text):
        """The body's `text`, laid out again only when that changes its height (it is at least the pane's, so a
        short text never does): a layout redraws the whole screen, where a repaint redraws the inspector alone."""
        body = self.body
        width, pane = body.content_region.width, self.scrollable_content_region.height
        body.update(text, layout=False)
        before, self._body_height = getattr(self, "_body_height", None), \
            body.get_content_height(self.size, self.size, width) if width else None
        if before is None or self._body_height is None or max(before, pane) != max(self._body_height, pane):
            body.refresh(layout=True)

    def reveal_checks(self):
        """Scroll to the checks' paragraphs when the text is next drawn (after a check has run)."""
        self.revealing = True

    def scroll_to_checks(self, tries=LAYOUT_TRIES):
        """The checks at the pane's top (notifications stand over the graph, never here), or as high as the text's
        end lets them (the end then at the bottom)."""
        if self.checks_line is None:
            return
        y = self.checks_line
        if self.max_scroll_y < min(y, self.lines - self.scrollable_content_region.height) and tries > 1:
            self.call_after_refresh(self.scroll_to_checks, tries - 1)  # the new text is not laid out yet
            return
        self.scroll_to(y=y, animate=False, immediate=True)

    def on_resize(self):
        if self.laid_out_for is not None and self.text_width() != self.laid_out_for:
            self.show_step()
