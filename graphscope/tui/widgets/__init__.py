"""The main screen's parts: the graph view, the tape and the inspector."""
