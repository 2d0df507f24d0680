"""The key footer: never a key cut at the right edge."""
from textual.widgets import Footer

#: The class Footer gives the command palette's key, docked at the right.
PALETTE_KEY = "-command-palette"
#: How many refreshes to wait for the keys to be laid out before measuring them.
LAYOUT_TRIES = 5


class KeyFooter(Footer):
    """Textual's Footer, compact below `roomy` columns, showing only the keys that fit whole: the screen lists
    its bindings most needed first, so a narrow terminal loses the least needed (all stay in the help screen and
    the command palette)."""

    def __init__(self, roomy=80, **kwargs):
        super().__init__(**kwargs)
        self.roomy = roomy

    def on_resize(self, event):
        self.compact = event.size.width < self.roomy
        self.call_after_refresh(self.recompose)  # hidden keys come back when there is room for them

    async def recompose(self):
        await super().recompose()
        self.call_after_refresh(self.hide_cut_keys)

    def hide_cut_keys(self, tries=LAYOUT_TRIES):
        """Hide every key (or group of keys) from the first that does not fit whole before the palette's key."""
        if any(not c.virtual_region for c in self.children) and tries > 1:  # not laid out yet (a screen behind
            self.call_after_refresh(self.hide_cut_keys, tries - 1)          # a dialog is laid out later)
            return
        palette = [c for c in self.children if c.has_class(PALETTE_KEY)]
        room = self.size.width - sum(c.outer_size.width for c in palette)
        cut = False
        for child in self.children:
            if child.has_class(PALETTE_KEY):
                continue
            cut = cut or child.virtual_region_with_margin.right > room
            child.display = not cut
