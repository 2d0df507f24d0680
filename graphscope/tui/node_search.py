"""The go-to box's search (g): the nodes whose scope path holds what was typed, else a fuzzy match.

Textual's fuzzy match alone finds the typed letters in order anywhere in a
label, so `block3` also found `block5/add_30  (add)` (a 3 in its id). Labels
that hold the text as typed come first and alone: typing a scope's name
lists that scope's nodes; text no label holds (`blk3W`) is still matched
fuzzily.
"""
from textual.command import CommandPalette, Hit, SimpleProvider


class NodeSearch(SimpleProvider):
    """A palette provider over (label, callback) pairs: substring matches when there are any, else fuzzy ones."""

    def __init__(self, screen, commands):
        super().__init__(screen, commands)
        self.items = list(commands)

    async def search(self, query):
        matcher = self.matcher(query)
        typed = query.strip().lower()
        holding = [(label, go) for label, go in self.items if typed and typed in label.lower()]
        for label, go in holding or self.items:
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), go)


def node_palette(screen, items, placeholder):
    """The command palette listing `items` ((label, callback) pairs) with the go-to search."""
    return CommandPalette(providers=[NodeSearch(screen, items)], placeholder=placeholder)
