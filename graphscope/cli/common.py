"""What the commands that read a graph share: their arguments, and the note on NaNs."""


def add_graph_arguments(parser):
    """FILE (a .py defining build(), or a saved graph) and --import FILE.py (defines custom ops first)."""
    parser.add_argument("file", help="a sample (.py defining build()) or a saved graph file (graph.save(...))")
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="FILE.py",
                        help="run this Python file first, to define the custom ops a saved graph uses "
                             "(repeatable)")


def nonfinite_note(graph, file):
    """'note: ...' naming the node that makes the first NaN or infinity, or None when everything is finite."""
    from ..engine.anomaly import find_nonfinite
    from ..engine.source import display_location
    origin = find_nonfinite(graph.nodes)
    if origin is None:
        return None
    made = "a leaf's data" if origin.reason == "leaf" else f"op {origin.op}"
    kind = "value" if origin.phase == "forward" else "gradient"
    return (f"note: non-finite {kind}s ({origin.kind}): the first is made at {origin.name} ({made}), "
            f"{display_location(origin.source)}; `graphscope check {file}` says more")
