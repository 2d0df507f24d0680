"""The graphscope Textual app: opens the main screen on a graph; every command also in the palette."""
from textual.app import App
from textual.binding import Binding

from .screens.main import MainScreen
from .session import Session
from .training import TrainingOptions


class GraphscopeApp(App):
    """Step through `graph`'s forward and backward passes; `origin` names where it came from (the title).

    `training` (TrainingOptions) is how the training screen trains `file`'s graph.
    """

    CSS_PATH = "graphscope.tcss"
    TITLE = "graphscope"
    ENABLE_COMMAND_PALETTE = True
    #: ctrl+c quits, as in any terminal program (Textual's default only says to press another key); a text box
    #: with a selection still copies it
    BINDINGS = [Binding("ctrl+c", "quit", "quit", show=False)]

    def __init__(self, graph, origin="", file=None, optimizer=None, training=None, **kwargs):
        super().__init__(**kwargs)
        self.session = Session(graph, origin, file, optimizer)
        self.training_options = training or TrainingOptions()
        self.sub_title = origin
        self.theme = "textual-light"  # the graph view uses the pictures' colours, drawn for white paper

    def on_mount(self):
        self.push_screen(MainScreen(self.session))

    def get_system_commands(self, screen):
        yield from super().get_system_commands(screen)
        if isinstance(screen, MainScreen):
            yield from screen.commands()


def run_app(graph, origin="", file=None, optimizer=None, training=None):
    """Open the TUI on `graph` in this terminal (with `optimizer`'s update phase, and `training` for the
    training screen, given them); returns the exit code."""
    GraphscopeApp(graph, origin, file, optimizer, training).run()
    return 0
