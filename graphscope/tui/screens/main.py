"""The main screen: graph view, tape, inspector, status line and footer; every step key."""
from functools import partial

from rich.text import Text
from textual import on
from textual.app import SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.css.scalar import Scalar
from textual.screen import Screen
from textual.widgets import Static
from textual.widgets._toast import ToastRack

from ...engine.errors import GraphscopeError
from ...stepper import BACKWARD, FORWARD, UPDATE
from ...viz.render import install_advice
from ..keys import in_order
from ..messages import NodeChosen, StepChanged
from ..node_search import node_palette
from ..out_folder import OUT_VARIABLE
from ..session import guess_problem
from ..widgets.check_texts import check_all_notice, error_words
from ..widgets.footer import KeyFooter
from ..widgets.graphview import GraphView
from ..widgets.inspector import Inspector
from ..widgets.tape import Tape
from ..widgets.text_fit import MORE, cut_to_rows, fit_parts
from .dialogs import AskDialog, MessageDialog
from .help import PANE_KEYS, HelpScreen, full_words
from .layers import LayerScreen
from .training import TrainingScreen

#: What `guard` returns when the action failed (its error is on screen).
FAILED = object()
#: A graph with more op nodes than this is told that the check-all is running before it runs (seconds of work).
CHECK_NOTICE_OPS = 2000
#: How long the notice has to appear before the check holds the screen.
CHECK_NOTICE_PAINT = 0.1
#: The fewest rows a notification needs (its title, a line of text and its padding): with less room on the far side
#: of the current node's box, notifications take the whole graph pane's height.
MIN_TOAST_ROWS = 4
#: Textual's Toast: its most columns, the columns its border and padding take, the rows its margin and padding take.
TOAST_WIDTH, TOAST_SIDES, TOAST_ROWS_AROUND = 60, 3, 3
#: The tape's rows (its header included) when the graph needs the room: graphscope.tcss's #tape height.
TAPE_ROWS = 9
#: The tape may take this share of the left column's rows even when the graph would fill them (a graph pane that
#: scrolls anyway loses a few rows; the tape then lists every node of a small graph in a tall terminal).
TAPE_SHARE = 1 / 3
#: The inspector's columns: this share of the body's, between these bounds (at 80 columns half the screen: a 4x3
#: matrix's rows fit), less what a wide graph needs beyond its own share (down to INSPECTOR_MIN).
INSPECTOR_SHARE, INSPECTOR_MIN, INSPECTOR_MAX = 0.4, 40, 70
#: The plain layout's notice stays this long (Textual's default, 5 s, is over before a user looks at it).
PLAIN_LAYOUT_SECONDS = 30
#: What predict mode's question box says its keys do.
SKIP_KEYS = "Enter checks your number · Escape skips the question"
#: The footer shows previous/next as one group: '←→ step'.
STEP_KEYS = Binding.Group("step", compact=True)


