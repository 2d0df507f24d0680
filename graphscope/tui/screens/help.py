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
    (None: not cut) with the lines after the first under the words, the keys' column left clear."""
    rows = []
    for b in bindings:
        keys = ", ".join(key_name(k) for k in b.key.split(","))
        row = hanging(f"  {keys:<{KEY_COLUMN}} {full_words(b)}", width, indent=KEY_COLUMN + 3)
        rows.append(f"  [b]{keys}[/b]" + row[2 + len(keys):])
    return "\n".join(rows)


class HelpText(Static):
    """The help's text, its key rows cut to the pane's width."""

    def __init__(self, bindings, **kwargs):
        super().__init__(self._text(bindings, None), **kwargs)
        self.bindings = bindings

    @staticmethod
    def _text(bindings, width):
        return INTRO + "\n[b]Keys[/b] (each also in the command palette, ctrl+p)\n" + keys_text(bindings, width)

    def on_resize(self, event):
        self.update(self._text(self.bindings, self.content_region.width or None))


class HelpScreen(ModalScreen):
    """Escape, ? or q closes it."""

    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "close")]

    def __init__(self, bindings):
        super().__init__()
        self.bindings = bindings

    #: Said on the window's top border, always in sight however far the text is scrolled.
    CLOSE_WORDS = "Escape, ? or q closes this help"

    def compose(self):
        with VerticalScroll(id="help") as pane:
            pane.border_title = self.CLOSE_WORDS
            yield HelpText(self.bindings)
