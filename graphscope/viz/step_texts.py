"""The changing texts of a picture (values, gradients, progress, edge gradients) and the room they need.

Values are written as every other view writes them (engine.formatting): a
listed matrix takes one line per row, so a text may hold several lines.
Every text that changes from step to step is set in a monospaced font and
padded to the longest text it takes at any step, in characters and in lines
(``Widths``), so each node and edge label keeps its size across steps and
Graphviz lays out every step of a graph identically: frames and the HTML
player do not jump.
"""
import re
import textwrap


from ..engine.formatting import NOT_COMPUTED
from ..stepper.events import BACKWARD, FORWARD, UPDATE
from ..stepper.explain import backward_story, event_verdict
from ..stepper.notation import drawn, value_lines
from ..stepper.state import COMPLETE, NO_GRAD, NOT_REACHED, PARTIAL, StepState, not_reached_text, ratio_text
from .view import FOLD, NODE, STUB

NOT_YET = NOT_COMPUTED
GRAD_ARROW = "\u2190 "  # "<-": a gradient flows back along the edge
#: What a box's progress counts in each phase.
PROGRESS_WORDS = {FORWARD: "computed", BACKWARD: "backpropagated", UPDATE: "updated"}


def compact(v):
    """A value's text in a picture: '-4', '[1, 2, 3]', 'all 0' or 'mean=0.12 std=0.5', as captions and the
    player write it (stepper.notation.drawn); a written-out matrix one row a line."""
    return drawn("\n".join(value_lines(v)))


def lines_of(text):
    """The lines of a picture's text (a listed matrix has one per row)."""
    return text.split("\n")


def value_text(v):
    """A value's text in a label: 'not computed yet' before the forward pass reaches it."""
    return NOT_YET if v is None else compact(v)


def grad_text(g, status, stopped_at=None):
    """A gradient's text in a label, marked '(partial)' by its status; 'not reached: the
    backward pass stopped at sq2_4' for a node the pass never reached (`stopped_at`: where it stopped)."""
    if status == NOT_REACHED and stopped_at is not None:
        return not_reached_text(stopped_at)
    if g is None or status == NO_GRAD:
        return NOT_YET
    s = compact(g)
    if status == PARTIAL:
        return s + " (partial)"
    return s


def item_output(item):
    """The tensor a box shows the value and gradient of: its (first) output."""
    return item.outputs[0] if item.outputs else item.nodes[-1]


def progress_text(item, state):
    """'> relu_9  4/7 computed' for a box: how far the pass has got inside it."""
    cur = state.current
    here = f"> {inner_name(item, cur)}  " if cur is not None and cur in item.node_set else ""
    done, of, phase = state.progress(item.nodes)
    return f"{here}{done}/{of} {PROGRESS_WORDS[phase]}"


def block_outputs(item):
    """The output of each block of a fold (its last op node), block 1 first."""
    outs = []
    for index in range(item.blocks):
        ops = [n for n in item.block_nodes(index) if n.op_def is not None]
        outs.append(ops[-1] if ops else None)
    return outs


def box_value_text(item, state):
    """The value row of a box or fold before its output is computed: '15 of 40 computed' once the forward pass
    is inside it (as its progress line says), 'not computed yet' before."""
    done, of, phase = state.progress(item.nodes)
    return f"{done} of {of} {PROGRESS_WORDS[FORWARD]}" if phase == FORWARD and done else NOT_YET


def fold_block_text(item, node, scopes=True):
    """Which block of a fold `node` is in: 'block 3 of 5 (fc4, bn4, relu4)' (without `scopes`: 'block 3 of 5')."""
    index = item.block_of(node)
    text = f"block {index + 1} of {item.blocks}"
    return f"{text} ({', '.join(item.block_scopes(index))})" if scopes else text


def inner_name(item, node):
    """A node's name as seen from inside a box: 'W' in box fc1, 'block3/W' in a fold of blocks; a name that
    already says its scope ('fc3.W' in fc3) is written once."""
    scope = node.scope or ""
    base = item.parent_scope if item.kind == FOLD else item.scopes[0]
    if base and scope.startswith(base + "/"):
        scope = scope[len(base) + 1:]
    elif scope == base:
        scope = ""
    if scope and node.name.startswith(scope.rsplit("/", 1)[-1] + "."):
        return node.name
    return f"{scope}/{node.name}" if scope else node.name


