"""The screen a terminal too small for graphscope gets: one centred message, q quits; it goes when the terminal
grows."""
from textual.binding import Binding
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Static

#: The smallest terminal every screen stays usable in: at 80 columns the tape's narrowest columns (value and
#: gradient) stand beside the inspector's 40 and the footer still shows `q quit`; at 20 rows the graph view keeps
#: a row of boxes above the tape's 9 rows.
MIN_SIZE = Size(80, 20)


def too_small(size, least=MIN_SIZE):
    """True when `size` is narrower or lower than `least`."""
    return size.width < least.width or size.height < least.height


def too_small_text(size, least=MIN_SIZE):
    """'terminal too small: 40 x 10, graphscope needs at least 80 x 20'."""
    return (f"terminal too small: {size.width} x {size.height}, graphscope needs at least "
            f"{least.width} x {least.height}")


class TooSmallScreen(Screen):
    """Says the terminal is too small (and how small); q quits; it closes itself once the terminal is big enough."""

    BINDINGS = [Binding("q", "app.quit", "quit")]

    def __init__(self, size):
        super().__init__()
        self.terminal = size
        self.closing = False

    def compose(self):
        yield Static(self.message(), id="too-small", markup=False)

    def on_resize(self, event):
        self.fit(event.size)

    def on_screen_resume(self):
        self.fit(self.app.size)

    def fit(self, size):
        """Say the terminal's size, or close when it is big enough."""
        self.terminal = size
        if not too_small(size):
            if self.app.screen is self and not self.closing:
                self.closing = True  # a resize and a resume may both ask
                self.dismiss()
            return
        self.query_one("#too-small", Static).update(self.message())

    def message(self):
        return too_small_text(self.terminal) + "\nq quits"
