"""The graphscope Textual app: opens the main screen on a graph; every command also in the palette."""
import os
import sys
import time

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.filter import Monochrome, NoColor

from ..engine.errors import GraphscopeError
from ..util.atomic import atomic_write
from .out_folder import OUT_VARIABLE, out_folder
from .palette import (ANSI, FULL, MODES, MONO, ConsoleGlyphs, LowColour, MarkHighlights, console_font,
                      terminal_colours)
from .screens.main import MainScreen
from .screens.too_small import TooSmallScreen, too_small
from .session import Session
from .training import TrainingOptions, resume_run, walk_optimizer


class GraphscopeApp(App):
    """Step through `graph`'s forward and backward passes; `origin` names where it came from (the title).

    `training` (TrainingOptions) is how the training screen trains `file`'s graph; with ``training.resume`` the
    app goes on with the run saved in that checkpoint (checked here, before any screen: a GraphscopeError says
    what does not fit): the graph shows its trained parameters, and r goes on with it.

    `colours` is how it draws (palette: 'full', 'ansi' for 16 colours, 'mono' for none; None: what this terminal
    has, as run_app asks) and `console` True draws only glyphs the Linux console's font has (None: when TERM is
    linux). By default the app draws in full colour with every glyph, whatever the terminal, so that its pictures
    (snapshots) do not depend on where they are taken.
    """

    CSS_PATH = "graphscope.tcss"
    TITLE = "graphscope"
    ENABLE_COMMAND_PALETTE = True
    #: ctrl+c quits, as in any terminal program (Textual's default only says to press another key); a text box
    #: with a selection still copies it
    BINDINGS = [Binding("ctrl+c", "quit", "quit", show=False)]

    def __init__(self, graph, origin="", file=None, optimizer=None, training=None, notes=(), colours=FULL,
                 console=False, **kwargs):
        super().__init__(**kwargs)
        self.notes = list(notes)  # warnings from loading the graph (saved values its ops do not give), shown at once
        self.colours = terminal_colours(self.console.color_system) if colours is None else colours
        if self.colours not in MODES:
            raise ValueError(f"colours must be one of {', '.join(MODES)}, not {self.colours!r}")
        self.console_font = console_font() if console is None else console
        self.low_colour_filters = ([LowColour()] if self.colours != FULL else []) \
            + ([MarkHighlights(), NoColor()] if self.colours == MONO else []) + ([ConsoleGlyphs()] if self.console_font else [])
        self.training_options = training or TrainingOptions()
        resumed = resume_run(graph, file, self.training_options) if self.training_options.resume else None
        optimizer = walk_optimizer(graph, optimizer, self.training_options)  # u walks the step r trains with
        self.session = Session(graph, origin, file, resumed.trainer.optimizer if resumed else optimizer)
        if resumed is not None:
            self.session.continue_run(resumed)
        self.sub_title = origin
        self.started = False  # the main screen has been pushed
        # the graph view uses the pictures' colours, drawn for white paper; with 16 colours or none, the terminal's
        # own foreground and background (an ANSI theme: Textual's widgets in ANSI colours, LowColour for ours)
        self.theme = "textual-light" if self.colours == FULL else "ansi-dark"
        if self.colours != FULL:
            self.add_class("-low-colour")

    @property
    def low_colour(self):
        """True with 16 colours or none: state is told by text styles and glyphs (palette)."""
        return self.colours in (ANSI, MONO)

    def get_line_filters(self):
        """Textual's filters, then (16 colours or none) LowColour and, without colour, NoColor in place of
        Textual's Monochrome (NO_COLOR means no colour escapes, not greys); on the Linux console, ConsoleGlyphs."""
        filters = [f for f in super().get_line_filters() if not (self.colours == MONO and isinstance(f, Monochrome))]
        return filters + self.low_colour_filters

    def on_mount(self):
        self.push_screen(MainScreen(self.session))
        self.started = True
        self.fit_terminal(self.size)
        for text in self.notes:
            self.notify(text, title="warning", severity="warning", timeout=30)

    def on_resize(self, event):
        if self.started:  # before, the main screen is not there yet: on_mount looks at the size
            self.fit_terminal(event.size)  # before Textual's own handler: self.size is still the old size

    def fit_terminal(self, size):
        """A terminal too small for graphscope gets one message over every screen (TooSmallScreen); it goes, and
        the screen under it comes back, when the terminal grows."""
        if too_small(size) and not isinstance(self.screen, TooSmallScreen):
            self.push_screen(TooSmallScreen(size))

    def notify(self, message, **kwargs):
        """One notification at a time: a new one replaces the one shown, so they never pile up over the screen (the
        clearing is queued before the new one, from any thread, as Textual queues the notification itself)."""
        self.call_later(self.clear_notifications)
        super().notify(message, **kwargs)

    def get_system_commands(self, screen):
        """Textual's commands (its Screenshot replaced by save_screen), then the main screen's."""
        for command in super().get_system_commands(screen):
            yield SystemCommand("Screenshot", f"Save an SVG picture of the screen ({OUT_VARIABLE}'s folder, else the "
                                "current one)", self.save_screen) if command.title == "Screenshot" else command
        if isinstance(screen, MainScreen):
            yield from screen.commands()


    def save_screen(self):
        """Save the screen as SVG in the TUI's folder (out_folder) and say where, or why it could not."""
        folder, note = out_folder()
        path = os.path.join(folder, time.strftime("graphscope-screen-%Y%m%d-%H%M%S.svg"))
        try:
            with atomic_write(path, "screenshot", durable=False) as f:
                f.write(self.export_screenshot().encode("utf-8"))
        except (GraphscopeError, OSError) as exc:
            self.notify(str(exc), title="screenshot not saved", severity="error", markup=False)
            return
        self.notify(path + (f"\n{note}" if note else ""), title="screenshot saved", markup=False,
                    severity="warning" if note else "information")


def run_app(graph, origin="", file=None, optimizer=None, training=None, notes=()):
    """Open the TUI on `graph` in this terminal (with `optimizer`'s update phase, and `training` for the
    training screen, given them; `notes`: warnings shown as it opens) in the colours and glyphs the terminal has
    (palette); returns the exit code: 1 when the training screen's last run diverged (as `graphscope train`
    exits), else 0."""
    app = GraphscopeApp(graph, origin, file, optimizer, training, notes, colours=None, console=None)
    app.run()
    run = app.session.training_run
    if run is None:
        return 0
    print(f"graphscope tui: {run.kept()}", file=sys.stderr)  # what the training screen's run left behind
    return 1 if run.diverged is not None else 0
