"""The layer screen: per module scope, gs.layer_stats' activation and gradient statistics and histograms.

One row per scope (activation mean and std, the dead or saturated fraction,
gradient mean and std, the update/weight ratio once a training run has taken
a step); the selected scope's activation and gradient histograms below. The
numbers all come from graphscope.train.monitor; nothing is computed here.

When the walk has an update phase (--optimizer, or after a training run: the
trained optimizer's next step), the update/weight ratios are those of that
phase's steps, the very numbers `u` walks through; otherwise they come from the
values before the training run's last step.
"""
from dataclasses import replace

import numpy as np
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ...engine.formatting import stat_text
from ...engine.words import plural
from ...engine.update_ratio import UNJUDGED, UPDATE_RATIO_TARGET, first_adaptive_step, measure_step
from ...stepper.explain import ratio_verdict
from ...train.monitor import layer_stats
from ..widgets.footer import KeyFooter
from ..widgets.plots import HistogramPlot
from .help import SCREEN_KEYS, HelpScreen
from .. import colours
from ..widgets.text_fit import cut_between, cut_parts

COLUMNS = ("layer", "act mean", "act std", "dead/sat", "grad mean", "grad std", "upd/weight")
NO_SCOPES = ("This graph has no module scopes. Record layers inside gs.scope(\"name\") blocks "
             "(or gs.nn modules) to see their statistics here.")


def _fraction(s):
    """'3% dead' or '90% sat' (saturated), 'nan' when the activation is not finite, '-' for an op that is
    neither ReLU, tanh nor sigmoid."""
    if s.fraction is None:
        return "-"
    return f"{s.fraction:.0%} {s.fraction_kind[:4].rstrip('u')}" if np.isfinite(s.fraction) else "nan"


def _ratio(s):
    """The update/weight ratio of the scope's weight (else its first parameter) with the monitor's verdict
    ('2.1e-03 ok', '4.4e-01 (vector)': not judged, 'nan').

    '-' before any update; the line under the histograms lists every parameter's.
    """
    known = sorted((p for p in s.params if p.update_ratio is not None), key=lambda p: len(p.shape) < 2)
    return known[0].ratio_text(digits=1) if known else "-"


def _param_line(p):
    text = f"{p.name} {'x'.join(map(str, p.shape))}: |w| {stat_text(p.norm)}, |grad| {stat_text(p.grad_norm)}"
    if p.update_ratio is not None:
        text += f", |update| {stat_text(p.update_norm)}, update/weight {p.ratio_text()}"
        if p.unjudged:
            text += f": not judged, {UNJUDGED[p.unjudged]}"
    elif p.update_norm is not None:  # a step was measured, but on weights that were all 0: the update phase's words
        text += f", |update| {stat_text(p.update_norm)}, update/weight - ({ratio_verdict(None)})"
    else:
        text += f", update/weight - ({NO_UPDATE_YET})"
    return text


def with_walked_updates(stats, events):
    """`stats` whose parameters the update phase steps (`events`: parameter node -> UpdateEvent) carry that
    step's |update| and update/weight ratio (the event's own), so this screen and the update walk agree."""
    by_name = {}
    for node, event in events.items():
        by_name.setdefault(node.name, []).append(event)
    for s in stats:
        for i, p in enumerate(s.params):
            found = by_name.get(p.name, ())
            if len(found) == 1:  # a name two parameters share is left as the monitor measured it
                step = measure_step(found[0].value_before, found[0].delta)
                first = first_adaptive_step(found[0].optimizer, found[0].state_before)
                s.params[i] = replace(p, update_norm=step.step_norm, update_ratio=step.ratio,
                                      before_rms=step.before_rms, first_step=first)
    return stats


#: The footer shows Up/Down as one group: '↑↓ pick layer'..
SCOPE_KEYS = Binding.Group("pick layer", compact=True)
#: Why a row's upd/weight is '-': no step has been taken yet, and what takes one.
#: The rows a histogram keeps however many layers the table lists (the table scrolls instead).
HISTOGRAM_ROWS = 8
#: The rows around the table and the histograms at most: the status line (3), the parameters' pane (6), the footer.
AROUND_ROWS = 3 + 6 + 1
#: The table's rows at least (its header and 3 layers).
TABLE_MIN_ROWS = 4


#: The most spaces each side of a table cell (a wide screen's table spreads out up to this).
TABLE_PADDING_MAX = 10


def table_height(layers, screen_height):
    """The layer table's rows (its header included) on a screen `screen_height` lines high: every layer when they
    fit, else as many as leave the histograms HISTOGRAM_ROWS rows (the table scrolls to the highlighted layer)."""
    room = screen_height - AROUND_ROWS - HISTOGRAM_ROWS
    return min(layers + 1, max(TABLE_MIN_ROWS, room))


#: The status line's most lines (graphscope.tcss: #layers-status's max-height).
STATUS_LINES = 3
NO_UPDATE_YET = "no update yet: r trains, or --optimizer walks one"


