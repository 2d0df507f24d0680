"""The key footer: never a key cut at the right edge."""
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, FooterLabel

#: The class Footer gives the command palette's key, docked at the right.
PALETTE_KEY = "-command-palette"


#: The way back and the way out: a narrow footer drops every other key first.
ALWAYS_SHOWN = ("escape", "q")


class KeyFooter(Footer):
    """Textual's Footer, compact below `roomy` columns, showing only the keys that fit whole: escape and q
    (ALWAYS_SHOWN) stay, and the screen lists its other bindings most needed first, so a narrow terminal loses the
    least needed (all stay in the help screen and the command palette).

    The keys are measured once they are laid out: after each recompose (new keys, a new width), at the screen's
    next layout, however long that waits (a screen behind a dialog or the command palette is laid out when it
    comes back); keys measured before would be kept whole and drawn past the edge under the palette's key."""

    def __init__(self, roomy=80, **kwargs):
        super().__init__(**kwargs)
        self.roomy = roomy
        self.measuring = False  # the keys were composed again: hide the cut ones once they are laid out

    def on_mount(self):
        super().on_mount()
        self.screen.screen_layout_refresh_signal.subscribe(self, self.laid_out)

    def on_unmount(self):
        self.screen.screen_layout_refresh_signal.unsubscribe(self)
        super().on_unmount()

    def on_mouse_down(self, event):
        """A click on a group's word ('step' of '←→ step') does what its last key does (next step), as a click on
        the key itself does."""
        label = event.widget
        if isinstance(label, FooterLabel) and label.parent is not None:
            siblings = list(label.parent.children)
            before = siblings[:siblings.index(label)]
            group = before[-1] if before else None  # the group's keys stand just before its word
            keys = [c for c in (group.children if group is not None else ()) if isinstance(c, FooterKey)]
            if keys:
                keys[-1].on_mouse_down()

    def on_resize(self, event):
        self.compact = event.size.width < self.roomy
        self.call_after_refresh(self.recompose)  # hidden keys come back when there is room for them

    async def recompose(self):
        """Compose the keys again when what they show has changed since they were last composed (the bindings, the
        compact look, the width): the screen's bindings are announced as changed many times while it mounts, and
        each recompose mounts every key again."""
        composed = self.composed_from()
        if composed == getattr(self, "_composed", None) and self.children:
            return
        await super().recompose()
        self._composed = composed
        self.measuring = True
        self.call_after_refresh(self.laid_out)

    def composed_from(self):
        """What the composed keys depend on: whether the bindings are known, the compact look, the width, and each
        shown binding (key, action, words, group, enabled, tooltip)."""
        bindings = tuple((b.key, b.action, b.description, b.group, enabled, tooltip)
                         for _, b, enabled, tooltip in self.screen.active_bindings.values() if b.show) \
            if self._bindings_ready else ()
        return self._bindings_ready, self.compact, self.show_command_palette, self.size.width, bindings

    def laid_out(self, screen=None):
        """The screen was laid out (or refreshed): hide the cut keys if the keys composed last are laid out now."""
        if self.measuring and self.is_attached and self.children \
                and all(c.virtual_region for c in self.children if c.display):
            self.measuring = False
            self.hide_cut_keys()

    def hide_cut_keys(self):
        """Hide every key (or group of keys) from the first that does not fit whole before the palette's key, with
        room kept for the keys always shown (they are hidden last, from the right, only when they alone do not
        fit)."""
        palette = [c for c in self.children if c.has_class(PALETTE_KEY)]
        keys = [c for c in self.children if not c.has_class(PALETTE_KEY)]
        room = self.size.width - sum(c.outer_size.width for c in palette)
        width = {c: c.virtual_region_with_margin.width for c in keys}
        kept = [c for c in keys if getattr(c, "key", None) in ALWAYS_SHOWN]
        if sum(width[c] for c in kept) > room:
            kept = []  # not even those fit: the keys go from the right, in the order listed
        room -= sum(width[c] for c in kept)
        cut = False
        for child in keys:
            if child in kept:
                continue
            cut = cut or width[child] > room
            room -= 0 if cut else width[child]
            child.display = not cut
