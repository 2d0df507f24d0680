"""Arguments shared by the commands that read a graph (check, export)."""


def add_graph_arguments(parser):
    """FILE (a .py defining build(), or a saved graph) and --import FILE.py (defines custom ops first)."""
    parser.add_argument("file", help="a sample (.py defining build()) or a saved graph file (graph.save(...))")
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="FILE.py",
                        help="run this Python file first, to define the custom ops a saved graph uses "
                             "(repeatable)")