class LayerScreen(Screen):
    """Up/down pick a scope; its histograms follow. Escape or l goes back to the graph."""

    BINDINGS = [
        Binding("up", "scope(-1)", "previous layer", group=SCOPE_KEYS, priority=True),
        Binding("down", "scope(1)", "next layer", group=SCOPE_KEYS, priority=True),
        Binding("escape,l", "app.pop_screen", "back", tooltip="back to the graph"),
        Binding("q", "app.quit", "quit"),
        Binding("question_mark", "help", "help"),
    ]
    #: The help's words above the keys (?).
    HELP = ("[b]Layer statistics[/b]: one row per scope (a layer) with its activations' and gradients' spread and "
            "its parameters' update/weight ratio; the histograms below are the highlighted layer's (Escape, ? or q "
            "closes this help).\n")

    def action_help(self):
        self.app.push_screen(HelpScreen(self.BINDINGS + SCREEN_KEYS, self.HELP))

    def __init__(self, session):
        super().__init__()
        self.session = session
        self.param_lines = []
        self.updates = session.update_events()
        run = session.training_run
        # after a training run, dead units are counted on the trainer's fixed sample of the training data
        sample = run.trainer.sample_activations() if run is not None and session.trained and not run.running \
            else None
        self.stats = layer_stats(session.graph, None if self.updates else session.params_before, activations=sample)
        with_walked_updates(self.stats, self.updates)

    def compose(self):
        yield Static(self._status(), id="layers-status")
        if not self.stats:
            yield Static(NO_SCOPES, id="layers-empty")
        else:
            table = DataTable(id="layers-table", cursor_type="row", zebra_stripes=True)
            table.styles.height = table_height(len(self.stats), self.app.size.height)  # from the first frame:
            yield table  # the plots below are drawn once, at their size
            with Horizontal(id="layers-plots"):
                yield HistogramPlot(id="activation-histogram")
                yield HistogramPlot(colours.GRAD, id="gradient-histogram")
            with VerticalScroll(id="layers-params-pane"):
                yield Static(id="layers-params")
        yield KeyFooter()

    def _status(self):
        when = "after training" if self.session.trained else "as recorded"
        ratio = ""
        if self.updates:
            optimizer = next(iter(self.updates.values())).optimizer
            ratio = f" · upd/weight: the next {optimizer} step (u), ~{UPDATE_RATIO_TARGET:.0e} is healthy"
        elif self.session.params_before:
            ratio = f" · upd/weight of the last step, ~{UPDATE_RATIO_TARGET:.0e} is healthy"
        elif any(p.update_ratio is None for st in self.stats for p in st.params):
            ratio = f" · upd/weight -: {NO_UPDATE_YET}"
        return f"layer statistics · {plural(len(self.stats), 'layer')} · {when}{self._examples()}{ratio}"

    def show_status(self):
        """The status line cut between its parts (' · ') to the screen's width, never a word left alone on a line
        of its own."""
        status = self.query_one("#layers-status", Static)
        width = status.content_region.width or None
        status.update("\n".join(cut_parts(self._status().split(" · "), width, STATUS_LINES)))

    def _examples(self):
        """' · 64 examples' (the recorded batch), or where a training run measured the activations."""
        counts = {s.examples for s in self.stats} - {None}
        grads = {s.gradient_examples for s in self.stats} - {None}
        if not counts:
            return ""
        shown = "/".join(map(str, sorted(counts)))
        if grads and grads != counts:
            return f" · activations: {shown} training examples (eval), gradients: {'/'.join(map(str, sorted(grads)))}"
        return f" · {shown} examples"

    def on_mount(self):
        self.call_after_refresh(self.show_status)
        if not self.stats:
            return
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        for s in self.stats:
            g = s.gradient
            table.add_row(s.scope, s.activation.mean_text, stat_text(s.activation.std), _fraction(s),
                          g.mean_text if g else "not computed", stat_text(g.std) if g else "-", _ratio(s), key=s.scope)
        table.focus()
        self.show_scope(0)
        self.call_after_refresh(self.fit_table_width)

    def fit_table_width(self):
        """Spread the table's columns over the screen's width (wider padding in each cell, up to TABLE_PADDING_MAX),
        so that a wide terminal's table does not stand in its left third."""
        table = self.query_one(DataTable)
        width, columns = table.size.width, list(table.columns.values())
        if not width or not columns:
            return
        natural = sum(c.content_width for c in columns)
        table.cell_padding = max(1, min(TABLE_PADDING_MAX, (width - natural - 1) // (2 * len(columns))))

    def action_scope(self, delta):
        """Move the table's highlight up or down a scope (its histograms and parameters follow)."""
        if self.stats:
            table = self.query_one(DataTable)
            table.move_cursor(row=max(0, min(len(self.stats) - 1, table.cursor_row + delta)))

    def on_data_table_row_highlighted(self, event):
        self.show_scope(event.cursor_row)

    def show_scope(self, row):
        """Draw the histograms and the parameters of the scope in `row`."""
        s = self.stats[row]
        self.query_one("#activation-histogram", HistogramPlot).show(f"{s.scope} activations ({s.node}, {s.op})",
                                                                     s.activation)
        self.query_one("#gradient-histogram", HistogramPlot).show(f"{s.scope} gradients", s.gradient)
        self.param_lines = [_param_line(p) for p in s.params] or [f"{s.scope} has no parameters of its own"]
        self.show_params()

    def show_params(self):
        """The selected scope's parameter lines, each cut between its figures to the pane's width (a figure and its
        name stay on one line), the lines after a parameter's first indented."""
        params = self.query_one("#layers-params", Static)
        width = params.content_region.width or None
        lines = [line for text in self.param_lines for line in cut_between(text.split(", "), width, "   ")]
        params.update("\n".join(lines))

    def on_resize(self):
        self.call_after_refresh(self.show_status)
        if self.stats:
            self.call_after_refresh(self.fit_table_width)
            self.query_one(DataTable).styles.height = table_height(len(self.stats), self.app.size.height)
            self.call_after_refresh(self.show_params)
