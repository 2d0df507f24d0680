"""The TUI's screens: the main screen, help and dialogs.

The layer-statistics screen and the training screen will live here too, each
in its own module, opened with the keys kept free for them
(``main.RESERVED_KEYS``).
"""
