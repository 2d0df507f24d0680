"""graphscope tui: step through a graph in the terminal, node by node.

The screen shows the graph (laid out by Graphviz), a tape of every node, and
an inspector that reads the local rule at each backward step: upstream x
local = contribution. n / p step, ctrl+p lists every command, ? shows the
keys. With --serve the same app is served to a browser on this machine.
"""
import shlex
import sys

from .common import add_graph_arguments, load_graph

DEFAULT_PORT = 8000


def open_tui(graph, provenance, file=None):
    """Run the TUI in this terminal on `graph`; `provenance` says where the graph came from (the title)."""
    from ..tui import run_app
    return run_app(graph, provenance, file)


def serve(args, port):
    """Serve `graphscope tui FILE` through textual-serve on 127.0.0.1:`port` until interrupted."""
    from ..engine.errors import GraphscopeError
    try:
        from textual_serve.server import Server
    except ImportError:
        raise GraphscopeError("--serve needs textual-serve: pip install 'graphscope[serve]'") from None
    words = [sys.executable, "-m", "graphscope", "tui", args.file]
    for module in args.imports:
        words += ["--import", module]
    print(f"graphscope tui: serving {args.file} on http://127.0.0.1:{port} (ctrl+c stops)", flush=True)
    Server(shlex.join(words), host="127.0.0.1", port=port, title=f"graphscope {args.file}").serve()
    return 0


def _tui(args):
    from ..engine.source import display_path
    graph = load_graph(args)  # errors before the screen opens: one message, exit 2 (see run)
    if args.serve:
        return serve(args, args.port)
    return open_tui(graph, display_path(args.file), args.file)


def run(args):
    from ..engine.errors import GraphscopeError
    if args.port is not None and not args.serve:
        print("graphscope tui: --port goes with --serve", file=sys.stderr)
        return 2
    if args.port is not None and not 0 < args.port < 65536:
        print(f"graphscope tui: --port {args.port}: a port is 1..65535", file=sys.stderr)
        return 2
    args.port = DEFAULT_PORT if args.port is None else args.port
    try:
        return _tui(args)
    except GraphscopeError as exc:
        print(f"graphscope tui: {exc}", file=sys.stderr)
        return 2


def add_parser(sub):
    p = sub.add_parser("tui", help="step through a graph in the terminal (graph, tape, inspector)",
                       description=__doc__.split("\n\n", 1)[1])
    add_graph_arguments(p)
    p.add_argument("--serve", action="store_true", help="serve the app to a browser at http://127.0.0.1:PORT")
    p.add_argument("--port", type=int, default=None, help=f"the port for --serve (default {DEFAULT_PORT})")
    p.set_defaults(run=run)