class MainScreen(Screen):
    """Step with n/p (or Right/Left); ctrl+p lists every command."""

    #: The footer shows the shown bindings in this order, most needed first: what a narrow terminal has no room for
    #: falls off its right end (every key is in the help screen and the palette). A footer word is short; the
    #: binding's tooltip says it in full (the help screen, the palette and the footer's hover use it).
    #: All priority bindings (keys.in_order): a burst acts in order, the box g or e opens takes the keys typed right
    #: after it, and the graph view and the tape never take p/n/Home/End to scroll. Tab and shift+tab (Textual's
    #: focus keys) are here too, so that a burst like 'tab down' moves the tape's highlight, not the graph.
    BINDINGS = in_order([
        Binding("p,left", "prev", "previous step", group=STEP_KEYS),
        Binding("n,right", "next", "next step", group=STEP_KEYS),
        Binding("home", "first", "first step", show=False),
        Binding("end", "last", "last step", show=False),
        Binding("f", f"phase_end('{FORWARD}')", "forward end", tooltip="end of forward"),
        Binding("b", f"phase_end('{BACKWARD}')", "backward end", tooltip="end of backward"),
        Binding("g", "goto_node", "go to", tooltip="go to node"),
        Binding("c", "check_node", "check", tooltip="check node"),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
        Binding("l", "layers", "layers", tooltip="layer statistics"),
        Binding("r", "train", "train"),
        Binding("w", "wide_graph", "wide graph", tooltip="hide or show the inspector (the graph takes its room)"),
        Binding("u", f"phase_start('{UPDATE}')", "update", tooltip="start of update"),
        Binding("t", "predict", "predict", tooltip="predict mode"),
        Binding("exclamation_mark", "nonfinite", "NaN", tooltip="first NaN/inf"),
        Binding("C", "check_all", "check all", show=False),
        Binding("e", "edit_leaf", "edit", tooltip="edit leaf"),
        Binding("s", "export_svg", "SVG", tooltip="export SVG"),
        Binding("o", "toggle_scope", "fold", tooltip="collapse/expand scope"),
        Binding("enter", "choose_row", "go to row", tooltip="go to the tape's highlighted row", show=False),
        Binding("tab", "app.focus_next", "next pane", tooltip="focus the next pane (graph, tape, inspector)",
                show=False),
        Binding("shift+tab", "app.focus_previous", "previous pane", tooltip="focus the previous pane", show=False),
    ])
    #: A pane maximized (the palette's "Maximize") keeps the status line (phase and step) and the footer.
    ALLOW_IN_MAXIMIZED_VIEW = "#status, Footer"
    #: Below this many columns the footer drops its spacing (Footer.compact) so the step keys, help and quit fit 80.
    ROOMY_FOOTER = 120

    def __init__(self, session):
        super().__init__()
        self.session = session
        self.predicting = False
        self.verdict = None  # predict mode: how the last guess compared
        self.told_plain_layout = False  # said once that the graph is laid out without Graphviz
        self.wide = False  # w: the inspector is hidden, the graph pane takes its columns

    def compose(self):
        yield Static(id="status")
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield GraphView(self.session, id="graph")
                yield Tape(self.session, id="tape")
            yield Inspector(self.session, id="inspector")
        yield KeyFooter(roomy=self.ROOMY_FOOTER)

    def on_mount(self):
        self.query_one(GraphView).focus()
        self.call_after_refresh(self.show_step)

    def on_resize(self):
        self.call_after_refresh(self.fit_panes)
        self.call_after_refresh(self.show_status)

    @on(GraphView.LaidOut)
    def on_graph_laid_out(self, message):
        self.call_after_refresh(self.fit_panes)
        if not self.told_plain_layout and self.query_one(GraphView).plain_layout():
            self.told_plain_layout = True
            self.tell(plain_layout(), title="plain layout", timeout=PLAIN_LAYOUT_SECONDS)

    def fit_panes(self):
        """Boxes with values when the graph so drawn fits the most room the pane can have (fit_detail), then the
        body's columns shared out (fit_columns), then the left column's rows (fit_rows)."""
        self.fit_detail()
        self.fit_columns()
        self.fit_rows()

    def fit_detail(self):
        """The graph's boxes show values and gradients when so drawn it fits the body less the inspector's least
        columns (all of it with the inspector hidden) and the left column less the tape's least rows."""
        graph = self.query_one(GraphView)
        width, rows = self.query_one("#body").size.width, self.query_one("#left").size.height
        if width and rows:
            width -= 0 if self.wide else INSPECTOR_MIN
            rows -= max(TAPE_ROWS, int(rows * TAPE_SHARE)) + graph.styles.gutter.height
            graph.fit_detail(width - graph.styles.gutter.width, rows)

    def fit_columns(self):
        """The inspector's width: INSPECTOR_SHARE of the body between INSPECTOR_MIN and INSPECTOR_MAX columns, less
        (down to INSPECTOR_MIN) what the graph needs beyond its pane's share, so that a wide graph is drawn whole
        when the inspector can give it the room; hidden (w) it gives the graph all of it."""
        inspector, graph = self.query_one(Inspector), self.query_one(GraphView)
        inspector.display = not self.wide
        total = self.query_one("#body").size.width
        wanted = graph.wanted_width()
        if not total or wanted is None:
            return
        width = inspector_width(total, wanted)
        if inspector.styles.width != Scalar.from_number(width):  # the stylesheet's is a share (40%), not cells
            inspector.styles.width = width
            self.call_after_refresh(graph.show_step)  # follow the node in the pane's new size

    def action_wide_graph(self):
        """Hide or show the inspector: the graph pane (and the tape) take its columns."""
        self.wide = not self.wide
        self.fit_panes()
        self.call_after_refresh(self.query_one(GraphView).show_step)
        self.call_after_refresh(self.fit_notifications)

    def fit_rows(self):
        """Share the left column's rows out from what each pane holds: the tape lists every node when the graph
        leaves it the room, or when its rows are at most TAPE_SHARE of the column, else it keeps TAPE_ROWS or that
        share; it is never longer than its nodes (the graph takes the rest). Then the notifications' room follows
        the graph pane."""
        graph, tape = self.query_one(GraphView), self.query_one(Tape)
        wanted = graph.wanted_height()
        if wanted is not None:
            room = self.query_one("#left").size.height
            share = int(room * TAPE_SHARE)
            rows = min(len(self.session.graph.nodes) + 1, max(TAPE_ROWS, room - wanted, share))  # + 1: its header
            if tape.styles.height is None or tape.styles.height.value != rows:
                tape.styles.height = rows
                self.call_after_refresh(self.fit_notifications)  # the graph pane's new size
                self.call_after_refresh(graph.show_step)  # follow the node in the pane's new size
        self.fit_notifications()

    def fit_notifications(self):
        """Notifications stand over the graph pane (graphscope.tcss): never lower than its bottom, so they hide
        neither the tape nor the inspector (a longer one is cut; what it says in full stands in the inspector); and
        at the pane's end away from the current node's box (its top when the box is in the lower half), so they
        never hide the node the step is at."""
        try:
            rack = self.get_child_by_type(ToastRack)
        except NoMatches:
            return
        start, end, below = self.toast_room()
        rack.styles.offset = (0, start)
        rack.styles.max_height = end - start
        rack.styles.height = end - start
        rack.styles.align_vertical = "bottom" if below else "top"

    def toast_room(self):
        """(first row, past the last row, at the bottom) the notifications stand in (fit_notifications)."""
        graph = self.query_one(GraphView)
        bottom = max(1, graph.region.bottom - self.region.y)  # the rack's rows from the screen's top
        start, end = 0, bottom
        rows = graph.current_rows()
        below = graph.current_in_top_half()
        if rows is not None:  # the rows on the box's far side, when a toast fits there: a longer one is cut
            pane_top = graph.scrollable_content_region.y - self.region.y
            start, end = (pane_top + rows[1], bottom) if below else (0, pane_top + rows[0])
            if end - start < MIN_TOAST_ROWS:
                start, end = 0, bottom
        return start, end, below

    # ---------------------------------------------------------------- redrawing
    def show_step(self):
        """Every part of the screen redraws for the current step."""
        self.show_status()
        self.query_one(GraphView).show_step()
        self.query_one(Tape).show_step()
        self.query_one(Inspector).show_step()
        self.fit_notifications()  # away from the current node's box

    def show_status(self):
        """The status line for the current step, its parts that do not fit the line's width left out whole (predict
        mode is said after the step, before the node's details)."""
        status = self.query_one("#status", Static)
        parts = self.session.status_parts()
        if self.predicting:
            at = next((k + 1 for k, part in enumerate(parts) if part.startswith("step ")), len(parts))
            parts.insert(at, "predict mode")
        status.update(Text(fit_parts(parts, status.content_region.width or None)), layout=False)  # one row, always

    def moved(self):
        self.post_message(StepChanged(self.session.step))

    @on(StepChanged)
    def on_step_changed(self, message):
        self.show_step()

    @on(NodeChosen)
    def on_node_chosen(self, message):
        self.guard(self.session.goto_node, message.node)

    def check_action(self, action, parameters):
        """Enter goes to the tape's highlighted row when the tape has the focus (elsewhere it does nothing)."""
        return action != "choose_row" or isinstance(self.focused, Tape)

    def action_choose_row(self):
        """The step of the tape's highlighted row, at once (as a message it would be overtaken by the keys after)."""
        self.guard(self.session.goto_node, self.query_one(Tape).highlighted)

    def tell(self, message, more=MORE, **kwargs):
        """A notification (it replaces the one shown: GraphscopeApp.notify), its text as written, never markup, cut
        to the rows it has beside the current node's box at a sentence's end, saying where the rest is (`more`: by
        default, in the inspector)."""
        width, rows = self.toast_text_room(titled=bool(kwargs.get("title")))
        self.notify(cut_to_rows(message, width, rows, more), markup=False, **kwargs)

    def toast_text_room(self, titled=True):
        """(columns, lines) a notification's text has now (Textual's Toast: 60 columns at most and half the screen,
        a margin and padding around it, a title line); (None, None) before the screen is laid out."""
        if not self.size.width:
            return None, None
        start, end, _ = self.toast_room()
        width = min(TOAST_WIDTH, self.size.width // 2) - TOAST_SIDES
        return max(10, width), max(1, end - start - TOAST_ROWS_AROUND - (1 if titled else 0))

    def guard(self, action, *args):
        """Run an action; a graphscope error (or any failure) shows in a dialog, never a traceback."""
        try:
            result = action(*args)
        except GraphscopeError as exc:
            self.app.push_screen(MessageDialog("Cannot do that", str(exc), error=True))
            return FAILED
        except Exception as exc:  # noqa: BLE001 - a failure in the user's graph must not take the screen down
            self.app.push_screen(MessageDialog("Something went wrong", f"{type(exc).__name__}: {exc}", error=True))
            return FAILED
        self.moved()
        return result

    # ---------------------------------------------------------------- stepping
    def action_next(self):
        st = self.session.stepper
        if self.predicting and not st.at_end:
            question = self.session.question(st.step + 1)
            if question is not None:
                self.ask(question)
                return
            if st[st.step + 1].edges:
                self.tell("nothing at this step to work out by hand", title="predict mode")
        self.guard(st.next)

    def ask(self, question):
        def answered(text):
            if text is None:
                return
            verdict = self.guard(self.session.judge, question, text)
            if verdict is FAILED:
                return
            self.verdict = verdict
            self.session.goto(question.step)
            # the whole verdict (how the answer follows) heads the inspector, beside the numbers it refers to
            self.tell(verdict.headline, title="predict mode",
                      severity="information" if verdict.matches_derivative else "warning")
            self.moved()

        def room():  # beside the inspector, which stays in sight
            return self.query_one("#left").region.width
        self.app.push_screen(AskDialog(question.title, question.prompt, room=room, problem=guess_problem,
                                       keys=SKIP_KEYS), answered)

    def action_prev(self):
        self.guard(self.session.stepper.prev)

    def action_first(self):
        self.guard(self.session.stepper.first)

    def action_last(self):
        self.guard(self.session.stepper.last)

    def action_phase_end(self, phase):
        self.guard(self.session.goto_phase_end, phase)

    def action_phase_start(self, phase):
        self.guard(self.session.goto_phase_start, phase)

    # ---------------------------------------------------------------- finding
    def action_goto_node(self):
        items = [(label, partial(self.guard, self.session.goto_node, n)) for label, n in self.session.node_choices()]
        self.app.push_screen(node_palette(self, items, "Go to node (type part of its name or scope: block3/W)…"))

    def action_nonfinite(self):
        origin = self.guard(self.session.first_nonfinite)
        if origin is None:
            self.tell("every value and gradient is finite", title="no NaN or infinity")
        elif origin is not FAILED:
            self.tell(f"first non-finite {origin.phase} {origin.kind} made at {origin.name}", severity="warning")

    # ---------------------------------------------------------------- checks
    def action_check_node(self):
        result = self.guard(self.session.check_here)
        if result is not FAILED:
            figure = error_words(result)  # None when nothing was compared (a leaf, a skipped node)
            self.tell(f"{result.node.name}: {result.status_text}"
                      + (f" (max relative error {figure})" if figure else ""),
                      title="gradient check", severity="information" if result.ok else "error")
            self.query_one(Inspector).reveal_checks()  # the details stand there

    def action_check_all(self):
        ops = sum(1 for n in self.session.graph.nodes if n.op_def is not None)
        if ops <= CHECK_NOTICE_OPS:
            self._check_all()
            return
        self.tell(f"checking {ops:,} op nodes against finite differences: this takes a few seconds",
                  title="gradient check")
        self.set_timer(CHECK_NOTICE_PAINT, self._check_all)  # the notice shows first

    def _check_all(self):
        result = self.guard(self.session.check_all)
        if result is not FAILED:
            title, message = check_all_notice(result)
            self.tell(message, title=title, severity="error" if result.failed else "information")
            self.query_one(Inspector).reveal_checks()  # the report stands there, where a notification hides nothing

    # ---------------------------------------------------------------- editing and export
    def action_edit_leaf(self):
        node = self.session.node
        if node.op_def is not None:
            self.app.push_screen(MessageDialog("Edit a leaf", f"{node.name} is computed by {node.op}: go to a leaf "
                                               f"(an input or a parameter) to edit its value", error=True))
            return

        def edited(text):
            if text is not None and self.guard(self.session.edit_leaf, node, text) is not FAILED:
                self.query_one(Tape).reset()
                self.tell(f"{node.name} = {text}: every value and gradient after it recomputed", title="edited")

        self.app.push_screen(AskDialog(f"Edit {node.name}", f"new value of {node.name} (same shape):",
                                       self.session.leaf_text(node)), edited)

    def action_export_svg(self):
        """The step as SVG in the TUI's folder (out_folder); without Graphviz's dot, as DOT text, saying so and how to
        install it; a folder that takes no files, in the temporary one, saying why."""
        written = self.guard(self.session.export_step)
        if written is FAILED:
            return
        path, note = written
        if path.endswith(".dot"):
            self.tell(f"{path}\n{no_dot_export()}" + (f"\n{note}" if note else ""), title="step exported as DOT text",
                      severity="warning")
        elif note:
            self.tell(f"{path}\n{note}", title="step exported", severity="warning", more=f"({OUT_VARIABLE}=FOLDER "
                      "picks the folder)")
        else:
            self.tell(path, title="step exported")

    def action_toggle_scope(self):
        changed = self.guard(self.session.toggle_scope, self.session.node)
        if changed is not FAILED:
            self.query_one(GraphView).relayout()
            self.tell(changed)

    def action_predict(self):
        self.predicting = not self.predicting
        self.session.verdict = None
        question = self.session.next_question() if self.predicting else None
        self.tell(predict_mode_notice(question) if self.predicting else "off", title="predict mode",
                  more=MORE if question is None else f"(its step asks it in full: n until step {question.step})")
        self.moved()

    def action_layers(self):
        self._open(LayerScreen(self.session))

    def action_train(self):
        def trained(changed):
            if changed:
                self.query_one(Tape).reset()
                self.moved()
        self._open(TrainingScreen(self.session, self.app.training_options), trained)

    def _open(self, screen, callback=None):
        """Open another full screen; this screen's notifications (a check's verdict) are about this one and would
        lie over the other's table, so they go."""
        self.app.clear_notifications()
        self.app.push_screen(screen, callback)

    def action_help(self):
        self.app.push_screen(HelpScreen(self.BINDINGS + PANE_KEYS))

    def action_quit(self):
        self.app.exit()

    # ---------------------------------------------------------------- command palette
    def commands(self):
        """A palette command for every binding but quit (Textual's own "Quit" is there)."""
        for b in self.BINDINGS:
            if b.action == "quit":
                continue
            keys = b.key.replace("exclamation_mark", "!").replace("question_mark", "?")
            yield SystemCommand(full_words(b).capitalize(), f"key: {keys}", partial(self.run_action, b.action))



def inspector_width(total, graph_wanted):
    """The inspector's columns in a body `total` columns wide whose graph needs `graph_wanted` columns: its share
    (INSPECTOR_SHARE, INSPECTOR_MIN..INSPECTOR_MAX), less what the graph needs beyond the rest, down to
    INSPECTOR_MIN."""
    share = min(INSPECTOR_MAX, max(INSPECTOR_MIN, int(total * INSPECTOR_SHARE)))
    return max(min(INSPECTOR_MIN, total), min(share, total - graph_wanted))


def predict_mode_notice(question):
    """What predict mode asks, named as the first question ahead (`question`, None: none ahead) asks it: a local
    gradient or a contribution (upstream × local)."""
    if question is None:
        return "on, but no step ahead has a number to work out by hand (Home goes back to the start)"
    what = "the contribution (upstream × local) to" if question.contribution else "the local gradient"
    # most needed first (a notification cut before the current node's box keeps it); the entry's name on a line
    # of its own, so that the notification's wrapping never cuts inside its index ('[5, 15]')
    return f"step {question.step} asks {what}\n  {question.asked}\nthen each backward step asks one number to guess"


def no_dot_export():
    """What s says when it wrote DOT text because Graphviz's dot is not installed (and how to install it)."""
    return f"no SVG: Graphviz's dot is not installed ({install_advice()}); `dot -Tsvg` draws this file"


def plain_layout():
    """The notice, once, that the graph is laid out without Graphviz (and how to install it)."""
    return (f"Graphviz's dot is not installed: the graph is laid out in plain columns (s saves DOT text); "
            f"{install_advice()}")
