"""The TUI's screens: the main screen, the layer screen (l), the training screen (r), help and dialogs."""
