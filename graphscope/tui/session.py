"""What the TUI shows and does, without any widget: a stepper over a graph, and the questions the screens ask.

Everything comes from the stepper (events, states, explain's texts) and the
engine (checks, non-finite origins, replay); nothing here computes a gradient.
"""
import ast
import os
import shlex
from dataclasses import dataclass, replace

import numpy as np

from ..engine import check_node
from ..engine.leafcheck import check_leaf
from ..engine.errors import GraphscopeError
from ..engine.graphcheck import check_graph
from ..engine.source import display_location
from ..stepper import BACKWARD, UPDATE, Stepper, StepError
from ..stepper.questions import question as ask
from ..viz.step_texts import fold_block_text
from ..viz.view import BOX, FOLD, FOLD_MIN, View, ViewError
from .out_folder import out_folder
from .predict_numerics import finite_difference_answer
from .widgets.check_texts import error_words

#: A guess counts as right within this relative (and absolute) tolerance.
GUESS_RTOL = 1e-3
GUESS_ATOL = 1e-6
#: What a guess looks like, as the question's box says when it cannot read one.
GUESS_EXAMPLES = "0.25 or -1.5e-3"


@dataclass(frozen=True)
class PhaseRange:
    """The steps of one phase: name ('forward', 'backward', ...) and its first and last step."""

    name: str
    first: int
    last: int


@dataclass(frozen=True)
class Verdict:
    """How a guess compares with the truth."""

    guess: float
    truth: float
    why: str = ""
    doubt: str = ""  # "X's VJP fails its gradient check (...)": the truth comes from a VJP found wrong
    numerical: float = None  # the true derivative (finite differences of the op's forward); None: not measured
    step: int = None  # the step the question was about (the inspector shows the verdict there)
    worked: str = ""  # the formula with the question's numbers put in
    slip: str = ""  # the common mistake the guess matches ('you did not divide by N = 4')

    @property
    def right(self):
        """True when the guess is the op's backward's (its VJP's) number."""
        return _close(self.guess, self.truth)

    @property
    def headline(self):
        """The first line of text(): right, or what the answer is and how far the guess was."""
        return self.text().split("\n", 1)[0]

    @property
    def vjp_disproved(self):
        """True when finite differences measured a derivative the op's VJP does not give."""
        return self.numerical is not None and not _close(self.truth, self.numerical)

    @property
    def matches_derivative(self):
        """True when the guess is the derivative: the VJP's number, or the true one where the VJP is found wrong (the
        wrong VJP's number is then not the derivative)."""
        return _close(self.guess, self.numerical) if self.vjp_disproved else self.right

    def text(self):
        if self.right and not self.vjp_disproved:
            return f"right: {_num(self.truth)}" + (f"\n{self.worked}" if self.worked else "")
        lines = [self._first_line()]
        lines += [text for text in (self.slip and f"({self.slip})", self.why, self.worked) if text]
        return "\n".join(lines)

    def _first_line(self):
        """What the guess is against: the true derivative when the op's own backward is found wrong, else the
        VJP's number."""
        guess, truth = _num(self.guess), _num(self.truth)
        backward = f"this op's backward gives {truth}: its VJP is wrong (c checks it)"
        if self.right:  # the wrong VJP's own number
            return (f"your {guess} matches this op's backward ({truth}), but the true derivative is "
                    f"{_num(self.numerical)}: its VJP is wrong (c checks it)")
        if self.matches_derivative:
            return f"your {guess} matches the true derivative (finite differences); {backward}"
        if self.vjp_disproved:
            return (f"not quite: the true derivative (finite differences) is {_num(self.numerical)}, you said "
                    f"{guess}; {backward}")
        if self.doubt:
            return (f"your {guess} may be the right one: this op's backward gives {truth}, but {self.doubt} "
                    f"(c shows the check)")
        return f"not quite: it is {truth}, you said {guess} (off by {_num(self.guess - self.truth)})"