def inner_rows(item, recording):
    """The rows a box shows of the node the walk is at inside it: 'value', 'grad' when any node inside needs one
    and, for a walk with an optimizer's updates, the update rows of its parameters ('before', 'step', ...)."""
    keys = ["value"] + (["grad"] if any(n.requires_grad for n in item.nodes) else [])
    for node in item.nodes:
        at = recording.update_step[recording.position[node]]
        if at >= 0:
            return keys + update_keys(recording.events[at])
    return keys


def edge_grad(edge, state):
    """The gradient that has flowed back along `edge` so far (None before any)."""
    total = None
    for consumer, slot in reversed(edge.uses):  # the order the backward pass visits them
        g = state.edge_gradient(consumer, slot)
        if g is not None:
            total = g if total is None else total + g
    return total


def edge_grad_text(edge, state):
    """'<- 0.5': the gradient flowed back along `edge` so far ('' before any)."""
    g = edge_grad(edge, state)
    return "" if g is None else edge_text(edge, g)


def edge_text(edge, g):
    """The text of gradient `g` on `edge`: arrow_text, or for a listed matrix the card beside shows already,
    its name ('<- dloss/dscores', edge.gradient_name)."""
    text = arrow_text(g)
    if edge.gradient_name and "\n" in text:
        return GRAD_ARROW + edge.gradient_name
    return text


def arrow_text(g):
    """'<- 0.5': a gradient on an edge; the rows of a listed matrix stand under its first one."""
    return GRAD_ARROW + compact(g).replace("\n", "\n" + " " * len(GRAD_ARROW))


def update_texts(event):
    """A parameter's update as picture rows under its (new) value: {'before': the value before the step,
    'step': the step taken, 'm': the optimizer's state after it, ...}."""
    texts = {"before": value_text(event.value_before), "step": value_text(event.delta)}
    texts.update((name, value_text(value)) for name, value in event.state_after.items())
    return texts


def update_keys(event):
    """The names of those rows, in order ('before', 'step', then the optimizer's state)."""
    return ["before", "step"] + list(event.state_after)


class Widths:
    """The longest text each changing row of a view takes over every step of a recording; with `update` False
    over its forward and backward steps only (their pictures show no update rows: they keep the room they take
    without an optimizer)."""

    def __init__(self, view, recording, update=True):
        self.chars = {}
        self.rows = {}
        self.update = update and recording.n_update > 0
        for item in view.items:
            self._item(item, recording)
        for i, edge in enumerate(view.edges):
            self._edge(i, edge, recording)
        self._caption(recording)

    def get(self, key):
        """The characters of the longest line the text of `key` takes."""
        return self.chars.get(key, 0)

    def lines(self, key):
        """The most lines the text of `key` takes."""
        return self.rows.get(key, 0)

    def _fit(self, key, texts):
        lines = [lines_of(t) for t in texts]
        self.chars[key] = max(max((len(x) for ls in lines for x in ls), default=0), self.chars.get(key, 0))
        self.rows[key] = max(max((len(ls) for ls in lines), default=0), self.rows.get(key, 0))

    def _item(self, item, rec):
        if item.kind == STUB:
            return
        node = item.node if item.kind == NODE else item_output(item)
        i = rec.position[node]
        updated = rec.update_step[i] if self.update else -1
        after = [value_text(rec.events[updated].value_after)] if updated >= 0 else []
        inside = [f"{len(item.nodes)} of {len(item.nodes)} {PROGRESS_WORDS[FORWARD]}"] if item.kind != NODE else []
        self._fit((item.key, "value"), [NOT_YET, value_text(rec.forward_value(node))] + after + inside)
        if updated >= 0:
            for key, texts in update_texts(rec.events[updated]).items():
                self._fit((item.key, key), [NOT_YET, texts])
        if node.requires_grad:
            self._fit((item.key, "grad"), self._grad_texts(rec, i))
        if item.kind != NODE:
            self._inner(item, rec)
            longest = max((len(inner_name(item, n)) for n in item.nodes), default=0)
            total = len(item.nodes)
            needing = sum(1 for n in item.nodes if n.requires_grad)
            self._fit((item.key, "progress"), [
                "> " + "x" * longest + "  " + f"{total}/{total} {PROGRESS_WORDS[FORWARD]}",
                "> " + "x" * longest + "  " + f"{needing}/{needing} {PROGRESS_WORDS[BACKWARD]}"])

    def _inner(self, item, rec):
        """The room of a box's rows of the node the walk is at inside it (inner_rows): the longest of any."""
        for node in item.nodes:
            i = rec.position[node]
            self._fit((item.key, "inner value"), [value_text(rec.forward_value(node))])
            if node.requires_grad:
                self._fit((item.key, "inner grad"), self._grad_texts(rec, i))
            updated = rec.update_step[i] if self.update else -1
            if updated >= 0:
                self._fit((item.key, "inner value"), [value_text(rec.events[updated].value_after)])
                for key, texts in update_texts(rec.events[updated]).items():
                    self._fit((item.key, "inner " + key), [NOT_YET, texts])

    @staticmethod
    def _grad_texts(rec, i):
        texts = [NOT_YET]
        values = rec.grad_values[i] or []
        for j, g in enumerate(values):
            texts.append(grad_text(g, COMPLETE if j == len(values) - 1 and i not in rec.incomplete else PARTIAL))
        if rec.unreached(i):
            texts.append(not_reached_text(rec.broken))
        return texts

    def _edge(self, index, edge, rec):
        contribs = []
        for consumer, slot in edge.uses:
            step = rec.backward_step[rec.position[consumer]]
            if step >= 0 and rec.events[step].edges:
                g = rec.events[step].edges[slot].contribution
                if g is not None:
                    contribs.append((step, g))
        contribs.sort(key=lambda sg: sg[0])
        texts, total = [], None
        for _, g in contribs:
            total = g if total is None else total + g
            texts.append(edge_text(edge, total))
        self._fit(("edge", index), texts)

    def _caption(self, rec):
        steps = len(rec.events) if self.update else rec.n_forward + rec.n_backward
        self._captions = [caption_text(StepState(rec, k)) for k in range(steps)]
        self._fit("caption", self._captions)
        self._wrapped = {}

    def caption_room(self, chars):
        """(characters, lines) the step line and its story take at their longest over every step, wrapped to
        `chars` characters (wrap_caption)."""
        if chars not in self._wrapped:
            lines = [lines_of(wrap_caption(text, chars)) for text in self._captions]
            self._wrapped[chars] = (max((len(x) for ls in lines for x in ls), default=0),
                                    max((len(ls) for ls in lines), default=0))
        return self._wrapped[chars]


