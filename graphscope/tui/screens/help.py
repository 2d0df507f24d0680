"""The help screen: what graphscope's main screen shows, and every key."""
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.keys import key_to_character
from textual.screen import ModalScreen
from textual.widgets import Static

from .. import colours
from ..widgets.tape_layout import MARKS_KEY
from ..widgets.text_fit import hanging

INTRO = " ".join(f"""[b]graphscope[/b]: step through backpropagation node by node (Escape, ? or q closes this help).
@@
The [b]graph[/b] (top left) shows every node, in the same colours as its tape row:
[{colours.PENDING}]grey dashed = not computed yet[/], [{colours.VALUE}]blue = value computed[/],
[{colours.CURRENT}]orange = this step[/], [{colours.GRAD}]teal, filled = gradient passed on[/],
[{colours.NO_GRAD}]violet = needs no gradient (no grad)[/], [{colours.ERROR}]red = made the first NaN or
infinity[/]; values are blue and gradients teal everywhere (in a terminal without colours: dashed = not computed
yet, heavy = this step and its edges). With room, a box shows its value and gradient, and the edge the step's
gradient flows along is labelled with it (w hides the inspector to make room). The [b]tape[/b] (bottom left)
lists the nodes in order, each row
marked: MARKS_KEY. The [b]inspector[/b] (right) shows the current node: its value, and in
the backward phase, for each input, upstream × local = contribution and the
input's accumulated gradient. With --optimizer an update phase follows (u):
per parameter its gradient, the optimizer's state, the step and the
update/weight ratio.
""".split()).replace(" @@ ", "\n\n").replace("MARKS_KEY", MARKS_KEY) + "\n"  # paragraphs the screen wraps


def key_name(key):
    """A key as it is typed: '!' for exclamation_mark, 'C' for C, 'home' for home; a key whose character does not
    show (tab, space) by its name."""
    key = key.strip()
    character = key_to_character(key)
    return character if character and character.isprintable() and not character.isspace() else key


def full_words(binding):
    """What a binding does, in full: its tooltip when its footer word is short ('go to' -> 'go to node')."""
    return binding.tooltip or binding.description


#: The keys' column: what a binding does starts after it (and its lines cut to the width go on under it).
KEY_COLUMN = 18


def keys_text(bindings, width=None):
    """One line per binding: its keys and what it does (in full: its tooltip when it has one), cut to `width`
    (None: not cut) with the lines after the first under the words, the keys' column left clear (keys too long for
    it stand on a line of their own, the words under the column)."""
    words_at = KEY_COLUMN + 3
    rows = []
    for b in bindings:
        keys = ", ".join(key_name(k) for k in b.key.split(","))
        words = hanging(" " * words_at + full_words(b), width, indent=words_at)  # wrapped under the words' column
        if len(keys) > KEY_COLUMN:
            rows += [f"  [b]{keys}[/b]", words]
        else:
            rows.append(f"  [b]{keys}[/b]" + " " * (words_at - 2 - len(keys)) + words[words_at:])
    return "\n".join(rows)


#: Keys the main screen's help lists beside its bindings: the focused pane's own, the boxes', Textual's.
PANE_KEYS = [
    Binding("up,down", "", "tape focused: move its highlighted row (enter goes to it); graph focused: pan the graph "
            "up and down"),
    Binding("shift+left,shift+right", "", "graph focused: pan the graph left and right"),
    Binding("pageup,pagedown", "", "a page at a time (the tape's rows, the graph)"),
    Binding("escape", "", "close this help, the go-to box, the palette or a message; skip predict mode's question"),
    Binding("ctrl+p", "", "the command palette: every command by name"),
    Binding("ctrl+c", "", "quit"),
]
#: The keys every other screen's help adds to its own bindings.
SCREEN_KEYS = [Binding("ctrl+p", "", "the command palette: every command by name"), Binding("ctrl+c", "", "quit")]


class HelpText(Static):
    """The help's text (`intro`, then the keys), its key rows cut to the pane's width."""

    def __init__(self, bindings, intro=INTRO, **kwargs):
        self.bindings, self.intro = bindings, intro
        super().__init__(self._text(None), **kwargs)

    def _text(self, width):
        return self.intro + "\n[b]Keys[/b] (each also in the command palette, ctrl+p)\n" + keys_text(self.bindings, width)

    def on_resize(self, event):
        self.update(self._text(self.content_region.width or None))


class HelpScreen(ModalScreen):
    """Escape, ? or q closes it. `bindings`: the keys of the screen it is opened on; `intro`: what that screen
    shows (by default the main screen's)."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "close")]

    def __init__(self, bindings, intro=INTRO):
        super().__init__()
        self.bindings, self.intro = bindings, intro

    #: Said on the window's top border, always in sight however far the text is scrolled.
    CLOSE_WORDS = "Escape, ? or q closes this help"

    def compose(self):
        with VerticalScroll(id="help") as pane:
            pane.border_title = self.CLOSE_WORDS
            yield HelpText(self.bindings, self.intro)
