"""A one-line input whose editing keys act in the order they were typed, however fast they come.

Textual's Input inserts a typed character as soon as its key reaches the
input, but its bound keys (Backspace, the arrows, Enter) first travel up to
the app, which then runs their action. Keys that arrive in one burst (a fast
typist, a paste through a terminal multiplexer, ``tmux send-keys``) thus run
out of order: ``Backspace x5, 1, Enter`` on "-2.0" inserts the 1 first and
then deletes it, and Enter submits ''. Here the input runs its own bindings
where it receives the key, in order with the typing.
"""
from textual.widgets import Input


class OrderedInput(Input):
    """An Input that runs its own key bindings (Backspace, arrows, Enter, ...) as the keys arrive."""

    async def _on_key(self, event):
        if event.is_printable:
            return  # Input's own handler inserts it
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            # priority bindings ran before the key got here; a key the input does not bind goes on up as usual
            if not binding.priority and await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()  # handled: neither Input's handler nor the app's binding check runs it again
                return