#: The continuation of a wrapped caption line starts under the text after its lead ('to bn1.gamma  '), when the
#: lead is at most this share of the line; else this many spaces in.
WRAP_LEAD_SHARE = 1 / 3
WRAP_INDENT = 4
_LEAD = re.compile(r"^\S.*?\S {2,}(?=\S)|^\S.*?: (?=\S)")


def wrap_caption(text, chars):
    """`text` (a caption: its step line and story) with every line longer than `chars` characters broken at
    spaces; a continuation stands under the words after the line's lead ('to matmul_22  ', 'upstream × local =
    contribution: ') when that lead is short, else a little indented. Lines of a listed matrix (indented) and
    words longer than a line are kept whole."""
    out = []
    for line in lines_of(text):
        if len(line) <= chars or line.startswith(" "):
            out.append(line)
            continue
        lead = _LEAD.match(line)
        indent = len(lead.group(0)) if lead and len(lead.group(0)) <= chars * WRAP_LEAD_SHARE else WRAP_INDENT
        out += textwrap.wrap(line, chars, subsequent_indent=" " * indent, break_long_words=False,
                             break_on_hyphens=False, drop_whitespace=True) or [line]
    return "\n".join(out)


def caption_text(state, note=""):
    """A picture's step line (with `note` after it) and, under it at a backward step, what the step computed:
    for scalars its products upstream × local = contribution, for arrays each input's local Jacobian (shape,
    structure, formula) and its contribution's shape (explain.backward_story); at an update step, what its
    update/weight ratio says of the learning rate (ratio_story)."""
    text = state.caption() + note
    story = step_event(state) and (backward_story(step_event(state)) or ratio_story(state))
    return drawn(f"{text}\n{story}" if story else text)


def step_event(state):
    """The event of the step `state` highlights, or None (the graph as it is, or after every step)."""
    return getattr(state, "event", None) if getattr(state, "highlight", False) else None


def ratio_story(state):
    """'update/weight = 2.3e-02 (large: the learning rate may be too high; ...)' at an update step, in the
    verdict's words the terminal UI and the player use (update_verdict); '' at other steps."""
    verdict = update_verdict(state)
    if not verdict:
        return ""
    ratio = step_event(state).ratio
    return f"update/weight = {'n/a' if ratio is None else ratio_text(ratio)} ({verdict})"


def update_verdict(state):
    """What an update step's update/weight ratio says of the learning rate ('large: ...'), from the one place
    that judges it (explain.event_verdict: a bias's or a ~0 weight's ratio is not judged); '' at other steps."""
    event = step_event(state)
    return event_verdict(event) if event is not None and event.phase == UPDATE else ""
