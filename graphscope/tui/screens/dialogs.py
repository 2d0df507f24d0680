"""Modal dialogs: an error or a message, and a one-line question (edit a value, predict a gradient)."""
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static
from textual.widgets._toast import ToastRack

from ..widgets.ordered_input import OrderedInput
from ..widgets.text_fit import hanging


class Dialog(ModalScreen):
    """A modal box: the notification shown when it opens is cleared, so no toast lies over the box (nor, drawn
    behind it, on the screens under it: their toasts are hidden until they are shown again)."""

    def on_mount(self):
        self.app.clear_notifications()
        self.call_after_refresh(self.app.clear_notifications)  # and one a key typed just before posted meanwhile
        for screen in self.app.screen_stack:
            if screen is not self:
                try:  # Textual refreshes only the top screen's toasts: the one under the box kept its old ones
                    screen.get_child_by_type(ToastRack).display = False
                except NoMatches:
                    pass


class MessageDialog(Dialog):
    """A message (an error, a check report) in a box; any of Escape, Enter or q closes it."""

    BINDINGS = [Binding("escape,enter,q", "dismiss", "close")]

    def __init__(self, title, message, error=False):
        super().__init__(classes="error" if error else "")
        self.title_text, self.message = title, message

    def compose(self):
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="dialog-title")
            yield Static(self.message, id="dialog-message", markup=False)
            yield Button("OK", id="dialog-ok", variant="primary")

    def on_button_pressed(self, event):
        self.dismiss()


class Prompt(Static):
    """A question's text laid out for its width: each line cut between words, its continuation indented under it
    (a 'where' line's under its numbers), never inside an index ('W[5, 15]')."""

    def __init__(self, text, **kwargs):
        super().__init__(text, markup=False, **kwargs)
        self.text = text

    def on_resize(self, event):
        self.update(prompt_lines(self.text, self.content_region.width or None))


def prompt_lines(text, width):
    """`text` laid out `width` wide (Prompt)."""
    lines = []
    for line in text.split("\n"):
        lead = len(WHERE) if line.startswith(WHERE) else len(line) - len(line.lstrip())
        lines.append(hanging(line, width, indent=lead + 2))
    return "\n".join(lines)


#: The word a question's given numbers follow ('where x[1] = 2'): the lines after it stand under its numbers.
WHERE = "where "


#: What a question's box says its keys do, by default.
CANCEL_KEYS = "Enter takes it · Escape cancels"


class AskDialog(Dialog):
    """A question with one line to type; dismisses with the text (None when cancelled with Escape)."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, title, prompt, value="", room=None, problem=None, keys=CANCEL_KEYS):
        """`room()`: the columns at the screen's left the box may take (predict mode keeps the inspector beside it in
        sight: the numbers the question is about), asked again when the terminal is resized; None: centred. `problem(text)`: why a typed answer cannot be
        taken ('' when it can): the box then stays open, that line under the answer (wrapped, never cut). `keys`:
        what Enter and Escape do, said under the answer."""
        super().__init__(classes="beside" if room else "")
        self.title_text, self.prompt, self.value, self.room = title, prompt, value, room
        self.problem, self.keys = problem, keys

    def compose(self):
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="dialog-title")
            yield Static(self.keys, id="dialog-keys", markup=False)  # under the title: a long question never hides it
            yield Prompt(self.prompt, id="dialog-message")
            yield OrderedInput(self.value, id="dialog-input")
            yield Static("", id="dialog-hint", classes="-empty", markup=False)

    def on_mount(self):
        super().on_mount()  # no notification over the question
        self.fit_room()
        self.query_one(OrderedInput).focus()

    def fit_room(self):
        """Take the columns room() leaves beside the inspector (again after a resize: the box never covers it)."""
        if self.room:
            self.query_one("#dialog").styles.width = self.room()

    def on_resize(self, event):
        self.call_after_refresh(self.fit_room)  # once the screen under the box has laid out its panes anew

    def on_input_submitted(self, event):
        said = self.problem(event.value) if self.problem else ""
        if said:
            hint = self.query_one("#dialog-hint", Static)
            hint.update(said)
            hint.remove_class("-empty")
            return
        self.dismiss(event.value)

    def action_cancel(self):
        self.dismiss(None)