def _close(guess, truth):
    """A guess counts as `truth` (GUESS_RTOL, GUESS_ATOL)."""
    return abs(guess - truth) <= GUESS_ATOL + GUESS_RTOL * abs(truth)


def parse_guess(text):
    """A typed guess as a float; a GraphscopeError saying what to type when it is empty or not a number."""
    if not text.strip():
        raise GraphscopeError(f"type a number, like {GUESS_EXAMPLES}")
    try:
        return float(ast.literal_eval(text.strip()))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise GraphscopeError(f"not a number: {text.strip()!r} (type one like {GUESS_EXAMPLES})") from None


def guess_problem(text):
    """Why `text` cannot be judged as a guess, '' when it can (the question's box says it under the answer)."""
    try:
        parse_guess(text)
    except GraphscopeError as exc:
        return str(exc)
    return ""


def _num(x):
    return f"{x:.6g}"


class Session:
    """A graph being stepped through: the stepper, the drawn view, and the actions of the main screen."""

    def __init__(self, graph, origin="", file=None, optimizer=None):
        self.graph = graph
        self.origin = origin
        self.file = file
        with np.errstate(all="ignore"):  # a NaN is shown where it is made (the ! key), never warned about
            self.stepper = Stepper(graph, optimizer=optimizer, keep_gradients=True)  # the layer screen reads them
        self.collapsed = set()
        self.fold = FOLD_MIN
        self._view = None
        self.checks = {}  # node -> NodeCheck, from "check this node" / "check all"
        self.graph_check = None  # the last "check all"'s GraphCheck (the inspector shows its report)
        self.trained = False  # a training run has changed the parameters (the training screen)
        self.training_run = None  # the training screen's TrainingRun: training again continues it
        self.params_before = None  # the parameters before the last training step: update/weight ratios
        self.verdict = None  # predict mode: the last guess judged (a Verdict; the inspector shows it at its step)

    @property
    def view(self):
        """What the graph view draws (viz.View: nodes, collapsed scopes, folded blocks), built when first asked."""
        if self._view is None:
            self._view = View(self.graph)
        return self._view

    # ---------------------------------------------------------------- the step
    @property
    def output(self):
        return self.graph.output

    @property
    def state(self):
        return self.stepper.state

    @property
    def step(self):
        return self.stepper.step

    @property
    def node(self):
        return self.stepper.event.node

    def phases(self):
        """The phases in step order, each a PhaseRange (names come from the stepper's events)."""
        ranges, start = [], 0
        events = self.stepper.events
        for k in range(1, len(events) + 1):
            if k == len(events) or events[k].phase != events[start].phase:
                ranges.append(PhaseRange(events[start].phase, start, k - 1))
                start = k
        return ranges

    def phase_range(self, name):
        for r in self.phases():
            if r.name == name:
                return r
        note = self.stepper.update_note if name == UPDATE else self.stepper.backward_note
        if name == UPDATE and note is None:
            note = "no optimizer was given (graphscope tui FILE --optimizer adam)"
        raise StepError(f"this graph has no {name} phase" + (f": {note}" if note else ""))

    def goto(self, step):
        self.stepper.goto(step)

    def goto_phase_end(self, name):
        self.stepper.goto(self.phase_range(name).last)

    def goto_phase_start(self, name):
        self.stepper.goto(self.phase_range(name).first)

    def goto_node(self, node):
        """The node's step in the current phase when it has one there, else its forward step."""
        try:
            self.stepper.goto(self.stepper.find(node, self.stepper.phase))
        except StepError:
            self.stepper.goto(self.stepper.find(node))

    def status_text(self):
        """'backward · step 7/9 · h · fc1 · two_layer.py:12': status_parts() joined."""
        return " · ".join(self.status_parts())

    def status_parts(self):
        """['backward', 'step 7/9', 'h', 'fc1', 'two_layer.py:12']: phase, step k of 0..N, node, scope (and which
        block of a folded run it is in: 'fc3 · block 2 of 5'), source line; most needed first (a narrow status line
        leaves out the parts that do not fit)."""
        node = self.node
        parts = [self.stepper.phase, f"step {self.step}/{len(self.stepper) - 1}", node.name]
        if node.scope:
            parts.append(node.scope)
            item = self.view.item_of.get(node)
            if item is not None and item.kind == FOLD:
                parts.append(fold_block_text(item, node, scopes=False))
        where = display_location(node.source)
        if where:
            parts.append(where)
        if getattr(self.stepper.event, "error", None) is not None:
            parts.append("its VJP failed: the backward pass stopped here")
        diverged = self.diverged_text()  # first: a narrow terminal leaves out the status line's last parts
        return ([diverged] if diverged else []) + parts

    def diverged_text(self):
        """'training diverged at iteration 26 (! finds the node)' while the graph holds the parameters of a
        training run that made the loss non-finite (until the training screen goes back)."""
        run = self.training_run
        if run is None or not run.exploded:
            return ""
        return f"training diverged at iteration {run.diverged.iteration} (! finds the node)"

    # ---------------------------------------------------------------- finding nodes
    def node_choices(self):
        """(label, node) for every node in graph order, as the go-to search lists them: 'block3/W  (param)', the
        node's scope path (as the step-player names a node whose name others share) and its op or role, so nodes
        that share a name are told apart and typing a scope's name finds its nodes."""
        return [(f"{scope_path(n)}  ({n.op or n.role or 'leaf'})", n) for n in self.graph.nodes]

    def find_node(self, name):
        try:
            return self.graph.node(name)
        except KeyError as exc:
            raise GraphscopeError(exc.args[0] if exc.args else f"no node named {name!r}") from None

    def first_nonfinite(self):
        """Go to the step that made the first NaN or infinity; returns the NonFinite record (None: all finite)."""
        origin = self.graph.find_nonfinite()
        if origin is not None:
            self._goto_origin(origin)
        return origin

    def _goto_origin(self, origin):
        """Go to the step that made a NaN or infinity (a NonFinite record): its backward step or its forward step."""
        phase = BACKWARD if origin.phase == BACKWARD else self.stepper.events[0].phase
        try:
            self.stepper.goto(self.stepper.find(origin.node, phase))
        except StepError:
            self.stepper.goto(self.stepper.find(origin.node))

    # ---------------------------------------------------------------- gradient checks
    def check_here(self):
        """The engine's gradient check of the current node (a NodeCheck)."""
        if self.node.op_def is None:  # a leaf: the checks of the op nodes its gradient comes from
            whole = self.graph_check.whole if self.graph_check is not None else None
            result = check_leaf(self.node, self.graph, known=self.checks, whole=whole)
        else:
            result = check_node(self.node, position=self.graph.position(self.node))
        self.checks[self.node] = result
        return result

    def check_failed(self, node):
        """True when `node` was checked (c, C, or a judged guess) and failed: the tape marks it ✗, the graph's box too."""
        result = self.checks.get(node)
        return result is not None and not result.ok

    def check_all(self):
        """The graph checked as ``graphscope check`` checks it (engine.graphcheck: a GraphCheck, same verdict and
        counts); then go to the first failing node (its backward step when it has one), else to the step that made
        the first NaN or infinity."""
        with np.errstate(all="ignore"):
            result = check_graph(self.graph)
        for row in result.nodes.rows:
            self.checks[row.node] = row
        self.graph_check = result
        bad = result.nodes.first_failure
        if bad is not None:
            try:
                self.stepper.goto(self.stepper.find(bad.node, BACKWARD))
            except StepError:
                self.stepper.goto(self.stepper.find(bad.node))
        elif result.origin is not None:
            self._goto_origin(result.origin)
        return result

    def forget_checks(self):
        """Drop every check's result and predict mode's last verdict (the values they were made at have changed)."""
        self.checks.clear()
        self.graph_check = None
        self.verdict = None

    # ---------------------------------------------------------------- editing a leaf
    def leaf_text(self, node):
        value = self.state.value(node)
        value = node.value if value is None else value
        return repr(float(value)) if np.ndim(value) == 0 else repr(np.asarray(value).tolist())

    def edit_leaf(self, node, text):
        """Give leaf `node` the value written in `text` (a number or nested list) and record the pass again."""
        if node.op_def is not None:
            raise GraphscopeError(f"{node.name} is computed by {node.op}; only a leaf's value can be edited")
        try:
            data = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            raise GraphscopeError(f"{text!r} is not a number or a list of numbers") from None
        old = np.asarray(node.value)
        try:
            value = np.asarray(data, dtype=old.dtype)
        except (TypeError, ValueError):
            raise GraphscopeError(f"{text!r} is not a number or a list of numbers") from None
        if value.shape != old.shape:
            raise GraphscopeError(f"{node.name} has shape {old.shape}; {text!r} has shape {value.shape}")
        with np.errstate(all="ignore"):
            self.graph.run({node: float(value) if value.ndim == 0 and isinstance(node.value, float) else value})
            self.stepper.rerun()
        self.forget_checks()

    # ---------------------------------------------------------------- export
    def export_step(self):
        """Write the current step as a picture in the TUI's folder (out_folder: GRAPHSCOPE_OUT, else the current
        one, else the temporary one): an SVG (export_svg), or, without Graphviz's `dot`, the same picture as DOT text
        (export_dot: it needs no program; `dot -Tsvg` draws it later). Returns (path, note): note says why the
        file is not where it was asked for (None when it is)."""
        from ..viz.render import have_dot
        folder, note = out_folder()
        ext = "svg" if have_dot() else "dot"
        path = os.path.join(folder, self.step_file(ext))
        return (self.export_svg(path) if ext == "svg" else self.export_dot(path)), note

    def step_file(self, ext):
        """'graphscope-step7-z.svg': the current step's file name, with extension `ext`."""
        from ..viz.view import safe_name
        return f"graphscope-step{self.step}-{safe_name(self.node.name)}.{ext}"

    def export_dot(self, path=None):
        """Write the current step's picture as DOT text (no Graphviz program needed); returns the path."""
        from ..viz.export import export
        path = self.step_file("dot") if path is None else path
        export(self.stepper, path, step=self.step, collapse=sorted(self.collapsed))
        return os.path.abspath(path)

    def export_svg(self, path=None):
        """Write the current step as an SVG picture; returns the path."""
        from ..viz.export import export
        from ..viz.limits import TooBig
        from ..viz.render import DotCrashed
        from ..viz.view import safe_name
        if path is None:
            path = self.step_file("svg")
        try:
            export(self.stepper, path, step=self.step, collapse=sorted(self.collapsed))
        except (TooBig, DotCrashed) as exc:
            from ..engine.source import display_path
            file = shlex.quote(display_path(self.file)) if self.file else "FILE"
            raise GraphscopeError(f"{getattr(exc, 'headline', exc)}; collapse scopes with o, or draw this node's "
                                  f"neighbourhood from the command line: graphscope export {file} --node "
                                  f"{shlex.quote(self.graph.key_of(self.node))} --around 2 -o "
                                  f"{safe_name(self.node.name)}.svg") from None
        return os.path.abspath(path)

    # ---------------------------------------------------------------- scopes
    def toggle_scope(self, node):
        """Expand the box or fold holding `node`, or collapse the scope it is drawn in; returns what changed."""
        item = self.view.item_of[node]
        boxes = {it.scopes[0] for it in self.view.items if it.kind == BOX}
        if item.kind == FOLD:
            self.fold, changed = 0, f"{item.scopes[0]} .. {item.scopes[-1]} unfolded"
            self.collapsed = boxes
        elif item.kind == BOX:
            self.collapsed, changed = boxes - {item.scopes[0]}, f"{item.scopes[0]} expanded"
        elif node.scope:
            self.collapsed, changed = boxes | {node.scope}, f"{node.scope} collapsed"
        else:
            raise ViewError(f"{node.name} is at the top level: no scope to collapse")
        # depth: everything not named in `collapsed` is drawn open (no automatic collapsing any more)
        self._view = View(self.graph, depth=1 << 16, collapse=sorted(self.collapsed), fold=self.fold)
        return changed

    # ---------------------------------------------------------------- predict mode
    def question(self, step):
        """The predict-mode question before `step` (stepper.questions: one number to work out from the numbers
        it shows, chosen by the local Jacobian's structure), or None when the step has none."""
        try:
            with np.errstate(all="ignore"):
                return ask(self.stepper[step], self.output)
        except GraphscopeError:  # an op whose Jacobian cannot be described (a custom op's bug): nothing to ask
            return None

    def next_question(self):
        """The first predict-mode question after the current step (None when no step ahead has one)."""
        for step in range(self.step + 1, len(self.stepper)):
            if self.stepper[step].edges:
                found = self.question(step)
                if found is not None:
                    return found
        return None

    def judge(self, question, text):
        """The Verdict on a typed guess. The truth is the engine's own number (the op's VJP), held against the true
        derivative (finite differences of the op's forward): a guess equal to a wrong VJP's number is told that the
        true derivative differs; a guess judged wrong is told when that VJP fails its gradient check, as the guess
        may then be the right one."""
        guess = parse_guess(text)
        verdict = Verdict(guess, question.truth, question.why, step=question.step, worked=question.worked,
                          numerical=finite_difference_answer(question))
        if not verdict.right:
            slip = next((words for number, words in question.slips if _close(guess, number)), "")
            verdict = replace(verdict, slip=slip, doubt=self._vjp_doubt(self.stepper[question.step].node))
        self.verdict = verdict
        return verdict

    def _vjp_doubt(self, node):
        """"X's VJP fails its gradient check (...)" when `node`'s VJP disagrees with finite differences, else ''."""
        with np.errstate(all="ignore"):
            result = check_node(node, position=self.graph.position(node))
        self.checks[node] = result
        if result.ok:
            return ""
        figure = f" (max relative error {error_words(result)})" if result.error_figure else ""
        return f"{node.name}'s VJP fails its gradient check{figure}"

    # ---------------------------------------------------------------- after training
    def record_trained(self, feeds, params_before=None, optimizer=None):
        """Record the pass again on `feeds` (the recorded batch) with the trained parameters.

        `optimizer` is the one the trainer stepped: the update phase is then its next step, from its state
        after training (Adam's m, v and t), not a fresh optimizer's first. `params_before` (parameter ->
        value before the last step) gives the layer screen its ratios when there is no update phase. The
        graph view, tape and inspector then show the trained graph.
        """
        if optimizer is not None:
            self.stepper.optimizer = optimizer
        with np.errstate(all="ignore"):
            self.graph.run(feeds)
            self.stepper.rerun()
        self.trained = True
        self.params_before = params_before
        self.forget_checks()


    def continue_run(self, run):
        """Open on a training run loaded from a checkpoint (its parameters already in the graph): the training
        screen goes on with it, the update phase is its optimizer's next step and the layer screen shows it as
        trained."""
        self.training_run = run
        if self.stepper.optimizer is not run.trainer.optimizer:
            self.stepper.optimizer = run.trainer.optimizer
            with np.errstate(all="ignore"):
                self.stepper.rerun()
        self.trained = True

    def update_events(self):
        """{parameter node: its UpdateEvent} of the update phase (empty without one): the step `u` walks."""
        return {e.node: e for e in self.stepper.events if e.phase == UPDATE}


def scope_path(node):
    """'block3/W': a node's scope and name ('loss' at the top level)."""
    return f"{node.scope}/{node.name}" if node.scope else node.name
